import KuraCore
import KuraFormats

/// Parser `csv`: delimited text (CSV, TSV, …) into typed columns, with Embulk's options and rules.
public final class CSVParserPlugin: ParserPlugin {
    public static let descriptor = PluginDescriptor(
        name: "csv",
        summary: "Delimited text (CSV, TSV, any delimiter) into typed columns, Embulk-compatible options",
        example: """
            type: csv
            delimiter: ','
            quote: '"'
            escape: '"'
            skip_header_lines: 1
            null_string: ''
            newline: LF
            columns:
              - {name: id, type: long}
              - {name: name, type: string}
              - {name: created_at, type: timestamp, format: '%Y-%m-%d %H:%M:%S'}
            """,
        factory: .parser { try CSVParserPlugin(config: $0) })

    /// The decoded options.
    public let options: Options
    public let schema: Schema
    let converters: [FieldConverter]

    /// Creates the plugin from its config section, validating every option and column format.
    public init(config: PluginConfig) throws {
        options = try config.decode(Options.self)
        schema = Schema(options.columns.map { ($0.name, $0.type) })
        var converters: [FieldConverter] = []
        for (i, col) in options.columns.enumerated() {
            if col.type != .timestamp {
                converters.append(FieldConverter(type: col.type, timestamp: nil))
                continue
            }
            do {
                let p = try options.timestamps.parser(format: col.format, timezone: col.timezone, date: col.date)
                converters.append(FieldConverter(type: .timestamp, timestamp: p))
            } catch let e as TimestampError {
                let key = col.format != nil ? "columns[\(i)].format" : (col.timezone != nil ? "columns[\(i)].timezone" : "columns[\(i)]")
                throw config.error(key, "column '\(col.name)': \(e.message)", fix: "fix the timestamp format or time zone")
            }
        }
        self.converters = converters
    }

    public func makeParser(for task: InputTask, context: PluginContext) throws -> RecordParser {
        try makeParser(for: task, context: context, fastScan: true)
    }

    /// A parser for `task`; `fastScan: false` keeps it on the general tokenizer (see `CSVRecordParser`), for
    /// tests and fuzzers that check both tokenizers agree.
    @_spi(Testing)
    public func makeParser(for task: InputTask, context: PluginContext, fastScan: Bool) throws -> RecordParser {
        try CSVRecordParser(
            options: options, schema: schema, converters: converters, file: task.name, logger: context.logger,
            pageRows: context.pageRows, fastScan: fastScan)
    }
}

/// How one column's text becomes a value.
struct FieldConverter {
    let type: ColumnType
    let timestamp: TimestampParser?
}
