import KuraCore
import KuraFormats

/// Expands one page: scans each record's JSON once for every path, converts the values with Embulk's rules, and
/// rejects (or, with `stop_on_invalid_record`, fails on) records whose JSON or values are invalid.
final class Expander: RejectingPageFilter {
    let output: Schema
    let jsonColumn: Int
    let sources: [Int]
    let tree: JSONPointerTree
    let types: [ColumnType]
    let names: [String]
    let parsers: [TimestampParser?]
    let stopOnInvalidRecord: Bool
    let scanner = JSONScanner()
    var text: [UInt8] = []
    var compact: [UInt8] = []

    init(
        output: Schema, jsonColumn: Int, sources: [Int], tree: JSONPointerTree, types: [ColumnType], names: [String],
        parsers: [TimestampParser?], stopOnInvalidRecord: Bool
    ) {
        self.output = output
        self.jsonColumn = jsonColumn
        self.sources = sources
        self.tree = tree
        self.types = types
        self.names = names
        self.parsers = parsers
        self.stopOnInvalidRecord = stopOnInvalidRecord
    }

    /// Why a record is invalid.
    struct Invalid: Error {
        /// The reject's reason code: `INVALID_JSON` for malformed JSON, `CAST` for a value that does not fit.
        var code: DataErrorCode = .cast
        var message: String
    }

    func filter(_ page: Page, rejecting reject: (DataError) throws -> Void) throws -> Page {
        var builder = PageBuilder(schema: output, capacity: max(1, page.rowCount))
        for r in 0..<page.rowCount {
            do {
                try expand(row: r, of: page, into: &builder)
                copyUnchanged(row: r, of: page, into: &builder)
                builder.finishRecord()
            } catch let e as Invalid {
                builder.discardRecord()
                let error = invalidRecord(row: r, of: page, e)
                if stopOnInvalidRecord { throw error }
                try reject(error)
            }
        }
        return builder.build()
    }

    /// The reject (or, with `stop_on_invalid_record`, the error) for invalid row `r`: the json column, what is wrong,
    /// the start of the value in the message, and the whole value (up to `DataError.rawLimit` bytes) as raw bytes.
    func invalidRecord(row r: Int, of page: Page, _ e: Invalid) -> DataError {
        let name = page.schema[jsonColumn].name
        var raw: [UInt8] = []
        var length = 0
        page.withBytes(row: r, column: jsonColumn) {
            raw = Array($0.prefix(DataError.rawLimit))
            length = $0.count
        }
        let excerpt = raw.withUnsafeBytes { JSON.excerpt($0) }
        let fix = stopOnInvalidRecord
            ? "fix the data, or set stop_on_invalid_record: false to reject such records and go on"
            : "the record was rejected; fix the data or the expanded column's type"
        return DataError(e.code, file: "", column: name,
            message: "expand_json: column '\(name)': \(e.message) in \(excerpt); \(fix)", raw: raw, length: Int64(length))
    }

    func copyUnchanged(row r: Int, of page: Page, into b: inout PageBuilder) {
        for (o, s) in sources.enumerated() where s >= 0 && !page.isNull(row: r, column: s) {
            switch page.schema[s].type {
            case .boolean: b.setBoolean(o, page.boolean(row: r, column: s))
            case .long: b.setLong(o, page.long(row: r, column: s))
            case .timestamp: b.setTimestamp(o, nanos: page.timestampNanos(row: r, column: s))
            case .double: b.setDouble(o, page.double(row: r, column: s))
            case .string, .json: page.withBytes(row: r, column: s) { b.setBytes(o, $0) }
            }
        }
    }

