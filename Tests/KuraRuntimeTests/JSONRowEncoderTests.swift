import KuraCore
import KuraFormats
import Testing

@testable import KuraRuntime

/// The column-at-a-time record encoder of the plugin protocol writes exactly what `Page.appendJSONObject` writes,
/// one line per record, and the decoder reads its lines back to the same values (finite doubles only: the JSON
/// scanner does not read the bare `NaN` and `Infinity` the encoder writes).
@Suite struct JSONRowEncoderTests {
    static let schema = Schema([
        ("n", .long), ("x", .double), ("ok", .boolean), ("at", .timestamp), ("s", .string), ("j", .json),
    ])

    /// Records with nulls in every column, extreme integers, NaN and infinities (unless `finite`), escapes and
    /// non-ASCII text.
    static func page(finite: Bool = false) -> Page {
        var b = PageBuilder(schema: schema)
        let rows: [(Int64?, Double?, Bool?, Int64?, String?, String?)] = [
            (0, 1.5, true, 0, "plain", "{\"a\":[1,2]}"),
            (Int64.min, -.infinity, false, 1_704_164_645_123_000_000, "quote \" slash \\ tab \t line \n", "[]"),
            (Int64.max, .nan, nil, -1, "日本語 ✓", nil),
            (nil, nil, true, nil, nil, "{}"),
            (-42, 1e300, false, 86_400_000_000_000, "", "\"text\""),
        ]
        for (n, x, ok, at, s, j) in rows {
            if let n { b.setLong(0, n) } else { b.setNull(0) }
            if let x { b.setDouble(1, finite && !x.isFinite ? 2.25 : x) } else { b.setNull(1) }
            if let ok { b.setBoolean(2, ok) } else { b.setNull(2) }
            if let at { b.setTimestamp(3, nanos: at) } else { b.setNull(3) }
            if let s { b.setString(4, s) } else { b.setNull(4) }
            if let j { b.setJSON(5, j) } else { b.setNull(5) }
            b.finishRecord()
        }
        return b.build()
    }

    @Test func linesAreThoseOfAppendJSONObject() {
        let page = Self.page()
        var expected: [UInt8] = []
        for row in 0..<page.rowCount {
            page.appendJSONObject(row: row, to: &expected)
            expected.append(10)
        }
        let encoder = JSONRowEncoder(schema: Self.schema)
        let lines = encoder.encode(page)
        #expect(String(decoding: lines, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(encoder.lineEnds.count == page.rowCount)
        #expect(encoder.lineEnds.last == lines.count)
        // A second page through the same encoder starts afresh.
        #expect(encoder.encode(page) == lines)
    }

    @Test func bareNonFiniteNumbersAreQuotedOutsideStringsOnly() {
        let line = Array(#"{"s":"NaN \"Infinity","x":NaN,"y":[-Infinity,Infinity]}"#.utf8)
        let quoted = JSONRowDecoder.quotingNonFiniteNumbers(line[...]).map { String(decoding: $0, as: UTF8.self) }
        #expect(quoted == #"{"s":"NaN \"Infinity","x":"NaN","y":["-Infinity","Infinity"]}"#)
        #expect(JSONRowDecoder.quotingNonFiniteNumbers(Array(#"{"s":"NaN"}"#.utf8)[...]) == nil)
    }

    @Test func decodedLinesGiveBackTheRecords() throws {
        // Non-finite doubles included: the lines carry them bare, as the protocol allows.
        let page = Self.page()
        let encoder = JSONRowEncoder(schema: Self.schema)
        let lines = encoder.encode(page)
        let decoder = JSONRowDecoder(schema: Self.schema)
        var builder = PageBuilder(schema: Self.schema)
        var start = 0
        for end in encoder.lineEnds {
            try decoder.append(lines[start..<(end - 1)], to: &builder)
            start = end
        }
        let back = builder.build()
        #expect(back.rowCount == page.rowCount)
        for row in 0..<page.rowCount {
            for c in 0..<Self.schema.count {
                let a = page.value(row: row, column: c), b = back.value(row: row, column: c)
                #expect("\(a)" == "\(b)", "row \(row), column \(Self.schema.columns[c].name)")
            }
        }
    }
}
