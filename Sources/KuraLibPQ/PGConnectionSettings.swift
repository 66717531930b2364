import KuraCore
import Foundation
import CLibPQ

/// Connection settings as libpq keyword/value pairs, holding only what the user set, so libpq's own defaults
/// (the `PG*` environment variables, `~/.pgpass`, service files) still apply to everything else.
public struct PGConnectionSettings: Sendable {
    /// The keyword/value pairs, in order. A `dbname` holding a URL is expanded by libpq.
    public var parameters: [(String, String)]
    /// Secrets to hide in every message: the password, and the URL's password part.
    public var secrets: [String]

    public init(parameters: [(String, String)] = [], secrets: [String] = []) {
        self.parameters = parameters
        self.secrets = secrets.filter { !$0.isEmpty }
    }

    /// The value set for `keyword`, if any.
    public subscript(keyword: String) -> String? { parameters.last { $0.0 == keyword }?.1 }

    /// A description of where the connection goes, for messages: `host:port/database as user`, never the password.
    public var redactedDescription: String {
        var parts: [String] = []
        if let url = self["dbname"], url.contains("://") {
            parts.append(redactURL(url))
        } else {
            let host = self["host"] ?? "(default host)"
            let port = self["port"].map { ":" + $0 } ?? ""
            parts.append(host + port + "/" + (self["dbname"] ?? "(default database)"))
        }
        if let user = self["user"] { parts.append("as \(user)") }
        return parts.joined(separator: " ")
    }

    /// `text` with every secret replaced by `********`.
    public func redact(_ text: String) -> String {
        var out = text
        for s in secrets where out.contains(s) { out = out.replacingOccurrences(of: s, with: "********") }
        return out
    }
}

/// `url` with the password part (`user:password@`) replaced by `********`, and any `password=` query parameter too.
public func redactURL(_ url: String) -> String { Redaction.url(url) }

/// The password inside a `postgresql://user:password@host/db` URL or its `password=` query parameter, if any.
public func passwordInURL(_ url: String) -> [String] {
    var found: [String] = []
    if let scheme = url.range(of: "://") {
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
            let raw = String(rest[rest.index(after: colon)..<at])
            found.append(raw)
            if let decoded = raw.removingPercentEncoding, decoded != raw { found.append(decoded) }
        }
    }
    if let q = url.firstIndex(of: "?") {
        for pair in url[url.index(after: q)...].split(separator: "&") where pair.lowercased().hasPrefix("password=") {
            let raw = String(pair.dropFirst("password=".count))
            found.append(raw)
            if let decoded = raw.removingPercentEncoding, decoded != raw { found.append(decoded) }
        }
    }
    return found
}

/// The keyword/value pairs libpq reads from the connection string or URL `conninfo` (only those it sets), or nil
/// when libpq cannot parse it. The corresponding libpq function is `PQconninfoParse`.
public func connectionParameters(of conninfo: String) -> [String: String]? {
    var error: UnsafeMutablePointer<CChar>? = nil
    guard let options = PQconninfoParse(conninfo, &error) else {
        if let error { PQfreemem(error) }
        return nil
    }
    defer { PQconninfoFree(options) }
    var out: [String: String] = [:]
    var p = options
    while let keyword = p.pointee.keyword {
        if let value = p.pointee.val { out[String(cString: keyword)] = String(cString: value) }
        p += 1
    }
    return out
}
