import ArgumentParser
import Foundation
import KuraRuntime

/// `kura check CONFIG`: validates a config without reading data or writing anything.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config: options, plugins, schemas, input files and the output target; reads no data, writes nothing.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The config file.")
    var config: String

    func run() throws {
        let env = global.environment()
        let pipeline = try env.pipeline(configPath: config, dryRun: true)
        let plan = pipeline.plan
        print("config OK: \(config)")
        print("  input: \(plan.tasks.count) file(s)")
        for t in plan.tasks.prefix(20) { print("    \(t.name)") }
        if plan.tasks.count > 20 { print("    … \(plan.tasks.count - 20) more") }
        print("  schema: \(plan.outputSchema)")
        // A dry-run session reaches the target and compares its table with the schema, writing nothing.
        let session = try pipeline.output.begin(schema: plan.outputSchema, tasks: plan.tasks, context: pipeline.context)
        session.abort()
        print("  output: \(plan.target.type) (reachable; the target accepts this schema)")
    }
}
