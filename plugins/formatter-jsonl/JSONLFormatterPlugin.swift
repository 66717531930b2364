import KuraCore
import KuraFormats

/// Formatter `jsonl`: one JSON object per record and line (JSON Lines), keyed by column name, with the options of
/// embulk-formatter-jsonl (`encoding`, `newline`, `date_format`, `timezone`, `json_columns`).
public final class JSONLFormatterPlugin: FormatterPlugin {
    public static let descriptor = PluginDescriptor(
        name: "jsonl",
        summary: "JSON Lines: one JSON object per record, keyed by column name, timestamps in ISO 8601 UTC or date_format",
        example: """
            type: jsonl
            encoding: UTF-8
            newline: LF
            date_format: "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
            timezone: Asia/Tokyo
            json_columns: [payload]
            """,
        factory: .formatter { try JSONLFormatterPlugin(config: $0) })

    /// The decoded options.
    public let options: Options
    let config: PluginConfig?

    /// Creates the plugin from its config section.
    public init(config: PluginConfig) throws {
        options = try config.decode(Options.self)
        self.config = config
    }

    public func makeFormatter(schema: Schema) throws -> PageFormatter {
        var nested = [Bool](repeating: false, count: schema.count)
        for name in options.jsonColumns {
            guard let c = schema.index(of: name) else {
                throw error(
                    "json_columns", "column '\(name)' does not exist in the schema",
                    fix: nearest(name, in: schema.names).map { "did you mean '\($0)'?" }
                        ?? "the columns are: \(schema.names.joined(separator: ", "))")
            }
            guard schema.columns[c].type == .string || schema.columns[c].type == .json else {
                throw error(
                    "json_columns", "column '\(name)' is \(schema.columns[c].type), not a string holding JSON text",
                    fix: "remove '\(name)' from json_columns")
            }
            nested[c] = true
        }
        let timestamps = try options.strftimeFormat.map { try TimestampFormatter(format: $0, zone: options.timezone ?? "UTC") }
        return JSONLFormatter(
            schema: schema, newline: options.newline.bytes, encoding: options.encoding, timestamps: timestamps,
            nested: nested)
    }

    func error(_ key: String, _ message: String, fix: String? = nil) -> ConfigError {
        config?.error(key, message, fix: fix) ?? ConfigError(path: key, message, fix: fix)
    }
}

/// Writes each page as JSON Lines, one sink call per page.
final class JSONLFormatter: PageFormatter {
    let schema: Schema
    let newline: [UInt8]
    let encoding: JSONLFormatterPlugin.Encoding
    /// Writes timestamps when `date_format` is set (else they are ISO 8601 UTC).
    let timestamps: TimestampFormatter?
    /// Per column: a string column whose text is written as a nested JSON value.
    let nested: [Bool]
    let scanner = JSONScanner(maxDepth: JSON.defaultMaxDepth, invalidEscapes: .passthrough)
    var buffer: [UInt8] = []
    var compact: [UInt8] = []
    /// Whether every column is written as `Page.appendJSONObject` writes it.
    let plain: Bool

    init(schema: Schema, newline: [UInt8], encoding: JSONLFormatterPlugin.Encoding, timestamps: TimestampFormatter?, nested: [Bool]) {
        self.schema = schema
        self.newline = newline
        self.encoding = encoding
        self.timestamps = timestamps
        self.nested = nested
        plain = timestamps == nil && !zip(nested, schema.columns).contains { $0 && $1.type == .string }
    }

    func begin(to sink: ByteSink) throws {}

    func format(_ page: Page, to sink: ByteSink) throws {
        buffer.removeAll(keepingCapacity: true)
        for row in 0..<page.rowCount {
            if plain {
                page.appendJSONObject(row: row, to: &buffer)
            } else {
                try appendObject(page, row: row)
            }
            buffer.append(contentsOf: newline)
        }
        if buffer.isEmpty { return }
        if encoding == .utf8 { return try buffer.withUnsafeBytes { try sink($0) } }
        try transcoded(buffer).withUnsafeBytes { try sink($0) }
    }

    /// Appends record `row` with `date_format` timestamps and `json_columns` nested.
    func appendObject(_ page: Page, row: Int) throws {
        buffer.append(UInt8(ascii: "{"))
        for c in 0..<schema.count {
            if c > 0 { buffer.append(UInt8(ascii: ",")) }
            JSON.appendQuoted(schema.columns[c].name, to: &buffer)
            buffer.append(UInt8(ascii: ":"))
            if page.isNull(row: row, column: c) {
                page.appendJSONValue(row: row, column: c, to: &buffer)
            } else if let timestamps, schema.columns[c].type == .timestamp {
                var text: [UInt8] = []
                timestamps.format(nanos: page.timestampNanos(row: row, column: c), into: &text)
                text.withUnsafeBytes { JSON.appendQuoted($0, to: &buffer) }
            } else if nested[c] && schema.columns[c].type == .string {
                try page.withBytes(row: row, column: c) { try appendNested($0, column: c) }
            } else {
                page.appendJSONValue(row: row, column: c, to: &buffer)
            }
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// Appends the JSON text `bytes` of a `json_columns` string column, compacted; throws when it is not JSON.
    func appendNested(_ bytes: UnsafeRawBufferPointer, column c: Int) throws {
        var i = 0
        while i < bytes.count && (bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10 || bytes[i] == 13) { i += 1 }
        compact.removeAll(keepingCapacity: true)
        var problem = "it is empty"
        if i < bytes.count {
            switch scanner.scan(bytes, from: i, isFinal: true, tree: nil, compactInto: &compact) {
            case .complete(let end):
                var e = end
                while e < bytes.count && (bytes[e] == 32 || bytes[e] == 9 || bytes[e] == 10 || bytes[e] == 13) { e += 1 }
                if e == bytes.count {
                    buffer.append(contentsOf: compact)
                    return
                }
                problem = "text follows the JSON value"
            case .needMoreData: problem = "the JSON text ends too early"
            case .invalid(let e): problem = e.message
            }
        }
        let text = String(decoding: bytes.prefix(200), as: UTF8.self)
        throw SystemError(
            "column '\(schema.columns[c].name)' is listed in out.formatter.json_columns but holds \"\(text)\", which is not JSON (\(problem)); fix the data, or remove the column from json_columns to write it as a string")
    }

    /// `utf8` in the output's encoding.
    func transcoded(_ utf8: [UInt8]) -> [UInt8] {
        let text = String(decoding: utf8, as: UTF8.self)
        var out: [UInt8] = []
        switch encoding {
        case .utf8: return utf8
        case .utf16LE, .utf16BE:
            out.reserveCapacity(utf8.count * 2)
            for unit in text.utf16 {
                let (hi, lo) = (UInt8(unit >> 8), UInt8(unit & 0xFF))
                out.append(contentsOf: encoding == .utf16LE ? [lo, hi] : [hi, lo])
            }
        case .utf32LE, .utf32BE:
            out.reserveCapacity(utf8.count * 4)
            for scalar in text.unicodeScalars {
                let v = scalar.value
                let bytes = [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
                out.append(contentsOf: encoding == .utf32LE ? bytes.reversed() : bytes)
            }
        }
        return out
    }

    func finish(to sink: ByteSink) throws {}
}
