import KuraCore
import KuraFormats

/// Values as the text Redshift's `COPY … CSV` and PostgreSQL's parameters read: decimal integers, doubles that
/// round-trip (`Infinity`, `-Infinity`, `NaN`), `true`/`false`, timestamps in UTC with microseconds
/// (`2024-01-01 09:00:00.000000+00`), JSON as its text.
///
/// In CSV every non-null value is quoted (a `"` doubled) and a null is an unquoted `\N`, so an empty string and a
/// null stay apart and no value can be read as the null marker. Not thread-safe: one per task.
final class RowText {
    let schema: Schema
    let timestamps: TimestampFormatter

    init(schema: Schema) throws {
        self.schema = schema
        self.timestamps = try TimestampFormatter(format: "%Y-%m-%d %H:%M:%S.%6N+00", zone: "UTC")
    }

    /// Appends the text of the value at `row`, `column` of `page` (which must not be null).
    func append(_ page: Page, row: Int, column: Int, to out: inout [UInt8]) {
        switch schema.columns[column].type {
        case .long: out += String(page.long(row: row, column: column)).utf8
        case .double: out += Self.text(of: page.double(row: row, column: column)).utf8
        case .boolean: out += (page.boolean(row: row, column: column) ? "true" : "false").utf8
        case .timestamp: timestamps.format(nanos: page.timestampNanos(row: row, column: column), into: &out)
        case .string, .json: page.withBytes(row: row, column: column) { out += $0 }
        }
    }

    static func text(of d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return "\(d)"
    }

    /// Appends row `row` of `page` as one CSV line, with `sequence` as a last column when given.
    func appendCSV(_ page: Page, row: Int, sequence: Int64?, to out: inout [UInt8]) {
        var scratch: [UInt8] = []
        for c in 0..<schema.count {
            if c > 0 { out.append(UInt8(ascii: ",")) }
            if page.isNull(row: row, column: c) {
                out += #"\N"#.utf8
                continue
            }
            scratch.removeAll(keepingCapacity: true)
            append(page, row: row, column: c, to: &scratch)
            out.append(UInt8(ascii: "\""))
            for b in scratch {
                if b == UInt8(ascii: "\"") { out.append(b) }
                out.append(b)
            }
            out.append(UInt8(ascii: "\""))
        }
        if let sequence { out += ",\(sequence)".utf8 }
        out.append(UInt8(ascii: "\n"))
    }

    /// The parameters of row `row` of `page` (nil for a null), with `sequence` last when given.
    func parameters(_ page: Page, row: Int, sequence: Int64?, into out: inout [String?]) {
        var scratch: [UInt8] = []
        for c in 0..<schema.count {
            if page.isNull(row: row, column: c) {
                out.append(nil)
                continue
            }
            scratch.removeAll(keepingCapacity: true)
            append(page, row: row, column: c, to: &scratch)
            out.append(String(decoding: scratch, as: UTF8.self))
        }
        if let sequence { out.append(String(sequence)) }
    }
}
