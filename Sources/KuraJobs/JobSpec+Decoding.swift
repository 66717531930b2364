import KuraCore
import KuraFormats

extension JobSpec {
    /// Reads the job `name` from its file's tree `node`; keys it does not set come from `defaults` (the settings
    /// file's `defaults:`). Throws `ConfigErrors` listing every problem, each located in `file`.
    public init(name: String, file: String, node: ConfigNode, defaults: ConfigNode? = nil) throws {
        var r = NodeReader(file: file)
        guard let entries = node.mappingEntries else {
            throw ConfigError(path: "", mark: node.mark, file: file, "a job file must be a mapping with 'schedule:' and 'steps:'")
        }
        r.checkKeys(entries, allowed: Self.keys, at: "")
        let merged = JobSpec.merging(defaults, under: node)
        let scheduleText = r.text(merged, "schedule", required: true) ?? "@daily"
        var schedule = try? CronExpression("@daily")
        do { schedule = try CronExpression(scheduleText) } catch let e as CronError {
            r.fail("schedule", merged["schedule"], "\(e)")
        }
        let timezone = r.text(merged, "timezone") ?? "UTC"
        if (try? ZoneRule.resolve(timezone)) == nil {
            r.fail("timezone", merged["timezone"], "unknown time zone '\(timezone)'", fix: "use an IANA name such as Asia/Tokyo, or UTC")
        }
        let policy = r.choice(merged, "concurrency_policy", ConcurrencyPolicy.self) ?? .forbid
        let deadline = r.integer(merged, "starting_deadline_seconds", min: 0)
        let retries = r.retries(merged["retries"])
        let timeout = r.integer(merged, "timeout_seconds", min: 1)
        let dependsOn = r.names(merged["depends_on"], "depends_on")
        let parallelism = r.integer(merged, "parallelism", min: 1) ?? 1
        let suspend = r.boolean(merged, "suspend") ?? false
        let steps = r.steps(node["steps"], mark: node.mark)
        if !r.errors.isEmpty { throw ConfigErrors(r.errors) }
        self.init(
            name: name, file: file, schedule: schedule!, timezone: timezone, concurrencyPolicy: policy,
            startingDeadlineSeconds: deadline, retries: retries, timeoutSeconds: timeout, dependsOn: dependsOn,
            parallelism: parallelism, suspend: suspend, steps: steps)
    }

    /// `node` with the keys of `defaults` it does not set (a job's own keys win).
    static func merging(_ defaults: ConfigNode?, under node: ConfigNode) -> ConfigNode {
        guard let defaults = defaults?.mappingEntries else { return node }
        var merged = node
        for (key, value) in defaults where node[key] == nil { merged = merged.setting(key, to: value) }
        return merged
    }
}

/// Reads values out of a job file's tree, collecting located errors instead of stopping at the first.
struct NodeReader {
    let file: String
    var errors: [ConfigError] = []
    /// The key path of the mapping being read (empty at the top), prefixed to every error's path.
    var prefix = ""

    init(file: String) { self.file = file }

    mutating func fail(_ path: String, _ node: ConfigNode?, _ message: String, fix: String? = nil) {
        let full = prefix.isEmpty || path.hasPrefix(prefix + ".") ? path : prefix + "." + path
        errors.append(ConfigError(path: full, mark: node?.mark, file: file, message, fix: fix))
    }

    /// Records every key of `entries` that is not in `allowed`, with the nearest allowed one.
    mutating func checkKeys(_ entries: [(key: String, value: ConfigNode)], allowed: [String], at path: String) {
        for (key, value) in entries where !allowed.contains(key) {
            let full = path.isEmpty ? key : path + "." + key
            fail(full, value, "unknown key '\(key)'",
                fix: nearest(key, in: allowed).map { "did you mean '\($0)'?" } ?? "the keys are \(allowed.joined(separator: ", "))")
        }
    }

    mutating func text(_ node: ConfigNode, _ key: String, required: Bool = false) -> String? {
        guard let value = node[key], !value.isNull else {
            if required { fail(key, node, "missing '\(key):'", fix: "add \(key): '30 2 * * *' (a cron expression or @daily)") }
            return nil
        }
        guard let text = value.scalarText else {
            fail(key, value, "'\(key)' must be a single value, not \(value.kindName)")
            return nil
        }
        return text
    }

