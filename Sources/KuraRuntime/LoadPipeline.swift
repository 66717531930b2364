import Foundation
import KuraCore

/// A planned load: its `LoadPlan` and the plugins made from it, ready to run, check or preview.
///
/// Making one has no side effects: plugins validate their options, the input lists its files (metadata only),
/// outputs check their options against the schema; nothing is written.
public final class LoadPipeline {
    /// The plan: config, plugins' options, tasks, schemas, target, session time, shard.
    public let plan: LoadPlan
    public let input: FileInputPlugin
    public let decoders: [DecoderPlugin]
    public let parser: ParserPlugin
    public let filters: [FilterPlugin]
    public let output: OutputPlugin
    public let exec: ExecOptions
    public let context: PluginContext
    /// Where the output says rejects belong by default, when it has an opinion.
    let outputLocation: String?

    /// `schemas[0]` is the parser's schema, `schemas[i + 1]` the schema after filter `i`.
    public var schemas: [Schema] { plan.schemas }
    /// The schema the output receives.
    public var outputSchema: Schema { plan.outputSchema }
    /// The config file, when the config came from one.
    public var file: String? { plan.configFile }
    /// The whole config, as loaded (for hashing and config diffs).
    public var config: ConfigNode { plan.config }
    /// The `out:` section's `type`.
    public var outputType: String { plan.target.type }

    /// Plans the load `config`: makes and validates every plugin and lists the input's tasks (of `shard` only,
    /// when given); throws `ConfigErrors` listing every problem found.
    public convenience init(
        config: ConfigNode, file: String?, registry: PluginRegistry, context: PluginContext, shard: Shard? = nil
    ) throws {
        let plugins = try PipelinePlugins(config: config, file: file, registry: registry, context: context)
        let listed = try plugins.input.plan(context: context)
        var plan = LoadPlan(
            configFile: file, config: config, sessionTime: context.sessionTime, plugins: plugins.planned,
            tasks: listed.tasks, schemas: plugins.schemas, target: plugins.target,
            exec: PlannedExec(
                maxThreads: plugins.exec.maxThreads, maxErrors: plugins.exec.maxErrors.text,
                rejectsPath: plugins.rejectsPath(file: file, context: context)),
            configDiff: listed.configDiff)
        if let shard { plan = plan.sharded(shard) }
        self.init(plan: plan, plugins: plugins, context: context)
    }

    /// Makes the plugins of a stored `plan`, to run its tasks as planned (the input does not list files again).
    public convenience init(plan: LoadPlan, registry: PluginRegistry, context: PluginContext) throws {
        var context = context
        context.sessionTime = plan.sessionTime
        let plugins = try PipelinePlugins(config: plan.config, file: plan.configFile, registry: registry, context: context)
        self.init(plan: plan, plugins: plugins, context: context)
    }

    init(plan: LoadPlan, plugins: PipelinePlugins, context: PluginContext) {
        self.plan = plan
        self.input = plugins.input
        self.decoders = plugins.decoders
        self.parser = plugins.parser
        self.filters = plugins.filters
        self.output = plugins.output
        self.exec = plugins.exec
        self.outputLocation = plugins.outputLocation
        self.context = context
    }
}
