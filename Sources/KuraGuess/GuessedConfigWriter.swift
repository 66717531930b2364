import KuraCore

/// Writes a config as block-style YAML, marking every value guess decided with `# guessed`.
///
/// Lists of flat mappings (columns, decoders) are written one flow mapping a line, as Embulk's guess writes them.
enum GuessedConfigWriter {
    static let mark = "  # guessed"

    /// The YAML text of `config`; `guessed` holds the dotted paths of guessed keys (such as `in.parser.delimiter`).
    static func yaml(_ config: ConfigNode, guessed: Set<String>) -> String {
        var lines: [String] = []
        mapping(config, indent: "", path: "", guessed: guessed, inherited: false, into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    static func mapping(_ node: ConfigNode, indent: String, path: String, guessed: Set<String>, inherited: Bool, into lines: inout [String]) {
        for (key, value) in node.mappingEntries ?? [] {
            let p = path.isEmpty ? key : path + "." + key
            let isGuessed = inherited || guessed.contains(p)
            let comment = isGuessed ? mark : ""
            let k = scalar(key, quoted: false)
            switch value.kind {
            case .null, .scalar:
                lines.append(indent + k + ": " + flow(value) + comment)
            case .mapping(let entries) where entries.isEmpty:
                lines.append(indent + k + ": {}" + comment)
            case .mapping:
                lines.append(indent + k + ":" + (isGuessed && !inherited ? mark : ""))
                mapping(value, indent: indent + "  ", path: p, guessed: guessed, inherited: isGuessed, into: &lines)
            case .sequence(let items):
                if items.isEmpty {
                    lines.append(indent + k + ": []" + comment)
                    continue
                }
                lines.append(indent + k + ":" + (isGuessed && !inherited ? mark : ""))
                for item in items { sequenceItem(item, indent: indent + "  ", path: p, guessed: guessed, inherited: isGuessed, into: &lines) }
            }
        }
    }

    static func sequenceItem(_ item: ConfigNode, indent: String, path: String, guessed: Set<String>, inherited: Bool, into lines: inout [String]) {
        let comment = inherited ? mark : ""
        if isFlat(item) {
            lines.append(indent + "- " + flow(item) + comment)
            return
        }
        var nested: [String] = []
        mapping(item, indent: indent + "  ", path: path, guessed: guessed, inherited: inherited, into: &nested)
        if let first = nested.first {
            nested[0] = indent + "- " + first.dropFirst(indent.count + 2)
            lines += nested
        } else {
            lines.append(indent + "- " + flow(item) + comment)
        }
    }

    /// Whether the node is a scalar or a mapping / list of scalars, written on one line.
    static func isFlat(_ node: ConfigNode) -> Bool {
        switch node.kind {
        case .null, .scalar: return true
        case .mapping(let entries): return entries.allSatisfy { if case .mapping = $0.value.kind { return false }; if case .sequence = $0.value.kind { return false }; return true }
        case .sequence(let items): return items.allSatisfy { if case .scalar = $0.kind { return true }; return $0.isNull }
        }
    }

    /// The node in YAML flow style.
    static func flow(_ node: ConfigNode) -> String {
        switch node.kind {
        case .null: return "null"
        case .scalar(let s, let quoted): return scalar(s, quoted: quoted)
        case .sequence(let items): return "[" + items.map(flow).joined(separator: ", ") + "]"
        case .mapping(let m): return "{" + m.map { scalar($0.key, quoted: false) + ": " + flow($0.value) }.joined(separator: ", ") + "}"
        }
    }

    /// A scalar as YAML: plain when that reads back as the same text (and, if `quoted`, as a string), else
    /// single-quoted, or double-quoted when it holds control characters.
    static func scalar(_ s: String, quoted: Bool) -> String {
        if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\t": out += "\\t"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                default:
                    if u.value < 0x20 || u.value == 0x7F {
                        let h = String(u.value, radix: 16)
                        out += "\\x" + String(repeating: "0", count: 2 - h.count) + h
                    } else {
                        out.unicodeScalars.append(u)
                    }
                }
            }
            return out + "\""
        }
        if !quoted && isPlainSafe(s) { return s }
        if quoted && isPlainSafe(s) && !looksTyped(s) { return s }
        return "'" + s.replacingOccurrences("'", "''") + "'"
    }

    static func isPlainSafe(_ s: String) -> Bool {
        guard let f = s.first, !s.hasSuffix(" "), !s.hasPrefix(" ") else { return false }
        if "-?:,[]{}#&*!|>'\"%@`".contains(f) { return false }
        if s.contains(": ") || s.contains(" #") || s.hasSuffix(":") { return false }
        return true
    }

    /// Whether YAML would read the plain text as something other than a string.
    static func looksTyped(_ s: String) -> Bool {
        let lower = s.lowercased()
        if ["null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"].contains(lower) { return true }
        return Double(s) != nil || Int(s) != nil || s.hasPrefix("0x") || s.hasPrefix("0o")
    }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b)
    }
}
