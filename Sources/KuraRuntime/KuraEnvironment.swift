import Foundation
import KuraCore

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

    /// A logger writing `LEVEL message` lines to stderr.
    public static func stderrLogger(level: LogLevel) -> Logger {
        Logger(level: level) { l, message in
            let prefix: String
            switch l {
            case .error: prefix = "[ERROR]"
            case .warn: prefix = "[WARN]"
            case .info: prefix = "[INFO]"
            case .debug: prefix = "[DEBUG]"
            case .trace: prefix = "[TRACE]"
            }
            FileHandle.standardError.write((prefix + " " + message + "\n").data(using: .utf8)!)
        }
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
