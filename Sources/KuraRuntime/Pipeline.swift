import Foundation
import KuraCore

/// A validated load: every plugin made from its config section, the schemas between the stages, and the
/// execution options. Building it has no side effects (inputs list files; nothing is written).
public final class LoadPipeline {
    public let input: FileInputPlugin
    public let decoders: [DecoderPlugin]
    public let parser: ParserPlugin
    public let filters: [FilterPlugin]
    /// `schemas[0]` is the parser's schema, `schemas[i + 1]` the schema after filter `i`.
    public let schemas: [Schema]
    public let output: OutputPlugin
    public let exec: ExecOptions
    public let context: PluginContext
    /// The config file, when the config came from one.
    public let file: String?
    /// The whole config, as loaded (for hashing and config diffs).
    public let config: ConfigNode
    /// The `out:` section's `type`.
    public let outputType: String
    /// Where the output says rejects belong by default, when it has an opinion.
    public let outputLocation: String?

    /// The schema the output receives.
    public var outputSchema: Schema { schemas.last! }

    /// Makes and validates every plugin of `config`; throws `ConfigErrors` listing every problem found.
    public init(config: ConfigNode, file: String?, registry: PluginRegistry, context: PluginContext) throws {
        self.config = config
        self.file = file
        self.context = context
        let sections = try LoadConfigSections(root: config, file: file)
        exec = sections.exec
        var errors: [ConfigError] = []
        func attempt<T>(_ body: () throws -> T) -> T? {
            do {
                return try body()
            } catch let e as ConfigError {
                errors.append(e)
            } catch let e as ConfigErrors {
                errors += e.errors
            } catch {
                errors.append(ConfigError(path: "", file: file, "\(error)"))
            }
            return nil
        }
        /// The items of the plugin list under `key` of `parent` (none when absent); anything but a list is an error.
        func sectionList(_ key: String, of parent: ConfigNode, at path: String) -> [ConfigNode] {
            switch parent[key]?.kind {
            case nil, .null?: return []
            case .sequence(let items)?: return items
            default:
                errors.append(ConfigError(
                    path: path, mark: parent[key]?.mark, file: file, "'\(key)' must be a list", fix: "write '- {type: gzip}' items"))
                return []
            }
        }
        /// The factory and config of the plugin section `node` at `path` (without the keys in `dropping`), or nil
        /// with the problem recorded.
        func section(_ node: ConfigNode, _ path: String, _ kind: PluginKind, dropping: [String] = [])
            -> (factory: PluginFactory, config: PluginConfig)?
        {
            guard let t = attempt({ try LoadPipeline.pluginType(node, path: path, kind: kind, registry: registry, file: file) }),
                let factory = registry.descriptor(kind, t)?.factory
            else { return nil }
            let stripped = (["type"] + dropping).reduce(node) { $0.removing($1) }
            return (factory, PluginConfig(node: stripped, path: path, file: file))
        }

        // in:
        let inputNode = sections.input
        var input: FileInputPlugin? = nil
        if let (factory, config) = section(inputNode, "in", .input, dropping: ["decoders", "parser"]),
            case .input(let make) = factory
        {
            input = attempt { try make(config, context) }
        }
        var decoders: [DecoderPlugin] = []
        for (i, item) in sectionList("decoders", of: inputNode, at: "in.decoders").enumerated() {
            if let (factory, config) = section(item, "in.decoders[\(i)]", .decoder), case .decoder(let make) = factory,
                let d = attempt({ try make(config) })
            {
                decoders.append(d)
            }
        }
        var parser: ParserPlugin? = nil
        if let parserNode = inputNode["parser"], !parserNode.isNull {
            if let (factory, config) = section(parserNode, "in.parser", .parser), case .parser(let make) = factory {
                parser = attempt { try make(config) }
            }
        } else {
            errors.append(ConfigError(
                path: "in.parser", mark: inputNode.mark, file: file, "missing 'parser:' under 'in:'",
                fix: "add a parser: type csv (with its columns) or json"))
        }

        // filters:
        var filters: [FilterPlugin] = []
        var schemas: [Schema] = []
        if let parser { schemas.append(parser.schema) }
        for (i, node) in sections.filters.enumerated() {
            guard let (factory, config) = section(node, "filters[\(i)]", .filter), case .filter(let make) = factory,
                let f = attempt({ try make(config) })
            else {
                schemas.removeAll()
                continue
            }
            filters.append(f)
            if let last = schemas.last {
                if let s = attempt({ try f.outputSchema(for: last) }) { schemas.append(s) } else { schemas.removeAll() }
            }
        }

        // out:
        let outNode = sections.output
        var output: OutputPlugin? = nil
        let outType = attempt { try LoadPipeline.pluginType(outNode, path: "out", kind: .output, registry: registry, file: file) } ?? ""
        var location: String? = nil
        switch registry.descriptor(.output, outType)?.factory {
        case .output(let make)?:
            output = attempt { try make(PluginConfig(node: outNode.removing("type"), path: "out", file: file), context) }
            location = LoadPipeline.outputLocation(outNode, context: context)
        case .fileOutput(let make)?:
            let fileOutput = attempt {
                try make(PluginConfig(node: outNode.removing("type").removing("formatter").removing("encoders"), path: "out", file: file), context)
            }
            var formatter: FormatterPlugin? = nil
            if let fnode = outNode["formatter"], !fnode.isNull {
                if let (factory, config) = section(fnode, "out.formatter", .formatter), case .formatter(let make) = factory {
                    formatter = attempt { try make(config) }
                }
            } else {
                errors.append(ConfigError(
                    path: "out.formatter", mark: outNode.mark, file: file, "a file output needs a 'formatter:'",
                    fix: "add 'formatter: {type: csv}' (or jsonl)"))
            }
            var encoders: [EncoderPlugin] = []
            for (i, item) in sectionList("encoders", of: outNode, at: "out.encoders").enumerated() {
                if let (factory, config) = section(item, "out.encoders[\(i)]", .encoder), case .encoder(let make) = factory,
                    let e = attempt({ try make(config) })
                {
                    encoders.append(e)
                }
            }
            if let fileOutput, let formatter {
                output = FormattedFileOutput(file: fileOutput, formatter: formatter, encoders: encoders)
            }
            if let prefix = outNode["path_prefix"]?.scalarText { location = context.resolve(prefix) }
        default:
            break
        }
        if let output, let schema = schemas.last, schemas.count == filters.count + 1 {
            _ = attempt { try output.plan(schema: schema, context: context) }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        self.input = input!
        self.decoders = decoders
        self.parser = parser!
        self.filters = filters
        self.schemas = schemas
        self.output = output!
        self.outputType = outType
        self.outputLocation = location
    }

    /// Where an output's data lives, for placing the default rejects file beside it.
    static func outputLocation(_ node: ConfigNode, context: PluginContext) -> String? {
        if let path = node["path"]?.scalarText {
            let table = node["table"]?.scalarText ?? "rejects"
            let dir = (context.resolve(path) as NSString).deletingLastPathComponent
            return (dir.isEmpty ? "." : dir) + "/" + table + "."
        }
        return nil
    }

    /// The `type` of a plugin section, checked against the registry.
    static func pluginType(_ node: ConfigNode, path: String, kind: PluginKind, registry: PluginRegistry, file: String?) throws -> String {
        guard node.mappingEntries != nil else {
            throw ConfigError(path: path, mark: node.mark, file: file, "expected a mapping with 'type:', got \(node.kindName)")
        }
        // `type: null` (unquoted) is YAML's null; it can only mean the `null` plugin.
        if let n = node["type"], n.isNull, registry.descriptor(kind, "null") != nil { return "null" }
        guard let t = node["type"]?.scalarText else {
            throw ConfigError(
                path: path, mark: node.mark, file: file, "missing 'type:'",
                fix: "set type to one of: \(registry.names(kind).joined(separator: ", "))")
        }
        guard registry.descriptor(kind, t) != nil else {
            let names = registry.names(kind)
            throw ConfigError(
                path: path + ".type", mark: node["type"]?.mark, file: file, "unknown \(kind) plugin '\(t)'",
                fix: (nearest(t, in: names).map { "did you mean '\($0)'? " } ?? "") + "available: \(names.joined(separator: ", "))")
        }
        return t
    }
}

/// Puts a formatter and encoders in front of a file output, so it receives pages like any output.
final class FormattedFileOutput: OutputPlugin {
    let file: FileOutputPlugin
    let formatter: FormatterPlugin
    let encoders: [EncoderPlugin]

