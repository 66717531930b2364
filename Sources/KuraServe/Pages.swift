import Foundation
import KuraCore
import KuraJobs
import KuraWarehouse

/// A request the server cannot answer with a page: its status and a sentence for the user.
struct HTTPProblem: Error {
    var status: Int
    var title: String
    var message: String

    static func notFound(_ message: String) -> HTTPProblem { HTTPProblem(status: 404, title: "Not Found", message: message) }
    static func badRequest(_ message: String) -> HTTPProblem { HTTPProblem(status: 400, title: "Bad Request", message: message) }
}

/// What every page carries for its head and foot.
struct PageFrame: Encodable {
    var title: String
    var warehouse: String
    var generatedAt: String
}

struct HomePage: Encodable {
    var title: String, warehouse: String, generatedAt: String
    var jobs: [JobRow]
    var runs: [RunRow]
}

struct JobPage: Encodable {
    var title: String, warehouse: String, generatedAt: String
    var name: String
    var defined: Bool
    var schedule: String
    var timezone: String
    var suspended: Bool
    var nextSession: String?
    var before: String?
    var sessions: [SessionRow]
    var olderHref: String?
    var newerHref: String?
    var durationPlot: Plot?
    var rowsPlot: Plot?
}

struct SessionPage: Encodable {
    var title: String, warehouse: String, generatedAt: String
    var job: String
    var jobHref: String
    var sessionTime: String
    var status: String
    var attempts: [AttemptRow]
    var runs: [RunRow]
}

struct RunPage: Encodable {
    var title: String, warehouse: String, generatedAt: String
    var run: RunRow
    var files: [FileRow]
    var after: Int64?
    var rejects: [RejectRow]
    var nextHref: String?
    var firstHref: String?
}

struct RunsPage: Encodable {
    var title: String, warehouse: String, generatedAt: String
    var offset: Int
    var runs: [RunRow]
    var nextHref: String?
    var previousHref: String?
}

struct FilesPage: Encodable {
    var title: String, warehouse: String, generatedAt: String
    var offset: Int
    var files: [FileRow]
    var nextHref: String?
    var previousHref: String?
}

/// One page of a list: its rows and the links to the pages around it.
struct Paged<Row> {
    var rows: [Row]
    var nextHref: String?
    var previousHref: String?
}

/// Builds the pages from the jobs folder and the warehouse's history, with bounded reads only.
struct HistoryPages {
    /// The jobs folder's jobs, when there is a folder.
    var catalog: JobCatalog?
    var source: HistorySource
    var now: @Sendable () -> Timestamp

    /// How many sessions each job's grid on `/` shows.
    static let recentSessions = 30
    /// How many runs `/` lists.
    static let latestRuns = 10

    func frame(_ title: String) -> PageFrame {
        PageFrame(title: title, warehouse: source.location, generatedAt: now().iso8601)
    }

    func home() throws -> HomePage {
        let f = frame("Jobs")
        let (jobs, runs) = try source.read { store -> ([JobRow], [RunRecord]) in
            let historyNames = try store.jobNames()
            let defined = catalog?.jobs.map(\.name) ?? []
            let names = defined + historyNames.filter { !defined.contains($0) }
            let rows = try names.map { name in
                jobRow(name, recent: try store.sessions(job: name, before: nil, limit: Self.recentSessions))
            }
            return (rows, try store.runs(offset: 0, limit: Self.latestRuns))
        }
        return HomePage(title: f.title, warehouse: f.warehouse, generatedAt: f.generatedAt, jobs: jobs, runs: runs.map(RunRow.init))
    }

    /// The job file that defines `name`: the job itself, or for a shard's history (`NAME[I/N]`) its job.
    func spec(_ name: String) -> JobSpec? {
        if let job = catalog?.job(name) { return job }
        guard let bracket = name.firstIndex(of: "["), name.hasSuffix("]") else { return nil }
        return catalog?.job(String(name[..<bracket]))
    }

