import KuraCore
import KuraTestSupport
import ParserCSV
import Testing

/// One golden case of the CSV dialect: input bytes and options, and the exact rows and rejects expected.
///
/// Expectations follow Embulk's `CsvTokenizer` (embulk-util-csv), except where kura deliberately differs:
/// a NUL byte is ordinary data (Embulk's tokenizer reads it as the end of the line), and a record that cannot be
/// tokenized (an unclosed quote, a quoted field over `max_quoted_size_limit`) rejects only its first line, after
/// which parsing resumes at the next line (Embulk gives up on the rest of the file or swallows the following lines).
struct CSVCase: CustomTestStringConvertible, Sendable {
    let name: String
    let input: [UInt8]
    let columns: [(String, String)]
    let options: [(String, ConfigNode)]
    let rows: [[Value]]
    /// Reason code and 1-based line of each reject, in order.
    let rejects: [(DataErrorCode, Int)]

    var testDescription: String { name }

    init(
        _ name: String, _ input: String, columns: [(String, String)] = [("id", "long"), ("v", "string")],
        options: [(String, ConfigNode)] = [], rows: [[Value]], rejects: [(DataErrorCode, Int)] = []
    ) {
        self.init(name, bytes: Array(input.utf8), columns: columns, options: options, rows: rows, rejects: rejects)
    }

    init(
        _ name: String, bytes: [UInt8], columns: [(String, String)] = [("id", "long"), ("v", "string")],
        options: [(String, ConfigNode)] = [], rows: [[Value]], rejects: [(DataErrorCode, Int)] = []
    ) {
        self.name = name
        input = bytes
        self.columns = columns
        self.options = options
        self.rows = rows
        self.rejects = rejects
    }
}

private func row(_ id: Int64, _ v: String?) -> [Value] { [.long(id), v.map { .string($0) } ?? .null] }
private func strings(_ vs: String?...) -> [Value] { vs.map { $0.map { .string($0) } ?? .null } }
private let abc = [("a", "string"), ("b", "string"), ("c", "string")]
private let space = ("delimiter", ConfigNode(.scalar(" ", quoted: true)))
private let stray = ("quotes_in_quoted_fields", ConfigNode.scalar("ACCEPT_STRAY_QUOTES_ASSUMING_NO_DELIMITERS_IN_FIELDS"))

