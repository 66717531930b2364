import ArgumentParser
import Foundation
import KuraGuess
import KuraRuntime

extension PreviewFormat: ExpressibleByArgument {}

/// `kura preview CONFIG`: shows the first records as they would be loaded, writing nothing.
struct PreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Show the records a config reads (after parser and filters), without writing anything.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The config file (a seed with --guess).")
    var config: String

    @Option(name: .long, help: "Output format: table or jsonl (one JSON object per record).")
    var format: PreviewFormat = .table

    @Option(name: .long, help: "Records to show; 0 shows all (default: 100 for table, all for jsonl).")
    var limit: Int?

    @Flag(name: .long, help: "One block per record, a line per column (for wide records).")
    var vertical = false

    @Flag(name: .long, help: "Guess the config from the seed CONFIG first (as kura guess does) and preview that, writing nothing.")
    var guess = false

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 (all) or more") }
        if vertical && format == .jsonl { throw ValidationError("--vertical draws the table one record at a time; drop it for --format jsonl") }
    }

    func run() throws {
        let env = global.environment()
        let pipeline: LoadPipeline
        if guess {
            let guessed = try ConfigGuesser(environment: env).guess(seedPath: config)
            pipeline = try env.pipeline(config: guessed.config, file: config)
        } else {
            pipeline = try env.pipeline(configPath: config, dryRun: true)
        }
        let result = try Previewer(pipeline: pipeline).run(limit: limit ?? (format == .jsonl ? 0 : 100))
        let text = vertical ? PreviewFormat.renderVertical(result) : format.render(result)
        FileHandle.standardOutput.write(Data(text.utf8))
        if format == .jsonl && !result.rejects.isEmpty {
            FileHandle.standardError.write(Data(PreviewFormat.rejectsText(result).utf8))
        }
    }
}
