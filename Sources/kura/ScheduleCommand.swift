import ArgumentParser
import Dispatch
import Foundation
import KuraCore
import KuraJobs

/// `kura schedule`: the long-running scheduler for one machine.
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Run the jobs on their schedules until SIGTERM or SIGINT.",
        discussion: """
            Fires due sessions, catches up sessions missed while it was down (within starting_deadline_seconds; \
            older ones are recorded as skipped), applies each job's concurrency_policy, retries, and timeouts. On \
            SIGTERM or SIGINT it starts nothing more, lets running sessions finish for --grace-seconds, then \
            interrupts them (recorded as interrupted).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var folder: JobsCommand.Folder

    @Option(name: .long, help: "Seconds running sessions may take to finish after SIGTERM.")
    var graceSeconds = 30.0

    func run() throws {
        let env = global.environment()
        let catalog = try JobCatalog(directory: folder.jobs, environment: env.environment)
        let scheduler = Scheduler(runner: JobRunner(catalog: catalog, environment: env))
        scheduler.graceSeconds = graceSeconds
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { scheduler.stop() }
            s.resume()
            return s
        }
        try scheduler.run()
        _ = sources
    }
}
