import ArgumentParser
import CMalloc
import Foundation
import KuraBuiltins
import KuraCore
import KuraRuntime

/// The `kura` command: bulk loads in the spirit of Embulk.
struct Kura: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "kura",
        abstract: "Load CSV and JSON files into SQLite, PostgreSQL or files, with Embulk-compatible configs.",
        discussion: """
            Exit status: 0 success; 1 the run failed and nothing was committed; 2 the config or the command line \
            is wrong and nothing was done.
            """,
        version: version,
        subcommands: [
            RunCommand.self, GuessCommand.self, PreviewCommand.self, CheckCommand.self, JobsCommand.self, BackfillCommand.self, ScheduleCommand.self, ServeCommand.self, K8sCommand.self, CronCommand.self, PluginsCommand.self, ExampleCommand.self,
        ])
}

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: error, warn, info, debug or trace.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Log lines as text or json (one object a line on stderr: severity, message, time); default: KURA_LOG_FORMAT, else text.")
    var logFormat: String?

    @Option(name: .customLong("var"), help: ArgumentHelp("Template variable for .liquid configs, as KEY=VALUE ({{ vars.KEY }}).", valueName: "KEY=VALUE"))
    var vars: [String] = []

    func validate() throws {
        guard LogLevel(name: logLevel) != nil else {
            throw ValidationError("unknown log level '\(logLevel)'; use error, warn, info, debug or trace")
        }
        if let f = logFormat ?? ProcessInfo.processInfo.environment["KURA_LOG_FORMAT"], LogFormat(rawValue: f) == nil {
            throw ValidationError("unknown log format '\(f)' (from --log-format or KURA_LOG_FORMAT); use text or json")
        }
        for v in vars where !v.contains("=") {
            throw ValidationError("--var needs KEY=VALUE, got '\(v)'")
        }
    }

    /// The built-in plugins and those found under `plugins/` and `KURA_PLUGIN_PATH`; a manifest that cannot be read
    /// is reported, and only the built-ins are used.
    static func registry() -> PluginRegistry {
        do {
            return try ExternalPlugins.registry(builtins: BuiltinPlugins.descriptors, workingDirectory: FileManager.default.currentDirectoryPath)
        } catch {
            FileHandle.standardError.write("warning: out-of-process plugins are not available: \(error)\n".data(using: .utf8)!)
            return BuiltinPlugins.registry
        }
    }

    /// The environment the commands run in.
    func environment() -> KuraEnvironment {
        var map: [String: String] = [:]
        for v in vars {
            let parts = v.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            map[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return KuraEnvironment(
            registry: Self.registry(),
            logger: KuraEnvironment.stderrLogger(
                level: LogLevel(name: logLevel) ?? .info,
                format: (logFormat ?? ProcessInfo.processInfo.environment["KURA_LOG_FORMAT"]).flatMap(LogFormat.init) ?? .text),
            vars: map)
    }
}

/// Prints `message` as an error about the command line and returns exit status 2 to throw (no usage text).
func usageError(_ message: String) -> ExitCode {
    FileHandle.standardError.write(("error: " + message + "\n").data(using: .utf8)!)
    return ExitCode(ExitStatus.usage.rawValue)
}

/// Prints an error the way every command does and returns its exit status.
func report(_ error: Error) -> Int32 {
    let message: String
    let status: ExitStatus
    switch error {
    case let e as ConfigErrors:
        message = e.errors.map { "error: \($0)" }.joined(separator: "\n")
        status = .usage
    case let e as ConfigError:
        message = "error: \(e)"
        status = .usage
    case let e as DataError:
        message = "error: \(e)\n  raw: \(e.rawText.prefix(300))\nnothing was committed"
        status = .runFailed
    case let e as RunFailure:
        message = "error: \(e.message)"
        status = .runFailed
    case let e as SystemError:
        message = "error: \(e.message); nothing was committed"
        status = .runFailed
    default:
        message = "error: \(error)"
        status = .runFailed
    }
    FileHandle.standardError.write(((jsonLogsAsked ? LogFormat.errorLine(message) : message) + "\n").data(using: .utf8)!)
    return status.rawValue
}

/// Whether the command line or `KURA_LOG_FORMAT` asks for JSON logs, so that errors are written as JSON too.
var jsonLogsAsked: Bool {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: "--log-format"), i + 1 < args.count { return args[i + 1] == "json" }
    if args.contains("--log-format=json") { return true }
    return ProcessInfo.processInfo.environment["KURA_LOG_FORMAT"] == "json"
}

@main
enum Main {
    static func main() {
        setvbuf(stdout, nil, _IOFBF, 1 << 16)
        #if os(Linux)
            // Pages (a few hundred KB each) are allocated and freed all the time. By default glibc serves them with
            // mmap or trims them off the heap, so every page is page-faulted in afresh; keeping freed memory in the
            // process trades a little peak RSS for far fewer page faults (Benchmarks/README.md has the figures).
            mallopt(M_MMAP_THRESHOLD, 64 << 20)
            mallopt(M_TRIM_THRESHOLD, 256 << 20)
        #endif
        do {
            var command = try Kura.parseAsRoot()
            try command.run()
            fflush(stdout)
            exit(0)
        } catch {
            fflush(stdout)
            switch error {
            case let e as ExitCode:
                exit(e.rawValue)
            case is ConfigError, is ConfigErrors, is RunFailure, is DataError, is SystemError:
                exit(report(error))
            default:
                break
            }
            let code = Kura.exitCode(for: error)
            if code == .success {
                Kura.exit(withError: error)
            }
            FileHandle.standardError.write((Kura.fullMessage(for: error) + "\n").data(using: .utf8)!)
            exit(ExitStatus.usage.rawValue)
        }
    }
}
