import KuraCore
import OutputPostgreSQL
import OutputSQLite

/// Output `jdbc`: Embulk's generic JDBC output, for the databases kura has a native output for.
///
/// The JDBC URL picks the output: `jdbc:sqlite:PATH` is output `sqlite` on that file, and
/// `jdbc:postgresql://HOST[:PORT]/DATABASE[?key=value&…]` is output `postgresql` on that server (the URL's
/// properties are connection properties, as in `options`). The other keys are then that output's own (`table`,
/// `mode`, `user`, `password`, `merge_keys`, `column_options`, …) and are checked by it, unknown ones included.
/// `driver_class` and `driver_path` name a Java driver, which kura does not load: they are checked against the URL
/// and otherwise ignored. Any other kind of URL is a config error that lists the supported ones.
public enum JDBCOutputPlugin {
    /// The registry entry of output `jdbc`.
    public static let descriptor = PluginDescriptor(
        name: "jdbc",
        summary: "Embulk's generic JDBC output: jdbc:sqlite: and jdbc:postgresql: URLs load through kura's own outputs.",
        example: """
            type: jdbc
            driver_class: org.sqlite.JDBC
            url: jdbc:sqlite:warehouse.db
            table: events
            mode: insert
            """,
        factory: .output { config, context in try make(config: config, context: context) })

    /// The drivers a `driver_class` may name, by URL scheme.
    static let drivers = ["sqlite": ["org.sqlite.JDBC"], "postgresql": ["org.postgresql.Driver"]]

    /// Keys of embulk-output-jdbc that have no meaning for kura's outputs and are accepted without effect.
    static let ignoredKeys = ["driver_path", "batch_size", "max_table_name_length", "max_retry_wait"]

    /// The output the URL names, made from the section with the URL turned into that output's keys.
    static func make(config: PluginConfig, context: PluginContext) throws -> OutputPlugin {
        guard let url = config.node["url"]?.scalarText, !url.isEmpty else {
            throw config.error(
                "url", "output jdbc needs a url",
                fix: "set url to jdbc:sqlite:PATH or jdbc:postgresql://HOST:PORT/DATABASE")
        }
        var node = config.node.removing("url").removing("driver_class")
        for key in ignoredKeys { node = node.removing(key) }
        let scheme: String
        if url.hasPrefix("jdbc:sqlite:") {
            scheme = "sqlite"
            node = try sqliteNode(node, url: url, config: config)
        } else if url.hasPrefix("jdbc:postgresql:") {
            scheme = "postgresql"
            node = try postgresqlNode(node, url: url, config: config)
        } else {
            throw config.error(
                "url", "'\(Redaction.url(url))' names a database kura has no output for",
                fix: "kura's jdbc output supports jdbc:sqlite:PATH and jdbc:postgresql://HOST:PORT/DATABASE; "
                    + "for other databases use an output of their own")
        }
        try checkDriver(config, scheme: scheme)
        let section = PluginConfig(node: node, path: config.path, file: config.file)
        if scheme == "sqlite" {
            return try SQLiteOutputPlugin(config: section, context: context)
        }
        return try PostgreSQLOutputPlugin(config: section, context: context)
    }

    /// Checks that `driver_class`, when set, is a driver for the URL's database.
    static func checkDriver(_ config: PluginConfig, scheme: String) throws {
        guard let driver = config.node["driver_class"]?.scalarText, let known = drivers[scheme] else { return }
        if !known.contains(driver) {
            throw config.error(
                "driver_class", "driver_class '\(driver)' is not a \(scheme) driver, but the url is jdbc:\(scheme):",
                fix: "use \(known.joined(separator: " or ")), or remove driver_class (kura picks the output by url)")
        }
    }

    /// The section for output `sqlite`: `path` from the URL; `user`, `password` and `options` do not apply.
    static func sqliteNode(_ node: ConfigNode, url: String, config: PluginConfig) throws -> ConfigNode {
        var path = String(url.dropFirst("jdbc:sqlite:".count))
        if let query = path.firstIndex(of: "?") { path = String(path[..<query]) }
        if path.hasPrefix("file:") { path = String(path.dropFirst("file:".count)) }
        if path.isEmpty || path == ":memory:" {
            throw config.error(
                "url", "'\(url)' names no database file",
                fix: "name a file, such as jdbc:sqlite:warehouse.db (an in-memory database would be lost at exit)")
        }
        var out = node
        for key in ["user", "password", "options", "schema"] { out = out.removing(key) }
        return out.setting("path", to: .scalar(path))
    }

    /// The section for output `postgresql`: `host`, `port`, `database` and the URL's properties as `options`.
    static func postgresqlNode(_ node: ConfigNode, url: String, config: PluginConfig) throws -> ConfigNode {
        let parsed: JDBCPostgreSQLURL
        do {
            parsed = try JDBCPostgreSQLURL(url)
        } catch let error as JDBCPostgreSQLURL.Invalid {
            throw config.error(
                "url", "'\(Redaction.url(url))' is not a PostgreSQL JDBC URL: \(error.reason)",
                fix: "write it as jdbc:postgresql://HOST:PORT/DATABASE")
        }
        var out = node
        if let host = parsed.host { out = out.setting("host", to: .scalar(host)) }
        if let port = parsed.port { out = out.setting("port", to: .scalar(String(port))) }
        if let database = parsed.database { out = out.setting("database", to: .scalar(database)) }
        if !parsed.properties.isEmpty {
            var entries = node["options"]?.mappingEntries ?? []
            for (key, value) in parsed.properties where !entries.contains(where: { $0.key == key }) {
                entries.append((key: key, value: .scalar(value)))
            }
            out = out.setting("options", to: .mapping(entries.map { ($0.key, $0.value) }))
        }
        return out
    }
}
