import KuraCore

/// The parts of a PostgreSQL JDBC URL: `jdbc:postgresql:[//HOST[:PORT]/]DATABASE[?KEY=VALUE&…]`.
///
/// As with PostgreSQL's JDBC driver, the host defaults to localhost and the port to 5432 (here: libpq's defaults,
/// which are the same unless `PGHOST`/`PGPORT` say otherwise); an IPv6 host is written in brackets; the properties
/// are percent-decoded. `user` and `password` properties become connection properties like the others.
struct JDBCPostgreSQLURL: Equatable {
    /// Why a URL is not a PostgreSQL JDBC URL.
    struct Invalid: Error {
        var reason: String
    }

    var host: String?
    var port: Int?
    var database: String?
    /// The URL's properties, in order.
    var properties: [(String, String)]

    static func == (a: Self, b: Self) -> Bool {
        a.host == b.host && a.port == b.port && a.database == b.database
            && a.properties.map { $0.0 + "=" + $0.1 } == b.properties.map { $0.0 + "=" + $0.1 }
    }

    init(host: String?, port: Int?, database: String?, properties: [(String, String)]) {
        self.host = host
        self.port = port
        self.database = database
        self.properties = properties
    }

    /// Parses `url`; throws `Invalid` with the reason when it is not a PostgreSQL JDBC URL.
    init(_ url: String) throws {
        let prefix = "jdbc:postgresql:"
        guard url.hasPrefix(prefix) else { throw Invalid(reason: "it does not start with \(prefix)") }
        var rest = Substring(url.dropFirst(prefix.count))
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            guard let slash = rest.firstIndex(of: "/") else {
                throw Invalid(reason: "the host is not followed by /DATABASE")
            }
            (host, port) = try Self.parseAuthority(rest[..<slash])
            rest = rest[rest.index(after: slash)...]
        } else {
            host = nil
            port = nil
        }
        database = rest.isEmpty ? nil : try Self.percentDecoded(rest)
        properties = try Self.parseProperties(query)
    }

    /// Reads `HOST[:PORT]` (the host possibly `[IPv6]`); the first host of a list, where the driver allows several.
    static func parseAuthority(_ authority: Substring) throws -> (host: String?, port: Int?) {
        let first = authority.split(separator: ",", omittingEmptySubsequences: false).first ?? ""
        var hostPart = first
        var portPart: Substring?
        if first.hasPrefix("[") {
            guard let close = first.firstIndex(of: "]") else { throw Invalid(reason: "an IPv6 host lacks its ']'") }
            hostPart = first[first.index(after: first.startIndex)..<close]
            let after = first[first.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty {
                throw Invalid(reason: "unexpected '\(after)' after the host")
            }
        } else if let colon = first.lastIndex(of: ":") {
            hostPart = first[..<colon]
            portPart = first[first.index(after: colon)...]
        }
        let host = hostPart.isEmpty ? nil : String(hostPart)
        guard let portPart else { return (host, nil) }
        guard let port = Int(portPart), (1...65535).contains(port) else {
            throw Invalid(reason: "'\(portPart)' is not a port number")
        }
        return (host, port)
    }

    /// The `KEY=VALUE&…` properties, percent-decoded.
    static func parseProperties(_ query: Substring) throws -> [(String, String)] {
        var out: [(String, String)] = []
        for item in query.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try percentDecoded(pair[0])
            guard !key.isEmpty else { throw Invalid(reason: "a property has no name") }
            out.append((key, pair.count > 1 ? try percentDecoded(pair[1]) : ""))
        }
        return out
    }

    /// `text` with `%XX` escapes decoded (as UTF-8).
    static func percentDecoded(_ text: Substring) throws -> String {
        var bytes: [UInt8] = []
        var it = Array(text.utf8)[...]
        while let b = it.popFirst() {
            guard b == UInt8(ascii: "%") else {
                bytes.append(b)
                continue
            }
            guard it.count >= 2, let hi = hexValue(it.popFirst()!), let lo = hexValue(it.popFirst()!) else {
                throw Invalid(reason: "a '%' is not followed by two hex digits")
            }
            bytes.append(hi << 4 | lo)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}
