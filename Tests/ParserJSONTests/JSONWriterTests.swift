import FormatterJSONL
import KuraCore
import KuraFormats
import Testing

@Suite struct JSONWriterTests {
    static let schema = Schema([
        ("b", .boolean), ("l", .long), ("d", .double), ("s", .string), ("t", .timestamp), ("j", .json),
    ])

    static func page(_ rows: [[Value]]) -> Page {
        var builder = PageBuilder(schema: schema)
        for row in rows {
            for (c, v) in row.enumerated() { builder.set(c, v) }
            builder.finishRecord()
        }
        return builder.build()
    }

    static let rows: [[Value]] = [
        [.boolean(true), .long(-9_223_372_036_854_775_808), .double(1.5), .string("a\"b\\c\n\u{01}é😀"),
         .timestamp(Timestamp(seconds: 1_704_164_645)), .json("{\"x\":[1,1.000000000000000000001]}")],
        [.boolean(false), .long(42), .double(.nan), .string(""), .timestamp(Timestamp(seconds: 1_704_164_645, nanosecond: 120_000_000)), .json("\"s\"")],
        [.null, .null, .double(-.infinity), .null, .null, .null],
        [.boolean(true), .long(0), .double(.infinity), .string("x"), .timestamp(Timestamp(seconds: -1)), .json("12345678901234567890123")],
    ]

    static let expected = [
        "{\"b\":true,\"l\":-9223372036854775808,\"d\":1.5,\"s\":\"a\\\"b\\\\c\\n\\u0001é😀\",\"t\":\"2024-01-02T03:04:05Z\",\"j\":{\"x\":[1,1.000000000000000000001]}}",
        "{\"b\":false,\"l\":42,\"d\":NaN,\"s\":\"\",\"t\":\"2024-01-02T03:04:05.12Z\",\"j\":\"s\"}",
        "{\"b\":null,\"l\":null,\"d\":-Infinity,\"s\":null,\"t\":null,\"j\":null}",
        "{\"b\":true,\"l\":0,\"d\":Infinity,\"s\":\"x\",\"t\":\"1969-12-31T23:59:59Z\",\"j\":12345678901234567890123}",
    ]

    @Test func appendJSONObjectWritesEachType() {
        let page = Self.page(Self.rows)
        for r in 0..<page.rowCount {
            var out: [UInt8] = []
            page.appendJSONObject(row: r, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == Self.expected[r])
        }
        // Finite rows are valid JSON that the scanner accepts.
        for r in [0, 3] where r != 3 {
            var out: [UInt8] = []
            page.appendJSONObject(row: r, to: &out)
            #expect(throws: Never.self) { try JSON.compact(String(decoding: out, as: UTF8.self)) }
        }
    }

    @Test func columnNamesAreEscaped() {
        var builder = PageBuilder(schema: Schema([("a\"b", .long)]))
        builder.setLong(0, 1)
        builder.finishRecord()
        var out: [UInt8] = []
        builder.build().appendJSONObject(row: 0, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "{\"a\\\"b\":1}")
    }

