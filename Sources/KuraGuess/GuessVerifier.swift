import KuraCore
import KuraRuntime

/// Proves a guessed config on the sample: plans it as `kura run` would and parses every sampled record with the
/// real parser; a column whose value is rejected becomes a string (and the reason is reported), until the config
/// loads every sampled record.
struct GuessVerifier {
    let environment: KuraEnvironment
    let file: String?

    /// The records of `chunks` the `config` rejects (`first` is parsed as the file's start, the rest with no
    /// header lines).
    func rejects(_ config: ConfigNode, head: [UInt8], rest: [[UInt8]], charset: ConfigNode?, name: String) throws -> [DataError] {
        var config = config
        if let charset, let parser = config.lookup("in.parser") {
            config = config.setting("in", to: config["in"]!.setting("parser", to: parser.setting("charset", to: charset)))
        }
        let pipeline = try environment.pipeline(config: config, file: file)
        let sink = RejectCollector()
        try pipeline.parse(bytes: head, name: name, into: sink)
        if !rest.isEmpty, let parser = config.lookup("in.parser") {
            let noHeader = config.setting("in", to: config["in"]!.setting("parser", to: parser.setting("skip_header_lines", to: .scalar("0"))))
            let p = try environment.pipeline(config: noHeader, file: file)
            for chunk in rest where !chunk.isEmpty { try p.parse(bytes: chunk, name: name, into: sink) }
        }
        return sink.rejects
    }

    /// `config` with the columns that reject sampled values turned into strings; the rejects left (not about a
    /// column's type) are returned with it.
    func settle(_ config: ConfigNode, head: [UInt8], rest: [[UInt8]], charset: ConfigNode?, name: String, report: inout GuessReport,
        guessedColumns: Bool) throws -> ConfigNode
    {
        var config = config
        for _ in 0..<16 {
            let found = try rejects(config, head: head, rest: rest, charset: charset, name: name)
            let casts = found.filter { $0.code == .cast && $0.column != nil }
            guard guessedColumns, let bad = casts.first, let items = config.lookup("in.parser.columns")?.kindSequence,
                let i = items.firstIndex(where: { $0["name"]?.scalarText == bad.column })
            else {
                report.rejectedSampleRows = found.prefix(20).map { "\($0.location) [\($0.code)] \($0.message)" }
                return config
            }
            var columns = items
            columns[i] = columns[i].removing("format").setting("type", to: .scalar("string"))
            report.add(GuessDecision(key: "in.parser.columns[\(i)].type (\(bad.column!))", candidates: [], winner: "string",
                evidence: ["the parser rejects \(bad.location): \(bad.message)"]))
            let parser = config.lookup("in.parser")!.setting("columns", to: ConfigNode(.sequence(columns)))
            config = config.setting("in", to: config["in"]!.setting("parser", to: parser))
        }
        return config
    }
}

extension GuessVerifier {
    /// `config` proven on every record of every file (`--sample all`): each pass is a parse-only load, and a
    /// column a value does not fit is widened (long to double, anything else to string) until a pass rejects
    /// no value for its type.
    func settleAll(_ config: ConfigNode, report: inout GuessReport, guessedColumns: Bool) throws -> ConfigNode {
        var config = config
        for _ in 0..<32 {
            let pipeline = try environment.pipeline(config: config, file: file)
            let sink = RejectCollector()
            for task in pipeline.plan.tasks { try pipeline.parse(task, into: sink) }
            guard guessedColumns, let bad = sink.rejects.first(where: { $0.code == .cast && $0.column != nil }),
                let items = config.lookup("in.parser.columns")?.kindSequence,
                let i = items.firstIndex(where: { $0["name"]?.scalarText == bad.column })
            else {
                report.sampleRejects = sink.rejects.count
                report.rejectedSampleRows = sink.rejects.prefix(20).map { "\($0.location) [\($0.code)] \($0.message)" }
                return config
            }
            let wider = items[i]["type"]?.scalarText == "long" ? "double" : "string"
            var columns = items
            columns[i] = columns[i].removing("format").setting("type", to: .scalar(wider))
            report.add(GuessDecision(key: "in.parser.columns[\(i)].type (\(bad.column!))", candidates: [], winner: wider,
                evidence: ["a value further into the data does not fit: \(bad.location): \(bad.message)"]))
            let parser = config.lookup("in.parser")!.setting("columns", to: ConfigNode(.sequence(columns)))
            config = config.setting("in", to: config["in"]!.setting("parser", to: parser))
        }
        return config
    }
}

/// Keeps the records a parser rejects; drops the pages.
final class RejectCollector: RecordSink {
    var rejects: [DataError] = []
    func emit(_ page: Page) throws {}
    func reject(_ error: DataError) throws { rejects.append(error) }
}
