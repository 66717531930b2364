import ArgumentParser
import Dispatch
import Foundation
import KuraCore
import KuraRuntime

/// `kura run CONFIG`: runs a load and commits it once.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a load: read, parse, filter and write, committing everything at once or nothing.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The config file (.yml, or .yml.liquid for a template).")
    var config: String

    @Option(name: [.short, .customLong("config-diff")], help: "Config diff file: read before the run when it exists, written after it (Embulk's -c).")
    var configDiff: String?

    @Option(name: .long, help: "Where rejected records go (JSON Lines); overrides exec.rejects_path.")
    var rejects: String?

    @Flag(name: .long, help: "Load files again even when the warehouse ledger says they were loaded.")
    var force = false

    @Flag(name: .long, help: "Print the plan (config, plugins, files, schema, target) and exit without reading data or writing anything.")
    var dryRun = false

    @Option(name: .long, help: "How --dry-run prints the plan: yaml or json.")
    var format: PlanFormat = .yaml

    @OptionGroup var metrics: MetricsOptions

    @Option(name: .long, help: ArgumentHelp("Run only shard I of N (0 <= I < N): the files whose path hashes to I.", valueName: "I/N"))
    var shard: Shard?

    func run() throws {
        let env = global.environment()
        let pipeline = try env.pipeline(configPath: config, diffPath: configDiff, dryRun: dryRun, shard: shard)
        if dryRun {
            print(try format.render(pipeline.plan), terminator: "")
            return
        }
        let runner = LoadRunner(pipeline: pipeline)
        runner.force = force
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        var sources: [DispatchSourceSignal] = []
        for (sig, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { runner.cancel(reason: "interrupted by \(name); nothing was committed") }
            s.resume()
            sources.append(s)
        }
        let started = Date()
        let name = ((config as NSString).lastPathComponent as NSString).deletingPathExtension
        let result: RunResult
        do {
            result = try runner.run(rejectsPathOverride: rejects.map { pipeline.context.resolve($0) })
        } catch {
            metrics.publish(RunMetrics(job: name, session: nil, counts: RowCounts(), bytesRead: 0,
                durationSeconds: Date().timeIntervalSince(started), succeeded: false), logger: env.logger)
            throw error
        }
        metrics.publish(RunMetrics(job: name, session: nil, counts: result.total, bytesRead: result.bytesRead,
            durationSeconds: result.elapsedSeconds, succeeded: true), logger: env.logger)
        if let configDiff {
            var diff = result.configDiff
            if diff.isEmpty, let last = pipeline.config["in"]?["last_path"]?.scalarText { diff["last_path"] = last }
            try ConfigDiff.render(input: diff).write(toFile: configDiff, atomically: true, encoding: .utf8)
        }
        print(RunSummary.render(result, outputType: pipeline.outputType, workingDirectory: env.workingDirectory), terminator: "")
        _ = sources
    }
}

extension PlanFormat: ExpressibleByArgument {}

extension Shard: ExpressibleByArgument {
    public init?(argument: String) { self.init(text: argument) }
}
