import KuraCore
import KuraTestSupport
import ParserJSON
import Testing

extension ConfigNode: ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .scalar(value) }
    public init(arrayLiteral elements: ConfigNode...) { self.init(.sequence(elements)) }
    public init(dictionaryLiteral elements: (String, ConfigNode)...) { self = .mapping(elements) }
}

let testContext = PluginContext(workingDirectory: "", sessionTime: Timestamp(nanos: 0), logger: .silent)

/// The plugin for `config` (a parser section).
func jsonPlugin(_ config: ConfigNode = [:]) throws -> JSONParserPlugin {
    try JSONParserPlugin(config: PluginConfig(node: config, path: "in.parser"))
}

/// Parses `input` under every split plan (whole, byte by byte, random) and returns the agreed result.
func parse(_ input: String, _ config: ConfigNode = [:]) throws -> (rows: [[Value]], rejects: [DataError]) {
    try parse(Array(input.utf8), config)
}

func parse(_ input: [UInt8], _ config: ConfigNode = [:]) throws -> (rows: [[Value]], rejects: [DataError]) {
    let plugin = try jsonPlugin(config)
    return try PluginVerifier.verifyParser(
        input: input, makeParser: { try plugin.makeParser(for: InputTask(name: "events.jsonl"), context: testContext) },
        mismatch: { Issue.record(Comment(rawValue: $0)) })
}

/// The json texts of a default-schema result's rows.
func jsonTexts(_ rows: [[Value]]) -> [String] {
    rows.map {
        if case .json(let s) = $0[0] { return s }
        return "not json: \($0)"
    }
}