    func jobRow(_ name: String, recent: [SessionSummary]) -> JobRow {
        let job = spec(name)
        let next = job.flatMap { $0.suspend ? nil : $0.cronSchedule.next(after: now()).first }
        return JobRow(
            name: name, href: "/jobs/" + pathComponent(name), schedule: job?.schedule.text ?? "-",
            timezone: job?.timezone ?? "-", suspended: job?.suspend ?? false, defined: catalog?.job(name) != nil,
            lastSession: recent.first?.sessionTime.iso8601, lastStatus: recent.first?.status.rawValue,
            nextSession: next?.iso8601, recent: recent.reversed().map { SessionRow($0) })
    }

    func job(_ name: String, before: Timestamp?, limit: Int) throws -> JobPage {
        let (sessions, hasOlder, attempts, runs) = try source.read { store in
            var sessions = try store.sessions(job: name, before: before, limit: limit + 1)
            let hasOlder = sessions.count > limit
            sessions = Array(sessions.prefix(limit))
            if sessions.isEmpty, before == nil, spec(name) == nil {
                throw HTTPProblem.notFound("there is no job '\(name)': no job file defines it and the warehouse has no session of it")
            }
            guard let newest = sessions.first?.sessionTime, let oldest = sessions.last?.sessionTime else {
                return (sessions, hasOlder, [JobAttempt](), [RunRecord]())
            }
            return (
                sessions, hasOlder, try store.attempts(job: name, sessionsFrom: oldest, through: newest),
                try store.runs(sessionsFrom: oldest, through: newest, limit: 20 * limit)
            )
        }
        let loads = matchRuns(runs, to: attempts)
        let rows = sessions.map { SessionRow($0, runs: loads[$0.sessionTime] ?? []) }
        let row = jobRow(name, recent: [])
        let f = frame("Job " + name)
        let base = "/jobs/\(pathComponent(name))"
        let limitQuery = limit == Self.defaultLimit ? "" : "&limit=\(limit)"
        let oldestFirst = Array(rows.reversed())
        return JobPage(
            title: f.title, warehouse: f.warehouse, generatedAt: f.generatedAt, name: name, defined: row.defined,
            schedule: row.schedule, timezone: row.timezone, suspended: row.suspended, nextSession: row.nextSession,
            before: before?.iso8601, sessions: rows,
            olderHref: hasOlder ? sessions.last.map { "\(base)?before=\(queryValue($0.sessionTime.iso8601))\(limitQuery)" } : nil,
            newerHref: before == nil ? nil : base,
            durationPlot: rows.isEmpty ? nil : Plot(title: "Duration per session", values: oldestFirst.map { ($0.sessionTime, $0.durationSeconds) }, unit: "s"),
            rowsPlot: rows.isEmpty ? nil : Plot(title: "Rows loaded per session", values: oldestFirst.map { ($0.sessionTime, Double($0.rowsLoaded)) }, unit: "rows"))
    }

    func session(job: String, at time: Timestamp) throws -> SessionPage {
        let (attempts, runs) = try source.read { store in
            (try store.attempts(job: job, sessionTime: time), try store.runs(sessionsFrom: time, through: time, limit: 1000))
        }
        guard let latest = attempts.last else {
            throw HTTPProblem.notFound("job '\(job)' has no session at \(time.iso8601) in the warehouse")
        }
        let f = frame("Job \(job) session \(time.iso8601)")
        return SessionPage(
            title: f.title, warehouse: f.warehouse, generatedAt: f.generatedAt, job: job, jobHref: "/jobs/" + pathComponent(job),
            sessionTime: time.iso8601, status: latest.status.rawValue, attempts: attempts.map(AttemptRow.init),
            runs: (matchRuns(runs, to: attempts)[time] ?? []).map(RunRow.init))
    }

