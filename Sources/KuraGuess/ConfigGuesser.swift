import Foundation
import KuraCore
import KuraFormats
import KuraRuntime

/// The outcome of a guess: the completed config, which of its keys were guessed, and why.
public struct GuessResult {
    /// The seed with everything it did not set filled in; it plans and runs as it is.
    public var config: ConfigNode
    /// The dotted paths of the guessed keys (such as `in.parser.delimiter`, `in.parser.columns`).
    public var guessed: Set<String>
    /// Each decision with its candidates and evidence.
    public var report: GuessReport
    /// The config as YAML, guessed values marked `# guessed`.
    public var yaml: String { GuessedConfigWriter.yaml(config, guessed: guessed) }
}

/// Completes a seed config as Embulk's `guess` does: everything the seed sets is kept, everything missing under
/// `in:` (decoders, the parser and its options, the columns) is decided from a sample of the data, and the result
/// is proven on that sample with the real parser before it is returned.
public struct ConfigGuesser {
    public var environment: KuraEnvironment
    /// How much data to read (default `SampleSize.standard`, 1 MiB).
    public var sampleSize: SampleSize = .standard

    public init(environment: KuraEnvironment, sampleSize: SampleSize = .standard) {
        self.environment = environment
        self.sampleSize = sampleSize
    }

    /// Guesses the seed config file at `path` (a `.liquid` template is rendered first).
    public func guess(seedPath: String) throws -> GuessResult {
        try guess(seed: try environment.loadConfig(path: seedPath), file: seedPath)
    }

    /// Guesses the seed config `seed`, read from `file`.
    public func guess(seed: ConfigNode, file: String?) throws -> GuessResult {
        guard let inNode = seed["in"], inNode.mappingEntries != nil else {
            throw ConfigError(path: "in", mark: seed.mark, file: file, "the seed has no 'in:' section",
                fix: "write in: {type: file, path_prefix: DATA} (and out:), then run kura guess")
        }
        var report = GuessReport()
        let context = PluginContext(
            workingDirectory: environment.workingDirectory, sessionTime: Timestamp(seconds: Int64(Date().timeIntervalSince1970)),
            logger: environment.logger, isDryRun: true)
        let sampler = Sampler(registry: environment.registry, context: context, file: file)
        let givenDecoders = inNode["decoders"].map { ($0.kindSequence ?? []).compactMap { $0["type"]?.scalarText } }
        // With --sample all, the guess is made on the default sample and then proven on every record.
        var sample = try sampler.read(inNode, givenDecoders: givenDecoders, size: sampleSize == .all ? .standard : sampleSize)
        if givenDecoders == nil { report.add(DecoderGuesser.decision(sample.decoders, file: sample.file)) }
        var parser = GuessedSection(inNode["parser"])
        let charset = try decideCharset(&parser, &sample, report: &report)
        let text = try utf8Text(sample.head, charset: charset)
        let isJSON = decideParserType(&parser, text, report: &report)
        var input = inNode.removing("parser")
        if givenDecoders == nil && !sample.decoders.isEmpty {
            input = input.setting("decoders", to: ConfigNode(.sequence(sample.decoders.map { .mapping([("type", .scalar($0))]) })))
        }
        let pass = GuessPass(environment: environment, input: input, file: file)
        var verifyHead = sample.head
        var verifyRest = sample.windows.map(\.bytes)
        var verifyCharset: ConfigNode? = nil
        if isJSON {
            let (chunks, cs) = try JSONGuesser(pass: pass, sample: sample).guess(&parser, text: text, report: &report)
            verifyHead = chunks[0]
            verifyRest = Array(chunks.dropFirst())
            verifyCharset = cs
        } else {
            try CSVGuesser(pass: pass, sample: sample).guess(&parser, text: text, report: &report)
        }
        var config = seed.setting("in", to: input.setting("parser", to: Self.typeFirst(parser.node)))
        var guessed = Set(parser.guessed.map { "in.parser." + $0 })
        if givenDecoders == nil && !sample.decoders.isEmpty { guessed.insert("in.decoders") }
        if seed["out"] == nil {
            config = config.setting("out", to: .mapping([("type", .scalar("stdout"))]))
            guessed.insert("out")
            report.add(GuessDecision(key: "out", winner: "stdout", evidence: ["the seed has no 'out:'; stdout prints the records"]))
        }
        let verifier = GuessVerifier(environment: environment, file: file)
        let guessedColumns = guessed.contains("in.parser.columns")
        config = try verifier.settle(
            config, head: verifyHead, rest: verifyRest, charset: verifyCharset, name: sample.file, report: &report,
            guessedColumns: guessedColumns)
        if sampleSize == .all { config = try verifier.settleAll(config, report: &report, guessedColumns: guessedColumns) }
        report.sampleSummary = summary(sample)
        return GuessResult(config: config, guessed: guessed, report: report)
    }