    func expand(row r: Int, of page: Page, into b: inout PageBuilder) throws {
        if page.isNull(row: r, column: jsonColumn) { return }
        try page.withBytes(row: r, column: jsonColumn) { doc in
            var start = 0
            while start < doc.count, JSON.isWhitespace(doc[start]) { start += 1 }
            if start == doc.count { return }  // an empty text: every expanded column is null
            switch scanner.scan(doc, from: start, isFinal: true, tree: tree, compactInto: &compact, compacting: false) {
            case .complete(let end):
                var e = end
                while e < doc.count, JSON.isWhitespace(doc[e]) { e += 1 }
                if e < doc.count { throw Invalid(code: .invalidJSON, message: "text follows the JSON value at byte \(e)") }
            case .invalid(let error): throw Invalid(code: .invalidJSON, message: "the JSON is invalid: \(error)")
            case .needMoreData: throw Invalid(code: .invalidJSON, message: "the JSON ends early")
            }
            for (o, s) in sources.enumerated() where s < 0 {
                let t = -1 - s
                let spanStart = scanner.spanStart(t)
                if spanStart < 0 { continue }
                let value = UnsafeRawBufferPointer(rebasing: doc[spanStart..<scanner.spanEnd(t)])
                if JSON.kind(of: value) == .null { continue }
                try set(o, target: t, value, &b)
            }
        }
    }

    /// The value's text as Embulk's filter sees it: a string decoded, a number as written, a container compact.
    func loadText(_ value: UnsafeRawBufferPointer) throws {
        text.removeAll(keepingCapacity: true)
        do {
            try JSON.appendText(value, scanner: scanner, to: &text)
        } catch {
            throw Invalid(message: error.message)
        }
    }

    func set(_ o: Int, target t: Int, _ value: UnsafeRawBufferPointer, _ b: inout PageBuilder) throws {
        let kind = JSON.kind(of: value)
        if types[t] == .json, kind != .string {
            compact.removeAll(keepingCapacity: true)
            JSON.appendCompact(value, scanner: scanner, to: &compact)
            compact.withUnsafeBytes { b.setBytes(o, $0) }
            return
        }
        try loadText(value)
        try text.withUnsafeBytes { (t8: UnsafeRawBufferPointer) throws in
            switch types[t] {
            case .string: b.setBytes(o, t8)
            case .boolean: b.setBoolean(o, t8.count == 4 && (t8[0] | 0x20, t8[1] | 0x20, t8[2] | 0x20, t8[3] | 0x20) == (116, 114, 117, 101))
            case .long:
                if let v = ValueParsing.parseLong(t8) {
                    b.setLong(o, v)
                } else if let d = ValueParsing.parseDouble(t8) {
                    // As Embulk's filter does for exponents and fractions: the double, cut toward zero (saturating).
                    b.setLong(o, d.isNaN ? 0 : d >= 9.223372036854775807e18 ? .max : d <= -9.223372036854775808e18 ? .min : Int64(d))
                } else {
                    throw Invalid(message: "'\(names[t])': cannot read '\(JSON.excerpt(t8))' as long")
                }
            case .double:
                guard let d = ValueParsing.parseDouble(t8) else { throw Invalid(message: "'\(names[t])': cannot read '\(JSON.excerpt(t8))' as double") }
                b.setDouble(o, d)
            case .timestamp:
                do {
                    b.setTimestamp(o, nanos: try parsers[t]!.parse(t8))
                } catch {
                    throw Invalid(message: "'\(names[t])': cannot read '\(JSON.excerpt(t8))' as timestamp: \(error)")
                }
            case .json:
                // A string holding JSON text becomes that JSON; other strings are invalid, as in Embulk's filter.
                compact.removeAll(keepingCapacity: true)
                var s = 0
                while s < t8.count, JSON.isWhitespace(t8[s]) { s += 1 }
                guard case .complete(let end) = scanner.scan(t8, from: s, isFinal: true, tree: nil, compactInto: &compact),
                    UnsafeRawBufferPointer(rebasing: t8[end...]).allSatisfy(JSON.isWhitespace)
                else {
                    throw Invalid(message: "'\(names[t])': the string '\(JSON.excerpt(t8))' is not JSON text")
                }
                compact.withUnsafeBytes { b.setBytes(o, $0) }
            }
        }
    }
}