enum CSVConformance {
    static let cases: [CSVCase] = [
        // Delimiters.
        CSVCase(
            "semicolon_delimiter", "1;x\n2;\"y;z\"\n3;a,b\n", options: [("delimiter", .scalar(";"))],
            rows: [row(1, "x"), row(2, "y;z"), row(3, "a,b")]),
        CSVCase(
            "tab_delimiter", "1\tx y\n2\t\"a\tb\"\n", options: [("delimiter", .scalar("\t"))],
            rows: [row(1, "x y"), row(2, "a\tb")]),
        CSVCase(
            "multi_char_delimiter", "1||x|y\n2||\"a||b\"\n3|||z\n", options: [("delimiter", .scalar("||"))],
            rows: [row(1, "x|y"), row(2, "a||b"), row(3, "|z")]),
        CSVCase(
            "delimiter_inside_quotes", "1,\"a,b\"\n2,\",\"\n", rows: [row(1, "a,b"), row(2, ",")]),

        // Line breaks.
        CSVCase("crlf", "1,a\r\n2,b\r\n", rows: [row(1, "a"), row(2, "b")]),
        CSVCase("cr_only", "1,a\r2,b\r", rows: [row(1, "a"), row(2, "b")]),
        CSVCase(
            "mixed_line_ends", "1,a\r\n2,b\n3,c\r4,d\nx,e\r\n",
            rows: [row(1, "a"), row(2, "b"), row(3, "c"), row(4, "d")], rejects: [(.cast, 5)]),
        CSVCase(
            "line_delimiter_recognized_lf", "1,a\r\n2,b\n", options: [("line_delimiter_recognized", .scalar("LF"))],
            rows: [row(1, "a\r"), row(2, "b")]),
        CSVCase(
            "line_delimiter_recognized_crlf", "1,a\n\r\n2,b\r\n", options: [("line_delimiter_recognized", .scalar("CRLF"))],
            rows: [row(1, "a\n"), row(2, "b")]),
        CSVCase(
            "quoted_newline_lf", "1,\"a\nb\"\n2,c\nx,d\n",
            rows: [row(1, "a\r\nb"), row(2, "c")], rejects: [(.cast, 4)]),
        CSVCase(
            "quoted_newline_crlf_to_lf", "1,\"a\r\nb\r\n\"\r\n2,c\r\n", options: [("newline", .scalar("LF"))],
            rows: [row(1, "a\nb\n"), row(2, "c")]),
        CSVCase(
            "quoted_newline_cr_to_crlf", "1,\"a\rb\"\r2,c\r", rows: [row(1, "a\r\nb"), row(2, "c")]),
        CSVCase("no_trailing_newline", "1,a\n2,\"b\"", rows: [row(1, "a"), row(2, "b")]),
        CSVCase("no_trailing_newline_unquoted", "1,a\n2,b", rows: [row(1, "a"), row(2, "b")]),
        CSVCase("empty_lines", "\n1,a\n\n\r\n\r2,b\n\nx,c\n\n", rows: [row(1, "a"), row(2, "b")], rejects: [(.cast, 8)]),
        CSVCase("only_line_breaks", "\n\r\n\r\n", rows: []),

        // A space as the delimiter: after a closing quote it is the delimiter, never skipped as padding.
        CSVCase(
            "space_delimiter_access_log",
            "203.0.113.9 - - \"2024-05-01 10:00:00\" \"POST /api/orders HTTP/1.1\" 201 512\n"
                + "198.51.100.7 - bob \"2024-05-01 10:00:01\" \"GET /\" 304 0\n",
            columns: [
                ("ip", "string"), ("ident", "string"), ("user", "string"), ("time", "string"), ("request", "string"),
                ("status", "long"), ("bytes", "long"),
            ],
            options: [space],
            rows: [
                strings("203.0.113.9", "-", "-", "2024-05-01 10:00:00", "POST /api/orders HTTP/1.1") + [.long(201), .long(512)],
                strings("198.51.100.7", "-", "bob", "2024-05-01 10:00:01", "GET /") + [.long(304), .long(0)],
            ]),
        CSVCase(
            "space_delimiter_quoted_fields", "\"a b\" \"c\" d\n\"x\" y \"z\"", columns: abc, options: [space],
            rows: [strings("a b", "c", "d"), strings("x", "y", "z")]),
        CSVCase(
            "space_delimiter_two_spaces_make_an_empty_field", "a  b\n\"a\"  \"b\"\n", columns: abc, options: [space],
            rows: [strings("a", nil, "b"), strings("a", nil, "b")]),
        CSVCase(
            "space_delimiter_trailing_space", "1 a \n2 \"b\" \n3 c\n", options: [space],
            rows: [row(3, "c")], rejects: [(.tooManyColumns, 1), (.tooManyColumns, 2)]),
        CSVCase(
            "space_delimiter_trailing_space_allowed", "1 a \n2 \"b\" \n", options: [space, ("allow_extra_columns", .scalar("true"))],
            rows: [row(1, "a"), row(2, "b")]),
        CSVCase(
            "space_delimiter_trim_if_not_quoted", "a \" b \" c\nd  e\n", columns: abc,
            options: [space, ("trim_if_not_quoted", .scalar("true"))],
            rows: [strings("a", " b ", "c"), strings("d", nil, "e")]),
        CSVCase(
            "space_delimiter_text_after_closing_quote", "\"a\"b c d\n1 2 3\n", columns: abc, options: [space],
            rows: [strings("1", "2", "3")], rejects: [(.invalidQuote, 1)]),
        CSVCase(
            "delimiter_starting_with_space", "\"a\" | b\n\"c\"  | d\n", columns: [("a", "string"), ("b", "string")],
            options: [("delimiter", ConfigNode(.scalar(" |", quoted: true)))], rows: [strings("a", " b"), strings("c", " d")]),

        // Quotes and escapes.
        CSVCase(
            "doubled_quotes", "1,\"say \"\"hi\"\"\"\n2,\"\"\"\"\n3,\"\"\"\"\"\"\n",
            rows: [row(1, "say \"hi\""), row(2, "\""), row(3, "\"\"")]),
        CSVCase(
            "backslash_escape", "1,\"a\\\"b\"\n2,\"c\\\\d\"\n3,\"e\\f\"\n4,g\\h\n",
            rows: [row(1, "a\"b"), row(2, "c\\d"), row(3, "e\\f"), row(4, "g\\h")]),
        CSVCase(
            "escape_equals_quote", "1,\"a\"\"b\"\n2,\"x\\y\"\n", options: [("escape", .scalar("\""))],
            rows: [row(1, "a\"b"), row(2, "x\\y")]),
        CSVCase(
            "quote_null", "1,\"a\"\n2,b\"c\n3,\"x,y\"\n", options: [("quote", ConfigNode(.null))],
            rows: [row(1, "\"a\""), row(2, "b\"c")], rejects: [(.tooManyColumns, 3)]),
        CSVCase(
            "escape_null", "1,\"c:\\dir\\\"\n2,\"\\\\\"\n", options: [("escape", ConfigNode(.null))],
            rows: [row(1, "c:\\dir\\"), row(2, "\\\\")]),
        CSVCase(
            "single_quote_as_quote", "1,'a,b'\n2,'it''s'\n3,\"x\"\n", options: [("quote", .scalar("'"))],
            rows: [row(1, "a,b"), row(2, "it's"), row(3, "\"x\"")]),
        CSVCase(
            "quote_inside_unquoted_field", "1,a\"b\"c\n2,5\" disk\n", rows: [row(1, "a\"b\"c"), row(2, "5\" disk")]),
        CSVCase(
            "eof_in_quote", "1,a\n2,\"b\n3,c\n4,d\n", rows: [row(1, "a"), row(3, "c"), row(4, "d")],
            rejects: [(.unterminatedQuote, 2)]),
        CSVCase("eof_after_escape", "1,a\n2,\"b\\", rows: [row(1, "a")], rejects: [(.unterminatedQuote, 2)]),
        CSVCase(
            "stray_quote_rfc_mode", "1,\"a\"b\n2,c\n3,\"d\"\"\n4,e\n", rows: [row(2, "c"), row(4, "e")],
            rejects: [(.invalidQuote, 1), (.unterminatedQuote, 3)]),
        CSVCase(
            "stray_quote_accept_mode", "1,\"a\"b\"\n2,\"x\"\"y\"\n3,\"\"\n4,\"p\"q\"r\"\n", options: [stray],
            rows: [row(1, "a\"b"), row(2, "x\"y"), row(3, ""), row(4, "p\"q\"r")]),
        CSVCase(
            "stray_quote_accept_mode_doubled_before_delimiter", "1,\"a\"\"\",x\n", columns: [("id", "long"), ("v", "string"), ("w", "string")],
            options: [stray], rows: [[.long(1), .string("a\""), .string("x")]]),
        CSVCase(
            "spaces_after_closing_quote", "1,\"a\"  \n\"2\" ,b\n3,\"c\" x\n", rows: [row(1, "a"), row(2, "b")],
            rejects: [(.invalidQuote, 3)]),
        CSVCase(
            "spaces_before_opening_quote", "1, \"a\"\n", rows: [row(1, " \"a\"")]),
        CSVCase(
            "max_quoted_size_limit", "1,\"0123456789\"\n2,\"0123456789a\"\n3,\"ok\"\n",
            options: [("max_quoted_size_limit", .scalar("10"))], rows: [row(1, "0123456789"), row(3, "ok")],
            rejects: [(.lineTooLong, 2)]),
        CSVCase(
            "max_quoted_size_limit_multiline", "1,\"aaaa\nbbbb\ncccc\"\n2,ok\n", options: [("max_quoted_size_limit", .scalar("8"))],
            // The first line is rejected and parsing resumes on the next: the rest of the field is read as records.
            rows: [row(2, "ok")], rejects: [(.lineTooLong, 1), (.tooFewColumns, 2), (.tooFewColumns, 3)]),

        // Skipped lines.
        CSVCase(
            "comment_lines", "#c1\n1,a#b\n# 2,x\n2,b\n#\n", options: [("comment_line_marker", .scalar("#"))],
            rows: [row(1, "a#b"), row(2, "b")]),
        CSVCase(
            "comment_marker_two_chars", "// x\n1,a\n/2,b\n", options: [("comment_line_marker", .scalar("//"))],
            rows: [row(1, "a")], rejects: [(.cast, 3)]),
        CSVCase(
            "header_skip_2", "h1\nh2,\"x\n1,a\nx,b\n", options: [("skip_header_lines", .scalar("2"))],
            rows: [row(1, "a")], rejects: [(.cast, 4)]),
        CSVCase("header_line_true", "id,v\n1,a\n", options: [("header_line", .scalar("true"))], rows: [row(1, "a")]),
        CSVCase("bom", "\u{FEFF}1,a\n2,b\n", rows: [row(1, "a"), row(2, "b")]),
        CSVCase("bom_only", "\u{FEFF}", rows: []),
        CSVCase("bom_then_header", "\u{FEFF}id,v\n1,a\n", options: [("skip_header_lines", .scalar("1"))], rows: [row(1, "a")]),

        // Field contents.
        CSVCase("nul_bytes", bytes: Array("1,a".utf8) + [0] + Array("b\n2,".utf8) + [0, 0x0A], rows: [row(1, "a\0b"), row(2, "\0")]),
        CSVCase("utf8_text", "1,日本語\n2,\"é,ü\"\n", rows: [row(1, "日本語"), row(2, "é,ü")]),
        CSVCase(
            "very_long_line_1mb", "1," + String(repeating: "x", count: 1 << 20) + "\n2,b\n",
            rows: [row(1, String(repeating: "x", count: 1 << 20)), row(2, "b")]),
        CSVCase(
            "very_long_quoted_field", "1,\"" + String(repeating: "y,", count: 100_000) + "\"\n",
            options: [("max_quoted_size_limit", .scalar("1000000"))], rows: [row(1, String(repeating: "y,", count: 100_000))]),
        CSVCase(
            "trim_if_not_quoted", "  1 , a b  ,\" c \"\n2,   ,  \"d\"  \n", columns: [("id", "long"), ("v", "string"), ("w", "string")],
            options: [("trim_if_not_quoted", .scalar("true"))],
            rows: [[.long(1), .string("a b"), .string(" c ")], [.long(2), .null, .string("d")]]),
        CSVCase(
            "no_trim_by_default", " a , b ,c\n", columns: abc, rows: [strings(" a ", " b ", "c")]),

        // Nulls.
        CSVCase("empty_quoted_vs_unquoted", ",\"\",x\n", columns: abc, rows: [strings(nil, "", "x")]),
        CSVCase(
            "null_string_custom", "NULL,,null\n", columns: abc, options: [("null_string", .scalar("NULL"))], rows: [strings(nil, "", "null")]),
        CSVCase(
            "null_string_quoted", "\"NULL\",\"\",x\n", columns: abc, options: [("null_string", .scalar("NULL"))],
            rows: [strings(nil, "", "x")]),
        CSVCase(
            "null_string_backslash_n", "\\N,a\n", columns: [("a", "string"), ("b", "string")], options: [("null_string", .scalar("\\N"))],
            rows: [strings(nil, "a")]),
        CSVCase("empty_last_field", "1,\n", rows: [row(1, nil)]),

        // Column counts.
        CSVCase("too_few_columns", "1\n2,b\n", rows: [row(2, "b")], rejects: [(.tooFewColumns, 1)]),
        CSVCase(
            "too_few_columns_optional", "1\n2,b\n", options: [("allow_optional_columns", .scalar("true"))], rows: [row(1, nil), row(2, "b")]),
        CSVCase("too_many_columns", "1,a,x\n2,b\n", rows: [row(2, "b")], rejects: [(.tooManyColumns, 1)]),
        CSVCase(
            "too_many_columns_allowed", "1,a,x\n2,b\n", options: [("allow_extra_columns", .scalar("true"))], rows: [row(1, "a"), row(2, "b")]),
        CSVCase("trailing_delimiter", "1,a,\n2,b\n", rows: [row(2, "b")], rejects: [(.tooManyColumns, 1)]),
        CSVCase(
            "trailing_delimiter_allowed", "1,a,\n", options: [("allow_extra_columns", .scalar("true"))], rows: [row(1, "a")]),
        CSVCase(
            "reject_line_numbers_after_multiline_record", "1,\"a\n\nb\"\nx,c\n3,\"d\ne\"\ny\n",
            rows: [row(1, "a\r\n\r\nb"), row(3, "d\r\ne")], rejects: [(.cast, 4), (.tooFewColumns, 7)]),
    ]
}

