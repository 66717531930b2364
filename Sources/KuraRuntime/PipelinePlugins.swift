import Foundation
import KuraCore

/// The plugins of a load config, each made from its section and validated, with the schemas between the stages.
struct PipelinePlugins {
    var input: FileInputPlugin
    var decoders: [DecoderPlugin]
    var parser: ParserPlugin
    var filters: [FilterPlugin]
    var output: OutputPlugin
    var exec: ExecOptions
    /// `schemas[0]` is the parser's schema, `schemas[i + 1]` the schema after filter `i`.
    var schemas: [Schema]
    /// Every plugin with its section, in pipeline order.
    var planned: [PlannedPlugin]
    var target: OutputTarget
    /// Where the output says rejects belong by default, when it has an opinion.
    var outputLocation: String?

    /// Makes every plugin of `config`; throws `ConfigErrors` listing every problem found.
    init(config: ConfigNode, file: String?, registry: PluginRegistry, context: PluginContext) throws {
        let sections = try LoadConfigSections(root: config, file: file)
        var b = PipelineBuilder(registry: registry, file: file, context: context)
        let input = b.makeInput(sections.input)
        let decoders = b.makeDecoders(of: sections.input)
        let parser = b.makeParser(of: sections.input)
        let (filters, schemas) = b.makeFilters(sections.filters, after: parser?.schema)
        let (output, target, location) = b.makeOutput(sections.output)
        if let output, let schema = schemas.last, schemas.count == filters.count + 1 {
            _ = b.attempt { try output.plan(schema: schema, context: context) }
        }
        if !b.errors.isEmpty { throw ConfigErrors(b.errors) }
        self.input = input!
        self.decoders = decoders
        self.parser = parser!
        self.filters = filters
        self.output = output!
        self.exec = sections.exec
        self.schemas = schemas
        self.planned = b.planned
        self.target = target
        self.outputLocation = location
    }

    /// Where rejected records go: `exec.rejects_path`, else beside the output's data, else `kura-rejects/`.
    func rejectsPath(file: String?, context: PluginContext) -> String {
        if let path = exec.rejectsPath { return context.resolve(path) }
        if let location = outputLocation { return location + "rejects.jsonl" }
        let base = ((file ?? "config") as NSString).lastPathComponent
            .replacingOccurrences(of: ".liquid", with: "").replacingOccurrences(of: ".yml", with: "")
            .replacingOccurrences(of: ".yaml", with: "")
        return context.resolve("kura-rejects/\(base).rejects.jsonl")
    }
}

/// Makes plugins from their config sections, collecting every problem instead of stopping at the first.
struct PipelineBuilder {
    let registry: PluginRegistry
    let file: String?
    let context: PluginContext
    /// The problems found so far.
    var errors: [ConfigError] = []
    /// The plugins made so far, with their sections.
    var planned: [PlannedPlugin] = []

    init(registry: PluginRegistry, file: String?, context: PluginContext) {
        self.registry = registry
        self.file = file
        self.context = context
    }

