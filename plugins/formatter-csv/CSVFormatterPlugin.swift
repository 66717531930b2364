import KuraCore
import KuraFormats

/// The `csv` formatter: writes pages as delimited text with Embulk's quoting and escaping rules.
///
/// Values are written as bytes straight into one reusable buffer, which goes to the sink after each page (or
/// sooner when it grows past 64 KiB); no `String` is made per field except for doubles.
public final class CSVFormatterPlugin: FormatterPlugin {
    /// The registry entry of the formatter.
    public static let descriptor = PluginDescriptor(
        name: "csv",
        summary: "Writes records as CSV (or any delimited text) with a header line, Embulk's quoting rules and timestamp formats.",
        example: """
            type: csv
            delimiter: ","
            quote: '"'
            quote_policy: MINIMAL
            header_line: true
            newline: CRLF
            null_string: ""
            default_timezone: UTC
            default_timestamp_format: "%Y-%m-%d %H:%M:%S.%6N %z"
            column_options:
              created_at: {format: "%Y-%m-%d", timezone: "Asia/Tokyo"}
            """,
        factory: .formatter { config in try CSVFormatterPlugin(config: config) })

    /// The decoded options.
    public let options: Options
    let config: PluginConfig?

    /// Creates the formatter from its config section.
    public init(config: PluginConfig) throws {
        self.options = try config.decode(Options.self)
        self.config = config
    }

    /// Creates the formatter from options.
    public init(options: Options) {
        self.options = options
        self.config = nil
    }

    func error(_ key: String, _ message: String, fix: String? = nil) -> ConfigError {
        config?.error(key, message, fix: fix) ?? ConfigError(path: key, message, fix: fix)
    }

    /// The timestamp writer of each column (nil for other types); throws when `column_options` names a column
    /// that is not in `schema`.
    func timestampTexts(for schema: Schema) throws -> [TimestampFormatter?] {
        var byName: [String: ColumnOption] = [:]
        for (name, option) in options.columnOptions {
            guard schema.index(of: name) != nil else {
                throw error(
                    "column_options.\(name)", "column '\(name)' does not exist in the schema",
                    fix: nearest(name, in: schema.names).map { "did you mean '\($0)'?" }
                        ?? "the columns are: \(schema.names.joined(separator: ", "))")
            }
            byName[name] = option
        }
        return try schema.columns.map { column in
            guard column.type == .timestamp else { return nil }
            let option = byName[column.name]
            let format = option?.format ?? options.defaultTimestampFormat
            let zone = option?.timezone ?? options.defaultTimezone
            do {
                return try TimestampFormatter(format: format, zone: zone)
            } catch let e as TimestampError {
                throw error(option == nil ? "default_timestamp_format" : "column_options.\(column.name)", e.message)
            }
        }
    }

    public func makeFormatter(schema: Schema) throws -> PageFormatter {
        CSVPageFormatter(
            schema: schema, writer: FieldWriter(options), options: options, timestamps: try timestampTexts(for: schema))
    }
}

/// Writes one field's bytes with quoting and escaping, following Embulk's `CsvFormatterPlugin`.
struct FieldWriter {
    let delimiter: [UInt8]
    let quote: [UInt8]
    let escape: [UInt8]
    let policy: CSVFormatterPlugin.QuotePolicy
    let nullString: [UInt8]
    let newlineInField: [UInt8]
    /// Whether an escape character inside a value is itself escaped (when it differs from the quote).
    let escapesEscape: Bool
    /// Bytes that start something needing care: CR, LF, and the first bytes of the quote, delimiter and escape.
    var special = [Bool](repeating: false, count: 256)

    init(_ o: CSVFormatterPlugin.Options) {
        delimiter = Array(o.delimiter.utf8)
        quote = Array(o.quote.utf8)
        escape = Array(o.effectiveEscape.utf8)
        policy = o.quotePolicy
        nullString = Array(o.nullString.utf8)
        newlineInField = o.newlineInField.bytes
        escapesEscape = escape != quote
        for b in [13, 10, Int(delimiter[0]), Int(quote[0]), Int(escape[0])] { special[b] = true }
    }

    @inline(__always)
    func matches(_ pattern: [UInt8], in b: UnsafeRawBufferPointer, at i: Int) -> Bool {
        if pattern.count == 1 { return b[i] == pattern[0] }
        guard i + pattern.count <= b.count else { return false }
        for k in 0..<pattern.count where b[i + k] != pattern[k] { return false }
        return true
    }

