import Foundation
import KuraCore
import KuraFormats

/// The plan of one load: everything a run decides before it reads a byte of data.
///
/// Planning renders the config, makes and validates every plugin, lists the input tasks (reading file metadata
/// only) and computes the schema the output receives; it writes nothing. `kura run`, `kura check` and
/// `kura preview` consume the same value, `kura run --dry-run` prints it, and because it is `Codable` it can be
/// stored and split: `sharded(_:)` keeps one shard's tasks for a sharded run.
public struct LoadPlan: Codable, Sendable, Equatable {
    /// The version of this value's stored form (1).
    public var planVersion = 1
    /// The config file, when the config came from one.
    public var configFile: String?
    /// The config as run: templates rendered, the config diff merged. Plugins are made from it.
    public var config: ConfigNode
    /// A stable hash of `config` (16 hex digits), recorded with the run.
    public var configHash: String
    /// The logical time the run is for (templates' `session_time`, the run record's `session_time`).
    public var sessionTime: Timestamp
    /// Each plugin of the pipeline, in pipeline order, with its options.
    public var plugins: [PlannedPlugin]
    /// The tasks to run (one per input file), in input order; one shard's when `shard` is set.
    public var tasks: [InputTask]
    /// How many tasks the input listed before sharding.
    public var listedTaskCount: Int
    /// The part of the tasks this plan covers, when the load is split (default: none, all tasks).
    public var shard: Shard?
    /// The schema the parser produces and, after each filter, the schema it passes on; the last is the output's.
    public var schemas: [Schema]
    /// Where the rows go.
    public var target: OutputTarget
    /// How the run is executed (`exec:`).
    public var exec: PlannedExec
    /// Keys the input asks to store under `in:` in the next config diff (such as `last_path`).
    public var configDiff: [String: String]

    /// The schema the output receives.
    public var outputSchema: Schema { schemas.last ?? Schema([]) }

    enum CodingKeys: String, CodingKey {
        case planVersion = "plan_version", configFile = "config_file", configHash = "config_hash"
        case sessionTime = "session_time", plugins, tasks, listedTaskCount = "listed_task_count", shard
        case schemas, target, exec, configDiff = "config_diff", config
    }

    public init(
        configFile: String?, config: ConfigNode, sessionTime: Timestamp, plugins: [PlannedPlugin], tasks: [InputTask],
        schemas: [Schema], target: OutputTarget, exec: PlannedExec, configDiff: [String: String]
    ) {
        self.configFile = configFile
        self.config = config
        self.configHash = LoadPlan.hash(config)
        self.sessionTime = sessionTime
        self.plugins = plugins
        self.tasks = tasks
        self.listedTaskCount = tasks.count
        self.schemas = schemas
        self.target = target
        self.exec = exec
        self.configDiff = configDiff
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        planVersion = try c.decode(Int.self, forKey: .planVersion)
        guard planVersion == 1 else {
            throw ConfigError(path: "plan_version", "this kura reads plans of version 1, not \(planVersion)", fix: "plan the load again with this kura")
        }
        configFile = try c.decodeIfPresent(String.self, forKey: .configFile)
        config = try c.decode(ConfigNode.self, forKey: .config)
        configHash = try c.decode(String.self, forKey: .configHash)
        let time = try c.decode(String.self, forKey: .sessionTime)
        guard let t = LoadPlan.parseTime(time) else {
            throw ConfigError(path: "session_time", "'\(time)' is not an ISO 8601 time", fix: "write it like 2024-05-01T00:00:00Z")
        }
        sessionTime = t
        plugins = try c.decode([PlannedPlugin].self, forKey: .plugins)
        tasks = try c.decode([PlannedTask].self, forKey: .tasks).map { try $0.task() }
        listedTaskCount = try c.decode(Int.self, forKey: .listedTaskCount)
        shard = try c.decodeIfPresent(Shard.self, forKey: .shard)
        schemas = try c.decode([Schema].self, forKey: .schemas)
        target = try c.decode(OutputTarget.self, forKey: .target)
        exec = try c.decode(PlannedExec.self, forKey: .exec)
        configDiff = try c.decodeIfPresent([String: String].self, forKey: .configDiff) ?? [:]
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(planVersion, forKey: .planVersion)
        try c.encodeIfPresent(configFile, forKey: .configFile)
        try c.encode(configHash, forKey: .configHash)
        try c.encode(sessionTime.iso8601, forKey: .sessionTime)
        try c.encodeIfPresent(shard, forKey: .shard)
        try c.encode(listedTaskCount, forKey: .listedTaskCount)
        try c.encode(tasks.map(PlannedTask.init), forKey: .tasks)
        try c.encode(schemas, forKey: .schemas)
        try c.encode(target, forKey: .target)
        try c.encode(exec, forKey: .exec)
        try c.encode(configDiff, forKey: .configDiff)
        try c.encode(plugins, forKey: .plugins)
        try c.encode(config, forKey: .config)
    }

    /// This plan with only the tasks of `shard`: those whose path hashes to `shard.index` (see `Shard`).
    public func sharded(_ shard: Shard) -> LoadPlan {
        var plan = self
        plan.tasks = tasks.filter { shard.contains($0.name) }
        plan.shard = shard
        return plan
    }

    /// This plan with passwords, tokens and keys hidden, for printing.
    public func redacted() -> LoadPlan {
        var plan = self
        plan.config = Redaction.config(config)
        plan.plugins = plugins.map { p in
            var p = p
            p.options = p.options.map(Redaction.config)
            p.given = Redaction.config(p.given)
            return p
        }
        plan.target.location = plan.target.location.map(Redaction.url)
        return plan
    }

