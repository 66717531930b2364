import Foundation
import KuraBuiltins
import KuraCore
import KuraFormats
import KuraGuess
import KuraRuntime
import KuraTestSupport
import Testing

/// Generated files of known dialect and types: guess, then preview with the guessed config, must give exactly the
/// typed records the file was generated from.
@Suite struct RoundTripPropertyTests {
    /// A small deterministic generator (SplitMix64), so a failing seed can be replayed.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
        mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    }

    enum Kind: CaseIterable { case long, double, boolean, string, timestamp, json }

    static let words = ["apple", "pear", "New York", "a, b", "say \"hi\"", "naïve", "東京", "x y z", "plain", "O'Brien"]
    static let timestampFormats = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y/%m/%d", "%d/%m/%Y"]

    /// One generated field: its text in the file and the value a load must give.
    static func field(_ kind: Kind, row: Int, format: String, rng: inout Rng) -> (String, Value) {
        if kind != .string && row > 1 && rng.chance(8) { return ("", .null) }
        switch kind {
        case .long:
            let v = Int64(rng.int(-1_000_000...1_000_000_000)) * (row == 0 ? 1 : 1)
            return (String(v), .long(v))
        case .double:
            let v = Double(rng.int(-100_000...100_000)) / 100 + (row == 0 ? 0.25 : 0)
            return (String(v), .double(v))
        case .boolean:
            let v = row == 0 ? true : rng.chance(50)
            return (v ? "true" : "false", .boolean(v))
        case .string:
            let w = rng.pick(words)
            return (w, .string(w))
        case .timestamp:
            // Day 13 or later on the first row, so a day-first date is decidable.
            var seconds = Int64(rng.int(946_684_800...1_900_000_000))
            if format.hasPrefix("%Y/") || format.hasPrefix("%d/") { seconds = seconds / 86_400 * 86_400 }
            if row == 0 { seconds = 1_705_104_000 + (format.hasPrefix("%Y/") || format.hasPrefix("%d/") ? 0 : 3723) }
            var bytes: [UInt8] = []
            try! TimestampFormatter(format: format.replacingOccurrences(of: "Z", with: "")).format(nanos: seconds * 1_000_000_000, into: &bytes)
            let text = String(decoding: bytes, as: UTF8.self)
            return (format.hasSuffix("Z") ? text + "Z" : text, .timestamp(Timestamp(nanos: seconds * 1_000_000_000)))
        case .json:
            let v = "{\"k\":\(rng.int(0...99)),\"tags\":[\"a\"]}"
            return (v, .json(v))
        }
    }

    /// `text` as a field of a file with `delimiter`, quoted when it has to be.
    static func quoted(_ text: String, delimiter: String) -> String {
        guard text.contains(delimiter) || text.contains("\"") || text.contains("\n") || text.hasPrefix("{") else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    @Test(arguments: 0..<40) func guessedConfigReproducesTheRecords(_ seed: Int) throws {
        var rng = Rng(state: UInt64(seed) &* 7919 &+ 17)
        let delimiter = rng.pick([",", "\t", "|", ";"])
        let newline = rng.pick(["\n", "\r\n"])
        let header = rng.chance(75)
        var kinds: [Kind] = [.long]
        for _ in 0..<rng.int(1...5) { kinds.append(rng.pick(Kind.allCases)) }
        let formats = kinds.map { _ in rng.pick(Self.timestampFormats) }
        let names = kinds.indices.map { $0 == 0 ? "id" : "col_\($0)" }
        var lines: [String] = header ? [names.joined(separator: delimiter)] : []
        var expected: [[Value]] = []
        for row in 0..<rng.int(3...60) {
            let fields = kinds.indices.map { Self.field(kinds[$0], row: row, format: formats[$0], rng: &rng) }
            lines.append(fields.map { Self.quoted($0.0, delimiter: delimiter) }.joined(separator: delimiter))
            expected.append(fields.map(\.1))
        }
        let dir = TempDir()
        dir.write("data/file.txt", lines.joined(separator: newline) + newline)
        dir.write("seed.yml", "in: {type: file, path_prefix: data/}\nout: {type: \"null\"}\n")
        let env = KuraEnvironment(registry: BuiltinPlugins.registry, logger: .silent, workingDirectory: dir.path, environment: [:])
        let guessed = try ConfigGuesser(environment: env).guess(seedPath: dir.path + "/seed.yml")
        let preview = try Previewer(pipeline: try env.pipeline(config: guessed.config, file: nil)).run(limit: 0)
        #expect(preview.rejects.isEmpty, "seed \(seed): \(preview.rejects.first.map(String.init(describing:)) ?? "")")
        let types = preview.schema.columns.map(\.type)
        #expect(preview.schema.columns.map(\.name) == (header ? names : kinds.indices.map { "c\($0)" }), "seed \(seed)")
        var got: [[Value]] = []
        for page in preview.pages {
            for r in 0..<page.rowCount { got.append((0..<page.schema.count).map { page.value(row: r, column: $0) }) }
        }
        #expect(got == expected, "seed \(seed): kinds \(kinds) formats \(formats), guessed types \(types)\n\(guessed.yaml)")
    }
}