    init(file: FileOutputPlugin, formatter: FormatterPlugin, encoders: [EncoderPlugin]) {
        self.file = file
        self.formatter = formatter
        self.encoders = encoders
    }

    func plan(schema: Schema, context: PluginContext) throws {
        _ = try formatter.makeFormatter(schema: schema)
        _ = try encoders.map { try $0.makeEncoder() }
    }

    func begin(schema: Schema, tasks: [InputTask], context: PluginContext) throws -> OutputSession {
        Session(file: try file.begin(taskCount: tasks.count, context: context), owner: self, schema: schema)
    }

    final class Session: OutputSession {
        let file: FileOutputSession
        let owner: FormattedFileOutput
        let schema: Schema
        init(file: FileOutputSession, owner: FormattedFileOutput, schema: Schema) {
            self.file = file
            self.owner = owner
            self.schema = schema
        }
        func openTask(_ index: Int) throws -> OutputTaskWriter {
            let writer = try file.openFile(task: index)
            let formatter = try owner.formatter.makeFormatter(schema: schema)
            let encoders = try owner.encoders.map { try $0.makeEncoder() }
            let t = TaskWriter(writer: writer, formatter: formatter, encoders: encoders)
            try formatter.begin(to: t.sinkAt(0))
            return t
        }
        func commit(_ report: CommitReport) throws { _ = try file.commit() }
        func abort() { file.abort() }
    }

    /// Formatter → encoders → file, as a chain of sinks.
    final class TaskWriter: OutputTaskWriter {
        let writer: ByteWriter
        let formatter: PageFormatter
        let encoders: [ByteTransform]
        init(writer: ByteWriter, formatter: PageFormatter, encoders: [ByteTransform]) {
            self.writer = writer
            self.formatter = formatter
            self.encoders = encoders
        }
        /// The sink that feeds encoder `i` (or the file when `i == encoders.count`).
        func sinkAt(_ i: Int) -> ByteSink {
            if i == encoders.count { return { [writer] in try writer.write($0) } }
            let next = sinkAt(i + 1)
            let enc = encoders[i]
            return { try enc.push($0, to: next) }
        }
        func add(_ page: Page) throws { try formatter.format(page, to: sinkAt(0)) }
        func finish() throws {
            try formatter.finish(to: sinkAt(0))
            for i in 0..<encoders.count { try encoders[i].finish(to: sinkAt(i + 1)) }
            try writer.close()
        }
        func abort() { try? writer.close() }
    }
}
