import KuraCore
import KuraFormats
import KuraTestSupport
import ParserJSON
import Testing

@Suite struct JSONParserTests {
    @Test func jsonLinesBecomeCompactRecords() throws {
        let input = """
            {"id": 1, "big": 1234567890123456789012345678901234567890, "f": 1.000000000000000000001}
            { "s" : "a\\u0041\\n\\"" , "n" : { "x" : [ 1 , 2 ] } }

            {}

            """
        let r = try parse(input)
        #expect(r.rejects.isEmpty)
        #expect(
            jsonTexts(r.rows) == [
                "{\"id\":1,\"big\":1234567890123456789012345678901234567890,\"f\":1.000000000000000000001}",
                "{\"s\":\"a\\u0041\\n\\\"\",\"n\":{\"x\":[1,2]}}",
                "{}",
            ])
        #expect(try jsonPlugin().schema == Schema([("record", .json)]))
    }

    @Test func nonObjectValuesAreRejectedAsEmbulkDoes() throws {
        let input = """
            {"_c0":true,"_c1":10,"_c2":"embulk","_c3":{"k":"v"}}
            {}
            {
            "_c0":false,
            "_c1":-10,
            "_c2":"エンバルク",
            "_c3":["e0","e1"]
            }
            [1, 2, 3]
            "embulk"
            10
            true
            false
            null

            """
        let r = try parse(input)
        #expect(r.rows.count == 3)
        #expect(jsonTexts(r.rows)[2] == "{\"_c0\":false,\"_c1\":-10,\"_c2\":\"エンバルク\",\"_c3\":[\"e0\",\"e1\"]}")
        #expect(r.rejects.map(\.code) == Array(repeating: .unexpectedJSON, count: 6))
        #expect(r.rejects.map(\.line) == [9, 10, 11, 12, 13, 14])
        #expect(r.rejects[0].message.contains("flatten_json_array"))
        #expect(r.rejects[1].rawText == "\"embulk\"")
        #expect(r.rejects.allSatisfy { $0.file == "events.jsonl" })
    }

    @Test func invalidJSONIsRejectedAndReadingResumesOnTheNextLine() throws {
        let input = "{\"a\":1}\n{\"a\": x, \"b\": 2}\n{\"a\":3}\n{\"a\":\"unterminated\n{\"a\":5}\n"
        let r = try parse(input)
        #expect(jsonTexts(r.rows) == ["{\"a\":1}", "{\"a\":3}", "{\"a\":5}"])
        #expect(r.rejects.count == 2)
        let first = r.rejects[0]
        #expect(first.code == .invalidJSON)
        #expect(first.line == 2)
        #expect(first.byteOffset == 8)
        #expect(first.rawText == "{\"a\": x, \"b\": 2}")
        #expect(first.message.contains("at byte 14"))
        #expect(first.message.contains("expected a JSON value"))
        #expect(r.rejects[1].line == 4)
        #expect(r.rejects[1].message.contains("control character"))
        #expect(r.rejects[1].rawText == "{\"a\":\"unterminated")
    }

    @Test func crlfLinesAndErrorsFoundOnALaterLine() throws {
        let r = try parse("{\"a\":1}\r\n{bad}\r\n{\"a\":2}\r\n")
        #expect(jsonTexts(r.rows) == ["{\"a\":1}", "{\"a\":2}"])
        #expect(r.rejects.map(\.rawText) == ["{bad}"])
        #expect(r.rejects.map(\.line) == [2])
        // An unfinished value runs into the next line; the error is found there, so both lines go.
        let r2 = try parse("{\"a\":{\n{\"b\":1}\n{\"c\":1}\n")
        #expect(jsonTexts(r2.rows) == ["{\"c\":1}"])
        #expect(r2.rejects.map(\.line) == [1])
        #expect(r2.rejects[0].message.contains("(line 2)"))
        #expect(r2.rejects[0].rawText == "{\"a\":{\n{\"b\":1}")
    }

    @Test func truncatedLastValueIsRejectedAtTheEnd() throws {
        let r = try parse("{\"a\":1}\n{\"b\":[1,2")
        #expect(jsonTexts(r.rows) == ["{\"a\":1}"])
        #expect(r.rejects.count == 1)
        #expect(r.rejects[0].line == 2)
        #expect(r.rejects[0].message.contains("end of the input"))
        #expect(r.rejects[0].rawText == "{\"b\":[1,2")
    }

    @Test func everyInvalidDocumentIsOneRejectAndNeverStopsTheStream() throws {
        var input: [UInt8] = []
        var expectedRejects = 0
        // Each invalid document becomes a member value. Left out: `{"a":1}}` closes the wrapper early, and `{`
        // makes a valid prefix that runs into the next line (the error is then found there).
        for doc in JSONConformanceCases.invalid where !doc.contains("\n") && doc != "{\"a\":1}}" && doc != "{" {
            input += Array("{\"v\":\(doc)}\n{\"ok\":true}\n".utf8)
            expectedRejects += 1
        }
        for bytes: [UInt8] in [[0x22, 0xC3, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] {
            input += Array("{\"v\":".utf8) + bytes + Array("}\n{\"ok\":true}\n".utf8)
            expectedRejects += 1
        }
        let r = try parse(input)
        #expect(r.rows.count == expectedRejects)
        #expect(r.rows.filter { $0 != [.json("{\"ok\":true}")] } == [])
        #expect(r.rejects.count == expectedRejects)
        #expect(r.rejects.suffix(3).allSatisfy { $0.code == .invalidEncoding })
        #expect(r.rejects.dropLast(3).allSatisfy { $0.code == .invalidJSON })
        #expect(r.rejects.map(\.line) == (0..<expectedRejects).map { $0 * 2 + 1 })
    }

    @Test func validDocumentsInsideRecordsKeepTheirCompactForm() throws {
        var input = ""
        var expected: [String] = []
        for (doc, compact) in JSONConformanceCases.valid {
            input += "{\"v\":\(doc)}\n"
            expected.append("{\"v\":\(compact)}")
        }
        let r = try parse(input)
        #expect(r.rejects.isEmpty)
        #expect(jsonTexts(r.rows) == expected)
    }

    @Test func rowAccountingAddsUp() throws {
        let input = "{\"a\":1} {\"a\":2}{\"a\":3}\n[1]\n{bad}\n\"s\"\n{\"a\":4}\n{\"a\":"
        let r = try parse(input)
        #expect(r.rows.count == 4)
        #expect(r.rejects.count == 4)
        #expect(r.rejects.map(\.code) == [.unexpectedJSON, .invalidJSON, .unexpectedJSON, .invalidJSON])
        #expect(r.rejects.map(\.line) == [2, 3, 4, 6])
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let r = try parse([0xEF, 0xBB, 0xBF] + Array("{\"a\":1}\n{\"a\":2}".utf8))
        #expect(jsonTexts(r.rows) == ["{\"a\":1}", "{\"a\":2}"])
        #expect(r.rejects.isEmpty)
        // A BOM later in the stream is not whitespace.
        let r2 = try parse(Array("{\"a\":1}\n".utf8) + [0xEF, 0xBB, 0xBF] + Array("{\"a\":2}\n".utf8))
        #expect(r2.rows.count == 1)
        #expect(r2.rejects.map(\.code) == [.invalidJSON])
    }

    @Test func largeRecordsSpanChunks() throws {
        let long = String(repeating: "xyzé", count: 3000)
        let input = "{\"a\":\"\(long)\",\"b\":[\(Array(repeating: "1.5", count: 500).joined(separator: ","))]}\n{\"c\":1}"
        let r = try parse(input)
        #expect(r.rejects.isEmpty)
        #expect(r.rows.count == 2)
        #expect(jsonTexts(r.rows)[0].count == input.split(separator: "\n")[0].count)
        #expect(jsonTexts(r.rows)[1] == "{\"c\":1}")
    }

    @Test func pagesHoldAtMost4096Records() throws {
        let plugin = try jsonPlugin()
        let parser = try plugin.makeParser(for: InputTask(name: "t"), context: testContext)
        let sink = CollectingSink()
        let input = Array(String(repeating: "{\"a\":1}\n", count: 5000).utf8)
        try input.withUnsafeBytes { try parser.push($0, to: sink) }
        try parser.finish(to: sink)
        #expect(sink.pages == 2)
        #expect(sink.rows.count == 5000)
    }

    @Test func stopOnInvalidRecordThrowsTheDataError() throws {
        let plugin = try jsonPlugin(["stop_on_invalid_record": "true"])
        for input in ["[1, 2, 3]\n", "{\"a\":1}\n{\"_c0\":true,\"_c1\":10,", "{\"a\": nope}\n{\"b\":1}\n"] {
            let parser = try plugin.makeParser(for: InputTask(name: "t"), context: testContext)
            let sink = CollectingSink()
            #expect(throws: DataError.self) {
                try Array(input.utf8).withUnsafeBytes { try parser.push($0, to: sink) }
                try parser.finish(to: sink)
            }
            #expect(sink.rejects.isEmpty)
        }
    }

    @Test func invalidUTF8IsAnEncodingReject() throws {
        let r = try parse(Array("{\"a\":\"".utf8) + [0xC3, 0x28] + Array("\"}\n{\"a\":\"é\"}\n".utf8))
        #expect(r.rejects.map(\.code) == [.invalidEncoding])
        #expect(r.rejects[0].message.contains("byte 6"))
        #expect(jsonTexts(r.rows) == ["{\"a\":\"é\"}"])
    }

    @Test func depthLimitRejectsTheRecord() throws {
        let ok = "{\"a\":" + String(repeating: "[", count: 999) + String(repeating: "]", count: 999) + "}"
        let deep = "{\"a\":" + String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000) + "}"
        let r = try parse(ok + "\n" + deep + "\n{\"b\":1}\n")
        #expect(r.rows.count == 2)
        #expect(r.rejects.count == 1)
        #expect(r.rejects.first?.message.contains("deeper than 1000") == true)
    }

    @Test func invalidStringEscapesOption() throws {
        let input = "{\"\\a\":\"b\"}\n"
        #expect(try parse(input).rejects.map(\.code) == [.invalidJSON])
        #expect(try parse(input, ["invalid_string_escapes": "PASSTHROUGH"]).rejects.map(\.code) == [.invalidJSON])
        #expect(jsonTexts(try parse(input, ["invalid_string_escapes": "SKIP"]).rows) == ["{\"\":\"b\"}"])
        #expect(jsonTexts(try parse(input, ["invalid_string_escapes": "UNESCAPE"]).rows) == ["{\"a\":\"b\"}"])
    }

    @Test func rootPicksTheRecord() throws {
        let input = """
            {"_c0":{"b": 1}, "_c1": true}
            {}
            {"_c0": 1}
            {"_c0":{"b": 2}, "_c1": false}

            """
        let r = try parse(input, ["root": "/_c0"])
        #expect(jsonTexts(r.rows) == ["{\"b\":1}", "{\"b\":2}"])
        #expect(r.rejects.map(\.code) == [.unexpectedJSON, .unexpectedJSON])
        #expect(r.rejects.map(\.line) == [2, 3])
        #expect(r.rejects[0].message.contains("root '/_c0'"))
    }

    @Test func flattenJSONArray() throws {
        let r = try parse("[{\"_c0\": 1},{\"_c0\": 2}]\n[]\n[ {\"_c0\": 3} , 4 ]\n{\"_c0\": 5}\n", ["flatten_json_array": "true"])
        #expect(jsonTexts(r.rows) == ["{\"_c0\":1}", "{\"_c0\":2}", "{\"_c0\":3}"])
        #expect(r.rejects.map(\.code) == [.unexpectedJSON, .unexpectedJSON])
        #expect(r.rejects.map(\.rawText) == ["4", "{\"_c0\": 5}"])
        #expect(r.rejects[1].message.contains("needs an array"))

        let withRoot = try parse("{\"a\": [{\"_c0\": 1},{\"_c0\": 2}]}\n", ["flatten_json_array": "true", "root": "/a"])
        #expect(jsonTexts(withRoot.rows) == ["{\"_c0\":1}", "{\"_c0\":2}"])

        let typed = try parse(
            "{\"a\": [{\"x\": 1, \"y\": \"p\"},{\"x\": \"2\"}, {\"x\": 1.5}]}\n",
            ["flatten_json_array": "true", "root": "/a", "columns": [["name": "x", "type": "long"], ["name": "y", "type": "string"]]])
        #expect(typed.rows == [[.long(1), .string("p")], [.long(2), .null]])
        #expect(typed.rejects.map(\.code) == [.cast])
    }

    @Test func typedColumnsWithEmbulkPointers() throws {
        let columns: ConfigNode = [
            ["name": "_c0", "type": "long", "element_at": "/a/0"],
            ["name": "_c1", "type": "double", "element_at": "/a/1"],
            ["name": "_c2", "type": "string", "element_at": "/a/2"],
            ["name": "_c3", "type": "boolean", "element_at": "/a/3/b/0"],
            ["name": "_c4", "type": "timestamp", "element_at": "/a/3/b/1"],
            ["name": "_c5", "type": "json", "element_at": "/c"],
            ["name": "_c99", "type": "json", "element_at": "/d"],
        ]
        let r = try parse(
            "{\"a\": [1, 1.234, \"foo\", {\"b\": [true, \"2019-01-02 03:04:56\"]}], \"c\": {\"a\": 1}}\n",
            ["columns": columns])
        #expect(r.rejects.isEmpty)
        let t = Timestamp(nanos: CivilTime(year: 2019, month: 1, day: 2, hour: 3, minute: 4, second: 56).epochSeconds * 1_000_000_000)
        #expect(r.rows == [[.long(1), .double(1.234), .string("foo"), .boolean(true), .timestamp(t), .json("{\"a\":1}"), .null]])
        #expect(try jsonPlugin(["columns": columns]).schema.names == ["_c0", "_c1", "_c2", "_c3", "_c4", "_c5", "_c99"])
    }

    @Test func typedConversions() throws {
        let config: ConfigNode = [
            "columns": [
                ["name": "id", "type": "long"],
                ["name": "price", "type": "double"],
                ["name": "flag", "type": "boolean"],
                ["name": "when", "type": "timestamp"],
                ["name": "text", "type": "string"],
                ["name": "raw", "type": "json"],
            ]
        ]
        let input = """
            {"id": 9007199254740993, "price": 0.1, "flag": "yes", "when": "2024-01-01T00:00:01Z", "text": 12.50, "raw": 1234567890123456789012345678901234567890}
            {"id": "42", "price": "2.5", "flag": false, "when": 1700000000.5, "text": {"k": [1, "v"]}, "raw": "a\\u0041"}
            {"id": null, "text": "caf\\u00e9 \\ud83d\\ude00\\n", "raw": [ 1.000000000000000000001 ]}
            {"id": 1.5}
            {"id": 12345678901234567890}
            {"price": true}
            {"flag": "maybe"}
            {"when": "yesterday"}
            {"text": "\\ud800"}

            """
        let r = try parse(input, config)
        #expect(
            r.rows == [
                [.long(9_007_199_254_740_993), .double(0.1), .boolean(true), .timestamp(Timestamp(seconds: 1_704_067_201)), .string("12.50"), .json("1234567890123456789012345678901234567890")],
                [.long(42), .double(2.5), .boolean(false), .timestamp(Timestamp(nanos: 1_700_000_000_500_000_000)), .string("{\"k\":[1,\"v\"]}"), .json("\"a\\u0041\"")],
                [.null, .null, .null, .null, .string("café 😀\n"), .json("[1.000000000000000000001]")],
            ])
        #expect(r.rejects.map(\.code) == Array(repeating: .cast, count: 6))
        #expect(r.rejects.map(\.column) == ["id", "id", "price", "flag", "when", "text"])
        #expect(r.rejects.map(\.line) == [4, 5, 6, 7, 8, 9])
        #expect(r.rejects[0].message.contains("use type double"))
        #expect(r.rejects[1].message.contains("64-bit"))
        #expect(r.rejects[5].message.contains("invalid_string_escapes"))
        #expect(r.rejects[0].rawText == "{\"id\": 1.5}")

        let unescape = try parse("{\"text\": \"a\\ud800b\"}\n", ["invalid_string_escapes": "UNESCAPE", "columns": [["name": "text", "type": "string"]]])
        #expect(unescape.rows == [[.string("a\u{FFFD}b")]])
        let skip = try parse("{\"text\": \"a\\ud800b\\qc\"}\n", ["invalid_string_escapes": "SKIP", "columns": [["name": "text", "type": "string"]]])
        #expect(skip.rows == [[.string("abc")]])
    }

    @Test func typedColumnsNeedObjectsAndRoot() throws {
        let config: ConfigNode = ["root": "/data", "columns": [["name": "a/b", "type": "long"], ["name": "m~n", "type": "long"], ["name": "x", "type": "long", "element_at": "/deep/0/x"]]]
        let r = try parse("{\"data\": {\"a/b\": 1, \"m~n\": 2, \"deep\": [{\"x\": 3}]}}\n{\"data\": [1]}\n{\"other\": 1}\n{\"data\":{\"a/b\":4,\"a/b\":5}}\n", config)
        #expect(r.rows == [[.long(1), .long(2), .long(3)], [.long(5), .null, .null]])
        #expect(r.rejects.map(\.code) == [.unexpectedJSON, .unexpectedJSON])
    }

    @Test func escapedKeysMatchColumns() throws {
        let r = try parse("{\"\\u0069d\": 7, \"n\\u00e9\": \"x\"}\n", ["columns": [["name": "id", "type": "long"], ["name": "né", "type": "string"]]])
        #expect(r.rows == [[.long(7), .string("x")]])
    }

    @Test func configErrors() throws {
        #expect(throws: ConfigError.self) { try jsonPlugin(["charset": "KOI8-R"]) }
        #expect(throws: ConfigError.self) { try jsonPlugin(["root": "data"]) }
        #expect(throws: ConfigError.self) { try jsonPlugin(["columns": [["name": "a", "type": "long", "element_at": "a"]]]) }
        #expect(throws: ConfigError.self) { try jsonPlugin(["columns": [["name": "a", "type": "integer"]]]) }
        #expect(throws: ConfigError.self) { try jsonPlugin(["invalid_string_escapes": "DROP"]) }
        #expect(throws: ConfigError.self) { try jsonPlugin(["stop_on_invalid": "true"]) }
        #expect(throws: ConfigError.self) { try jsonPlugin(["columns": [["name": "t", "type": "timestamp", "timezone": "Mars/Olympus"]]]) }
        do {
            _ = try jsonPlugin(["charset": "latin9"])
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.path == "in.parser.charset")
            #expect(e.message.contains("'latin9' is not supported"))
            #expect(e.fix?.contains("UTF-16LE") == true)
        }
        // Accepted and ignored, as in Embulk.
        _ = try jsonPlugin(["charset": "utf-8", "newline": "LF", "columns": []])
        let options = try jsonPlugin().options
        #expect(options.stopOnInvalidRecord == false)
        #expect(options.invalidStringEscapes == .passthrough)
        #expect(options.flattenJSONArray == false)
        #expect(options.root == nil)
        #expect(options.timestamps.timezone == "UTC")
        #expect(options.timestamps.format == TimestampParser.defaultFormat)
        #expect(options.timestamps.date == "1970-01-01")
        #expect(options.timestamps.dstPolicy == .earlier)
    }

    @Test func dstPolicyResolvesOrRejectsALocalTimeInAGap() throws {
        // 02:30 on 2024-03-10 does not exist in New York: earlier reads it as 07:30Z, later as 06:30Z.
        let input = "{\"t\":\"2024-03-10 02:30:00\"}\n"
        func config(_ policy: String?) -> ConfigNode {
            var pairs: [(String, ConfigNode)] = [
                ("columns", [["name": "t", "type": "timestamp", "format": "%Y-%m-%d %H:%M:%S"]]),
                ("default_timezone", "America/New_York"),
            ]
            if let policy { pairs.append(("dst_policy", ConfigNode.scalar(policy))) }
            return .mapping(pairs)
        }
        #expect(try parse(input, config(nil)).rows == [[.timestamp(Timestamp(seconds: 1_710_055_800))]])
        #expect(try parse(input, config("later")).rows == [[.timestamp(Timestamp(seconds: 1_710_052_200))]])
        let strict = try parse(input, config("error"))
        #expect(strict.rows.isEmpty)
        #expect(strict.rejects.map(\.code) == [.cast])
    }

    @Test func descriptorExampleParses() throws {
        let d = JSONParserPlugin.descriptor
        #expect(d.name == "json")
        #expect(d.kind == .parser)
        #expect(!d.summary.isEmpty)
        #expect(d.example.contains("type: json"))
    }
}
