import Foundation
import KuraCore
import KuraLibPQ

/// Output `postgresql`: loads records into a PostgreSQL table with binary `COPY`, in one transaction per run, with
/// Embulk's modes and kura's ingestion ledger.
///
/// A run takes one *control* connection, opens a transaction and an advisory lock on the target (one writer per
/// target), creates or checks the target, and keeps the transaction open until `commit`. In the staging modes
/// (`truncate_insert`, `replace`, `merge`) every task copies over a connection of its own into an
/// `UNLOGGED` staging table `<table>_kura_<session>_<task>` (committed on that connection, invisible to readers of
/// the target); at commit the control connection moves the staged rows into the target with the mode's statement,
/// writes the ledger and the run record, and commits, then drops the staging tables. In the direct modes
/// (`insert_direct`, `merge_direct`, and `insert`, which loads as `insert_direct` does) a COPY on the control connection carries every task's rows: the tasks take
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
    /// The mode the run record names: the configured one, when a run loads by another (default: the options').
    var recordedMode: String

    /// Creates the plugin from its config section.
    public init(config: PluginConfig, context: PluginContext) throws {
        self.options = try config.decode(Options.self)
        self.config = config
        self.recordedMode = options.mode.rawValue
    }

    /// Creates the plugin from options directly; errors are located at `out`.
    public init(options: Options) {
        self.options = options
        self.config = PluginConfig(node: .mapping([]), path: "out")
        self.recordedMode = options.mode.rawValue
    }

    /// This plugin with `mode`, keeping its config and the mode the run record names.
    func loading(by mode: Mode) -> PostgreSQLOutputPlugin {
        var o = options
        o.mode = mode
        let p = PostgreSQLOutputPlugin(options: o, config: config)
        p.recordedMode = recordedMode
        return p
    }

    init(options: Options, config: PluginConfig) {
        self.options = options
        self.config = config
        self.recordedMode = options.mode.rawValue
    }

    /// The longest identifier PostgreSQL keeps (NAMEDATALEN − 1 bytes); longer ones would be cut silently.
    static let maxIdentifierBytes = 63

    public func plan(schema: Schema, context: PluginContext) throws {
        try check(schema)
    }

    /// Starts a run. `insert` loads as `insert_direct` does — one COPY straight into the target inside the run's
    /// transaction, fed by every task in turn, just as atomic: staging would copy the rows twice, and with several
    /// tasks one stream measured faster than parallel staging tables and an `INSERT … SELECT`.
    public func begin(schema: Schema, tasks: [InputTask], context: PluginContext) throws -> OutputSession {
        try check(schema)
        if options.mode == .insert {
            return try loading(by: .insertDirect).startSession(schema: schema, context: context)
        }
        return try startSession(schema: schema, context: context)
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
