import CLibPQ
import Foundation
import KuraCore
import KuraLibPQ

/// Connecting: the libpq settings from the options, and the retry of a run's first connection.
extension PostgreSQLOutputPlugin {
    /// Starts a run's session, retrying a refused or lost connection up to `retry_limit` times, waiting `retry_wait`
    /// milliseconds before the first retry and twice as long before each next one (at most 60 s).
    func startSession(schema: Schema, context: PluginContext) throws -> PostgreSQLOutputSession {
        let settings = connectionSettings()
        var wait = Double(options.retryWait) / 1000
        var attempt = 0
        while true {
            do {
                return try PostgreSQLOutputSession(plugin: self, schema: schema, settings: settings, context: context)
            } catch let error as PGError where error.isRetryable && attempt < options.retryLimit {
                attempt += 1
                context.logger.warn(
                    "PostgreSQL output: \(error) — retrying (\(attempt) of \(options.retryLimit)) in \(String(format: "%.1f", wait)) s")
                Thread.sleep(forTimeInterval: wait)
                wait = min(wait * 2, 60)
            } catch let error as PGError {
                throw error.systemError("PostgreSQL output could not start loading into \(qualifiedTarget)")
            }
        }
    }

    /// The libpq settings for the options: only what the user set, so libpq's environment variables, `~/.pgpass`
    /// and service files supply the rest.
    func connectionSettings() -> PGConnectionSettings {
        var p: [(String, String)] = [("fallback_application_name", "kura")]
        var secrets: [String] = []
        if let url = options.url {
            p.append(("dbname", url))
            secrets += passwordInURL(url)
        }
        if let host = options.host { p.append(("host", host)) }
        if let port = options.port { p.append(("port", String(port))) }
        if let database = options.database { p.append(("dbname", database)) }
        if let user = options.user { p.append(("user", user)) }
        if let password = options.password {
            p.append(("password", password))
            secrets.append(password)
        }
        switch options.ssl {
        case .require: p.append(("sslmode", "require"))
        case .verify: p.append(("sslmode", "verify-full"))
        case .disable: p.append(("sslmode", "disable"))
        case nil: break
        }
        if let t = options.connectTimeout { p.append(("connect_timeout", String(t))) }
        let keywords = Self.libpqKeywords
        var serverSettings: [String] = []
        for (key, value) in options.options.sorted(by: { $0.key < $1.key }) {
            if keywords.contains(key) {
                p.append((key, value))
                if key == "password" { secrets.append(value) }
            } else {
                // A server setting: `-c key=value`, with spaces and backslashes escaped for libpq's `options`.
                var escaped = ""
                for ch in value {
                    if ch == " " || ch == "\\" { escaped.append("\\") }
                    escaped.append(ch)
                }
                serverSettings.append("-c \(key)=\(escaped)")
            }
        }
        if !serverSettings.isEmpty {
            if let i = p.firstIndex(where: { $0.0 == "options" }) {
                p[i].1 += " " + serverSettings.joined(separator: " ")
            } else {
                p.append(("options", serverSettings.joined(separator: " ")))
            }
        }
        return PGConnectionSettings(parameters: p, secrets: secrets)
    }

    /// The connection keywords this libpq knows.
    ///
    /// The corresponding libpq function is `PQconndefaults`.
    static let libpqKeywords: Set<String> = {
        var keys = Set<String>()
        guard let defaults = PQconndefaults() else { return keys }
        defer { PQconninfoFree(defaults) }
        var p = defaults
        while let k = p.pointee.keyword {
            keys.insert(String(cString: k))
            p += 1
        }
        return keys
    }()
}
