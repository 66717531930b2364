/// Embulk's `options:` for a JDBC driver, read as libpq means them: what maps to a libpq keyword or a server
/// setting, and what is a driver-only property that does not apply.
struct ConnectionProperties {
    /// libpq keyword/value pairs.
    var parameters: [(String, String)] = []
    /// Server settings a property stands for (such as `currentSchema` → `search_path`).
    var serverSettings: [(String, String)] = []
    /// Properties with no libpq meaning, sorted.
    var ignored: [String] = []

    /// Reads `options`; a key libpq knows passes as it is.
    init(_ options: [String: String], libpqKeywords: Set<String>) {
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            if libpqKeywords.contains(key) {
                parameters.append((key, value))
                continue
            }
            switch key {
            case "ApplicationName": parameters.append(("application_name", value))
            case "connectTimeout", "loginTimeout": parameters.append(("connect_timeout", value))
            case "tcpKeepAlive": parameters.append(("keepalives", Self.truthy(value) ? "1" : "0"))
            case "ssl": parameters.append(("sslmode", Self.truthy(value) ? "require" : "disable"))
            case "sslfactory", "sslhostnameverifier": ignored.append(key)
            case "currentSchema": serverSettings.append(("search_path", value))
            case "socketTimeout":
                // Seconds without a reply before the connection counts as lost (0: no limit), as libpq's TCP timeout.
                if let seconds = Int(value), seconds > 0 { parameters.append(("tcp_user_timeout", String(seconds * 1000))) }
            default: ignored.append(key)
            }
        }
    }

    static func truthy(_ value: String) -> Bool { ["true", "1", "yes", "on"].contains(value.lowercased()) }
}
