import KuraCore
import KuraTestSupport
import Testing

@_spi(Testing) import ParserCSV

/// The bitmap tokenizer against the general one: on random inputs full of quotes, delimiters, line breaks and
/// escapes, under many dialects, both must give the same rows and the same rejects (reason and line).
@Suite struct CSVFastScanTests {
    /// SplitMix64: a small, seedable generator, so a failure names the seed that reproduces it.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let dialects: [[(String, ConfigNode)]] = [
        [],
        [("escape", .scalar("\""))],
        [("escape", ConfigNode(.null))],
        [("quote", ConfigNode(.null)), ("escape", ConfigNode(.null))],
        [("quote", .scalar("'")), ("escape", .scalar("'"))],
        [("delimiter", .scalar("\t")), ("escape", .scalar("\""))],
        [("line_delimiter_recognized", .scalar("LF")), ("escape", .scalar("\""))],
        [("line_delimiter_recognized", .scalar("CRLF"))],
        [("comment_line_marker", .scalar("#")), ("escape", .scalar("\""))],
        [("allow_optional_columns", .scalar("true")), ("allow_extra_columns", .scalar("true"))],
        [("max_quoted_size_limit", .scalar("40")), ("escape", .scalar("\""))],
        [("null_string", .scalar("NA"))],
        [("delimiter", ConfigNode(.scalar(" ", quoted: true))), ("quote", .scalar("'"))],
        [("delimiter", ConfigNode(.scalar(" ", quoted: true)))],
        [("delimiter", ConfigNode(.scalar(" ", quoted: true))), ("escape", .scalar("\""))],
        [("delimiter", ConfigNode(.scalar(" ", quoted: true))), ("allow_extra_columns", .scalar("true"))],
    ]

    /// Pieces records are made of: plain text, structure, and text long enough to cross 64-byte blocks.
    static let pieces: [String] = [
        "a", "bc", "12", "é", " ", "   ", "''", ",", ",", ",", "\t", "\"", "\"\"", "'", "\\", "\\\"", "\n", "\n", "\r\n", "\r", "#",
        "NA", String(repeating: "x", count: 70), "\"" + String(repeating: "y", count: 60) + "\"",
        "\"{\"\"k\"\":\"\"v\"\"}\"", "\"q,\"\"w\"\"\"",
    ]

    func run(_ input: [UInt8], _ options: [(String, ConfigNode)], fast: Bool) throws -> CollectingSink {
        let cols = ConfigNode(
            .sequence((0..<3).map { ConfigNode.mapping([("name", .scalar("c\($0)")), ("type", .scalar("string"))]) }))
        let plugin = try CSVParserPlugin(config: PluginConfig(node: .mapping([("columns", cols)] + options), path: "in.parser"))
        let ctx = PluginContext(workingDirectory: "", sessionTime: Timestamp(nanos: 0), logger: .silent)
        let parser = try plugin.makeParser(for: InputTask(name: "t.csv"), context: ctx, fastScan: fast)
        let sink = CollectingSink()
        try input.withUnsafeBytes { try parser.push($0, to: sink) }
        try parser.finish(to: sink)
        return sink
    }

    /// A reject as reason, line and column, for comparing the two tokenizers.
    func summary(_ e: DataError) -> String { "\(e.code) \(e.line ?? 0) \(e.column ?? "")" }

    @Test(arguments: 0..<12)
    func bothTokenizersAgree(seed: Int) throws {
        var rng = Random(state: UInt64(seed) &* 7919 &+ 17)
        var fastRecords = 0
        for round in 0..<150 {
            var text = ""
            for _ in 0..<(1 + rng.below(60)) { text += Self.pieces[rng.below(Self.pieces.count)] }
            // Mostly well-formed lines too, so the fast path is taken as well as refused.
            for _ in 0..<rng.below(6) {
                text += "p\(rng.below(100)),\"q \"\"\(rng.below(9))\"\" r\"," + String(repeating: "z", count: rng.below(90)) + "\n"
            }
            let input = Array(text.utf8)
            let options = Self.dialects[(seed + round) % Self.dialects.count]
            let fast = try run(input, options, fast: true)
            let slow = try run(input, options, fast: false)
            #expect(fast.rows == slow.rows, "seed \(seed) round \(round) options \(options.map(\.0)) input \(text.debugDescription)")
            #expect(
                fast.rejects.map(summary) == slow.rejects.map(summary),
                "seed \(seed) round \(round) options \(options.map(\.0)) input \(text.debugDescription)")
            fastRecords += fast.rows.count
        }
        #expect(fastRecords > 0)
    }

    /// Every golden case gives the same rows and rejects on both tokenizers (the fast one where the dialect allows).
    @Test(arguments: CSVConformance.cases)
    func goldenCasesAgree(_ c: CSVCase) throws {
        let cols = ConfigNode(
            .sequence(c.columns.map { ConfigNode.mapping([("name", .scalar($0.0)), ("type", .scalar($0.1))]) }))
        let plugin = try CSVParserPlugin(config: PluginConfig(node: .mapping([("columns", cols)] + c.options), path: "in.parser"))
        let ctx = PluginContext(workingDirectory: "", sessionTime: Timestamp(nanos: 0), logger: .silent)
        var results: [CollectingSink] = []
        for fast in [true, false] {
            let parser = try plugin.makeParser(for: InputTask(name: "t.csv"), context: ctx, fastScan: fast)
            let sink = CollectingSink()
            try c.input.withUnsafeBytes { try parser.push($0, to: sink) }
            try parser.finish(to: sink)
            results.append(sink)
        }
        #expect(results[0].rows == c.rows, "\(c.name)")
        #expect(results[0].rows == results[1].rows, "\(c.name)")
        #expect(results[0].rejects.map(summary) == results[1].rejects.map(summary), "\(c.name)")
    }

    @Test func longQuotedFieldsAcrossBlocksWithDoubledQuotes() throws {
        // Fields that start and end in different 64-byte blocks, with doubled quotes on both sides of a boundary.
        var text = ""
        for i in 0..<200 {
            let pad = String(repeating: "w", count: i % 67)
            text += "\(pad),\"\(pad)\"\"x\"\"\(String(repeating: "v", count: (i * 7) % 71))\",\"\"\"\"\n"
        }
        let fast = try run(Array(text.utf8), [("escape", .scalar("\""))], fast: true)
        let slow = try run(Array(text.utf8), [("escape", .scalar("\""))], fast: false)
        #expect(fast.rejects.isEmpty)
        #expect(fast.rows.count == 200)
        #expect(fast.rows == slow.rows)
        #expect(fast.rows[5] == [.string("wwwww"), .string("wwwww\"x\"" + String(repeating: "v", count: 35)), .string("\"")])
    }
}
