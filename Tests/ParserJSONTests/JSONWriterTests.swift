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
        #expect(JSONLFormatterPlugin.descriptor.kind == .formatter)
        #expect(JSONLFormatterPlugin.descriptor.name == "jsonl")
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