    mutating func integer(_ node: ConfigNode, _ key: String, min: Int) -> Int? {
        guard let text = text(node, key) else { return nil }
        guard let n = Int(text), n >= min else {
            fail(key, node[key], "'\(text)' is not a whole number of at least \(min)")
            return nil
        }
        return n
    }

    mutating func boolean(_ node: ConfigNode, _ key: String) -> Bool? {
        guard let text = text(node, key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            fail(key, node[key], "'\(text)' is not true or false")
            return nil
        }
    }

    mutating func choice<E: ConfigEnum>(_ node: ConfigNode, _ key: String, _ type: E.Type) -> E? {
        guard let text = text(node, key) else { return nil }
        if let v = E(rawValue: text.lowercased()) { return v }
        let names = E.allCases.map(\.rawValue)
        fail(key, node[key], "'\(text)' is not one of \(names.joined(separator: ", "))",
            fix: nearest(text, in: names).map { "did you mean '\($0)'?" })
        return nil
    }

    /// `retries`: a count, or `{limit: N, backoff_seconds: S}`.
    mutating func retries(_ node: ConfigNode?) -> RetryPolicy {
        guard let node, !node.isNull else { return RetryPolicy() }
        if let text = node.scalarText {
            guard let n = Int(text), n >= 0 else {
                fail("retries", node, "'\(text)' is not a count of retries", fix: "write retries: 2 or retries: {limit: 2, backoff_seconds: 60}")
                return RetryPolicy()
            }
            return RetryPolicy(limit: n)
        }
        guard let entries = node.mappingEntries else {
            fail("retries", node, "'retries' must be a count or a mapping")
            return RetryPolicy()
        }
        checkKeys(entries, allowed: ["limit", "backoff_seconds"], at: "retries")
        var policy = RetryPolicy()
        prefix = "retries"
        defer { prefix = "" }
        if let n = integer(node, "limit", min: 0) { policy.limit = n }
        if let s = integer(node, "backoff_seconds", min: 0) { policy.backoffSeconds = s }
        return policy
    }

    /// A list of job names (`depends_on`).
    mutating func names(_ node: ConfigNode?, _ path: String) -> [String] {
        guard let node, !node.isNull else { return [] }
        if let single = node.scalarText { return [single] }
        guard case .sequence(let items) = node.kind else {
            fail(path, node, "'\(path)' must be a list of job names")
            return []
        }
        return items.compactMap { item in
            guard let name = item.scalarText else {
                fail(path, item, "each item of '\(path)' must be a job name")
                return nil
            }
            return name
        }
    }

    /// The `steps:` list: each item one of `load:`, `sql:` or `exec:`.
    mutating func steps(_ node: ConfigNode?, mark: SourceMark?) -> [JobStep] {
        guard let node, case .sequence(let items) = node.kind, !items.isEmpty else {
            errors.append(ConfigError(
                path: "steps", mark: node?.mark ?? mark, file: file, "a job needs a non-empty 'steps:' list",
                fix: "add steps such as '- load: configs/events.yml', '- sql: sql/features.sql', '- exec: python3 train.py'"))
            return []
        }
        return items.enumerated().compactMap { step($1, at: "steps[\($0)]") }
    }

    mutating func step(_ node: ConfigNode, at path: String) -> JobStep? {
        guard let entries = node.mappingEntries, entries.count == 1, let (kind, value) = entries.first.map({ ($0.key, $0.value) }) else {
            fail(path, node, "a step is one of load:, sql: or exec:", fix: "write '- sql: sql/features.sql'")
            return nil
        }
        switch kind {
        case "load":
            if let path = value.scalarText { return .load(.file(path)) }
            if value.mappingEntries != nil { return .load(.inline(value)) }
            fail(path + ".load", value, "a load step is a config file's path or an inline config with in: and out:")
        case "sql":
            if let file = value.scalarText { return .sql(path: file) }
            fail(path + ".sql", value, "a sql step is the path of a SQL file")
        case "exec":
            if let command = value.scalarText { return .exec(.shell(command)) }
            if case .sequence(let items) = value.kind, !items.isEmpty, items.allSatisfy({ $0.scalarText != nil }) {
                return .exec(.argv(items.map { $0.scalarText! }))
            }
            fail(path + ".exec", value, "an exec step is a command string (run by /bin/sh -c) or a list of arguments")
        default:
            fail(path + "." + kind, value, "unknown step '\(kind)'",
                fix: (nearest(kind, in: ["load", "sql", "exec"]).map { "did you mean '\($0)'? " } ?? "") + "steps are load, sql and exec")
        }
        return nil
    }
}
