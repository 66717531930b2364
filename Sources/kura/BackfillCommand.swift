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
            for session in sessions {
                let outcome = try runner.run(spec, session: session, force: force)
                print(JobsCommand.describe(outcome, job: name, session: session))
                fflush(stdout)
                counts[outcome.label, default: 0] += 1
                if !outcome.isSuccess { throw ExitCode(ExitStatus.runFailed.rawValue) }
            }
        }
        print("backfill \(names.joined(separator: ", ")) \(from) … \(to): "
            + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
    }
}