@Suite struct CSVConformanceTests {
    @Test(arguments: CSVConformance.cases)
    func golden(_ c: CSVCase) throws {
        let r = try parseBytes(c.input, columns: c.columns, options: c.options)
        #expect(r.rows == c.rows, "\(c.name)")
        #expect(r.rejects.map(\.code) == c.rejects.map(\.0), "\(c.name)")
        #expect(r.rejects.map(\.line) == c.rejects.map { Optional($0.1) }, "\(c.name)")
        for e in r.rejects {
            #expect(e.file == "t.csv")
            #expect(e.byteOffset != nil)
        }
    }

    @Test func caseNamesAreUnique() {
        let names = CSVConformance.cases.map(\.name)
        #expect(Set(names).count == names.count)
    }

    /// Each reason code has its own message, saying how to fix the record or the config.
    @Test func eachReasonCodeSaysHowToFix() throws {
        let fixes: [(DataErrorCode, String, String)] = [
            (.tooFewColumns, "1\n", "allow_optional_columns: true"),
            (.tooManyColumns, "1,a,b\n", "allow_extra_columns: true"),
            (.unterminatedQuote, "1,\"a\n", "close the quote"),
            (.invalidQuote, "1,\"a\"b\n", "quotes_in_quoted_fields"),
            (.cast, "x,a\n", "change the column's type"),
        ]
        var messages = Set<String>()
        for (code, input, fix) in fixes {
            let r = try parse(input, columns: [("id", "long"), ("v", "string")])
            let e = try #require(r.rejects.first)
            #expect(e.code == code)
            #expect(e.message.contains(fix), "\(code): \(e.message)")
            messages.insert(e.message)
        }
        let long = try parse("1,\"abcdef\"\n", columns: [("id", "long"), ("v", "string")], options: [("max_quoted_size_limit", .scalar("3"))])
        #expect(long.rejects.first?.code == .lineTooLong)
        #expect(long.rejects.first?.message.contains("raise max_quoted_size_limit") == true)
        let enc = try parseBytes([0x31, 0x2C, 0xFF, 0x0A], columns: [("id", "long"), ("v", "string")])
        #expect(enc.rejects.first?.code == .invalidEncoding)
        #expect(enc.rejects.first?.message.contains("invalid_utf8: replace") == true)
        messages.insert(long.rejects.first?.message ?? "")
        messages.insert(enc.rejects.first?.message ?? "")
        #expect(messages.count == fixes.count + 2)
    }

    @Test func rejectedRecordKeepsItsLocationAndRawText() throws {
        let r = try parse("1,a\r\n2,\"b\"x\r\n3,c\r\n", columns: [("id", "long"), ("v", "string")])
        let e = try #require(r.rejects.first)
        #expect(e.code == .invalidQuote)
        #expect(e.line == 2)
        #expect(e.byteOffset == 5)
        #expect(e.rawText == "2,\"b\"x")
        #expect(r.rows == [[.long(1), .string("a")], [.long(3), .string("c")]])
    }
}
