import Foundation
import KuraCore
import KuraRuntime

/// The jobs of a folder (`jobs/` by default): every `NAME.yml` but the settings file, and the settings they share.
///
/// The settings file `kura.yml` beside the jobs is optional, and a template (`{{ env.X }}`). Its keys: `warehouse` (where `sql` steps run and
/// history is kept: a SQLite path or a `postgresql://` URL; default the embedded `kura.db` in the working
/// directory), `defaults` (keys every job gets unless it sets them: `timezone`, `concurrency_policy`,
/// `starting_deadline_seconds`, `retries`, `timeout_seconds`), and `vars` (template variables for every step).
public struct JobCatalog {
    /// The folder.
    public var directory: String
    /// The settings (`kura.yml`), or empty ones when there is none.
    public var settings: JobSettings
    /// The jobs by name, in name order.
    public var jobs: [JobSpec]

    /// The name of the settings file.
    public static let settingsFile = "kura.yml"

    /// The job called `name`.
    public func job(_ name: String) -> JobSpec? { jobs.first { $0.name == name } }

    /// Reads every job of `directory`; throws `ConfigErrors` with every problem, located (the job files are read
    /// as they are: only the files their steps name are templates).
    public init(directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.directory = directory
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw ConfigError(path: "", file: directory, "no jobs folder here", fix: "create \(directory)/NAME.yml files or pass --jobs DIR")
        }
        let loader = ConfigLoader(environment: environment)
        let settingsPath = directory + "/" + Self.settingsFile
        // The settings file is a template too, so a warehouse password can come from the environment.
        var settingsLoader = loader
        settingsLoader.rendersEveryFile = true
        settings = FileManager.default.fileExists(atPath: settingsPath)
            ? try JobSettings(node: try settingsLoader.load(path: settingsPath), file: settingsPath) : JobSettings()
        var errors: [ConfigError] = []
        var jobs: [JobSpec] = []
        for file in try Self.jobFiles(in: directory) {
            let name = String(file.dropLast(4))
            let path = directory + "/" + file
            do {
                guard JobCatalog.isValidName(name) else {
                    throw ConfigError(path: "", file: path, "'\(name)' is not a job name",
                        fix: "name job files with letters, digits, '_' and '-' (the file name is the job name)")
                }
                jobs.append(try JobSpec(name: name, file: path, node: try loader.load(path: path), defaults: settings.defaults))
            } catch let e as ConfigErrors {
                errors += e.errors
            } catch let e as ConfigError {
                errors.append(e)
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        self.jobs = jobs
        try checkDependencies()
    }

    /// The job files of `directory`, sorted: `*.yml` but the settings file.
    static func jobFiles(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".yml") && $0 != settingsFile && !$0.hasPrefix(".") }.sorted()
    }

    /// Whether `name` can name a job: letters, digits, `_` and `-`, starting with a letter or digit.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }

    /// Every `depends_on` names a job of the folder, and no job depends on itself through others.
    func checkDependencies() throws {
        var errors: [ConfigError] = []
        let names = jobs.map(\.name)
        for job in jobs {
            for dep in job.dependsOn where !names.contains(dep) {
                errors.append(ConfigError(path: "depends_on", file: job.file, "depends on '\(dep)', which is not a job in \(directory)",
                    fix: (nearest(dep, in: names).map { "did you mean '\($0)'? " } ?? "") + "jobs: \(names.joined(separator: ", "))"))
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        if let cycle = dependencyCycle() {
            let job = self.job(cycle[0])!
            throw ConfigError(path: "depends_on", file: job.file, "the jobs depend on each other in a cycle: \(cycle.joined(separator: " → "))",
                fix: "remove one of these depends_on entries")
        }
    }

    /// A dependency cycle (its job names, the first repeated at the end), or nil.
    func dependencyCycle() -> [String]? {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        func visit(_ name: String) -> [String]? {
            if state[name] == 2 { return nil }
            if state[name] == 1 { return Array(stack[stack.firstIndex(of: name)!...]) + [name] }
            state[name] = 1
            stack.append(name)
            for dep in job(name)?.dependsOn ?? [] {
                if let cycle = visit(dep) { return cycle }
            }
            stack.removeLast()
            state[name] = 2
            return nil
        }
        for job in jobs {
            if let cycle = visit(job.name) { return cycle }
        }
        return nil
    }

    /// The jobs `name` depends on, directly or not, then `name`: an order in which they can run.
    public func withDependencies(_ name: String) -> [String] {
        var order: [String] = []
        func add(_ n: String) {
            guard !order.contains(n) else { return }
            for dep in job(n)?.dependsOn ?? [] { add(dep) }
            order.append(n)
        }
        add(name)
        return order
    }
}

/// The settings file of a jobs folder (`kura.yml`).
public struct JobSettings: Sendable {
    /// Where `sql` steps run and history is kept: a SQLite path or a `postgresql://` URL (default: `kura.db`).
    public var warehouse: String?
    /// Keys every job gets unless it sets them.
    public var defaults: ConfigNode?
    /// Template variables for every step (`{{ vars.KEY }}`).
    public var vars: [String: String]

    public init(warehouse: String? = nil, defaults: ConfigNode? = nil, vars: [String: String] = [:]) {
        self.warehouse = warehouse
        self.defaults = defaults
        self.vars = vars
    }

    /// The keys `defaults:` may set.
    static let defaultKeys = ["timezone", "concurrency_policy", "starting_deadline_seconds", "retries", "timeout_seconds"]

    init(node: ConfigNode, file: String) throws {
        var r = NodeReader(file: file)
        guard let entries = node.mappingEntries else {
            throw ConfigError(path: "", mark: node.mark, file: file, "the settings file must be a mapping", fix: "write warehouse:, defaults: and vars: keys")
        }
        r.checkKeys(entries, allowed: ["warehouse", "defaults", "vars"], at: "")
        warehouse = r.text(node, "warehouse")
        defaults = node["defaults"]
        if let d = defaults?.mappingEntries { r.checkKeys(d, allowed: Self.defaultKeys, at: "defaults") }
        vars = [:]
        for (k, v) in node["vars"]?.mappingEntries ?? [] {
            if let text = v.scalarText { vars[k] = text } else { r.fail("vars." + k, v, "a variable is a single value") }
        }
        if !r.errors.isEmpty { throw ConfigErrors(r.errors) }
    }
}
