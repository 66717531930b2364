import ArgumentParser
import Foundation
import KuraCore
import KuraJobs
import KuraRuntime

/// `kura backfill JOB --from DATE --to DATE`: runs every session of a date range, each once.
struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Run every session of a job whose session date (in the job's zone) is in a range, in order, each once.",
        discussion: """
            Sessions that already succeeded are skipped, so an interrupted backfill resumes with the same command. \
            --with-deps backfills the jobs it depends on first, over the same dates. Exit status 1 when a session \
            failed (the backfill stops there).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var folder: JobsCommand.Folder

    @Argument(help: "The job's name.")
    var job: String

    @Option(name: .long, help: "The first session date, YYYY-MM-DD.")
    var from: String

    @Option(name: .long, help: "The last session date, YYYY-MM-DD (included).")
    var to: String

    @Flag(name: .long, help: "Run sessions again even when they already succeeded.")
    var force = false

    @Flag(name: .long, help: "Backfill the jobs this one depends on first, over the same dates.")
    var withDeps = false

    @Option(name: .long, help: "Sessions run at the same time (in session order; default 1).")
    var parallel = 1

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
    }

    func run() throws {
        let env = global.environment()
        let catalog = try JobCatalog(directory: folder.jobs, environment: env.environment)
        let target = try JobsCommand.job(job, in: catalog)
        let runner = JobRunner(catalog: catalog, environment: env)
        let names = withDeps ? catalog.withDependencies(target.name) : [target.name]
        var counts: [String: Int] = [:]
        for name in names {
            let spec = catalog.job(name)!
            guard let sessions = BackfillPlanner.sessions(spec.cronSchedule, from: from, to: to) else {
                throw usageError("--from and --to must be dates written YYYY-MM-DD, --from not after --to")
            }
            let outcomes = try runner.backfill(spec, sessions: sessions, parallel: parallel, force: force) { session, outcome in
                print(JobsCommand.describe(outcome, job: name, session: session))
                fflush(stdout)
            }
            for outcome in outcomes.compactMap({ $0 }) { counts[outcome.label, default: 0] += 1 }
            if outcomes.contains(where: { $0.map { !$0.isSuccess } ?? true }) {
                print("backfill stopped: a session of \(name) did not succeed; run the same command again to resume")
                throw ExitCode(ExitStatus.runFailed.rawValue)
            }
        }
        print("backfill \(names.joined(separator: ", ")) \(from) … \(to): "
            + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
    }
}
