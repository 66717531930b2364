import ArgumentParser
import Foundation
import KuraRuntime

extension PreviewFormat: ExpressibleByArgument {}

/// `kura preview CONFIG`: shows the first records as they would be loaded, writing nothing.
struct PreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Show the records a config reads (after parser and filters), without writing anything.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The config file.")
    var config: String

    @Option(name: .long, help: "Output format: table or jsonl (one JSON object per record).")
    var format: PreviewFormat = .table

    @Option(name: .long, help: "Records to show; 0 shows all (default: 100 for table, all for jsonl).")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 (all) or more") }
    }

    func run() throws {
        let env = global.environment()
        let pipeline = try env.pipeline(configPath: config, dryRun: true)
        let result = try Previewer(pipeline: pipeline).run(limit: limit ?? (format == .jsonl ? 0 : 100))
        FileHandle.standardOutput.write(format.render(result).data(using: .utf8)!)
    }
}
