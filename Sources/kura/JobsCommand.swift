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
        subcommands: [Validate.self, List.self])

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
            let catalog = try JobCatalog(directory: folder.jobs, environment: global.environment().environment)
            let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
            let width = max(3, catalog.jobs.map(\.name.count).max() ?? 0)
            print("job".padding(toLength: width, withPad: " ", startingAt: 0) + "  schedule          zone                next session")
            for job in catalog.jobs {
                let next = job.suspend ? "(suspended)" : job.cronSchedule.next(after: now).first.map { SessionVariables(job: job, sessionTime: $0).localISO($0) } ?? "never"
                print(job.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + job.schedule.text.padding(toLength: 16, withPad: " ", startingAt: 0) + "  "
                    + job.timezone.padding(toLength: 18, withPad: " ", startingAt: 0) + "  " + next)
            }
        }
    }
}
