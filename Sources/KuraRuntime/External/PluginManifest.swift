import Foundation
import KuraCore
import KuraFormats

/// An out-of-process plugin's `plugin.yml`: what it is, how to start it, and the options it takes.
///
/// ```yaml
/// kind: filter                 # filter, input or output
/// name: mask
/// summary: Replaces the named string columns by a hash.
/// command: [python3, mask.py]  # run in the manifest's directory; a string is split on spaces
/// timeout_seconds: 30          # the longest wait for the plugin's next bytes and for its exit (default 30)
/// options:
///   columns: {type: list, required: true, description: the columns to mask}
///   salt: {type: string, default: "", description: text hashed before each value}
/// ```
public struct PluginManifest: Sendable {
    /// One option the plugin takes.
    public struct Option: Sendable {
        /// `string`, `long`, `double`, `boolean`, `list` or `map`.
        public var type: String
        public var required: Bool
        /// The value used when the config leaves the option out (none when absent).
        public var defaultValue: ConfigNode?
        public var description: String
    }

    public var kind: PluginKind
    public var name: String
    public var summary: String
    /// The argv; the first word is found on `PATH`, or in `directory` when it contains a `/`.
    public var command: [String]
    /// Where the manifest is; the command runs there.
    public var directory: String
    /// The manifest's path.
    public var path: String
    /// The longest wait for the plugin's next bytes and for its exit, in seconds (default 30).
    public var timeoutSeconds: Double
    /// The options, in the manifest's order.
    public var options: [(name: String, option: Option)]

    static let optionTypes = ["string", "long", "double", "boolean", "list", "map"]
    static let keys = ["kind", "name", "summary", "command", "timeout_seconds", "options"]

    /// Reads the manifest at `path`; throws a `ConfigError` naming the key that is wrong.
    public init(path: String) throws {
        let node = try ConfigLoader(environment: [:]).parse(yaml: try String(contentsOfFile: path, encoding: .utf8), file: path)
        func fail(_ key: String, _ message: String, _ fix: String) -> ConfigError {
            ConfigError(path: key, mark: node.nearestMark(key), file: path, message, fix: fix)
        }
        for (key, _) in node.mappingEntries ?? [] where !Self.keys.contains(key) {
            throw fail(key, "unknown key '\(key)'", nearest(key, in: Self.keys).map { "did you mean '\($0)'?" } ?? "the keys are \(Self.keys.joined(separator: ", "))")
        }
        guard let kindText = node["kind"]?.scalarText, let kind = PluginKind(rawValue: kindText), [.filter, .input, .output].contains(kind) else {
            throw fail("kind", "kind must be filter, input or output", "set kind: filter, kind: input or kind: output")
        }
        guard let name = node["name"]?.scalarText, !name.isEmpty else { throw fail("name", "name is missing", "set name: to the plugin's type name") }
        let command: [String]
        if let words = node["command"]?.sequenceItems?.compactMap(\.scalarText), !words.isEmpty {
            command = words
        } else if let text = node["command"]?.scalarText, !text.isEmpty {
            command = text.split(separator: " ").map(String.init)
        } else {
            throw fail("command", "command is missing", "set command: to the executable and its arguments, e.g. [python3, plugin.py]")
        }
        var timeout = 30.0
        if let t = node["timeout_seconds"]?.scalarText {
            guard let v = Double(t), v > 0 else { throw fail("timeout_seconds", "timeout_seconds must be a positive number", "e.g. timeout_seconds: 30") }
            timeout = v
        }
        var options: [(String, Option)] = []
        for (key, spec) in node["options"]?.mappingEntries ?? [] {
            let type = spec["type"]?.scalarText ?? "string"
            guard Self.optionTypes.contains(type) else {
                throw fail("options.\(key).type", "unknown option type '\(type)'", "use one of \(Self.optionTypes.joined(separator: ", "))")
            }
            options.append((key, Option(
                type: type, required: spec["required"]?.scalarText == "true", defaultValue: spec["default"],
                description: spec["description"]?.scalarText ?? "")))
        }
        self.kind = kind
        self.name = name
        self.summary = node["summary"]?.scalarText ?? "An out-of-process plugin (\(path))."
        self.command = command
        self.directory = (path as NSString).deletingLastPathComponent
        self.path = path
        self.timeoutSeconds = timeout
        self.options = options
    }

