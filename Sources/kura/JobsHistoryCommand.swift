import ArgumentParser
import Foundation
import KuraCore
import KuraJobs
import KuraWarehouse

/// `kura jobs history JOB`: the attempts of a job's sessions, newest first.
struct JobsHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show the attempts of a job's sessions, newest first.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, jsonl
    }

    @OptionGroup var global: GlobalOptions
    @OptionGroup var folder: JobsCommand.Folder

    @Argument(help: "The job's name.")
    var job: String

    @Option(name: .long, help: "table or jsonl (keys: job, session_time, attempt, status, started_at, finished_at, run_id, error).")
    var format: Format = .table

    @Option(name: .long, help: "At most this many attempts.")
    var limit = 50

    func run() throws {
        let env = global.environment()
        let catalog = try JobCatalog(directory: folder.jobs, environment: env.environment)
        _ = try JobsCommand.job(job, in: catalog)
        let warehouse = JobWarehouse(catalog.settings.warehouse, workingDirectory: env.workingDirectory)
        let attempts = warehouse.mayHaveHistory ? try warehouse.connect(logger: env.logger).history.attempts(job: job, limit: limit) : []
        switch format {
        case .jsonl: for a in attempts { print(Self.jsonLine(a)) }
        case .table: print(Self.table(attempts), terminator: "")
        }
    }

    static func jsonLine(_ a: JobAttempt) -> String {
        func q(_ s: String?) -> String {
            guard let s else { return "null" }
            let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        return "{\"job\":\(q(a.job)),\"session_time\":\(q(a.sessionTime.iso8601)),\"attempt\":\(a.attempt),"
            + "\"status\":\(q(a.status.rawValue)),\"started_at\":\(q(a.startedAt.iso8601)),"
            + "\"finished_at\":\(q(a.finishedAt?.iso8601)),\"run_id\":\(q(a.runID)),\"error\":\(q(a.error))}"
    }

    static func table(_ attempts: [JobAttempt]) -> String {
        var out = "session_time          attempt  status       duration  run_id                     error\n"
        for a in attempts {
            let duration = a.finishedAt.map { String(format: "%.1f s", Double($0.nanos - a.startedAt.nanos) / 1e9) } ?? "-"
            out += a.sessionTime.iso8601.padding(toLength: 22, withPad: " ", startingAt: 0)
                + String(a.attempt).padding(toLength: 9, withPad: " ", startingAt: 0)
                + a.status.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
                + duration.padding(toLength: 10, withPad: " ", startingAt: 0)
                + a.runID.padding(toLength: 27, withPad: " ", startingAt: 0) + (a.error ?? "") + "\n"
        }
        return out
    }
}
