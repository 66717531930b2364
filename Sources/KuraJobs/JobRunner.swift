import Foundation
import KuraCore
import KuraRuntime
import KuraWarehouse

/// How a request to run a session ended.
public enum SessionOutcome: Equatable, Sendable {
    /// An attempt succeeded (its number).
    case succeeded(attempt: Int)
    /// Every attempt allowed failed; the last one's error.
    case failed(attempt: Int, error: String)
    /// The session was stopped from outside (the scheduler's `replace`, SIGTERM); recorded as interrupted.
    case interrupted(attempt: Int, reason: String)
    /// The session had already succeeded, so nothing ran (`--force` runs it again).
    case alreadySucceeded
    /// Another process is running this session.
    case runningElsewhere
    /// A dependency's session has not succeeded, so the session did not start.
    case waitingForDependency(String)
    /// Another session of the job runs and the policy is `forbid`: recorded as skipped.
    case skipped(reason: String)

    /// A short word for summaries: `succeeded`, `failed`, `already succeeded`, `running elsewhere`, `waiting`.
    public var label: String {
        switch self {
        case .succeeded: return "succeeded"
        case .failed: return "failed"
        case .interrupted: return "interrupted"
        case .alreadySucceeded: return "already succeeded"
        case .runningElsewhere: return "running elsewhere"
        case .waitingForDependency: return "waiting"
        case .skipped: return "skipped"
        }
    }

    /// Whether the session is done: it succeeded now or before.
    public var isSuccess: Bool {
        switch self {
        case .succeeded, .alreadySucceeded: return true
        default: return false
        }
    }
}

/// Runs sessions of the jobs of a catalog: locks the session, records every attempt in the warehouse's history,
/// runs the steps in order with the session's variables, and retries as the job says.
public final class JobRunner {
    public let catalog: JobCatalog
    public let environment: KuraEnvironment
    public let warehouse: JobWarehouse
    /// The clock (default: the system's); tests inject their own.
    public var now: () -> Timestamp = { Timestamp(nanos: Int64(Date().timeIntervalSince1970 * 1e9)) }
    /// How to wait between attempts (default: sleep); tests inject their own.
    public var sleep: (Int) -> Void = { Foundation.sleep(UInt32(max(0, $0))) }
    let logger: Logger

    public init(catalog: JobCatalog, environment: KuraEnvironment) {
        self.catalog = catalog
        self.environment = environment
        self.logger = environment.logger
        self.warehouse = JobWarehouse(catalog.settings.warehouse, workingDirectory: environment.workingDirectory)
    }

    /// Runs the session of `job` at `session` (unless it already succeeded, or `force`), with up to
    /// `retries.limit` more attempts after a failure. With `concurrency` (the default) a `forbid` job skips the
    /// session while another process runs another session of it; backfills, which ask for their sessions, pass
    /// false.
    public func run(
        _ job: JobSpec, session: Timestamp, force: Bool = false, concurrency: Bool = true,
        control: SessionControl = SessionControl()
    ) throws -> SessionOutcome {
        let connection = try warehouse.connect(logger: logger)
        try connection.prepareHistory()
        let history = connection.history
        guard let lock = try SessionLock.acquire(job: job.historyName, session: session, warehouse: warehouse, connection: connection) else {
            logger.warn("job \(job.historyName) session \(session.iso8601) is running in another process; not starting it again")
            return .runningElsewhere
        }
        defer { lock.unlock() }
        var previous = try history.attempts(job: job.historyName, sessionTime: session)
        try markAbandoned(&previous, history: history)
        if !force, previous.contains(where: { $0.status == .succeeded }) {
            logger.info("job \(job.historyName) session \(session.iso8601) already succeeded (run with --force to run it again)")
            return .alreadySucceeded
        }
        if concurrency, job.concurrencyPolicy == .forbid, let other = try otherRunningSession(of: job, besides: session, connection: connection) {
            let reason = "the session \(other.iso8601) is still running (concurrency_policy: forbid)"
            logger.warn("job \(job.historyName) session \(session.iso8601) skipped: \(reason)")
            try Self.recordSkip(job.historyName, session: session, reason: reason, history: history, at: now())
            return .skipped(reason: reason)
        }
        if let missing = try unmetDependency(of: job, session: session, history: history) {
            logger.warn("job \(job.historyName) session \(session.iso8601) waits for \(missing)")
            return .waitingForDependency(missing)
        }
        let first = (previous.map(\.attempt).max() ?? 0) + 1
        // A session may fail 1 + retries.limit times in all, whichever process tried (a Kubernetes retry of a pod
        // uses the same budget); interrupted attempts do not count, and --force starts a new budget.
        let failedBefore = force ? 0 : previous.filter { $0.status == .failed }.count
        let allowed = 1 + job.retries.limit - failedBefore
        guard allowed > 0 else {
            let error = "no attempts left: the session failed \(failedBefore) time(s), all that retries (\(job.retries.limit)) allows; "
                + "fix the cause and run it with --force"
            logger.error("job \(job.historyName) session \(session.iso8601): \(error)")
            return .failed(attempt: first - 1, error: error)
        }
        var attempt = first
        let last = first + allowed - 1
        while true {
            let error = try runAttempt(job, session: session, attempt: attempt, connection: connection, control: control)
            guard let error else { return .succeeded(attempt: attempt) }
            if let why = control.interruption { return .interrupted(attempt: attempt, reason: why) }
            if attempt >= last { return .failed(attempt: attempt, error: error) }
            let wait = job.retries.delay(beforeAttempt: attempt - first + 2)
            logger.info("job \(job.historyName) session \(session.iso8601): attempt \(attempt) failed; retrying in \(wait) s")
            sleep(wait)
            attempt += 1
        }
    }