    /// Runs `body`, recording a thrown error and returning nil instead.
    mutating func attempt<T>(_ body: () throws -> T) -> T? {
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

    /// Runs `make` and records the plugin's decoded options on the plugin last added to `planned`.
    mutating func made<T>(_ make: () throws -> T) -> T? {
        let plugin = attempt(make)
        if let plugin, !planned.isEmpty { planned[planned.count - 1].options = OptionsSnapshot.of(plugin) }
        return plugin
    }

    /// The items of the plugin list under `key` of `parent` (none when absent); anything but a list is an error.
    mutating func sectionList(_ key: String, of parent: ConfigNode, at path: String) -> [ConfigNode] {
        switch parent[key]?.kind {
        case nil, .null?: return []
        case .sequence(let items)?: return items
        default:
            errors.append(ConfigError(
                path: path, mark: parent[key]?.mark, file: file, "'\(key)' must be a list", fix: "write '- {type: gzip}' items"))
            return []
        }
    }

    /// The factory and config of the plugin section `node` at `path` (without `type` and the keys in `dropping`),
    /// recorded in `planned`; nil with the problem recorded.
    mutating func section(_ node: ConfigNode, _ path: String, _ kind: PluginKind, dropping: [String] = [])
        -> (factory: PluginFactory, config: PluginConfig)?
    {
        let (registry, file) = (self.registry, self.file)
        guard let t = attempt({ try LoadPipeline.pluginType(node, path: path, kind: kind, registry: registry, file: file) }),
            let factory = registry.descriptor(kind, t)?.factory
        else { return nil }
        let stripped = (["type"] + dropping).reduce(node) { $0.removing($1) }
        planned.append(PlannedPlugin(kind: kind, type: t, path: path, given: stripped))
        return (factory, PluginConfig(node: stripped, path: path, file: file))
    }

    /// The `in:` plugin.
    mutating func makeInput(_ node: ConfigNode) -> FileInputPlugin? {
        guard let (factory, config) = section(node, "in", .input, dropping: ["decoders", "parser"]),
            case .input(let make) = factory
        else { return nil }
        let context = self.context
        return made { try make(config, context) }
    }

    /// The `in.decoders` plugins.
    mutating func makeDecoders(of input: ConfigNode) -> [DecoderPlugin] {
        var decoders: [DecoderPlugin] = []
        for (i, item) in sectionList("decoders", of: input, at: "in.decoders").enumerated() {
            if let (factory, config) = section(item, "in.decoders[\(i)]", .decoder), case .decoder(let make) = factory,
                let d = made({ try make(config) })
            {
                decoders.append(d)
            }
        }
        return decoders
    }

    /// The `in.parser` plugin, which every load needs.
    mutating func makeParser(of input: ConfigNode) -> ParserPlugin? {
        guard let node = input["parser"], !node.isNull else {
            errors.append(ConfigError(
                path: "in.parser", mark: input.mark, file: file, "missing 'parser:' under 'in:'",
                fix: "add a parser: type csv (with its columns) or json"))
            return nil
        }
        guard let (factory, config) = section(node, "in.parser", .parser), case .parser(let make) = factory else { return nil }
        return made { try make(config) }
    }

    /// The `filters:` plugins and the schemas they produce from `first` (empty when a schema is unknown).
    mutating func makeFilters(_ nodes: [ConfigNode], after first: Schema?) -> ([FilterPlugin], [Schema]) {
        var filters: [FilterPlugin] = []
        var schemas: [Schema] = first.map { [$0] } ?? []
        for (i, node) in nodes.enumerated() {
            guard let (factory, config) = section(node, "filters[\(i)]", .filter), case .filter(let make) = factory,
                let f = made({ try make(config) })
            else {
                schemas.removeAll()
                continue
            }
            filters.append(f)
            if let last = schemas.last {
                if let s = attempt({ try f.outputSchema(for: last) }) { schemas.append(s) } else { schemas.removeAll() }
            }
        }
        return (filters, schemas)
    }

    /// The `out:` plugin (a file output wrapped with its formatter and encoders), its target, and where rejects
    /// belong by default.
    mutating func makeOutput(_ node: ConfigNode) -> (OutputPlugin?, OutputTarget, String?) {
        let (registry, file, context) = (self.registry, self.file, self.context)
        let type = attempt { try LoadPipeline.pluginType(node, path: "out", kind: .output, registry: registry, file: file) } ?? ""
        let target = OutputTarget(type: type, node: node, context: context)
        switch registry.descriptor(.output, type)?.factory {
        case .output(let make)?:
            let options = node.removing("type")
            planned.append(PlannedPlugin(kind: .output, type: type, path: "out", given: options))
            let output = made { try make(PluginConfig(node: options, path: "out", file: file), context) }
            return (output, target, LoadPipeline.outputLocation(node, context: context))
        case .fileOutput(let make)?:
            let location = node["path_prefix"]?.scalarText.map(context.resolve)
            return (makeFileOutput(node, type: type, make), target, location)
        default:
            return (nil, target, nil)
        }
    }

    /// A file output of `type` with the formatter and encoders its section `node` names.
    mutating func makeFileOutput(
        _ node: ConfigNode, type: String, _ make: @Sendable (PluginConfig, PluginContext) throws -> FileOutputPlugin
    ) -> OutputPlugin? {
        let (file, context) = (self.file, self.context)
        let options = node.removing("type").removing("formatter").removing("encoders")
        planned.append(PlannedPlugin(kind: .output, type: type, path: "out", given: options))
        let fileOutput = made { try make(PluginConfig(node: options, path: "out", file: file), context) }
        var formatter: FormatterPlugin? = nil
        if let fnode = node["formatter"], !fnode.isNull {
            if let (factory, config) = section(fnode, "out.formatter", .formatter), case .formatter(let makeFormatter) = factory {
                formatter = made { try makeFormatter(config) }
            }
        } else {
            errors.append(ConfigError(
                path: "out.formatter", mark: node.mark, file: file, "a file output needs a 'formatter:'",
                fix: "add 'formatter: {type: csv}' (or jsonl)"))
        }
        var encoders: [EncoderPlugin] = []
        for (i, item) in sectionList("encoders", of: node, at: "out.encoders").enumerated() {
            if let (factory, config) = section(item, "out.encoders[\(i)]", .encoder), case .encoder(let makeEncoder) = factory,
                let e = made({ try makeEncoder(config) })
            {
                encoders.append(e)
            }
        }
        guard let fileOutput, let formatter else { return nil }
        return FormattedFileOutput(file: fileOutput, formatter: formatter, encoders: encoders)
    }
}

extension LoadPipeline {
    /// Where an output's data lives, for placing the default rejects file beside it.
    static func outputLocation(_ node: ConfigNode, context: PluginContext) -> String? {
        guard let path = node["path"]?.scalarText else { return nil }
        let table = node["table"]?.scalarText ?? "rejects"
        let dir = (context.resolve(path) as NSString).deletingLastPathComponent
        return (dir.isEmpty ? "." : dir) + "/" + table + "."
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
