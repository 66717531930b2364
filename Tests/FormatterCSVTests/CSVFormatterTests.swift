import KuraCore
import KuraTestSupport
import Testing

@testable import FormatterCSV

/// Formats `pages` of `schema` with the formatter configured by `node`; returns the text and the chunk count.
func formatted(_ node: ConfigNode, _ schema: Schema, _ pages: [[[Value]]]) throws -> (text: String, chunks: Int) {
    let plugin = try CSVFormatterPlugin(config: section(node))
    let formatter = try plugin.makeFormatter(schema: schema)
    var out: [UInt8] = []
    var chunks = 0
    let sink: ByteSink = { bytes in
        out.append(contentsOf: bytes)
        chunks += 1
    }
    try formatter.begin(to: sink)
    for rows in pages { try formatter.format(page(schema, rows), to: sink) }
    try formatter.finish(to: sink)
    return (String(decoding: out, as: UTF8.self), chunks)
}

/// Formats one page of `rows` over string columns `a`, `b` without a header, with LF line ends.
func lines(_ rows: [[Value]], _ extra: (String, ConfigNode)...) throws -> String {
    let node = ConfigNode.mapping([("header_line", s("false")), ("newline", s("LF"))] + extra)
    return try formatted(node, stringSchema(["a", "b"]), [rows]).text
}

let ts20240102 = Timestamp(nanos: 1_704_164_645_123_456_789)  // 2024-01-02T03:04:05.123456789Z

