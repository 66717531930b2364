import KuraCore

/// The scheduler's decisions, without I/O or clocks: given the time, which sessions to start, skip or interrupt.
///
/// - At start-up each job's cursor is its latest recorded session (from the history) or, for a job never run, the
///   start-up time, so nothing before it is run. Sessions missed while the scheduler was down are caught up in
///   order, one after another, while they are within the job's `starting_deadline_seconds`; older ones are skipped.
/// - Afterwards a due session is started, unless the job's previous session still runs: then `forbid` skips the new
///   one, `replace` interrupts the running one and starts the new one, `allow` starts it alongside.
/// - A suspended job is left alone.
public struct SchedulerCore {
    /// What the scheduler should do.
    public enum Action: Equatable, Sendable {
        case start(job: String, session: Timestamp)
        case skip(job: String, session: Timestamp, reason: String)
        case interrupt(job: String, session: Timestamp)
    }

    let jobs: [JobSpec]
    /// Per job, the latest session already considered.
    var cursors: [String: Timestamp]
    /// Per job, sessions started and not yet finished.
    public private(set) var running: [String: [Timestamp]] = [:]
    /// Per job, caught-up sessions waiting for the previous one to finish.
    var queued: [String: [Timestamp]] = [:]

    /// A core for `jobs`, started at `startedAt`; `lastSessions` are the latest recorded sessions per job.
    public init(jobs: [JobSpec], startedAt: Timestamp, lastSessions: [String: Timestamp]) {
        self.jobs = jobs
        cursors = [:]
        for job in jobs { cursors[job.name] = lastSessions[job.name] ?? startedAt }
        for job in jobs where lastSessions[job.name] != nil && !job.suspend {
            queued[job.name] = job.cronSchedule.next(after: cursors[job.name]!, count: 100_000).filter { $0 <= startedAt }
            if let last = queued[job.name]?.last { cursors[job.name] = last }
        }
    }

    /// The actions due at `now`: caught-up sessions whose turn has come, and sessions that became due.
    public mutating func actions(at now: Timestamp) -> [Action] {
        var out: [Action] = []
        for job in jobs where !job.suspend {
            out += drainQueue(job, now: now)
            let due = job.cronSchedule.next(after: cursors[job.name]!, count: 10_000).filter { $0 <= now }
            for session in due {
                cursors[job.name] = session
                out += decide(job, session: session, now: now)
            }
        }
        return out
    }

    /// Records that a started session ended (whatever its outcome).
    public mutating func finished(job: String, session: Timestamp) {
        running[job]?.removeAll { $0 == session }
    }

    /// The earliest time anything can become due after `now`: the next fire time of any job.
    public func nextWakeUp(after now: Timestamp) -> Timestamp? {
        jobs.filter { !$0.suspend }.compactMap { $0.cronSchedule.next(after: max(now, cursors[$0.name]!)).first }.min()
    }

    mutating func drainQueue(_ job: JobSpec, now: Timestamp) -> [Action] {
        var out: [Action] = []
        while let session = queued[job.name]?.first, running[job.name, default: []].isEmpty {
            queued[job.name]!.removeFirst()
            if let miss = missedDeadline(job, session: session, now: now) {
                out.append(.skip(job: job.name, session: session, reason: miss))
            } else {
                running[job.name, default: []].append(session)
                out.append(.start(job: job.name, session: session))
            }
        }
        return out
    }

    mutating func decide(_ job: JobSpec, session: Timestamp, now: Timestamp) -> [Action] {
        if let miss = missedDeadline(job, session: session, now: now) { return [.skip(job: job.name, session: session, reason: miss)] }
        let busy = running[job.name, default: []] + (queued[job.name] ?? [])
        if !busy.isEmpty {
            switch job.concurrencyPolicy {
            case .forbid:
                let other = running[job.name]?.first ?? busy[0]
                return [.skip(job: job.name, session: session, reason: "the session \(other.iso8601) is still running (concurrency_policy: forbid)")]
            case .replace:
                queued[job.name] = []
                let stop = (running[job.name] ?? []).map { Action.interrupt(job: job.name, session: $0) }
                running[job.name] = [session]
                return stop + [.start(job: job.name, session: session)]
            case .allow:
                break
            }
        }
        running[job.name, default: []].append(session)
        return [.start(job: job.name, session: session)]
    }

    /// Why `session` may no longer start at `now`, or nil.
    func missedDeadline(_ job: JobSpec, session: Timestamp, now: Timestamp) -> String? {
        guard let deadline = job.startingDeadlineSeconds, now.nanos - session.nanos > Int64(deadline) * 1_000_000_000 else { return nil }
        return "missed by more than starting_deadline_seconds (\(deadline))"
    }
}
