import KuraCore
import KuraTestSupport
import ParserCSV
import Testing

/// Parses `yaml`-like options (given as a mapping) and `input` under every split plan.
func parse(
    _ input: String, columns: [(String, String)], options: [(String, ConfigNode)] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> (rows: [[Value]], rejects: [DataError]) {
    let cols = ConfigNode(
        .sequence(columns.map { ConfigNode.mapping([("name", .scalar($0.0)), ("type", .scalar($0.1))]) }))
    let node = ConfigNode.mapping([("columns", cols)] + options)
    let plugin = try CSVParserPlugin(config: PluginConfig(node: node, path: "in.parser"))
    let ctx = PluginContext(workingDirectory: "", sessionTime: Timestamp(nanos: 0), logger: .silent)
    return try PluginVerifier.verifyParser(
        input: Array(input.utf8),
        makeParser: { try plugin.makeParser(for: InputTask(name: "t.csv"), context: ctx) },
        mismatch: { Issue.record(Comment(rawValue: $0), sourceLocation: sourceLocation) })
}

func s(_ v: String) -> Value { .string(v) }

@Suite struct CSVParserTests {
    @Test func simpleRecordsWithHeader() throws {
        let r = try parse(
            "id,name\n1,alice\n2,bob\n", columns: [("id", "long"), ("name", "string")],
            options: [("skip_header_lines", .scalar("1"))])
        #expect(r.rows == [[.long(1), s("alice")], [.long(2), s("bob")]])
        #expect(r.rejects.isEmpty)
    }

    @Test func dstPolicyResolvesOrRejectsALocalTimeInAGap() throws {
        // 02:30 on 2024-03-10 does not exist in New York: earlier reads it as 07:30Z, later as 06:30Z.
        func run(_ policy: String?) throws -> (rows: [[Value]], rejects: [DataError]) {
            var options: [(String, ConfigNode)] = [("default_timezone", .scalar("America/New_York"))]
            if let policy { options.append(("dst_policy", .scalar(policy))) }
            options.append(("default_timestamp_format", .scalar("%Y-%m-%d %H:%M:%S")))
            return try parse("2024-03-10 02:30:00\n", columns: [("t", "timestamp")], options: options)
        }
        #expect(try run(nil).rows == [[.timestamp(Timestamp(seconds: 1_710_055_800))]])
        #expect(try run("later").rows == [[.timestamp(Timestamp(seconds: 1_710_052_200))]])
        let strict = try run("error")
        #expect(strict.rows.isEmpty)
        #expect(strict.rejects.map(\.code) == [.cast])
    }

    @Test func quotedFieldsDoubledQuotesAndEmbeddedNewlines() throws {
        let r = try parse(
            "1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"line1\r\nline2\"\n", columns: [("id", "long"), ("v", "string")],
            options: [("newline", .scalar("LF"))])
        #expect(r.rows == [[.long(1), s("a,b")], [.long(2), s("say \"hi\"")], [.long(3), s("line1\nline2")]])
    }

    @Test func embeddedLineBreakBecomesConfiguredNewline() throws {
        let r = try parse("\"a\nb\"\n", columns: [("v", "string")])
        #expect(r.rows == [[s("a\r\nb")]])
    }

    @Test func nullRules() throws {
        let r = try parse("1,,\"\"\n", columns: [("a", "long"), ("b", "string"), ("c", "string")])
        #expect(r.rows == [[.long(1), .null, s("")]])
        let r2 = try parse(
            "\\N,,x\n", columns: [("a", "string"), ("b", "string"), ("c", "string")],
            options: [("null_string", .scalar("\\N"))])
        #expect(r2.rows == [[.null, s(""), s("x")]])
    }

    @Test func lineEndingsMixed() throws {
        let r = try parse("1\r\n2\r3\n4", columns: [("a", "long")])
        #expect(r.rows == [[.long(1)], [.long(2)], [.long(3)], [.long(4)]])
    }

    @Test func emptyAndCommentLinesAreSkipped() throws {
        let r = try parse(
            "# note\n1\n\n2\n", columns: [("a", "long")], options: [("comment_line_marker", .scalar("#"))])
        #expect(r.rows == [[.long(1)], [.long(2)]])
    }

    @Test func multiCharacterDelimiter() throws {
        let r = try parse("a, b, c\n", columns: [("x", "string"), ("y", "string"), ("z", "string")],
            options: [("delimiter", .scalar(", "))])
        #expect(r.rows == [[s("a"), s("b"), s("c")]])
    }

    @Test func backslashEscapeInQuotedField() throws {
        let r = try parse("\"a\\\"b\",\"c\\\\d\",\"e\\f\"\n", columns: [("x", "string"), ("y", "string"), ("z", "string")])
        #expect(r.rows == [[s("a\"b"), s("c\\d"), s("e\\f")]])
    }

    @Test func typesAndConversionErrorsAreRejectedWithLocation() throws {
        let r = try parse(
            "h\n1,2.5,yes,2024-01-02 03:04:05\nx,1,true,2024-01-01 00:00:00\n3,1e3,OFF,2024-01-02 03:04:05.5 +09:00\n",
            columns: [("l", "long"), ("d", "double"), ("b", "boolean"), ("t", "timestamp")],
            options: [("skip_header_lines", .scalar("1"))])
        #expect(r.rows.count == 2)
        #expect(r.rows[0] == [.long(1), .double(2.5), .boolean(true), .timestamp(Timestamp(seconds: 1_704_164_645))])
        #expect(r.rows[1][1] == .double(1000))
        #expect(r.rows[1][2] == .boolean(false))
        #expect(r.rows[1][3] == .timestamp(Timestamp(seconds: 1_704_164_645 - 9 * 3600, nanosecond: 500_000_000)))
        #expect(r.rejects.count == 1)
        #expect(r.rejects[0].code == .cast)
        #expect(r.rejects[0].line == 3)
        #expect(r.rejects[0].column == "l")
        #expect(r.rejects[0].rawText == "x,1,true,2024-01-01 00:00:00")
    }

    @Test func longOverflowIsRejectedNotWrapped() throws {
        let r = try parse("9223372036854775807\n9223372036854775808\n-9223372036854775808\n", columns: [("a", "long")])
        #expect(r.rows == [[.long(Int64.max)], [.long(Int64.min)]])
        #expect(r.rejects.map(\.line) == [2])
    }

    @Test func columnCountRules() throws {
        let r = try parse("1,2\n1\n1,2,3\n", columns: [("a", "long"), ("b", "long")])
        #expect(r.rows == [[.long(1), .long(2)]])
        #expect(r.rejects.map(\.code) == [.tooFewColumns, .tooManyColumns])
        let r2 = try parse(
            "1\n1,2,3\n", columns: [("a", "long"), ("b", "long")],
            options: [("allow_optional_columns", .scalar("true")), ("allow_extra_columns", .scalar("true"))])
        #expect(r2.rows == [[.long(1), .null], [.long(1), .long(2)]])
    }

    @Test func unterminatedQuoteRejectsOnlyItsLine() throws {
        let r = try parse(
            "1,ok\n2,\"broken\n3,fine\n4,also fine\n", columns: [("a", "long"), ("b", "string")],
            options: [("max_quoted_size_limit", .scalar("100"))])
        // The stray quote swallows to the end of the file: only line 2 is rejected, the rest is re-read.
        #expect(r.rows == [[.long(1), s("ok")], [.long(3), s("fine")], [.long(4), s("also fine")]])
        #expect(r.rejects.count == 1)
        #expect(r.rejects[0].code == .unterminatedQuote)
        #expect(r.rejects[0].line == 2)
        #expect(r.rejects[0].rawText == "2,\"broken")
    }

    @Test func quotedSizeLimitRejectsFirstLine() throws {
        let big = String(repeating: "x", count: 50)
        let r = try parse(
            "1,\"\(big)\n2,b\n3,c\n", columns: [("a", "long"), ("b", "string")],
            options: [("max_quoted_size_limit", .scalar("20"))])
        #expect(r.rows == [[.long(2), s("b")], [.long(3), s("c")]])
        #expect(r.rejects.map(\.code) == [.lineTooLong])
    }

    @Test func characterAfterClosingQuote() throws {
        let r = try parse("1,\"a\"b\n2,c\n", columns: [("a", "long"), ("b", "string")])
        #expect(r.rows == [[.long(2), s("c")]])
        #expect(r.rejects.map(\.code) == [.invalidQuote])
        let r2 = try parse(
            "1,\"a\"b\"\n", columns: [("a", "long"), ("b", "string")],
            options: [("quotes_in_quoted_fields", .scalar("ACCEPT_STRAY_QUOTES_ASSUMING_NO_DELIMITERS_IN_FIELDS"))])
        #expect(r2.rows == [[.long(1), s("a\"b")]])
    }

    @Test func byteOrderMarkIsNotData() throws {
        let r = try parse("\u{FEFF}a\n", columns: [("v", "string")])
        #expect(r.rows == [[s("a")]])
    }

    @Test func trimIfNotQuoted() throws {
        let r = try parse(
            "  a  ,  \"b \"  , 1 \n", columns: [("x", "string"), ("y", "string"), ("z", "long")],
            options: [("trim_if_not_quoted", .scalar("true"))])
        #expect(r.rows == [[s("a"), s("b "), .long(1)]])
    }

    @Test func quoteDisabled() throws {
        let r = try parse("\"a\",b\n", columns: [("x", "string"), ("y", "string")], options: [("quote", ConfigNode(.null))])
        #expect(r.rows == [[s("\"a\""), s("b")]])
    }

    @Test func invalidUTF8IsRejected() throws {
        var bytes = Array("1,ok\n2,".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("\n".utf8)
        let cols = ConfigNode(.sequence([
            .mapping([("name", .scalar("a")), ("type", .scalar("long"))]),
            .mapping([("name", .scalar("b")), ("type", .scalar("string"))]),
        ]))
        let plugin = try CSVParserPlugin(config: PluginConfig(node: .mapping([("columns", cols)]), path: "in.parser"))
        let ctx = PluginContext(workingDirectory: "", sessionTime: Timestamp(nanos: 0), logger: .silent)
        let r = try PluginVerifier.verifyParser(
            input: bytes, makeParser: { try plugin.makeParser(for: InputTask(name: "t.csv"), context: ctx) },
            mismatch: { Issue.record(Comment(rawValue: $0)) })
        #expect(r.rows.count == 1)
        #expect(r.rejects.map(\.code) == [.invalidEncoding])
    }

    @Test func unknownOptionSuggestsNearest() throws {
        let cols = ConfigNode(.sequence([.mapping([("name", .scalar("a")), ("type", .scalar("long"))])]))
        let node = ConfigNode.mapping([("columns", cols), ("delimter", .scalar(";"))])
        do {
            _ = try CSVParserPlugin(config: PluginConfig(node: node, path: "in.parser"))
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.path == "in.parser.delimter")
            #expect(e.description.contains("did you mean 'delimiter'?"))
        }
    }

    @Test func badColumnTypeNamesTheColumn() throws {
        let cols = ConfigNode(.sequence([.mapping([("name", .scalar("a")), ("type", .scalar("integer"))])]))
        do {
            _ = try CSVParserPlugin(config: PluginConfig(node: .mapping([("columns", cols)]), path: "in.parser"))
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.path == "in.parser.columns[0].type")
            #expect(e.message.contains("'integer' is not a column type"))
        }
    }

    @Test func stopOnInvalidRecordThrows() throws {
        #expect(throws: DataError.self) {
            _ = try parse("x\n", columns: [("a", "long")], options: [("stop_on_invalid_record", .scalar("true"))])
        }
    }
}
