import KuraCore
import KuraRuntime

/// Runs the real parser plugins over the sample (or over every file) with a parser section guess made up, so
/// that what guess sees is exactly what a load would read.
struct GuessPass {
    let environment: KuraEnvironment
    /// The seed's `in:` without `parser` (decoders as decided).
    let input: ConfigNode
    let file: String?

    /// The load of `parser` into the null output.
    func pipeline(parser: ConfigNode) throws -> LoadPipeline {
        let config = ConfigNode.mapping([("in", input.setting("parser", to: parser)), ("out", .mapping([("type", .scalar("null"))]))])
        return try environment.pipeline(config: config, file: file)
    }

    /// Parses `chunks` (decoded bytes, each as if a file of its own) with `parser` into `sink`.
    func parse(_ chunks: [[UInt8]], parser: ConfigNode, name: String, into sink: RecordSink) throws {
        if chunks.allSatisfy(\.isEmpty) { return }
        let p = try pipeline(parser: parser)
        for c in chunks where !c.isEmpty { try p.parse(bytes: c, name: name, into: sink) }
    }
}

extension ConfigNode {
    /// `count` string columns `c0`, `c1`, … for a sampling pass.
    static func stringColumns(_ count: Int) -> ConfigNode {
        ConfigNode(.sequence((0..<count).map { .mapping([("name", .scalar("c\($0)")), ("type", .scalar("string"))]) }))
    }
}