    /// Appends `value` as one field to `out`.
    func write(_ value: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var firstSpecial = -1
        for i in 0..<value.count where special[Int(value[i])] {
            firstSpecial = i
            break
        }
        var quoted: Bool
        switch policy {
        case .all: quoted = true
        case .none: quoted = false
        case .minimal: quoted = value.count == nullString.count && value.elementsEqual(nullString)
        }
        if firstSpecial < 0 {
            if quoted { out.append(contentsOf: quote) }
            out.append(contentsOf: UnsafeRawBufferPointer(value))
            if quoted { out.append(contentsOf: quote) }
            return
        }
        if policy == .minimal && !quoted {
            var i = firstSpecial
            while i < value.count && !quoted {
                let c = value[i]
                if c == 13 || c == 10 || matches(quote, in: value, at: i) || matches(delimiter, in: value, at: i) {
                    quoted = true
                }
                i += 1
            }
        }
        let escapeInside = policy == .none || (quoted && escapesEscape)
        if quoted { out.append(contentsOf: quote) }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: value[0..<firstSpecial]))
        var i = firstSpecial
        while i < value.count {
            let c = value[i]
            if !special[Int(c)] {
                out.append(c)
                i += 1
            } else if matches(quote, in: value, at: i) {
                out.append(contentsOf: escape)
                out.append(contentsOf: quote)
                i += quote.count
            } else if c == 13 || c == 10 {
                if policy == .none { out.append(contentsOf: escape) }
                out.append(contentsOf: newlineInField)
                i += (c == 13 && i + 1 < value.count && value[i + 1] == 10) ? 2 : 1
            } else if matches(delimiter, in: value, at: i) {
                if policy == .none { out.append(contentsOf: escape) }
                out.append(contentsOf: delimiter)
                i += delimiter.count
            } else if escapeInside && matches(escape, in: value, at: i) {
                out.append(contentsOf: escape)
                out.append(contentsOf: escape)
                i += escape.count
            } else {
                out.append(c)
                i += 1
            }
        }
        if quoted { out.append(contentsOf: quote) }
    }
}

/// Formats the pages of one output file.
final class CSVPageFormatter: PageFormatter {
    let schema: Schema
    /// The column types, looked up once rather than per field.
    let types: [ColumnType]
    let writer: FieldWriter
    let headerLine: Bool
    let newline: [UInt8]
    let nullString: [UInt8]
    let timestamps: [TimestampFormatter?]
    var buffer: [UInt8] = []
    var scratch: [UInt8] = []

    static let flushSize = 64 * 1024
    static let trueBytes = Array("true".utf8)
    static let falseBytes = Array("false".utf8)

    init(schema: Schema, writer: FieldWriter, options: CSVFormatterPlugin.Options, timestamps: [TimestampFormatter?]) {
        self.schema = schema
        self.types = schema.columns.map(\.type)
        self.writer = writer
        self.headerLine = options.headerLine
        self.newline = options.newline.bytes
        self.nullString = Array(options.nullString.utf8)
        self.timestamps = timestamps
        buffer.reserveCapacity(CSVPageFormatter.flushSize + 4096)
        scratch.reserveCapacity(64)
    }

    func flush(to sink: ByteSink) throws {
        if buffer.isEmpty { return }
        try buffer.withUnsafeBytes { try sink($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    func begin(to sink: ByteSink) throws {
        guard headerLine else { return }
        for column in schema.columns {
            if column.index > 0 { buffer.append(contentsOf: writer.delimiter) }
            var name = column.name
            name.withUTF8 { writer.write(UnsafeRawBufferPointer($0), to: &buffer) }
        }
        buffer.append(contentsOf: newline)
        try flush(to: sink)
    }

    func writeScratch() {
        scratch.withUnsafeBytes { writer.write($0, to: &buffer) }
        scratch.removeAll(keepingCapacity: true)
    }

    func format(_ page: Page, to sink: ByteSink) throws {
        let columnCount = types.count
        for row in 0..<page.rowCount {
            for c in 0..<columnCount {
                if c > 0 { buffer.append(contentsOf: writer.delimiter) }
                if page.isNull(row: row, column: c) {
                    buffer.append(contentsOf: nullString)
                    continue
                }
                switch types[c] {
                case .boolean:
                    let bytes = page.boolean(row: row, column: c) ? CSVPageFormatter.trueBytes : CSVPageFormatter.falseBytes
                    bytes.withUnsafeBytes { writer.write($0, to: &buffer) }
                case .long:
                    let v = page.long(row: row, column: c)
                    if v < 0 { scratch.append(UInt8(ascii: "-")) }
                    appendPadded(v, width: 1, to: &scratch)
                    writeScratch()
                case .double:
                    var text = page.double(row: row, column: c).shortestText
                    text.withUTF8 { writer.write(UnsafeRawBufferPointer($0), to: &buffer) }
                case .timestamp:
                    timestamps[c]!.format(nanos: page.timestampNanos(row: row, column: c), into: &scratch)
                    writeScratch()
                case .string, .json:
                    page.withBytes(row: row, column: c) { writer.write($0, to: &buffer) }
                }
            }
            buffer.append(contentsOf: newline)
            if buffer.count >= CSVPageFormatter.flushSize { try flush(to: sink) }
        }
        try flush(to: sink)
    }

    func finish(to sink: ByteSink) throws {
        try flush(to: sink)
    }
}
