import CLibPQ
import Foundation
import KuraCore

/// Output `postgresql`: loads records into a PostgreSQL table with binary `COPY`, in one transaction per run, with
/// Embulk's modes and kura's ingestion ledger.
///
/// A run takes one *control* connection, opens a transaction and an advisory lock on the target (one writer per
/// target), creates or checks the target, and keeps the transaction open until `commit`. In the staging modes
/// (`insert`, `truncate_insert`, `replace`, `merge`) every task copies over a connection of its own into an
/// `UNLOGGED` staging table `<table>_kura_<session>_<task>` (committed on that connection, invisible to readers of
/// the target); at commit the control connection moves the staged rows into the target with the mode's statement,
/// writes the ledger and the run record, and commits, then drops the staging tables. In the direct modes
/// (`insert_direct`, `merge_direct`) a COPY on the control connection carries every task's rows: the tasks take
/// turns on it, one page at a time, so the data, the ledger and the run record stay one transaction.
///
/// Column kinds map to PostgreSQL types as in Embulk: long → BIGINT, double → DOUBLE PRECISION, boolean → BOOLEAN,
/// string → TEXT, timestamp → TIMESTAMPTZ, json → JSONB. An existing table may use other types: each value is
/// encoded for the column's actual type (`integer` and `smallint` are range-checked, `timestamp` and `date` take the
/// wall-clock time in the column's `timezone`, text columns take the value's text). Types the binary format cannot
/// carry exactly (such as `numeric`, or a string going into an `integer` column for the server to parse) make that
/// load use the text COPY format, which the log says.
///
/// PostgreSQL keeps microseconds: the nanoseconds of a timestamp are dropped by rounding toward negative infinity,
/// so every instant lands in the microsecond that contains it (`…59.9999995Z` → `…59.999999`), before 1970 as after.
public final class PostgreSQLOutputPlugin: OutputPlugin {
    /// The registry entry of output `postgresql`.
    public static let descriptor = PluginDescriptor(
        name: "postgresql",
        summary: "Loads records into a PostgreSQL table with binary COPY, in one transaction per run.",
        example: """
            type: postgresql
            host: localhost
            user: kura
            database: warehouse
            table: events
            mode: insert
            column_options:
              price: {type: 'NUMERIC(12,2)'}
            """,
        factory: .output { config, context in try PostgreSQLOutputPlugin(config: config, context: context) })

    /// The decoded options.
    public let options: Options
    /// The config section, for locating errors.
    let config: PluginConfig

    /// Creates the plugin from its config section.
    public init(config: PluginConfig, context: PluginContext) throws {
        self.options = try config.decode(Options.self)
        self.config = config
    }

    /// Creates the plugin from options directly; errors are located at `out`.
    public init(options: Options) {
        self.options = options
        self.config = PluginConfig(node: .mapping([]), path: "out")
    }

    /// The longest identifier PostgreSQL keeps (NAMEDATALEN − 1 bytes); longer ones would be cut silently.
    static let maxIdentifierBytes = 63

    public func plan(schema: Schema, context: PluginContext) throws {
        try check(schema)
    }

    public func begin(schema: Schema, tasks: [InputTask], context: PluginContext) throws -> OutputSession {
        try check(schema)
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

    /// The target as a quoted, schema-qualified name, such as `"public"."events"` (also the ledger's target key).
    var qualifiedTarget: String { quoteIdentifier(options.schema) + "." + quoteIdentifier(options.table) }

    /// Checks the schema against the options; no side effects.
    func check(_ schema: Schema) throws {
        if schema.count == 0 {
            throw config.error("", "the records have no columns, so there is nothing to store", fix: "keep at least one column")
        }
        for (key, name) in [("table", options.table), ("schema", options.schema)] + (options.tempSchema.map { [("temp_schema", $0)] } ?? [])
        where name.utf8.count > Self.maxIdentifierBytes {
            throw config.error(
                key, "'\(name)' is longer than PostgreSQL's 63-byte limit for names, so it would be cut",
                fix: "use a shorter name")
        }
        var seen = Set<String>()
        for column in schema.columns {
            if column.name.utf8.contains(0) || column.name.isEmpty {
                throw config.error("", "column '\(column.name)' has an empty name or a NUL character", fix: "rename the column")
            }
            if column.name.utf8.count > Self.maxIdentifierBytes {
                throw config.error(
                    "", "column '\(column.name)' is longer than PostgreSQL's 63-byte limit for names, so it would be cut",
                    fix: "rename it (filter rename)")
            }
            if !seen.insert(column.name).inserted {
                throw config.error("", "two columns are named '\(column.name)'", fix: "rename one of them (filter rename)")
            }
        }
        for name in options.columnOptions.keys where schema.index(of: name) == nil {
            throw config.error(
                "column_options." + name, "column_options names '\(name)', which is not a column of the records",
                fix: nearest(name, in: schema.names).map { "did you mean '\($0)'?" }
                    ?? "the columns are: \(schema.names.joined(separator: ", "))")
        }
        for key in options.mergeKeys ?? [] where schema.index(of: key) == nil {
            throw config.error(
                "merge_keys", "merge key '\(key)' is not a column of the records",
                fix: nearest(key, in: schema.names).map { "did you mean '\($0)'?" }
                    ?? "the columns are: \(schema.names.joined(separator: ", "))")
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

    /// The SQL type a column of `kind` is declared with by default (Embulk's choices).
    public static func defaultType(of kind: ColumnType) -> String {
        switch kind {
        case .long: return "BIGINT"
        case .double: return "DOUBLE PRECISION"
        case .boolean: return "BOOLEAN"
        case .string: return "TEXT"
        case .timestamp: return "TIMESTAMPTZ"
        case .json: return "JSONB"
        }
    }

    /// The declared type of `column` for a table kura creates: the column option's, else the default.
    func declaredType(of column: Column) -> String {
        options.columnOptions[column.name]?.type ?? Self.defaultType(of: column.type)
    }
}
