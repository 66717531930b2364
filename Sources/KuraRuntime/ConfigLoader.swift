import Foundation
import KuraCore
import Yams

/// Reads config files: renders `.liquid` templates, parses YAML, and keeps every node's line and column.
public struct ConfigLoader {
    /// Variables for templates: `{{ vars.KEY }}` (from `--var KEY=VALUE`).
    public var vars: [String: String]
    /// Environment for templates: `{{ env.NAME }}` (default: the process environment).
    public var environment: [String: String]
    /// Top-level template variables, such as a job session's `{{ session_date }}` (default none).
    public var variables: [String: String] = [:]
    /// Whether every file is a template, not only `.liquid` ones (default false; job steps set it).
    public var rendersEveryFile = false

    public init(vars: [String: String] = [:], environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.vars = vars
        self.environment = environment
    }

    /// Loads the config file at `path` (rendering it first when its name ends in `.liquid`).
    public func load(path: String) throws -> ConfigNode {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(path: "", file: path, "cannot read the config file", fix: "check that the path exists and is readable")
        }
        var yaml = text
        if path.hasSuffix(".liquid") || rendersEveryFile { yaml = try render(text, file: path) }
        return try parse(yaml: yaml, file: path)
    }

    /// Renders the template `text` of the file `file` with `env`, `vars` and `variables`.
    public func render(_ text: String, file: String) throws -> String {
        let dir = (file as NSString).deletingLastPathComponent
        var context = LiquidTemplate.Context(env: environment, vars: vars)
        context.assigned = variables
        return try LiquidTemplate(source: text, file: file, directory: dir.isEmpty ? "." : dir).render(context: context)
    }

    /// Parses YAML text into a config tree.
    public func parse(yaml: String, file: String? = nil) throws -> ConfigNode {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
            throw ConfigError(
                path: "", mark: SourceMark(line: context.mark.line, column: context.mark.column), file: file,
                "key \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")) appears twice in one mapping",
                fix: "keep one of them")
        } catch let e as YamlError {
            throw ConfigError(path: "", mark: ConfigLoader.mark(of: e), file: file, "the YAML is not valid: \(ConfigLoader.describe(e))",
                fix: "fix the YAML syntax (indentation, quotes, ':' after keys)")
        }
        guard let node else { return ConfigNode(.mapping([])) }
        return try convert(node, file: file, path: "")
    }

    static func mark(of e: YamlError) -> SourceMark? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return SourceMark(line: mark.line, column: mark.column)
        default: return nil
        }
    }

    static func describe(_ e: YamlError) -> String {
        switch e {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        default: return "\(e)"
        }
    }

    func convert(_ node: Node, file: String?, path: String) throws -> ConfigNode {
        let mark = node.mark.map { SourceMark(line: $0.line, column: $0.column) }
        switch node {
        case .scalar(let s):
            if s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string) {
                return ConfigNode(.null, mark: mark)
            }
            return ConfigNode(.scalar(s.string, quoted: s.style != .plain), mark: mark)
        case .sequence(let seq):
            return ConfigNode(
                .sequence(try seq.enumerated().map { try convert($0.element, file: file, path: path + "[\($0.offset)]") }),
                mark: mark)
        case .mapping(let map):
            var entries: [(key: String, value: ConfigNode)] = []
            for (k, v) in map {
                guard let key = k.scalar?.string else {
                    throw ConfigError(path: path, mark: mark, file: file, "mapping keys must be plain text")
                }
                let childPath = path.isEmpty ? key : path + "." + key
                if entries.contains(where: { $0.key == key }) {
                    throw ConfigError(
                        path: childPath, mark: k.mark.map { SourceMark(line: $0.line, column: $0.column) }, file: file,
                        "key '\(key)' appears twice", fix: "keep one of them")
                }
                entries.append((key: key, value: try convert(v, file: file, path: childPath)))
            }
            return ConfigNode(.mapping(entries), mark: mark)
        default:
            throw ConfigError(path: path, mark: mark, file: file, "YAML aliases are not supported here", fix: "write the value out")
        }
    }
}
