import KuraCore
import KuraFormats

/// The `expand_json` filter: reads members of a JSON column into typed columns that take the json column's place,
/// as Embulk's `embulk-filter-expand_json` does.
///
/// All paths are merged into one tree at plan time, so each record's JSON is scanned once for every column. A number
/// read into a string or json column keeps the digits it was written with, however long.
public final class ExpandJSONFilterPlugin: FilterPlugin {
    /// The registry entry of the filter.
    public static let descriptor = PluginDescriptor(
        name: "expand_json",
        summary: "Expands members of a JSON column into typed columns (JSONPath names), in the json column's place.",
        example: """
            type: expand_json
            json_column_name: attributes
            root: "$."
            expanded_columns:
              - {name: browser, type: string}
              - {name: "session.id", type: long}
              - {name: "items[0]", type: json}
              - {name: seen_at, type: timestamp, format: "%Y-%m-%d %H:%M:%S", timezone: Asia/Tokyo}
            keep_expanding_json_column: false
            stop_on_invalid_record: false
            """,
        factory: .filter { config in try ExpandJSONFilterPlugin(config: config) })

    /// The decoded options.
    public let options: Options
    let config: PluginConfig?
    let paths: [JSONPath]
    let parsers: [TimestampParser?]

    /// Creates the filter from its config section.
    public init(config: PluginConfig) throws {
        let options = try config.decode(Options.self)
        self.options = options
        self.config = config
        var seen = Set<String>()
        var paths: [JSONPath] = []
        var parsers: [TimestampParser?] = []
        for (i, column) in options.expandedColumns.enumerated() {
            let key = "expanded_columns[\(i)]"
            guard seen.insert(column.name).inserted else {
                throw config.error("\(key).name", "column '\(column.name)' is in expanded_columns twice", fix: "keep one of them")
            }
            do {
                paths.append(try JSONPath(options.root + column.name))
            } catch {
                throw config.error("\(key).name", error.message, fix: "name one member, such as user.name or items[0] (with root '\(options.root)')")
            }
            guard column.type == .timestamp else {
                parsers.append(nil)
                continue
            }
            do {
                parsers.append(try TimestampParser(
                    format: column.format ?? options.defaultTimestampFormat, defaultZone: column.timezone ?? options.defaultTimezone,
                    defaultDate: column.date ?? options.defaultDate))
            } catch {
                throw config.error(key, "the timestamp options of '\(column.name)' are invalid: \(error)")
            }
        }
        self.paths = paths
        self.parsers = parsers
    }

    /// The position of the json column in `input`.
    func jsonColumn(_ input: Schema) throws -> Int {
        guard let i = input.index(of: options.jsonColumnName) else {
            throw error("json_column_name", "there is no column '\(options.jsonColumnName)'",
                fix: nearest(options.jsonColumnName, in: input.names).map { "did you mean '\($0)'?" } ?? "the columns are: \(input.names.joined(separator: ", "))")
        }
        guard input[i].type == .string || input[i].type == .json else {
            throw error("json_column_name", "column '\(input[i].name)' is a \(input[i].type) column; the JSON must be in a string or json column")
        }
        return i
    }

    func error(_ key: String, _ message: String, fix: String? = nil) -> ConfigError {
        config?.error(key, message, fix: fix) ?? ConfigError(path: key, message, fix: fix)
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        let j = try jsonColumn(input)
        var columns: [(name: String, type: ColumnType)] = []
        for c in input.columns {
            if c.index != j || options.keepExpandingJsonColumn { columns.append((c.name, c.type)) }
            if c.index == j { columns += options.expandedColumns.map { ($0.name, $0.type) } }
        }
        var seen = Set<String>()
        for c in columns where !seen.insert(c.name).inserted {
            throw error("expanded_columns", "output column '\(c.name)' appears twice",
                fix: "rename the expanded column or the input column of that name (keep_expanding_json_column keeps '\(options.jsonColumnName)')")
        }
        return Schema(columns)
    }

    public func makeFilter(input: Schema) throws -> PageFilter {
        let output = try outputSchema(for: input)
        let j = try jsonColumn(input)
        var sources: [Int] = []  // per output column: the input column, or -1 - t for expanded target t
        for c in input.columns {
            if c.index != j || options.keepExpandingJsonColumn { sources.append(c.index) }
            if c.index == j { sources += options.expandedColumns.indices.map { -1 - $0 } }
        }
        return Expander(
            output: output, jsonColumn: j, sources: sources, tree: JSONPointerTree(paths.map(\.pointer)),
            types: options.expandedColumns.map(\.type), names: options.expandedColumns.map(\.name), parsers: parsers,
            stopOnInvalidRecord: options.stopOnInvalidRecord)
    }
}
