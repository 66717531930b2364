import Foundation
import KuraCore
import KuraRuntime

extension JobCatalog {
    /// The file a step names, resolved against the folder of the job file.
    public func resolve(_ path: String, of job: JobSpec) -> String {
        if path.hasPrefix("/") { return path }
        let dir = (job.file as NSString).deletingLastPathComponent
        return (dir.isEmpty ? "." : dir) + "/" + path
    }

    /// Checks what the jobs' steps name: every file exists and renders as a template with a session's variables,
    /// and every load config plans (plugins, options, schemas) without running. Returns every problem found.
    public func validateSteps(environment: KuraEnvironment, now: Timestamp) -> [ConfigError] {
        var errors: [ConfigError] = []
        for job in jobs {
            let session = job.cronSchedule.next(after: now).first ?? now
            let variables = SessionVariables(job: job, sessionTime: session).templateValues
            for (i, step) in job.steps.enumerated() {
                do {
                    try validate(step, at: "steps[\(i)]", of: job, variables: variables, environment: environment)
                } catch let e as ConfigErrors {
                    errors += e.errors
                } catch let e as ConfigError {
                    errors.append(e)
                } catch {
                    errors.append(ConfigError(path: "steps[\(i)]", file: job.file, "\(error)"))
                }
            }
        }
        return errors
    }

    func validate(_ step: JobStep, at path: String, of job: JobSpec, variables: [String: String], environment: KuraEnvironment) throws {
        var loader = ConfigLoader(vars: environment.vars.merging(settings.vars) { a, _ in a }, environment: environment.environment)
        loader.variables = variables.merging(
            JobWarehouse(settings.warehouse, workingDirectory: environment.workingDirectory).templateValues) { a, _ in a }
        loader.rendersEveryFile = true
        let context = PluginContext(workingDirectory: environment.workingDirectory, sessionTime: Timestamp(seconds: 0), logger: .silent, isDryRun: true)
        switch step {
        case .load(.file(let file)):
            let full = resolve(file, of: job)
            try requireFile(full, named: file, at: path + ".load", of: job)
            _ = try LoadPipeline(config: try loader.load(path: full), file: full, registry: environment.registry, context: context)
        case .load(.inline(let node)):
            _ = try LoadPipeline(config: node, file: job.file, registry: environment.registry, context: context)
        case .sql(let file):
            let full = resolve(file, of: job)
            try requireFile(full, named: file, at: path + ".sql", of: job)
            _ = try loader.render(try String(contentsOfFile: full, encoding: .utf8), file: full)
        case .exec:
            break
        }
    }

    func requireFile(_ full: String, named file: String, at path: String, of job: JobSpec) throws {
        guard FileManager.default.isReadableFile(atPath: full) else {
            throw ConfigError(path: path, file: job.file, "the step's file '\(file)' does not exist (looked for \(full))",
                fix: "paths in steps are relative to the job file's folder")
        }
    }
}
