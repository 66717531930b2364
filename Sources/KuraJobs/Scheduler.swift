import Foundation
import KuraCore
import KuraWarehouse

/// The long-running scheduler for one machine: asks `SchedulerCore` what is due, runs each started session on a
/// thread of its own through the `JobRunner`, records skipped sessions, and stops cleanly.
///
/// `stop()` (SIGTERM, SIGINT) stops starting sessions; running ones get `graceSeconds` to finish, then are
/// interrupted (recorded as `interrupted`).
public final class Scheduler: @unchecked Sendable {
    public let runner: JobRunner
    /// Seconds running sessions may take to finish after `stop()` (default 30).
    public var graceSeconds = 30.0
    /// The clock (default: the system's); a test may shift it.
    public var now: () -> Timestamp = { Timestamp(nanos: Int64(Date().timeIntervalSince1970 * 1e9)) }

    private let condition = NSCondition()
    private var stopping = false
    private var core: SchedulerCore?
    private var controls: [String: SessionControl] = [:]
    private var threads: [Thread] = []
    private var active = 0

    public init(runner: JobRunner) { self.runner = runner }

    /// Asks the scheduler to stop; `run()` returns once the running sessions have ended.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Runs until `stop()`: fires due sessions, catches up missed ones, applies the concurrency policies.
    public func run() throws {
        let logger = runner.environment.logger
        let connection = try runner.warehouse.connect(logger: logger)
        try connection.prepareHistory()
        let history = connection.history
        var last: [String: Timestamp] = [:]
        for job in runner.catalog.jobs { last[job.name] = try history.attempts(job: job.name, limit: 1).first?.sessionTime }
        condition.lock()
        core = SchedulerCore(jobs: runner.catalog.jobs, startedAt: now(), lastSessions: last)
        condition.unlock()
        logger.info("scheduler: \(runner.catalog.jobs.count) job(s), warehouse \(runner.warehouse.description)")
        while true {
            condition.lock()
            if stopping {
                condition.unlock()
                break
            }
            let t = now()
            let actions = core!.actions(at: t)
            let wake = core!.nextWakeUp(after: t)
            condition.unlock()
            for action in actions { try perform(action, history: history) }
            let seconds = wake.map { max(0.01, min(1.0, Double($0.nanos - now().nanos) / 1e9)) } ?? 1.0
            condition.lock()
            if !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: seconds)) }
            condition.unlock()
        }
        finishRunning(logger: logger)
    }

    func perform(_ action: SchedulerCore.Action, history: JobHistoryStore) throws {
        let logger = runner.environment.logger
        switch action {
        case .start(let name, let session):
            guard let job = runner.catalog.job(name) else { return }
            start(job, session: session)
        case .skip(let name, let session, let reason):
            logger.warn("scheduler: skipping job \(name) session \(session.iso8601): \(reason)")
            try JobRunner.recordSkip(name, session: session, reason: reason, history: history, at: now())
        case .interrupt(let name, let session):
            condition.lock()
            let control = controls[Self.key(name, session)]
            condition.unlock()
            control?.interrupt("replaced by a newer session (concurrency_policy: replace)")
        }
    }

    func start(_ job: JobSpec, session: Timestamp) {
        let control = SessionControl()
        let key = Self.key(job.name, session)
        let logger = runner.environment.logger
        let thread = Thread { [self] in
            do {
                let outcome = try runner.run(job, session: session, control: control)
                logger.info("scheduler: job \(job.name) session \(session.iso8601): \(outcome.label)")
            } catch {
                logger.error("scheduler: job \(job.name) session \(session.iso8601): \(error)")
            }
            condition.lock()
            core?.finished(job: job.name, session: session)
            controls[key] = nil
            active -= 1
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        controls[key] = control
        active += 1
        threads.append(thread)
        condition.unlock()
        thread.start()
    }

    /// Waits `graceSeconds` for the running sessions, then interrupts what still runs and waits for it to end.
    func finishRunning(logger: Logger) {
        let deadline = Date(timeIntervalSinceNow: graceSeconds)
        condition.lock()
        if active > 0 { logger.info("scheduler: stopping; waiting up to \(Int(graceSeconds)) s for \(active) session(s)") }
        while active > 0 && condition.wait(until: deadline) {}
        let left = Array(controls.values)
        condition.unlock()
        for c in left { c.interrupt("the scheduler was stopped") }
        condition.lock()
        while active > 0 { condition.wait() }
        condition.unlock()
    }

    static func key(_ job: String, _ session: Timestamp) -> String { "\(job)@\(session.nanos)" }
}