    /// Records `session` of `job` as skipped for `reason`, without running it (a pod that started past the job's
    /// `starting_deadline_seconds`).
    public func skip(_ job: JobSpec, session: Timestamp, reason: String) throws -> SessionOutcome {
        let connection = try warehouse.connect(logger: logger)
        try connection.prepareHistory()
        try Self.recordSkip(job.historyName, session: session, reason: reason, history: connection.history, at: now())
        logger.warn("job \(job.historyName) session \(session.iso8601) skipped: \(reason)")
        return .skipped(reason: reason)
    }

    /// Records the session of job `name` at `session` as skipped at `t`, as its next attempt, with `reason`.
    static func recordSkip(_ name: String, session: Timestamp, reason: String, history: JobHistoryStore, at t: Timestamp) throws {
        let attempt = (try history.attempts(job: name, sessionTime: session).map(\.attempt).max() ?? 0) + 1
        try history.insertAttempt(JobAttempt(
            job: name, sessionTime: session, attempt: attempt, status: .skipped, startedAt: t, finishedAt: t,
            runID: makeRunID(t), error: reason))
    }

    /// One attempt: recorded as running, then as succeeded or failed; returns the error, or nil on success.
    func runAttempt(
        _ job: JobSpec, session: Timestamp, attempt: Int, connection: JobWarehouseConnection, control: SessionControl
    ) throws -> String? {
        let history = connection.history
        var record = JobAttempt(
            job: job.historyName, sessionTime: session, attempt: attempt, status: .running, startedAt: now(),
            runID: Self.makeRunID(now()))
        try history.insertAttempt(record)
        logger.info("job \(job.historyName) session \(session.iso8601) attempt \(attempt) (run \(record.runID)): \(job.steps.count) step(s)")
        let variables = SessionVariables(job: job, sessionTime: session)
        let attemptLogger = logger.with([
            ("job", job.historyName), ("session", session.iso8601), ("attempt", String(attempt)), ("job_run_id", record.runID),
        ])
        var failure: String? = nil
        for (i, step) in job.steps.enumerated() {
            if let why = control.interruption {
                failure = why
                break
            }
            do {
                try JobStepRunner(
                    runner: self, job: job, variables: variables, runID: record.runID, connection: connection, control: control,
                    logger: attemptLogger
                ).run(step, index: i)
            } catch {
                failure = "step \(i + 1) (\(step.kind)) failed: \(JobStepRunner.describe(error))"
                logger.error("job \(job.historyName) session \(session.iso8601): \(failure!)")
                break
            }
        }
        record.status = failure == nil ? .succeeded : control.interruption != nil ? .interrupted : .failed
        if let why = control.interruption, failure != nil { failure = "interrupted: \(why)" }
        record.finishedAt = now()
        record.error = failure
        try history.finishAttempt(record)
        return failure
    }

    /// Records attempts still marked running as interrupted: this process holds the session's lock, so whatever ran
    /// them has ended (killed, or its machine went away).
    func markAbandoned(_ attempts: inout [JobAttempt], history: JobHistoryStore) throws {
        for i in attempts.indices where attempts[i].status == .running {
            attempts[i].status = .interrupted
            attempts[i].finishedAt = now()
            attempts[i].error = "the process running this attempt ended before it finished"
            try history.finishAttempt(attempts[i])
            logger.warn("job \(attempts[i].job) session \(attempts[i].sessionTime.iso8601) attempt \(attempts[i].attempt) was left running by a process that ended; recorded as interrupted")
        }
    }

    /// Another session of `job` that a live process is running (its attempt is marked running and its lock is
    /// held), or nil.
    func otherRunningSession(of job: JobSpec, besides session: Timestamp, connection: JobWarehouseConnection) throws -> Timestamp? {
        for attempt in try connection.history.attempts(job: job.historyName, limit: 20)
        where attempt.status == .running && attempt.sessionTime != session {
            if let lock = try SessionLock.acquire(job: job.historyName, session: attempt.sessionTime, warehouse: warehouse, connection: connection) {
                lock.unlock()  // nobody holds it: a stale record, not a running session
                continue
            }
            return attempt.sessionTime
        }
        return nil
    }

    /// The first dependency session that has not succeeded: for each job in `depends_on`, its sessions after this
    /// job's previous session and at or before this one (or, when there are none, its latest one at or before).
    func unmetDependency(of job: JobSpec, session: Timestamp, history: JobHistoryStore) throws -> String? {
        let previous = job.cronSchedule.previous(atOrBefore: Timestamp(nanos: session.nanos - 1_000_000_000))
        for name in job.dependsOn {
            guard let dep = catalog.job(name) else { return "job \(name), which does not exist" }
            var needed: [Timestamp] = []
            if let previous { needed = dep.cronSchedule.next(after: previous, count: 10_000).filter { $0 <= session } }
            if needed.isEmpty, let latest = dep.cronSchedule.previous(atOrBefore: session) { needed = [latest] }
            for t in needed where try !history.attempts(job: name, sessionTime: t).contains(where: { $0.status == .succeeded }) {
                return "job \(name) session \(t.iso8601) to succeed"
            }
        }
        return nil
    }

    /// A new run identifier: the UTC time plus a random suffix, like a load's.
    static func makeRunID(_ t: Timestamp) -> String {
        let c = CivilTime(epochSeconds: t.nanos / 1_000_000_000)
        func p(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(c.year)\(p(c.month))\(p(c.day))T\(p(c.hour))\(p(c.minute))\(p(c.second))Z-"
            + String(repeating: "0", count: 8 - suffix.count) + suffix
    }
}
