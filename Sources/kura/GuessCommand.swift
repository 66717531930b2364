import ArgumentParser
import Foundation
import KuraGuess
import KuraRuntime

/// How much data `kura guess` reads: `all`, or a byte budget such as `1MB` or `65536`.
struct SampleOption: ExpressibleByArgument {
    var size: SampleSize

    init?(argument: String) {
        let a = argument.lowercased()
        if a == "all" {
            size = .all
            return
        }
        let units: [(String, Int)] = [("kib", 1024), ("mib", 1 << 20), ("kb", 1000), ("mb", 1_000_000), ("k", 1024), ("m", 1 << 20), ("", 1)]
        for (suffix, factor) in units where a.hasSuffix(suffix) {
            if let n = Int(a.dropLast(suffix.count)), n >= 1024 / factor, n > 0 {
                size = .bounded(bytes: n * factor)
                return
            }
        }
        return nil
    }
}

/// `kura guess SEED -o CONFIG`: completes a seed config from a sample of its data, as Embulk's guess does.
struct GuessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guess",
        abstract: "Complete a seed config (in: with path_prefix, out:) from a sample of the data: decoders, charset, parser, columns.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The seed config: what you know (in.type, path_prefix, out:); the rest is guessed.")
    var seed: String

    @Option(name: [.short, .customLong("output")], help: "Where to write the config; '-' (the default) is stdout.")
    var output: String = "-"

    @Option(name: .long, help: ArgumentHelp("How much data to read: 'all', or bytes such as 4MB (default 1MB, from the start and spread over seekable files).", valueName: "all|BYTES"))
    var sample: SampleOption?

    @Flag(name: .long, help: "Print every decision: its candidates, the winner and the evidence.")
    var explain = false

    func run() throws {
        let guesser = ConfigGuesser(environment: global.environment(), sampleSize: sample?.size ?? .standard)
        let result = try guesser.guess(seedPath: seed)
        let toStdout = output == "-"
        if toStdout {
            FileHandle.standardOutput.write(Data(result.yaml.utf8))
        } else {
            try Data(result.yaml.utf8).write(to: URL(fileURLWithPath: output))
        }
        var notes = result.report.decisions.compactMap { d in d.undecided.map { "note: \(d.key): \($0)" } }
        notes += result.report.rejectedSampleRows.map { "warning: the guessed config rejects a sampled record: \($0)" }
        let text = (explain ? result.report.text : notes.joined(separator: "\n") + (notes.isEmpty ? "" : "\n"))
            + (toStdout ? "" : "wrote \(output) (\(result.guessed.count) guessed key(s), marked '# guessed')\n")
        let handle = toStdout ? FileHandle.standardError : FileHandle.standardOutput
        handle.write(Data(text.utf8))
    }
}
