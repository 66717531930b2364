import Foundation
import KuraCore

/// How many bad records a run may reject before it fails as a whole.
public enum ErrorBudget: Sendable, Equatable, Decodable {
    /// No limit (Embulk's behaviour: skip and log every bad record).
    case unlimited
    /// Fail when more than this many records are rejected.
    case count(Int)
    /// Fail when more than this fraction of the records read are rejected (checked at the end of the run).
    case ratio(Double)

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self).trimmingSpaces()
        if let budget = ErrorBudget(text: text) {
            self = budget
            return
        }
        throw ConfigError(
            at: decoder.codingPath, nil, "'\(text)' is not an error budget",
            fix: "write a count like 100, a percentage like 0.1%, or 'unlimited'")
    }

    /// Parses `100`, `0.1%` or `unlimited`.
    public init?(text: String) {
        if text.lowercased() == "unlimited" || text == "-1" {
            self = .unlimited
        } else if text.hasSuffix("%"), let v = Double(text.dropLast()), v >= 0, v <= 100 {
            self = .ratio(v / 100)
        } else if let n = Int(text), n >= 0 {
            self = .count(n)
        } else {
            return nil
        }
    }
}

/// The `exec:` section: how the run is executed.
public struct ExecOptions: Decodable, Sendable {
    /// Tasks run at the same time (default: the number of CPU cores).
    public var maxThreads: Int
    /// Rejected records allowed before the whole run fails and commits nothing (default `unlimited`).
    public var maxErrors: ErrorBudget
    /// Where rejected records are written as JSON Lines (default: beside the output, or `./kura-rejects/`).
    public var rejectsPath: String?
    /// Accepted for Embulk compatibility; kura sizes output tasks itself (default: unset).
    public var minOutputTasks: Int?

    enum CodingKeys: String, CodingKey {
        case maxThreads = "max_threads"
        case maxErrors = "max_errors"
        case rejectsPath = "rejects_path"
        case minOutputTasks = "min_output_tasks"
    }

    public init() {
        maxThreads = ProcessInfo.processInfo.activeProcessorCount
        maxErrors = .unlimited
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxThreads = try c.decodeIfPresent(Int.self, forKey: .maxThreads) ?? ProcessInfo.processInfo.activeProcessorCount
        if maxThreads < 1 {
            throw ConfigError(at: decoder.codingPath, CodingKeys.maxThreads, "must be at least 1")
        }
        maxErrors = try c.decodeIfPresent(ErrorBudget.self, forKey: .maxErrors) ?? .unlimited
        rejectsPath = try c.decodeIfPresent(String.self, forKey: .rejectsPath)
        minOutputTasks = try c.decodeIfPresent(Int.self, forKey: .minOutputTasks)
    }
}

/// The top level of a load config, split into its sections (each still a raw node for its plugin).
struct LoadConfigSections {
    var input: ConfigNode
    var filters: [ConfigNode]
    var output: ConfigNode
    var exec: ExecOptions

    static let topKeys = ["in", "out", "filters", "exec"]

    init(root: ConfigNode, file: String?) throws {
        guard let entries = root.mappingEntries else {
            throw ConfigError(path: "", mark: root.mark, file: file, "the config must be a mapping with 'in:' and 'out:'")
        }
        for (key, value) in entries where !LoadConfigSections.topKeys.contains(key) {
            throw ConfigError(
                path: key, mark: value.mark, file: file, "unknown top-level key '\(key)'",
                fix: nearest(key, in: LoadConfigSections.topKeys).map { "did you mean '\($0)'?" }
                    ?? "the top-level keys are in, filters, out and exec")
        }
        guard let input = root["in"] else {
            throw ConfigError(path: "in", mark: root.mark, file: file, "missing 'in:' section", fix: "add an 'in:' section with type: file")
        }
        guard let output = root["out"] else {
            throw ConfigError(path: "out", mark: root.mark, file: file, "missing 'out:' section", fix: "add an 'out:' section, for example type: stdout")
        }
        self.input = input
        self.output = output
        switch root["filters"]?.kind {
        case nil, .null?: filters = []
        case .sequence(let items)?: filters = items
        default:
            throw ConfigError(path: "filters", mark: root["filters"]?.mark, file: file, "'filters' must be a list", fix: "write '- type: …' items")
        }
        if let e = root["exec"], !e.isNull {
            exec = try ConfigDecoder().decode(ExecOptions.self, from: e, path: "exec", file: file)
        } else {
            exec = ExecOptions()
        }
    }
}
