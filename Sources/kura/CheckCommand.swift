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
        print("plan: \(config)")
        print("  input: \(plan.tasks.count) file(s)")
        for t in plan.tasks.prefix(20) { print("    \(t.name)") }
        if plan.tasks.count > 20 { print("    … \(plan.tasks.count - 20) more") }
        print("  schema: \(plan.outputSchema)")
        // A dry-run session reaches the target and compares its table with the schema, writing nothing.
        let session = try pipeline.output.begin(schema: plan.outputSchema, tasks: plan.tasks, context: pipeline.context)
        session.abort()
        let target = plan.redacted().target
        let place = [target.location, target.table.map { "table " + $0 }, target.mode.map { "mode " + $0 }].compactMap { $0 }
        print("  output: \(target.type)\(place.isEmpty ? "" : " " + place.joined(separator: ", ")) (reachable; the target accepts this schema)")
        print("check OK: \(config)")
    }
}
