import ArgumentParser
import Foundation
import KuraCore
import KuraJobs
import KuraRuntime

/// `kura jobs`: the scheduled jobs of a folder.
struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Work with scheduled jobs (jobs/NAME.yml).",
        subcommands: [Validate.self, List.self, JobsRunCommand.self, JobsHistoryCommand.self])

    /// Options the jobs subcommands share.
    struct Folder: ParsableArguments {
        @Option(name: .long, help: "The folder of job files.")
        var jobs = "jobs"
    }

    /// `kura jobs validate`: checks every job file and what its steps name.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every job: keys, cron syntax, zones, dependencies (and cycles), step files and their templates, load configs.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var folder: Folder

        func run() throws {
            let env = global.environment()
            let catalog = try JobCatalog(directory: folder.jobs, environment: env.environment)
            let errors = catalog.validateSteps(environment: env, now: Timestamp(seconds: Int64(Date().timeIntervalSince1970)))
            if !errors.isEmpty { throw ConfigErrors(errors) }
            print("\(catalog.jobs.count) job(s) OK in \(folder.jobs): \(catalog.jobs.map(\.name).joined(separator: ", "))")
        }
    }

    /// `kura jobs list`: each job's schedule, zone and next session.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the jobs with their schedule, zone and next session.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var folder: Folder

        func run() throws {
            let env = global.environment()
            let catalog = try JobCatalog(directory: folder.jobs, environment: env.environment)
            let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
            let warehouse = JobWarehouse(catalog.settings.warehouse, workingDirectory: env.workingDirectory)
            // Listing writes nothing: a warehouse that does not exist yet has no history.
            let history = warehouse.mayHaveHistory ? try warehouse.connect(logger: env.logger).history : nil
            let rows = try catalog.jobs.map { job -> [String] in
                let last = try history?.attempts(job: job.name, limit: 1).first
                let next = job.suspend ? "(suspended)" : job.cronSchedule.next(after: now).first?.iso8601 ?? "never"
                return [job.name, job.schedule.text, job.timezone, last.map { "\($0.sessionTime.iso8601) \($0.status.rawValue)" } ?? "-", next]
            }
            print(Self.table([["job", "schedule", "zone", "last session", "next session"]] + rows), terminator: "")
        }

        /// `rows` as left-aligned columns two spaces apart.
        static func table(_ rows: [[String]]) -> String {
            let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { $0[c].count }.max() ?? 0 }
            return rows.map { row in
                zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
            }.joined(separator: "\n") + "\n"
        }
    }
}

extension JobsCommand {
    /// The job `name` of `catalog`, or a usage error naming the jobs there are.
    static func job(_ name: String, in catalog: JobCatalog) throws -> JobSpec {
        if let job = catalog.job(name) { return job }
        let names = catalog.jobs.map(\.name)
        throw usageError("no job '\(name)' in \(catalog.directory); "
            + (nearest(name, in: names).map { "did you mean '\($0)'? " } ?? "") + "jobs: \(names.joined(separator: ", "))")
    }

    /// The session `text` names in `job`'s zone, or by default the latest fire time at or before `now`.
    static func sessionTime(_ text: String?, of job: JobSpec, now: Timestamp) throws -> Timestamp {
        let schedule = job.cronSchedule
        if let text {
            guard let t = TimeText.instant(text, zone: schedule.zone) else {
                throw usageError("--session '\(text)' is not a time; write it like 2024-01-02T02:30:00+09:00 or 2024-01-02 02:30")
            }
            return t
        }
        guard let t = schedule.previous(atOrBefore: now) else { throw usageError("job \(job.name) has no session before now") }
        return t
    }

    /// One line about how a session ended.
    static func describe(_ outcome: SessionOutcome, job: String, session: Timestamp) -> String {
        let head = "job \(job) session \(session.iso8601): "
        switch outcome {
        case .succeeded(let n): return head + "succeeded (attempt \(n))"
        case .failed(let n, let error): return head + "failed (attempt \(n)): \(error)"
        case .interrupted(let n, let why): return head + "interrupted (attempt \(n)): \(why)"
        case .alreadySucceeded: return head + "already succeeded; skipped"
        case .runningElsewhere: return head + "running in another process; not started"
        case .waitingForDependency(let what): return head + "not started: waits for \(what)"
        case .skipped(let why): return head + "skipped: \(why)"
        }
    }
}
