import ArgumentParser
import Foundation
import KuraCore
import KuraFormats
import KuraJobs
import KuraRuntime

/// `kura jobs run JOB`: runs one session of a job now.
struct JobsRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one session of a job now (default: the latest scheduled time at or before now).",
        discussion: """
            A session that already succeeded is not run again unless --force; a failed attempt is retried as the \
            job's retries say. Exit status 0 when the session succeeded (now or before), 1 when it failed, is \
            running in another process, or waits for a dependency.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var folder: JobsCommand.Folder

    @Argument(help: "The job's name (its file name without .yml).")
    var job: String

    @Option(name: .long, help: "The session time: ISO 8601, or a date and time without a zone, read in the job's zone.")
    var session: String?

    @Flag(name: .long, help: "Run the session even when it already succeeded.")
    var force = false

    @OptionGroup var metrics: MetricsOptions

    @Option(name: .long, help: ArgumentHelp("Run shard I of N (0 <= I < N): loads take the files whose path hashes to I; the shard's sessions are kept as JOB[I/N].", valueName: "I/N"))
    var shard: Shard?

    func run() throws {
        let env = global.environment()
        let catalog = try JobCatalog(directory: folder.jobs, environment: env.environment)
        var spec = try JobsCommand.job(job, in: catalog)
        spec.shard = shard
        let runner = JobRunner(catalog: catalog, environment: env)
        let time = try JobsCommand.sessionTime(session, of: spec, now: runner.now())
        let control = SessionControl()
        let started = Date()
        let late = session == nil ? spec.startingDeadlineSeconds.flatMap { deadline -> String? in
            let age = (runner.now().nanos - time.nanos) / 1_000_000_000
            return age > Int64(deadline) ? "started \(age) s after the session, past starting_deadline_seconds (\(deadline))" : nil
        } : nil
        let outcome = try late.map { try runner.skip(spec, session: time, reason: $0) }
            ?? runner.run(spec, session: time, force: force, control: control)
        metrics.publish(RunMetrics(job: spec.historyName, session: time, counts: control.loadTotals.counts,
            bytesRead: control.loadTotals.bytes, durationSeconds: Date().timeIntervalSince(started), succeeded: outcome.isSuccess),
            logger: env.logger)
        print(JobsCommand.describe(outcome, job: spec.historyName, session: time))
        if case .skipped = outcome, late != nil { return }
        if !outcome.isSuccess { throw ExitCode(ExitStatus.runFailed.rawValue) }
    }
}
