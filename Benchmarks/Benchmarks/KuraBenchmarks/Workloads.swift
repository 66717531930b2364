import DecoderGzip
import KuraCore
import KuraFormats
import ParserCSV
import ParserJSON

/// A record sink that only counts, so a benchmark measures the parser and not the consumer.
final class CountingSink: RecordSink {
    var rows = 0
    var rejects = 0
    func emit(_ page: Page) throws { rows += page.rowCount }
    func reject(_ error: DataError) throws { rejects += 1 }
}

/// The workloads the benchmarks time: parsers, decoders and converters over the in-memory event sample.
enum Workloads {
    /// Bytes handed to a parser per `push`, like the file input's reads.
    static let chunkSize = 256 * 1024

    static let context = PluginContext(workingDirectory: "", sessionTime: Timestamp(nanos: 0), logger: .silent)
    static let task = InputTask(name: "events")

    static let eventColumns: [(String, String, String?)] = [
        ("id", "long", nil), ("user_id", "long", nil), ("event_time", "timestamp", "%Y-%m-%d %H:%M:%S"),
        ("event_type", "string", nil), ("price", "double", nil), ("quantity", "long", nil),
        ("country", "string", nil), ("is_mobile", "boolean", nil), ("referrer", "string", nil),
        ("attributes", "json", nil),
    ]

    static func columnsNode(_ columns: [(String, String, String?)]) -> ConfigNode {
        ConfigNode(.sequence(columns.map { name, type, format in
            var pairs: [(String, ConfigNode)] = [("name", .scalar(name)), ("type", .scalar(type))]
            if let format { pairs.append(("format", ConfigNode(.scalar(format, quoted: true)))) }
            return .mapping(pairs)
        }))
    }

    /// The `csv` parser for the event sample: typed columns, or every column a string (`typed: false`), which
    /// leaves little but tokenizing.
    static func csvPlugin(typed: Bool) throws -> CSVParserPlugin {
        let columns = typed ? eventColumns : eventColumns.map { ($0.0, "string", nil) }
        let node = ConfigNode.mapping([
            ("columns", columnsNode(columns)), ("skip_header_lines", .scalar("1")), ("newline", .scalar("LF")),
            ("escape", ConfigNode(.scalar("\"", quoted: true))),
        ])
        return try CSVParserPlugin(config: PluginConfig(node: node, path: "in.parser"))
    }

    /// The `json` parser: one json column per record (`typed: false`), or the event columns, ISO timestamps.
    static func jsonPlugin(typed: Bool) throws -> JSONParserPlugin {
        var pairs: [(String, ConfigNode)] = []
        if typed {
            let columns = eventColumns.map { c -> (String, String, String?) in
                c.0 == "event_time" ? (c.0, c.1, "%Y-%m-%dT%H:%M:%S%z") : c
            }
            pairs.append(("columns", columnsNode(columns)))
        }
        return try JSONParserPlugin(config: PluginConfig(node: .mapping(pairs), path: "in.parser"))
    }

    /// Feeds `bytes` to a new parser from `plugin` in `chunkSize` pieces; returns the sink's counts.
    @inline(never)
    static func parse(_ bytes: [UInt8], with plugin: ParserPlugin) throws -> CountingSink {
        let parser = try plugin.makeParser(for: task, context: context)
        let sink = CountingSink()
        try bytes.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + chunkSize, all.count)
                try parser.push(UnsafeRawBufferPointer(rebasing: all[offset..<end]), to: sink)
                offset = end
            }
        }
        try parser.finish(to: sink)
        return sink
    }

    /// Decompresses `gz` with the gzip decoder plugin; returns the number of bytes produced.
    @inline(never)
    static func gunzip(_ gz: [UInt8]) throws -> Int {
        let decoder = try GzipDecoderPlugin().makeDecoder(for: task)
        var produced = 0
        try gz.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + chunkSize, all.count)
                try decoder.push(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { produced += $0.count }
                offset = end
            }
        }
        try decoder.finish { produced += $0.count }
        return produced
    }

    /// Decompresses `gz` and parses the output as it comes, as a load task does; returns the sink's counts.
    @inline(never)
    static func gunzipAndParse(_ gz: [UInt8], with plugin: ParserPlugin) throws -> CountingSink {
        let decoder = try GzipDecoderPlugin().makeDecoder(for: task)
        let parser = try plugin.makeParser(for: task, context: context)
        let sink = CountingSink()
        try gz.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + chunkSize, all.count)
                try decoder.push(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { try parser.push($0, to: sink) }
                offset = end
            }
        }
        try decoder.finish { try parser.push($0, to: sink) }
        try parser.finish(to: sink)
        return sink
    }

    /// Runs `JSONScanner.scan` over every line of `jsonl` (validating and compacting); returns the record count.
    @inline(never)
    static func scanLines(_ jsonl: [UInt8], scanner: JSONScanner, scratch: inout [UInt8]) -> Int {
        var records = 0
        jsonl.withUnsafeBytes { all in
            var start = 0
            while start < all.count {
                scratch.removeAll(keepingCapacity: true)
                switch scanner.scan(all, from: start, isFinal: true, tree: nil, compactInto: &scratch) {
                case .complete(let end):
                    records += 1
                    start = end
                    while start < all.count, JSON.isWhitespace(all[start]) { start += 1 }
                case .needMoreData, .invalid:
                    start = all.count
                    records = -1
                }
            }
        }
        return records
    }

    /// The texts of one field of the sample, as separate byte arrays (for the converter benchmarks).
    static func values(_ count: Int, _ make: (inout SeededGenerator) -> String) -> [[UInt8]] {
        var rng = SeededGenerator(seed: 7)
        return (0..<count).map { _ in Array(make(&rng).utf8) }
    }
}

/// Stops the benchmark run with a message when a workload did not give the expected result.
func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("benchmark workload check failed: \(message())") }
}