    /// The options a config section gives, checked against the manifest and completed with defaults, as a JSON
    /// object; `timeout_seconds` in the section overrides the manifest's. Throws a `ConfigError` for an unknown
    /// key, a missing required option or a value of the wrong type.
    func options(from config: PluginConfig) throws -> (json: String, timeoutSeconds: Double) {
        var timeout = timeoutSeconds
        var given: [String: ConfigNode] = [:]
        let names = options.map(\.name)
        for (key, value) in config.node.mappingEntries ?? [] {
            if key == "timeout_seconds" {
                guard let t = value.scalarText.flatMap(Double.init), t > 0 else {
                    throw config.error(key, "timeout_seconds must be a positive number", fix: "e.g. timeout_seconds: 30")
                }
                timeout = t
                continue
            }
            guard names.contains(key) else {
                throw config.error(
                    key, "unknown key '\(key)' for \(kind) '\(name)' (\(path))",
                    fix: nearest(key, in: names).map { "did you mean '\($0)'?" }
                        ?? (names.isEmpty ? "remove it: the plugin takes no options" : "its options are \(names.joined(separator: ", "))"))
            }
            given[key] = value
        }
        var fields: [String] = []
        for (key, option) in options {
            guard let value = given[key] ?? option.defaultValue else {
                if option.required { throw config.error(key, "missing required option '\(key)' (\(option.description))", fix: "add \(key): to the section") }
                continue
            }
            fields.append(Self.quoted(key) + ":" + (try Self.json(value, as: option.type, key: key, config: config)))
        }
        return ("{" + fields.joined(separator: ",") + "}", timeout)
    }

    /// `node` as JSON text of `type`.
    static func json(_ node: ConfigNode, as type: String, key: String, config: PluginConfig) throws -> String {
        func wrong() -> ConfigError { config.error(key, "option '\(key)' must be a \(type), got \(node.kindName)", fix: "give a \(type)") }
        if node.isNull { return "null" }
        switch type {
        case "string":
            guard let s = node.scalarText else { throw wrong() }
            return quoted(s)
        case "long":
            guard let s = node.scalarText, Int64(s) != nil else { throw wrong() }
            return s
        case "double":
            guard let s = node.scalarText, let d = Double(s), d.isFinite else { throw wrong() }
            return s
        case "boolean":
            guard let s = node.scalarText?.lowercased(), ["true", "false"].contains(s) else { throw wrong() }
            return s
        case "list":
            guard let items = node.sequenceItems else { throw wrong() }
            return "[" + (try items.map { try anyJSON($0, key: key, config: config) }).joined(separator: ",") + "]"
        default:
            guard node.mappingEntries != nil else { throw wrong() }
            return try anyJSON(node, key: key, config: config)
        }
    }

    /// `node` as JSON: scalars that read as numbers or booleans (unquoted in the YAML) stay so, others are strings.
    static func anyJSON(_ node: ConfigNode, key: String, config: PluginConfig) throws -> String {
        switch node.kind {
        case .null: return "null"
        case .scalar(let s, let isQuoted):
            if !isQuoted && (Int64(s) != nil || (Double(s)?.isFinite ?? false) || s == "true" || s == "false") { return s }
            return quoted(s)
        case .sequence(let items): return "[" + (try items.map { try anyJSON($0, key: key, config: config) }).joined(separator: ",") + "]"
        case .mapping(let pairs):
            return "{" + (try pairs.map { quoted($0.key) + ":" + (try anyJSON($0.value, key: key, config: config)) }).joined(separator: ",") + "}"
        }
    }

    static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        JSON.appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension ConfigNode {
    /// The items of a sequence node (nil for other nodes).
    var sequenceItems: [ConfigNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }
}
