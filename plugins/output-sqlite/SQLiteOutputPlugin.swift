import Foundation
import KuraCore

/// Output `sqlite`: loads records into a table of an SQLite database file, the embedded default warehouse.
///
/// A run is one write transaction (`BEGIN IMMEDIATE`, which is also the lock that keeps to one writer per database
/// file). Rows become visible only at `commit`; `abort` rolls everything back. The table is created from the schema
/// when absent; an existing table must have every column with the same declared type.
///
/// Column kinds map to SQLite types as follows: long → INTEGER, double → REAL, boolean → INTEGER (0 or 1),
/// string → TEXT, json → TEXT, timestamp → TEXT. A timestamp is stored as ISO 8601 text in UTC
/// (`Timestamp.iso8601`, such as `2024-01-02T03:04:05.5Z`) because SQLite has no timestamp type, and text in that
/// form is what SQLite's own date and time functions (`datetime`, `julianday`, `unixepoch`, `strftime`) read, so the
/// value stays both readable and computable. The fraction keeps full nanosecond precision and drops trailing zeros,
/// so sort by `julianday(column)` rather than by the text when values carry different fraction lengths.
///
/// Doubles round-trip bit for bit, except negative zero: SQLite stores an integral value of a REAL column as an
/// integer, so `-0.0` reads back as `0.0`.
public final class SQLiteOutputPlugin: OutputPlugin {
    /// The registry entry of output `sqlite`.
    public static let descriptor = PluginDescriptor(
        name: "sqlite",
        summary: "Loads records into a table of an SQLite database file, in one transaction per run.",
        example: """
            type: sqlite
            path: warehouse.db
            table: events
            mode: insert
            column_options:
              price: {type: NUMERIC}
            """,
        factory: .output { config, context in try SQLiteOutputPlugin(config: config, context: context) })

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

    /// The suffix of the table a `replace` load fills before it takes the target's name.
    public static let replacementSuffix = "__kura_new"

    public func plan(schema: Schema, context: PluginContext) throws {
        _ = try columnTypes(for: schema)
    }

    public func begin(schema: Schema, tasks: [InputTask], context: PluginContext) throws -> OutputSession {
        let types = try columnTypes(for: schema)
        let path = context.resolve(options.path)
        if context.isDryRun {
            return try SQLiteOutputSession(dryRunOf: self, schema: schema, types: types, path: path, context: context)
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && !FileManager.default.fileExists(atPath: parent) {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw SystemError("could not create the directory \(parent) for the SQLite database: \(error)")
            }
        }
        return try SQLiteOutputSession(plugin: self, schema: schema, types: types, path: path, context: context)
    }

    /// The declared SQL type of each schema column; throws a `ConfigError` for a schema the table cannot hold.
    func columnTypes(for schema: Schema) throws -> [String] {
        if schema.count == 0 {
            throw config.error("", "the records have no columns, so there is nothing to store", fix: "keep at least one column")
        }
        var seen: [String: String] = [:]
        for column in schema.columns {
            if column.name.utf8.contains(0) {
                throw config.error("", "column '\(column.name)' has a NUL character in its name", fix: "rename the column")
            }
            let folded = Self.foldCase(column.name)
            if let other = seen[folded] {
                throw config.error(
                    "", "columns '\(other)' and '\(column.name)' have the same name in SQLite, which ignores case",
                    fix: "rename one of them (filter rename)")
            }
            seen[folded] = column.name
        }
        for name in options.columnOptions.keys where schema.index(of: name) == nil {
            throw config.error(
                "column_options." + name, "column_options names '\(name)', which is not a column of the records",
                fix: nearest(name, in: schema.names).map { "did you mean '\($0)'?" }
                    ?? "the columns are: \(schema.names.joined(separator: ", "))")
        }
        return schema.columns.map { options.columnOptions[$0.name]?.type ?? Self.defaultType(of: $0.type) }
    }

    /// The SQL type a column of `kind` is declared with by default.
    public static func defaultType(of kind: ColumnType) -> String {
        switch kind {
        case .long, .boolean: return "INTEGER"
        case .double: return "REAL"
        case .string, .json, .timestamp: return "TEXT"
        }
    }

    /// `name` as a quoted SQL identifier: in double quotes, with each double quote doubled.
    public static func quote(_ name: String) -> String {
        var out = "\""
        for ch in name.unicodeScalars {
            if ch == "\"" { out += "\"\"" } else { out.unicodeScalars.append(ch) }
        }
        return out + "\""
    }

    /// `name` with ASCII letters lowered: SQLite compares identifiers this way.
    static func foldCase(_ name: String) -> String {
        String(decoding: name.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// A declared type in a comparable form: upper case, single spaces, no spaces around parentheses and commas.
    static func normalizeType(_ type: String) -> String {
        var out: [UInt8] = []
        var pendingSpace = false
        for b in type.utf8 {
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                pendingSpace = !out.isEmpty
                continue
            }
            let isPunct = b == UInt8(ascii: "(") || b == UInt8(ascii: ")") || b == UInt8(ascii: ",")
            if pendingSpace && !isPunct && out.last != UInt8(ascii: "(") && out.last != UInt8(ascii: ",") {
                out.append(0x20)
            }
            pendingSpace = false
            out.append(b >= 0x61 && b <= 0x7A ? b - 0x20 : b)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