    /// A stable 64-bit FNV-1a hash of a config, as 16 hex digits.
    public static func hash(_ node: ConfigNode) -> String {
        String(fnv1a(node.yamlText), radix: 16).leftPad(16)
    }

    /// Parses `session_time` as written by `encode(to:)` (ISO 8601 with a zone, optionally with a fraction).
    static func parseTime(_ text: String) -> Timestamp? {
        for format in ["%Y-%m-%dT%H:%M:%S.%N%z", "%Y-%m-%dT%H:%M:%S%z"] {
            let parser = try? TimestampParser(format: format)
            if let nanos = try? parser?.parse(text) { return Timestamp(nanos: nanos) }
        }
        return nil
    }
}

/// The 64-bit FNV-1a hash of `text`'s UTF-8 bytes: stable across runs, machines and kura versions.
public func fnv1a(_ text: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01B3
    }
    return h
}

/// A task as a plan stores it: the modification time as an ISO 8601 instant rather than seconds.
struct PlannedTask: Codable {
    var path: String
    var size: Int64?
    var mtime: String?

    init(_ task: InputTask) {
        path = task.name
        size = task.size
        mtime = task.modifiedAt.map { Timestamp(nanos: Int64(($0 * 1e9).rounded())).iso8601 }
    }

    func task() throws -> InputTask {
        guard let mtime else { return InputTask(name: path, size: size) }
        guard let t = LoadPlan.parseTime(mtime) else {
            throw ConfigError(path: "tasks", "the mtime '\(mtime)' of \(path) is not an ISO 8601 time", fix: "plan the load again")
        }
        return InputTask(name: path, size: size, modifiedAt: Double(t.nanos) / 1e9)
    }
}

/// One plugin of a planned pipeline.
public struct PlannedPlugin: Codable, Sendable, Equatable {
    /// The plugin's kind (input, decoder, parser, filter, formatter, encoder, output).
    public var kind: PluginKind
    /// The plugin's `type`.
    public var type: String
    /// Where its section is in the config, such as `in.parser` or `filters[1]`.
    public var path: String
    /// Every option with the value the plugin uses, defaults included, when the plugin reports them.
    public var options: ConfigNode?
    /// Its section as written (without `type` and the nested plugin sections); every key was checked.
    public var given: ConfigNode

    public init(kind: PluginKind, type: String, path: String, options: ConfigNode? = nil, given: ConfigNode) {
        self.kind = kind
        self.type = type
        self.path = path
        self.options = options
        self.given = given
    }
}

/// Where a load's rows go, as the output's section names it.
public struct OutputTarget: Codable, Sendable, Equatable {
    /// The output plugin's `type`.
    public var type: String
    /// The database file, directory prefix or server (`path`, `path_prefix`, `url`, or `host:port/database`).
    public var location: String?
    /// The table, for outputs that have one (with its schema when one is set).
    public var table: String?
    /// The output's `mode`, when it has one.
    public var mode: String?

    public init(type: String, location: String? = nil, table: String? = nil, mode: String? = nil) {
        self.type = type
        self.location = location
        self.table = table
        self.mode = mode
    }

    /// The target named by the `out:` section `node` of output `type`.
    init(type: String, node: ConfigNode, context: PluginContext) {
        self.type = type
        let text = { (key: String) in node[key]?.scalarText }
        if let path = text("path") {
            location = context.resolve(path)
        } else if let prefix = text("path_prefix") {
            location = context.resolve(prefix)
        } else if let url = text("url") {
            location = url
        } else if let host = text("host") {
            location = host + (text("port").map { ":" + $0 } ?? "") + (text("database").map { "/" + $0 } ?? "")
        }
        table = text("table").map { t in text("schema").map { $0 + "." + t } ?? t }
        mode = text("mode")
    }
}

/// One part of a load split into `count` shards, numbered from 0 (Kubernetes' `JOB_COMPLETION_INDEX`).
///
/// A task belongs to shard `fnv1a(path) % count`: the assignment depends only on the path, so adding files to a
/// load does not move the others between shards.
public struct Shard: Codable, Sendable, Equatable, CustomStringConvertible {
    /// This shard's number, `0..<count`.
    public var index: Int
    /// How many shards the load is split into (at least 1).
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `I/N` (`0 <= I < N`).
    public init?(text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        self.init(index: i, count: n)
    }

    /// Whether the task at `path` belongs to this shard.
    public func contains(_ path: String) -> Bool { Int(fnv1a(path) % UInt64(count)) == index }

    public var description: String { "\(index)/\(count)" }
}

/// The `exec:` section as planned.
public struct PlannedExec: Codable, Sendable, Equatable {
    /// Tasks run at the same time.
    public var maxThreads: Int
    /// The error budget: `unlimited`, a count, or a percentage such as `0.1%`.
    public var maxErrors: String
    /// Where rejected records are written.
    public var rejectsPath: String

    enum CodingKeys: String, CodingKey {
        case maxThreads = "max_threads", maxErrors = "max_errors", rejectsPath = "rejects_path"
    }

    public init(maxThreads: Int, maxErrors: String, rejectsPath: String) {
        self.maxThreads = maxThreads
        self.maxErrors = maxErrors
        self.rejectsPath = rejectsPath
    }
}

extension ErrorBudget {
    /// The budget as it is written in a config (`unlimited`, `100`, `0.1%`).
    public var text: String {
        switch self {
        case .unlimited: return "unlimited"
        case .count(let n): return String(n)
        case .ratio(let r): return "\(r * 100)%"
        }
    }
}