@Suite struct CSVFormatterTests {
    @Test func defaultsWriteHeaderCRLFAndMinimalQuoting() throws {
        let schema = Schema([
            ("id", .long), ("name", .string), ("score", .double), ("ok", .boolean), ("at", .timestamp), ("doc", .json),
        ])
        let rows: [[Value]] = [
            [.long(-42), .string("plain"), .double(1.5), .boolean(true), .timestamp(ts20240102), .json("{\"a\":1,\"b\":[1,2]}")],
            [.long(Int64.min), .string("a,b"), .double(100), .boolean(false), .timestamp(Timestamp(nanos: -1)), .json("3")],
            [.null, .string(""), .null, .null, .null, .null],
        ]
        let text = try formatted(m(), schema, [rows]).text
        #expect(text == """
            id,name,score,ok,at,doc\r
            -42,plain,1.5,true,2024-01-02 03:04:05.123456 +0000,"{""a"":1,""b"":[1,2]}"\r
            -9223372036854775808,"a,b",100.0,false,1969-12-31 23:59:59.999999 +0000,3\r
            ,"",,,,\r

            """)
    }

    @Test func minimalQuotesQuotesAndLineBreaks() throws {
        let text = try lines([[.string("say \"hi\""), .string("two\nlines")], [.string("cr\rlf\r\nend"), .string(" spaced ")]])
        #expect(text == "\"say \"\"hi\"\"\",\"two\nlines\"\n\"cr\nlf\nend\", spaced \n")
    }

    @Test func quotePolicyAll() throws {
        let schema = Schema([("n", .long), ("s", .string), ("b", .boolean)])
        let text = try formatted(m(("quote_policy", s("ALL")), ("newline", s("LF"))), schema, [[
            [.long(7), .string("x\"y"), .boolean(true)], [.null, .string(""), .null],
        ]]).text
        #expect(text == "\"n\",\"s\",\"b\"\n\"7\",\"x\"\"y\",\"true\"\n,\"\",\n")
    }

    @Test func quotePolicyNoneEscapesWithBackslash() throws {
        let text = try lines(
            [[.string("a,b\"c"), .string("line\nbreak\\end")], [.string(""), .null]], ("quote_policy", s("none")))
        #expect(text == "a\\,b\\\"c,line\\\nbreak\\\\end\n,\n")
    }

    @Test func customEscapeCharacter() throws {
        let text = try lines([[.string("a\"b"), .string("c:\\dir")], [.string("x\\\"y"), .string("p,q\\")]], ("escape", s("\\")))
        #expect(text == "\"a\\\"b\",c:\\dir\n\"x\\\\\\\"y\",\"p,q\\\\\"\n")
    }

    @Test func customQuoteCharacter() throws {
        let text = try lines([[.string("it's"), .string("a,b")]], ("quote", s("'")))
        #expect(text == "'it''s','a,b'\n")
    }

    @Test func multiCharacterDelimiter() throws {
        let text = try lines(
            [[.string("a|b"), .string("c||d")], [.string("x|"), .string("|y")]], ("delimiter", s("||")))
        #expect(text == "a|b||\"c||d\"\nx||||y\n")
    }

    @Test func multiCharacterDelimiterWithoutQuotes() throws {
        let text = try lines([[.string("a<>b"), .string("<")]], ("delimiter", s("<>")), ("quote_policy", s("NONE")))
        #expect(text == "a\\<>b<><\n")
    }

    @Test func tabDelimiter() throws {
        #expect(try lines([[.string("a\tb"), .string("c,d")]], ("delimiter", s("\t"))) == "\"a\tb\"\tc,d\n")
    }

    @Test func nullString() throws {
        let text = try lines([[.null, .string("NULL")], [.string(""), .null]], ("null_string", s("NULL")))
        #expect(text == "NULL,\"NULL\"\n,NULL\n")
        let none = try lines([[.null, .string("\\N")]], ("null_string", s("\\N")), ("quote_policy", s("NONE")))
        #expect(none == "\\N,\\\\N\n")
    }

    @Test func headerLineAndNewlines() throws {
        let schema = stringSchema(["first name", "b"])
        let noHeader = try formatted(m(("header_line", s("false"))), schema, [[[.string("1"), .string("2")]]]).text
        #expect(noHeader == "1,2\r\n")
        let cr = try formatted(m(("newline", s("CR"))), schema, [[[.string("1"), .string("2")]]]).text
        #expect(cr == "first name,b\r1,2\r")
        let quotedHeader = try formatted(m(("newline", s("LF"))), stringSchema(["a,b", "c"]), []).text
        #expect(quotedHeader == "\"a,b\",c\n")
    }

    @Test func newlineInField() throws {
        let text = try lines([[.string("a\nb"), .string("c\r\nd\re")]], ("newline_in_field", s("CRLF")))
        #expect(text == "\"a\r\nb\",\"c\r\nd\r\ne\"\n")
    }

    @Test func doubles() throws {
        let schema = Schema([("d", .double)])
        let text = try formatted(m(("header_line", s("false")), ("newline", s("LF"))), schema, [[
            [.double(0.1)], [.double(-2.5e-8)], [.double(1e20)], [.double(.nan)], [.double(-.infinity)],
        ]]).text
        #expect(text == "0.1\n-2.5e-08\n1e+20\nNaN\n-Infinity\n")
    }

    @Test func largePagesAreFlushedInChunks() throws {
        let value = String(repeating: "v", count: 100)
        let rows = (0..<2000).map { i in [Value.string("\(i)"), .string(value)] }
        let (text, chunks) = try formatted(m(("header_line", s("false")), ("newline", s("LF"))), stringSchema(["a", "b"]), [rows, rows])
        let expected = rows.indices.map { "\($0),\(value)\n" }.joined()
        #expect(text == expected + expected)
        #expect(chunks >= 4)
    }

    @Test func emptyPagesWriteOnlyTheHeader() throws {
        let (text, _) = try formatted(m(), stringSchema(["a"]), [[]])
        #expect(text == "a\r\n")
    }
}

@Suite struct CSVTimestampTests {
    let schema = Schema([("at", .timestamp), ("local", .timestamp)])

    func text(_ node: ConfigNode, _ value: Timestamp) throws -> String {
        let base: [(String, ConfigNode)] = [("header_line", s("false")), ("newline", s("LF"))]
        return try formatted(ConfigNode.mapping(base + (node.mappingEntries ?? []).map { ($0.key, $0.value) }), schema, [[
            [.timestamp(value), .timestamp(value)]
        ]]).text
    }

    @Test func defaultTimezoneAndFormat() throws {
        #expect(try text(m(("default_timezone", s("+09:00"))), ts20240102)
            == "2024-01-02 12:04:05.123456 +0900,2024-01-02 12:04:05.123456 +0900\n")
        #expect(try text(m(("default_timestamp_format", s("%Y%m%dT%H%M%S.%3N%:z"))), ts20240102)
            == "20240102T030405.123+00:00,20240102T030405.123+00:00\n")
    }

    @Test func columnOptionsOverrideFormatAndZone() throws {
        let node = m(("column_options", m(("local", m(("format", s("%Y/%m/%d %H:%M %Z")), ("timezone", s("-05:30")))))))
        #expect(try text(node, ts20240102) == "2024-01-02 03:04:05.123456 +0000,2024/01/01 21:34 -05:30\n")
    }

    @Test func namedZoneFollowsDaylightSaving() throws {
        let node = m(("default_timezone", s("America/New_York")), ("default_timestamp_format", s("%F %T %z")))
        #expect(try text(node, ts20240102) == "2024-01-01 22:04:05 -0500,2024-01-01 22:04:05 -0500\n")
        let july = Timestamp(seconds: 1_719_792_000)  // 2024-07-01T00:00:00Z
        #expect(try text(node, july) == "2024-06-30 20:00:00 -0400,2024-06-30 20:00:00 -0400\n")
    }

    @Test func badFormatsAndZonesAreConfigErrors() {
        let directive = configError { _ = try CSVFormatterPlugin(config: section(m(("default_timestamp_format", s("%Y-%E"))))) }
        #expect(directive?.path == "out.formatter.default_timestamp_format")
        #expect(directive?.message.contains("%E") == true)
        let zone = configError { _ = try CSVFormatterPlugin(config: section(m(("default_timezone", s("Mars/Olympus"))))) }
        #expect(zone?.path == "out.formatter.default_timezone")
        let columnZone = configError {
            _ = try CSVFormatterPlugin(config: section(m(("column_options", m(("at", m(("timezone", s("Nowhere")))))))))
        }
        #expect(columnZone?.path == "out.formatter.column_options.at.timezone")
    }

    @Test func columnOptionsForAMissingColumnSuggestTheNearest() throws {
        let plugin = try CSVFormatterPlugin(config: section(m(("column_options", m(("locl", m(("format", s("%Y")))))))))
        let err = configError { _ = try plugin.makeFormatter(schema: schema) }
        #expect(err?.path == "out.formatter.column_options.locl")
        #expect(err?.fix?.contains("'local'") == true)
    }
}

@Suite struct CSVOptionTests {
    @Test func defaultsMatchEmbulk() throws {
        let o = try CSVFormatterPlugin(config: section(m())).options
        #expect(o == CSVFormatterPlugin.Options())
        #expect(o.delimiter == "," && o.quote == "\"" && o.quotePolicy == .minimal && o.escape == nil)
        #expect(o.effectiveEscape == "\"")
        #expect(o.headerLine && o.newline == .crlf && o.newlineInField == .lf && o.nullString == "")
        #expect(o.defaultTimezone == "UTC" && o.defaultTimestampFormat == "%Y-%m-%d %H:%M:%S.%6N %z")
        #expect(CSVFormatterPlugin.Options(quotePolicy: .none).effectiveEscape == "\\")
    }

    @Test func charsetOtherThanUTF8IsRejected() throws {
        let err = configError { _ = try CSVFormatterPlugin(config: section(m(("charset", s("Shift_JIS"))))) }
        #expect(err?.path == "out.formatter.charset")
        #expect(err?.message.contains("UTF-8") == true)
        #expect(try CSVFormatterPlugin(config: section(m(("charset", s("utf-8"))))).options.charset == "utf-8")
    }

    @Test func invalidCharacters() {
        #expect(configError { _ = try CSVFormatterPlugin(config: section(m(("delimiter", ConfigNode(.scalar("", quoted: true)))))) }?.path
            == "out.formatter.delimiter")
        #expect(configError { _ = try CSVFormatterPlugin(config: section(m(("quote", s("''"))))) }?.path == "out.formatter.quote")
        #expect(configError { _ = try CSVFormatterPlugin(config: section(m(("escape", s("\\\\"))))) }?.path == "out.formatter.escape")
        #expect(configError { _ = try CSVFormatterPlugin(config: section(m(("delimiter", s("\""))))) } != nil)
    }

    @Test func enumsAndUnknownKeys() {
        let policy = configError { _ = try CSVFormatterPlugin(config: section(m(("quote_policy", s("MINIMUM"))))) }
        #expect(policy?.path == "out.formatter.quote_policy")
        #expect(policy?.fix?.contains("MINIMAL") == true)
        let key = configError { _ = try CSVFormatterPlugin(config: section(m(("header_lines", s("true"))))) }
        #expect(key?.path == "out.formatter.header_lines")
        #expect(key?.fix?.contains("header_line") == true)
    }

    @Test func descriptor() {
        #expect(CSVFormatterPlugin.descriptor.kind == .formatter)
        #expect(CSVFormatterPlugin.descriptor.name == "csv")
    }
}
