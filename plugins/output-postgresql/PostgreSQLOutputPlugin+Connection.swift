import CLibPQ
import Foundation
import KuraCore
import KuraLibPQ

/// Connecting: the libpq settings from the options, and the retry of a run's first connection.
extension PostgreSQLOutputPlugin {
    /// Starts a run's session, retrying a refused or lost connection as `retrying` does.
    func startSession(schema: Schema, context: PluginContext) throws -> PostgreSQLOutputSession {
        let settings = runSettings(context)
        let ignored = ConnectionProperties(options.options, libpqKeywords: Self.libpqKeywords).ignored
        if !ignored.isEmpty {
            context.logger.info(
                "PostgreSQL output: options \(ignored.joined(separator: ", ")) are JDBC driver properties with no libpq meaning; "
                    + "they do not apply (server settings go under server_settings)")
        }
        do {
            return try retrying("PostgreSQL output", context: context) {
                try PostgreSQLOutputSession(plugin: self, schema: schema, settings: settings, context: context)
            }
        } catch let error as PGError {
            throw error.systemError("PostgreSQL output could not start loading into \(qualifiedTarget)")
        }
    }

    /// The libpq settings of a run: `connectionSettings(runID:)` with the run's id, plus a 5 s connect timeout for a
    /// dry run (`kura check`) unless one is set.
    public func runSettings(_ context: PluginContext) -> PGConnectionSettings {
        var settings = connectionSettings(runID: context.runID)
        if context.isDryRun && settings["connect_timeout"] == nil { settings.parameters.append(("connect_timeout", "5")) }
        return settings
    }

    /// Calls `body` until it succeeds, retrying after a retryable `PGError` (a refused or lost connection, a server
    /// starting up, too many connections) up to `retry_limit` times, waiting `retry_wait` milliseconds before the
    /// first retry and twice as long before each next one (at most 60 s); a dry run tries once. Each retry is
    /// logged under `who`; the last error is rethrown as it is.
    public func retrying<T>(_ who: String, context: PluginContext, _ body: () throws -> T) throws -> T {
        let limit = context.isDryRun ? 0 : options.retryLimit
        var wait = Double(options.retryWait) / 1000
        var attempt = 0
        while true {
            do {
                return try body()
            } catch let error as PGError where error.isRetryable && attempt < limit {
                attempt += 1
                context.logger.warn("\(who): \(error) — retrying (\(attempt) of \(limit)) in \(String(format: "%.1f", wait)) s")
                Thread.sleep(forTimeInterval: wait)
                wait = min(wait * 2, 60)
            }
        }
    }

    /// The libpq settings for the options: only what the user set, so libpq's environment variables, `~/.pgpass`
    /// and service files supply the rest. With `runID` the connections are named `kura <run id>`
    /// (`application_name`, unless the options name them), so a lock's holder can be told apart.
    public func connectionSettings(runID: String? = nil) -> PGConnectionSettings {
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
        if let runID { p.append(("application_name", "kura \(runID)")) }
        let mapped = ConnectionProperties(options.options, libpqKeywords: Self.libpqKeywords)
        p += mapped.parameters
        secrets += mapped.parameters.filter { $0.0 == "password" }.map(\.1)
        let server = (mapped.serverSettings + options.serverSettings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            .map { "-c \($0.0)=" + Self.escapedOption($0.1) }
        if !server.isEmpty {
            if let i = p.lastIndex(where: { $0.0 == "options" }) {
                p[i].1 += " " + server.joined(separator: " ")
            } else {
                p.append(("options", server.joined(separator: " ")))
            }
        }
        return PGConnectionSettings(parameters: p, secrets: secrets)
    }

    /// `value` for libpq's `options`, with spaces and backslashes escaped.
    static func escapedOption(_ value: String) -> String {
        var escaped = ""
        for ch in value {
            if ch == " " || ch == "\\" { escaped.append("\\") }
            escaped.append(ch)
        }
        return escaped
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
