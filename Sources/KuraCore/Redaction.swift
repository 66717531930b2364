/// What kura hides before it prints or stores a config: passwords, tokens and keys, and the password in a URL.
public enum Redaction {
    /// The text that stands in for a hidden value.
    public static let mask = "********"

    /// Whether a config key names a secret (`password`, `aws_secret_access_key`, `token`, `private_key`, …).
    public static func isSecretKey(_ key: String) -> Bool {
        let k = key.lowercased()
        return ["password", "passwd", "secret", "token", "credential", "private_key", "access_key", "api_key"]
            .contains { k.contains($0) }
    }

    /// `url` with the password of its authority (`scheme://user:PASSWORD@host`) and any `password=` query
    /// parameter replaced by `mask`; other text is returned unchanged.
    public static func url(_ url: String) -> String {
        var out = url
        if let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://"),
            url[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) })
        {
            let rest = out[out.index(colon, offsetBy: 3)...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@"), let c = rest[..<at].firstIndex(of: ":") {
                out.replaceSubrange(rest.index(after: c)..<at, with: mask)
            }
        }
        if let q = out.firstIndex(of: "?") {
            let query = out[out.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map {
                $0.lowercased().hasPrefix("password=") ? "password=" + mask : String($0)
            }
            out = String(out[...q]) + query.joined(separator: "&")
        }
        return out
    }

    /// Free text (an error message, a log line) with the secrets it may quote masked: the password of every URL
    /// in it (as `url(_:)` does) and the value of every `KEY=VALUE` word whose key names a secret (`password=…`,
    /// `PGPASSWORD=…`). Words are separated by spaces, tabs and line breaks; other text is kept as it is.
    public static func text(_ text: String) -> String {
        var out = ""
        var word = ""
        func flush() {
            if word.contains("://") {
                out += url(word)
            } else if let eq = word.firstIndex(of: "="), isSecretKey(String(word[..<eq])), word.index(after: eq) < word.endIndex {
                out += word[...eq] + mask
            } else {
                out += word
            }
            word = ""
        }
        for c in text {
            if c == " " || c == "\t" || c == "\n" || c == "\r\n" || c == "\r" {
                flush()
                out.append(c)
            } else {
                word.append(c)
            }
        }
        flush()
        return out
    }

    /// `node` with every value under a secret key masked, and every scalar that is a URL redacted.
    public static func config(_ node: ConfigNode) -> ConfigNode {
        switch node.kind {
        case .null: return node
        case .scalar(let text, let quoted):
            return ConfigNode(.scalar(url(text), quoted: quoted), mark: node.mark)
        case .sequence(let items):
            return ConfigNode(.sequence(items.map(config)), mark: node.mark)
        case .mapping(let entries):
            let hidden = entries.map { entry -> (key: String, value: ConfigNode) in
                if isSecretKey(entry.key), !entry.value.isNull {
                    return (entry.key, ConfigNode(.scalar(mask, quoted: true), mark: entry.value.mark))
                }
                return (entry.key, config(entry.value))
            }
            return ConfigNode(.mapping(hidden), mark: node.mark)
        }
    }
}