    func run(_ id: String, after: Int64?, limit: Int) throws -> RunPage {
        let (run, files, rejects) = try source.read { store in
            guard let run = try store.run(id: id) else {
                throw HTTPProblem.notFound("there is no run '\(id)' in the warehouse")
            }
            return (run, try store.ledger(runID: id), try store.rejects(runID: id, after: after, limit: limit + 1))
        }
        let page = Array(rejects.prefix(limit))
        let base = "/runs/" + pathComponent(id)
        let limitQuery = limit == Self.defaultRejects ? "" : "&limit=\(limit)"
        let f = frame("Run " + id)
        return RunPage(
            title: f.title, warehouse: f.warehouse, generatedAt: f.generatedAt, run: RunRow(run), files: files.map { FileRow($0) },
            after: after, rejects: page.map(RejectRow.init),
            nextHref: rejects.count > limit ? page.last.map { "\(base)?after=\($0.number)\(limitQuery)" } : nil,
            firstHref: after == nil ? nil : base)
    }

    func runs(offset: Int, limit: Int) throws -> RunsPage {
        let runs = try source.read { try $0.runs(offset: offset, limit: limit + 1) }
        let page = paged(runs.map(RunRow.init), path: "/runs", offset: offset, limit: limit)
        let f = frame("Runs")
        return RunsPage(
            title: f.title, warehouse: f.warehouse, generatedAt: f.generatedAt, offset: offset, runs: page.rows,
            nextHref: page.nextHref, previousHref: page.previousHref)
    }

    func files(offset: Int, limit: Int) throws -> FilesPage {
        let rows = try source.read { try $0.ledger(offset: offset, limit: limit + 1) }
        let page = paged(rows.map { FileRow($0.entry, recordedAt: $0.recordedAt) }, path: "/files", offset: offset, limit: limit)
        let f = frame("File ledger")
        return FilesPage(
            title: f.title, warehouse: f.warehouse, generatedAt: f.generatedAt, offset: offset, files: page.rows,
            nextHref: page.nextHref, previousHref: page.previousHref)
    }

    /// A page of `rows` (one more than `limit` when there is a next page).
    func paged<Row>(_ rows: [Row], path: String, offset: Int, limit: Int) -> Paged<Row> {
        let limitQuery = limit == Self.defaultLimit ? "" : "&limit=\(limit)"
        return Paged(
            rows: Array(rows.prefix(limit)),
            nextHref: rows.count > limit ? "\(path)?offset=\(offset + limit)\(limitQuery)" : nil,
            previousHref: offset == 0 ? nil : "\(path)?offset=\(max(0, offset - limit))\(limitQuery)")
    }

    /// The default page size of sessions, runs and files.
    static let defaultLimit = 50
    /// The default number of rejected records a run's page shows.
    static let defaultRejects = 100
    /// The largest page any list serves.
    static let maxLimit = 500
}

/// The runs each session's attempts recorded, by session time. A job's load runs are named after their attempt
/// (`<attempt run id>.<step>`), which decides; a run named otherwise (recorded before that naming) belongs to the
/// attempt of its session time during which it was recorded (from the attempt's start to a second after its finish).
func matchRuns(_ runs: [RunRecord], to attempts: [JobAttempt]) -> [Timestamp: [RunRecord]] {
    let bySession = Dictionary(grouping: attempts, by: \.sessionTime)
    let attemptIDs = Set(attempts.map(\.runID))
    var out: [Timestamp: [RunRecord]] = [:]
    for run in runs {
        guard let candidates = bySession[run.sessionTime] else { continue }
        if let dot = run.id.lastIndex(of: "."), run.id[run.id.index(after: dot)...].allSatisfy(\.isNumber) {
            if attemptIDs.contains(String(run.id[..<dot])) { out[run.sessionTime, default: []].append(run) }
            continue
        }
        guard let recorded = run.recordedAt else { continue }
        let inside = candidates.contains { a in
            recorded.nanos >= a.startedAt.nanos - 1_000_000_000
                && a.finishedAt.map { recorded.nanos <= $0.nanos + 1_000_000_000 } ?? true
        }
        if inside { out[run.sessionTime, default: []].append(run) }
    }
    return out
}
