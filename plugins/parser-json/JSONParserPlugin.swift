import KuraCore
import KuraFormats

/// Parser `json`: a stream of JSON values (JSON Lines, concatenated or pretty-printed objects) into records, either
/// whole as one json column or as typed columns picked by JSON Pointer, with Embulk's options.
public final class JSONParserPlugin: ParserPlugin {
    public static let descriptor = PluginDescriptor(
        name: "json",
        summary: "JSON values (JSON Lines or concatenated) into one json column or typed columns by JSON Pointer",
        example: """
            type: json
            stop_on_invalid_record: false
            invalid_string_escapes: PASSTHROUGH
            columns:
              - {name: id, type: long}
              - {name: user_id, type: long, element_at: /user/id}
              - {name: event_time, type: timestamp, format: '%Y-%m-%dT%H:%M:%S%z'}
              - {name: price, type: double}
              - {name: attributes, type: json}
            """,
        factory: .parser { try JSONParserPlugin(config: $0) })

    /// The same parser under the name of Embulk's popular JSON Lines plugin (`type: jsonl`), so configs written
    /// for it run as they are: each line is an object whose members are read by `columns`.
    public static let jsonlDescriptor = PluginDescriptor(
        name: "jsonl",
        summary: "JSON Lines into typed columns (the json parser under the name of Embulk's jsonl plugin)",
        example: """
            type: jsonl
            columns:
              - {name: id, type: long}
              - {name: name, type: string}
              - {name: created_at, type: timestamp, format: '%Y-%m-%d %H:%M:%S'}
            """,
        factory: .parser { try JSONParserPlugin(config: $0) })

    /// The decoded options.
    public let options: Options
    public let schema: Schema
    let conversions: [ColumnConversion]

    /// Creates the plugin from its config section, validating every option, pointer and timestamp format.
    public init(config: PluginConfig) throws {
        options = try config.decode(Options.self)
        if options.columns.isEmpty {
            schema = Schema([("record", .json)])
            conversions = []
            return
        }
        schema = Schema(options.columns.map { ($0.name, $0.type) })
        var conversions: [ColumnConversion] = []
        for (i, col) in options.columns.enumerated() {
            var parser: TimestampParser? = nil
            if col.type == .timestamp {
                do {
                    parser = try options.timestamps.parser(format: col.format, timezone: col.timezone, date: col.date)
                } catch let e as TimestampError {
                    let key =
                        col.timezone != nil ? "columns[\(i)].timezone" : col.date != nil ? "columns[\(i)].date" : "columns[\(i)]"
                    throw config.error(key, "column '\(col.name)': \(e.message)", fix: "fix the time zone or the date")
                }
            }
            conversions.append(ColumnConversion(name: col.name, type: col.type, pointer: col.elementAt, timestamp: parser))
        }
        self.conversions = conversions
    }

    public func makeParser(for task: InputTask, context: PluginContext) throws -> RecordParser {
        try JSONRecordParser(options: options, schema: schema, conversions: conversions, file: task.name, pageRows: context.pageRows)
    }
}

/// How one typed column is found and converted.
struct ColumnConversion: Sendable {
    let name: String
    let type: ColumnType
    let pointer: JSONPointer
    let timestamp: TimestampParser?
}
