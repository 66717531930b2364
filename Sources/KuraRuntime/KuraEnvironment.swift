import Foundation
import KuraCore
import KuraFormats

/// Exit statuses of the `kura` command.
public enum ExitStatus: Int32 {
    /// Success.
    case ok = 0
    /// The run failed; nothing was committed.
    case runFailed = 1
    /// The config or the command line is wrong; nothing was done.
    case usage = 2
}

/// What every command needs: the plugins, the logger, where relative paths start, and template variables.
public struct KuraEnvironment {
    public var registry: PluginRegistry
    public var logger: Logger
    public var workingDirectory: String
    public var vars: [String: String]
    public var environment: [String: String]

    public init(
        registry: PluginRegistry, logger: Logger, workingDirectory: String = FileManager.default.currentDirectoryPath,
        vars: [String: String] = [:], environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.registry = registry
        self.logger = logger
        self.workingDirectory = workingDirectory
        self.vars = vars
        self.environment = environment
    }

    /// A logger writing to stderr: `[LEVEL] message` lines, or with `.json` one JSON object a line with `severity`
    /// (`ERROR`, `WARNING`, `INFO`, `DEBUG`), `message` and `time` (ISO 8601 UTC), as log collectors parse them.
    public static func stderrLogger(level: LogLevel, format: LogFormat = .text) -> Logger {
        Logger(level: level, structured: { l, message, fields in
            let line: String
            switch format {
            case .text: line = "[\(["ERROR", "WARN", "INFO", "DEBUG", "TRACE"][l.rawValue])] " + message
            case .json: line = LogFormat.jsonLine(l, message, fields: fields, time: Date())
            }
            FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
        })
    }

    /// Plans the load `configPath` (with the config diff at `diffPath` merged, when it exists): a validated
    /// pipeline and its plan, of `shard`'s tasks only when given. Reads file metadata; writes nothing.
    public func pipeline(
        configPath: String, diffPath: String? = nil, sessionTime: Timestamp? = nil, dryRun: Bool = false,
        shard: Shard? = nil
    ) throws -> LoadPipeline {
        let loader = ConfigLoader(vars: vars, environment: environment)
        var root = try loader.load(path: configPath)
        if let diffPath, FileManager.default.fileExists(atPath: diffPath) {
            let diff = try loader.load(path: diffPath)
            root = ConfigDiff.merge(diff, into: root)
        }
        let context = PluginContext(
            workingDirectory: workingDirectory, sessionTime: sessionTime ?? Timestamp(seconds: Int64(Date().timeIntervalSince1970)),
            logger: logger, isDryRun: dryRun)
        return try LoadPipeline(config: root, file: configPath, registry: registry, context: context, shard: shard)
    }
}

/// How log lines are written.
public enum LogFormat: String, CaseIterable, Sendable {
    /// `[INFO] message`, for people at a terminal (the default).
    case text
    /// One JSON object a line, for the cluster's log collector.
    case json

    /// An error report (lines starting `error: `) as one JSON log line of severity `ERROR`.
    public static func errorLine(_ text: String) -> String {
        let message = text.hasPrefix("error: ") ? String(text.dropFirst(7)) : text
        return jsonLine(.error, message, time: Date())
    }

    /// `message` at `level` as one JSON object: `severity`, `message`, `time`, then the logger's fields (numbers as
    /// numbers).
    static func jsonLine(_ level: LogLevel, _ message: String, fields: [(String, String)] = [], time: Date) -> String {
        let severity = ["ERROR", "WARNING", "INFO", "DEBUG", "DEBUG"][level.rawValue]
        let t = Timestamp(nanos: Int64((time.timeIntervalSince1970 * 1000).rounded(.down)) * 1_000_000).iso8601
        var out = Array("{\"severity\":\"\(severity)\",\"message\":".utf8)
        JSON.appendQuoted(message, to: &out)
        out += Array(",\"time\":\"\(t)\"".utf8)
        for (key, value) in fields where !["severity", "message", "time"].contains(key) {
            out.append(UInt8(ascii: ","))
            JSON.appendQuoted(key, to: &out)
            out.append(UInt8(ascii: ":"))
            if let n = Int64(value), String(n) == value { out += Array(value.utf8) } else { JSON.appendQuoted(value, to: &out) }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
