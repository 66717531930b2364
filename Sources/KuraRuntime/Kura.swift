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

/// Embulk's config diff: what the next run needs to continue where this one stopped (`in: {last_path: …}`).
public enum ConfigDiff {
    /// Overlays the diff's `in:` and `out:` keys on the config.
    public static func merge(_ diff: ConfigNode, into config: ConfigNode) -> ConfigNode {
        var result = config
        for section in ["in", "out"] {
            guard let d = diff[section]?.mappingEntries, var target = result[section] else { continue }
            for (k, v) in d { target = target.setting(k, to: v) }
            result = result.setting(section, to: target)
        }
        return result
    }

    /// The YAML text of a config diff.
    public static func render(input: [String: String]) -> String {
        var s = "in:"
        if input.isEmpty {
            s += " {}\n"
        } else {
            s += "\n"
            for (k, v) in input.sorted(by: { $0.key < $1.key }) {
                s += "  \(ConfigNode.scalar(k).yamlText): \(ConfigNode.scalar(v).yamlText)\n"
            }
        }
        return s + "out: {}\n"
    }
}

/// Renders a run's summary: per file and in total, rows read / loaded / rejected / filtered.
public enum RunSummary {
    public static func render(_ r: RunResult, outputType: String, workingDirectory: String) -> String {
        func rel(_ p: String) -> String {
            let base = workingDirectory.hasSuffix("/") ? workingDirectory : workingDirectory + "/"
            return p.hasPrefix(base) ? String(p.dropFirst(base.count)) : p
        }
        let names = r.tasks.map { rel($0.name) }
        let nameWidth = max(5, names.map(\.count).max() ?? 0)
        func row(_ name: String, _ c: RowCounts) -> String {
            "  " + name.rightPad(nameWidth) + "  " + [c.read, c.loaded, c.rejected, c.filtered].map { formatCount($0).leftPad(10, " ") }
                .joined(separator: " ")
        }
        var lines = [
            "kura run \(r.runID): committed to \(outputType) in \(String(format: "%.2f", r.elapsedSeconds)) s",
            "  " + "file".rightPad(nameWidth) + "  " + ["read", "loaded", "rejected", "filtered"].map { $0.leftPad(10, " ") }.joined(separator: " "),
        ]
        for (i, name) in names.enumerated() { lines.append(row(name, r.counts[i])) }
        lines.append(row("total", r.total) + (r.total.addsUp ? "   (read = loaded + rejected + filtered)" : "   (COUNTS DO NOT ADD UP)"))
        if let p = r.rejectsPath {
            lines.append("  rejected records: \(rel(p)) (\(formatCount(r.total.rejected)))")
        }
        if !r.skipped.isEmpty {
            lines.append("  skipped \(r.skipped.count) file(s) already loaded into this target (run with --force to load them again)")
        }
        if r.tasks.isEmpty && r.skipped.isEmpty { lines.append("  no input files matched; nothing to load") }
        return lines.joined(separator: "\n") + "\n"
    }
}
