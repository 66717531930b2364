import Foundation
import KuraCore
import KuraRuntime

/// Runs the steps of one attempt of one session: loads through the load runner, SQL in the warehouse in one
/// transaction, commands as processes; every file a step names is rendered with the session's variables first.
struct JobStepRunner {
    let runner: JobRunner
    let job: JobSpec
    let variables: SessionVariables
    let runID: String
    let connection: JobWarehouseConnection
    let control: SessionControl
    /// The attempt's logger (its fields: job, session, attempt, job_run_id).
    let logger: Logger

    /// A loader that renders every file with the session's variables, the settings' `vars` and `--var`s.
    var loader: ConfigLoader {
        let env = runner.environment
        var l = ConfigLoader(vars: runner.catalog.settings.vars.merging(env.vars) { _, cli in cli }, environment: env.environment)
        l.variables = variables.templateValues.merging(runner.warehouse.templateValues) { a, _ in a }
        l.rendersEveryFile = true
        return l
    }

    func run(_ step: JobStep, index: Int) throws {
        logger.info("job \(job.name) step \(index + 1) (\(step.kind))")
        switch step {
        case .load(.file(let file)):
            let path = runner.catalog.resolve(file, of: job)
            try load(try loader.load(path: path), file: path, step: index)
        case .load(.inline(let node)):
            try load(node, file: job.file, step: index)
        case .sql(let file):
            let path = runner.catalog.resolve(file, of: job)
            let text = try loader.render(try String(contentsOfFile: path, encoding: .utf8), file: path)
            try connection.runInTransaction(text)
        case .exec(let command):
            try exec(command)
        }
    }

    /// Runs the load `config` of step `step` (from 0) for the session, stopping it when the job's timeout passes;
    /// the load's run id is the attempt's with the step's number (`….2`).
    func load(_ config: ConfigNode, file: String, step: Int) throws {
        let env = runner.environment
        let context = PluginContext(workingDirectory: env.workingDirectory, sessionTime: variables.sessionTime, logger: logger)
        let pipeline = try LoadPipeline(config: config, file: file, registry: env.registry, context: context, shard: job.shard)
        let load = LoadRunner(pipeline: pipeline)
        load.runID = "\(runID).\(step + 1)"
        load.showProgress = false
        if let seconds = job.timeoutSeconds {
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) {
                load.cancel(reason: "the job's timeout_seconds (\(seconds)) passed; nothing was committed")
            }
        }
        control.running(load: load)
        defer { control.running() }
        let result = try load.run()
        control.addLoad(result.total, bytes: result.bytesRead)
        logger.info(
            "job \(job.name): load \(result.runID) committed: read \(result.total.read), loaded \(result.total.loaded), rejected \(result.total.rejected), filtered \(result.total.filtered)"
                + (result.skipped.isEmpty ? "" : ", \(result.skipped.count) file(s) already loaded"))
    }

    /// Runs `command` in the job file's folder with the session's environment; its output goes to the log, its
    /// exit status decides the step.
    func exec(_ command: JobStep.Command) throws {
        let p = Process()
        let argv: [String]
        switch command {
        case .shell(let text): argv = ["/bin/sh", "-c", text]
        case .argv(let words): argv = ["/usr/bin/env"] + words
        }
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let dir = (job.file as NSString).deletingLastPathComponent
        p.currentDirectoryURL = URL(fileURLWithPath: dir.isEmpty ? "." : dir)
        var env = runner.environment.environment
        for (k, v) in variables.environment(runID: runID) { env[k] = v }
        for (k, v) in runner.warehouse.environment { env[k] = v }
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        control.running(process: p)
        defer { control.running() }
        let timedOut = Flag()
        if let seconds = job.timeoutSeconds {
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) {
                if p.isRunning {
                    timedOut.set()
                    // The command runs in a process group of its own: stop it and everything it started.
                    let pid = p.processIdentifier
                    if getpgid(pid) == pid { kill(-pid, SIGTERM) } else { p.terminate() }
                }
            }
        }
        forwardLines(pipe.fileHandleForReading)
        p.waitUntilExit()
        if let why = control.interruption { throw SystemError("the command was stopped: \(why)") }
        if timedOut.isSet { throw SystemError("the command ran past the job's timeout_seconds (\(job.timeoutSeconds ?? 0)) and was stopped") }
        guard p.terminationReason == .exit, p.terminationStatus == 0 else {
            let how = p.terminationReason == .exit ? "exited with status \(p.terminationStatus)" : "was killed by signal \(p.terminationStatus)"
            throw SystemError("the command \(how)")
        }
    }

    /// Logs every line read from `handle` until it closes.
    func forwardLines(_ handle: FileHandle) {
        var pending = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let nl = pending.firstIndex(of: 10) {
                logger.info("  \(job.name) | " + String(decoding: pending[pending.startIndex..<nl], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...nl)
            }
        }
        if !pending.isEmpty { logger.info("  \(job.name) | " + String(decoding: pending, as: UTF8.self)) }
    }

    /// A step's error as one line for the history and the log.
    static func describe(_ error: Error) -> String {
        switch error {
        case let e as ConfigErrors: return e.errors.map(\.description).joined(separator: "; ")
        case let e as RunFailure: return e.message
        case let e as SystemError: return e.message
        default: return "\(error)"
        }
    }
}

/// A flag set once from one thread and read from another.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    /// Whether `set()` was called.
    var isSet: Bool { lock.withLock { value } }

    /// Sets the flag.
    func set() { lock.withLock { value = true } }
}