    func summary(_ s: Sample) -> String {
        let files = s.tasks.count == 1 ? "" : " (first of \(s.tasks.count) files)"
        if sampleSize == .all { return "every record of \(s.tasks.count) file(s); dialect from the first \(s.head.count) bytes of \(s.file)" }
        let head = s.headIsWhole ? "all \(s.head.count) bytes" : "the first \(s.head.count) bytes"
        let windows = s.windows.isEmpty ? "" : " and \(s.windows.count) windows of \(s.windows.first!.bytes.count)+ bytes spread over the file"
        return "\(head) of \(s.file)\(files)\(windows)"
    }

    /// The seed's charset, or the one the bytes show (UTF-16 samples keep only their start).
    func decideCharset(_ parser: inout GuessedSection, _ sample: inout Sample, report: inout GuessReport) throws -> Charset {
        let charset: Charset
        if let name = parser.user("charset") {
            guard let c = Charset(named: name) else {
                let (message, fix) = Charset.unknownNameMessage(name)
                throw ConfigError(path: "in.parser.charset", mark: parser["charset"]?.mark, message, fix: fix)
            }
            charset = c
        } else {
            let (c, decision) = CharsetGuesser.guess(sample.head, whole: sample.headIsWhole)
            charset = c
            report.add(decision)
            parser.guess("charset", text: decision.winner)
        }
        if charset == .utf16LE || charset == .utf16BE || charset == .utf16 {
            sample.windows = []
            if !sample.headIsWhole && sample.head.count % 2 == 1 { sample.head.removeLast() }
        }
        return charset
    }

    /// The sample's head as UTF-8.
    func utf8Text(_ bytes: [UInt8], charset: Charset) throws -> [UInt8] {
        if charset.isUTF8 { return bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes }
        let decoder = try CharsetDecoder(charset: charset)
        var out: [UInt8] = []
        try bytes.withUnsafeBytes { try decoder.decode($0) { out.append(contentsOf: $0) } }
        return out.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(out.dropFirst(3)) : out
    }

    /// `json` when the data starts with a JSON object or array, else `csv` (the seed's type when it set one).
    func decideParserType(_ parser: inout GuessedSection, _ text: [UInt8], report: inout GuessReport) -> Bool {
        if let t = parser.user("type") { return t == "json" || t == "jsonl" }
        guard let first = text.firstIndex(where: { !JSON.isWhitespace($0) }) else {
            parser.guess("type", text: "csv")
            report.add(GuessDecision(key: "in.parser.type", candidates: ["csv", "json"], winner: "csv", evidence: ["the sample is empty"],
                undecided: "no data to look at; csv with whatever the seed sets"))
            return false
        }
        var json = false
        if text[first] == 0x7B || text[first] == 0x5B {
            var sink: [UInt8] = []
            let outcome = text.withUnsafeBytes { JSONScanner().scan($0, from: first, isFinal: true, tree: nil, compactInto: &sink, compacting: false) }
            switch outcome {
            case .complete: json = true
            case .needMoreData: json = true
            case .invalid: json = JSONGuesser.arrayLayout(text) != nil
            }
        }
        let lineEnd = text[first...].firstIndex { $0 == 10 || $0 == 13 } ?? text.count
        let line = String(decoding: text[first..<min(lineEnd, first + 60)], as: UTF8.self)
        parser.guess("type", text: json ? "json" : "csv")
        report.add(GuessDecision(key: "in.parser.type", candidates: ["csv", "json"], winner: json ? "json" : "csv",
            evidence: [json ? "the data starts with a JSON value: \(line)" : "the data does not start with a JSON value: \(line)"]))
        return json
    }

    /// The parser section with `type` first.
    static func typeFirst(_ node: ConfigNode) -> ConfigNode {
        guard let entries = node.mappingEntries, let t = entries.firstIndex(where: { $0.key == "type" }), t > 0 else { return node }
        var e = entries
        let item = e.remove(at: t)
        e.insert(item, at: 0)
        return ConfigNode(.mapping(e), mark: node.mark)
    }
}