    func format(_ config: ConfigNode) throws -> String {
        let plugin = try JSONLFormatterPlugin(config: PluginConfig(node: config, path: "out.formatter"))
        let formatter = try plugin.makeFormatter(schema: Self.schema)
        var out: [UInt8] = []
        try formatter.begin { out.append(contentsOf: $0) }
        try formatter.format(Self.page(Array(Self.rows.prefix(2)))) { out.append(contentsOf: $0) }
        try formatter.format(Self.page([])) { out.append(contentsOf: $0) }
        try formatter.format(Self.page(Array(Self.rows.suffix(2)))) { out.append(contentsOf: $0) }
        try formatter.finish { out.append(contentsOf: $0) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func jsonlFormatterWritesOneObjectPerLine() throws {
        #expect(try format([:]) == Self.expected.map { $0 + "\n" }.joined())
        #expect(try format(["newline": "CRLF"]) == Self.expected.map { $0 + "\r\n" }.joined())
        #expect(try format(["newline": "CR"]) == Self.expected.map { $0 + "\r" }.joined())
        #expect(throws: ConfigError.self) { try format(["newline": "NEL"]) }
        #expect(throws: ConfigError.self) { try format(["timestamp_format": "%Y"]) }
        #expect(try format(["encoding": "UTF-8", "json_columns": ["j"]]) == Self.expected.map { $0 + "\n" }.joined())
        #expect(JSONLFormatterPlugin.descriptor.kind == .formatter)
        #expect(JSONLFormatterPlugin.descriptor.name == "jsonl")
    }

    /// One record of `schema` through the formatter made from `config`, as bytes.
    func formatBytes(_ config: ConfigNode, _ schema: Schema, _ row: [Value]) throws -> [UInt8] {
        let plugin = try JSONLFormatterPlugin(config: PluginConfig(node: config, path: "out.formatter"))
        let formatter = try plugin.makeFormatter(schema: schema)
        var builder = PageBuilder(schema: schema)
        for (c, v) in row.enumerated() { builder.set(c, v) }
        builder.finishRecord()
        var out: [UInt8] = []
        try formatter.format(builder.build()) { out.append(contentsOf: $0) }
        return out
    }

    @Test func embulkFormatterJsonlNewlines() throws {
        let one = Schema([("a", .long)])
        #expect(try formatBytes(["newline": "NUL"], one, [.long(1)]) == Array("{\"a\":1}".utf8) + [0])
        #expect(try formatBytes(["newline": "NO"], one, [.long(1)]) == Array("{\"a\":1}".utf8))
        #expect(try formatBytes(["newline": "crlf"], one, [.long(1)]) == Array("{\"a\":1}\r\n".utf8))
    }

    @Test func dateFormatAndTimezoneWriteTimestamps() throws {
        let schema = Schema([("t", .timestamp), ("n", .timestamp)])
        let row: [Value] = [.timestamp(Timestamp(seconds: 1_430_036_605, nanosecond: 123_456_789)), .null]
        let java = try formatBytes(["date_format": "yyyy-MM-dd'T'HH:mm:ss.SSSZ", "timezone": "Asia/Tokyo"], schema, row)
        #expect(String(decoding: java, as: UTF8.self) == "{\"t\":\"2015-04-26T17:23:25.123+0900\",\"n\":null}\n")
        let plain = try formatBytes(["date_format": "yyyy-MM-dd HH:mm:ss"], schema, row)
        #expect(String(decoding: plain, as: UTF8.self) == "{\"t\":\"2015-04-26 08:23:25\",\"n\":null}\n")
        let words = try formatBytes(["date_format": "EEE, dd MMM yy 'at' hh:mm a XXX", "timezone": "-05:00"], schema, row)
        #expect(String(decoding: words, as: UTF8.self) == "{\"t\":\"Sun, 26 Apr 15 at 03:23 AM -05:00\",\"n\":null}\n")
        let strftime = try formatBytes(["date_format": "%Y/%m/%d %H:%M:%S %:z", "timezone": "+09:00"], schema, row)
        #expect(String(decoding: strftime, as: UTF8.self) == "{\"t\":\"2015/04/26 17:23:25 +09:00\",\"n\":null}\n")
        let literal = try formatBytes(["date_format": "'day' dd 'o''clock' HH"], schema, row)
        #expect(String(decoding: literal, as: UTF8.self) == "{\"t\":\"day 26 o'clock 08\",\"n\":null}\n")
    }

    @Test func dateFormatMistakesAreConfigErrors() throws {
        let schema = Schema([("t", .timestamp)])
        let unsupported = #expect(throws: ConfigError.self) { try formatBytes(["date_format": "yyyy-MM-dd G"], schema, [.null]) }
        #expect(unsupported?.path == "out.formatter.date_format")
        #expect(unsupported?.message.contains("'G'") == true)
        let zone = #expect(throws: ConfigError.self) { try formatBytes(["date_format": "yyyy", "timezone": "Mars/Base"], schema, [.null]) }
        #expect(zone?.path == "out.formatter.timezone")
        let alone = #expect(throws: ConfigError.self) { try formatBytes(["timezone": "UTC"], schema, [.null]) }
        #expect(alone?.fix?.contains("date_format") == true)
        let single = #expect(throws: ConfigError.self) { try formatBytes(["date_format": "d/M/yyyy"], schema, [.null]) }
        #expect(single?.message.contains("not supported") == true)
    }

    @Test func jsonColumnsNestStringColumnsHoldingJSON() throws {
        let schema = Schema([("id", .long), ("payload", .string), ("note", .string), ("doc", .json)])
        let row: [Value] = [.long(7), .string(" {\"k\": [1, 2.50, 123456789012345678901234567890]} "), .string("{\"not\":1}"), .json("{\"d\":true}")]
        let out = try formatBytes(["json_columns": ["payload", "doc"]], schema, row)
        #expect(
            String(decoding: out, as: UTF8.self)
                == "{\"id\":7,\"payload\":{\"k\":[1,2.50,123456789012345678901234567890]},\"note\":\"{\\\"not\\\":1}\",\"doc\":{\"d\":true}}\n")
        let nullRow = try formatBytes(["json_columns": ["payload"]], schema, [.long(1), .null, .null, .null])
        #expect(String(decoding: nullRow, as: UTF8.self) == "{\"id\":1,\"payload\":null,\"note\":null,\"doc\":null}\n")
        let bad = #expect(throws: SystemError.self) { try formatBytes(["json_columns": ["payload"]], schema, [.long(1), .string("{oops"), .null, .null]) }
        #expect(bad?.message.contains("column 'payload'") == true)
        #expect(bad?.message.contains("{oops") == true)
        let unknown = #expect(throws: ConfigError.self) { try formatBytes(["json_columns": ["paylaod"]], schema, row) }
        #expect(unknown?.fix == "did you mean 'payload'?")
        let wrongType = #expect(throws: ConfigError.self) { try formatBytes(["json_columns": ["id"]], schema, row) }
        #expect(wrongType?.message.contains("long") == true)
    }

    @Test func encodingTranscodesTheOutput() throws {
        let schema = Schema([("s", .string)])
        let row: [Value] = [.string("é😀")]
        let utf8 = try formatBytes([:], schema, row)
        let text = String(decoding: utf8, as: UTF8.self)
        #expect(try formatBytes(["encoding": "UTF-16LE"], schema, row) == text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        #expect(try formatBytes(["encoding": "utf-16be"], schema, row) == text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
        let utf32be = try formatBytes(["encoding": "UTF-32BE"], schema, row)
        #expect(utf32be.count == text.unicodeScalars.count * 4)
        #expect(Array(utf32be[(utf32be.count - 4)...]) == [0, 0, 0, 10])
        let utf32le = try formatBytes(["encoding": "UTF-32LE"], schema, row)
        #expect(Array(utf32le[(utf32le.count - 4)...]) == [10, 0, 0, 0])
        #expect(throws: ConfigError.self) { try formatBytes(["encoding": "Shift_JIS"], schema, row) }
    }

    @Test func parserAndFormatterRoundTrip() throws {
        let input = "{\"id\":5000000001,\"price\":12.5,\"tags\":[\"a\",\"b\"],\"big\":1234567890123456789012345678901234567890}\n"
        let r = try parse(input, ["columns": [["name": "id", "type": "long"], ["name": "price", "type": "double"], ["name": "tags", "type": "json"], ["name": "big", "type": "json"]]])
        var builder = PageBuilder(schema: Schema([("id", .long), ("price", .double), ("tags", .json), ("big", .json)]))
        for (c, v) in r.rows[0].enumerated() { builder.set(c, v) }
        builder.finishRecord()
        var out: [UInt8] = []
        builder.build().appendJSONObject(row: 0, to: &out)
        #expect(String(decoding: out, as: UTF8.self) + "\n" == input)
    }
}
