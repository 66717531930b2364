import KuraCore
import KuraTestSupport
@_spi(Testing) import ParserCSV
import Testing

/// `max_record_size`: a record that does not end within the limit is rejected with `RECORD_TOO_LARGE`, the rest of
/// its line is skipped, and the records around it load (whole, byte by byte and at random splits).
@Suite struct CSVRecordLimitTests {
    static let columns = [("id", "long"), ("v", "string")]
    static let limit: [(String, ConfigNode)] = [("max_record_size", .scalar("1024"))]

    func expectTooLarge(_ r: (rows: [[Value]], rejects: [DataError]), line: Int, length: Int64) {
        #expect(r.rejects.map(\.code) == [.recordTooLarge])
        #expect(r.rejects.first?.line == line)
        #expect(r.rejects.first?.length == length)
        #expect((r.rejects.first?.raw.count ?? 0) <= 1024 + DataError.rawLimit)
        #expect(r.rejects.first?.message.contains("max_record_size (1024 bytes)") == true)
    }

    @Test func anUnquotedHugeFieldIsRejectedAndTheNextRecordsLoad() throws {
        let huge = String(repeating: "x", count: 5000)
        let r = try parse("1,a\n2,\(huge)\n3,c\n", columns: Self.columns, options: Self.limit)
        #expect(r.rows == [[.long(1), s("a")], [.long(3), s("c")]])
        expectTooLarge(r, line: 2, length: 5002)
        #expect(r.rejects.first?.byteOffset == 4)
    }

    @Test func aQuotedHugeFieldIsRejectedAndTheNextRecordsLoad() throws {
        let huge = String(repeating: "y,\"\"", count: 1500)
        let r = try parse("1,a\r\n2,\"\(huge)\"\r\n3,c\r\n", columns: Self.columns, options: Self.limit)
        #expect(r.rows == [[.long(1), s("a")], [.long(3), s("c")]])
        expectTooLarge(r, line: 2, length: 6004)
    }

    @Test func aHugeMultiLineQuotedRecordRejectsItsFirstLine() throws {
        let lines = String(repeating: String(repeating: "z", count: 99) + "\n", count: 20)
        let r = try parse("1,a\n2,\"\(lines)\"\n3,c\n", columns: Self.columns, options: Self.limit)
        #expect(r.rejects.first?.code == .recordTooLarge)
        #expect(r.rejects.first?.line == 2)
        #expect(r.rows.first == [.long(1), s("a")])
        #expect(r.rows.last == [.long(3), s("c")])
    }

    @Test func aLastLineWithoutALineBreakIsRejected() throws {
        let r = try parse("1,a\n2,b\n" + String(repeating: "w", count: 3000), columns: Self.columns, options: Self.limit)
        #expect(r.rows == [[.long(1), s("a")], [.long(2), s("b")]])
        expectTooLarge(r, line: 3, length: 3000)
    }

    @Test func aRecordAtTheLimitLoadsAndOneByteMoreIsRejected() throws {
        // 1024 bytes with the line feed: "9," + 1021 bytes + "\n".
        let fits = "9," + String(repeating: "f", count: 1021)
        let r = try parse("\(fits)\n\(fits)g\n", columns: Self.columns, options: Self.limit)
        #expect(r.rows == [[.long(9), s(String(fits.dropFirst(2)))]])
        expectTooLarge(r, line: 2, length: 1024)
    }

    @Test func longHeaderAndCommentLinesAreSkippedWithoutRejects() throws {
        let long = String(repeating: "h", count: 4000)
        let r = try parse(
            "\(long)\n#\(long)\n1,a\n", columns: Self.columns,
            options: Self.limit + [("skip_header_lines", .scalar("1")), ("comment_line_marker", .scalar("#"))])
        #expect(r.rows == [[.long(1), s("a")]])
        #expect(r.rejects.isEmpty)
    }

    @Test func bothTokenizersAgreeOnOversizedRecords() throws {
        let huge = String(repeating: "q", count: 3000)
        for input in ["1,a\n2,\(huge)\n3,c\n", "1,\"\(huge)\"\n3,c\n", "1,\(huge)"] {
            let node = ConfigNode.mapping(
                [("columns", ConfigNode(.sequence(Self.columns.map { ConfigNode.mapping([("name", .scalar($0.0)), ("type", .scalar($0.1))]) })))]
                    + Self.limit)
            let plugin = try CSVParserPlugin(config: PluginConfig(node: node, path: "in.parser"))
            let ctx = PluginContext(workingDirectory: "", sessionTime: Timestamp(nanos: 0), logger: .silent)
            var results: [[DataErrorCode]] = []
            for fast in [true, false] {
                let r = try PluginVerifier.verifyParser(
                    input: Array(input.utf8),
                    makeParser: { try plugin.makeParser(for: InputTask(name: "t.csv"), context: ctx, fastScan: fast) },
                    mismatch: { Issue.record(Comment(rawValue: $0)) })
                results.append(r.rejects.map(\.code))
            }
            #expect(results[0] == results[1])
            #expect(results[0] == [.recordTooLarge])
        }
    }

    @Test func invalidBytesInASkippedLineDoNotReachTheNextRecords() throws {
        let input = Array("1,a\n2,".utf8) + [UInt8](repeating: 0xFF, count: 3000) + Array("\n3,c\n".utf8)
        for policy in ["reject", "replace"] {
            let r = try parseBytes(input, columns: Self.columns, options: Self.limit + [("invalid_utf8", .scalar(policy))])
            #expect(r.rows == [[.long(1), s("a")], [.long(3), s("c")]])
            #expect(r.rejects.map(\.code) == [.recordTooLarge])
            #expect(r.rejects.first?.line == 2)
        }
    }

    @Test func theOptionHasADefaultAndAFloor() throws {
        func plugin(_ options: [(String, ConfigNode)]) throws -> CSVParserPlugin {
            let cols = ConfigNode(.sequence([ConfigNode.mapping([("name", .scalar("v")), ("type", .scalar("string"))])]))
            return try CSVParserPlugin(config: PluginConfig(node: .mapping([("columns", cols)] + options), path: "in.parser"))
        }
        #expect(try plugin([]).options.maxRecordSize == 16 * 1024 * 1024)
        #expect(try plugin([("max_record_size", .scalar("1048576"))]).options.maxRecordSize == 1_048_576)
        #expect(throws: ConfigError.self) { try plugin([("max_record_size", .scalar("8"))]) }
    }
}
