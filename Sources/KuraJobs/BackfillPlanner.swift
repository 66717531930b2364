import Foundation
import KuraCore
import KuraFormats

/// Which sessions a backfill runs: every fire time of a job's schedule whose session date (in the job's zone)
/// lies in an inclusive range of dates.
public enum BackfillPlanner {
    /// The session times, ascending, of `schedule` on the local dates `from` through `to` (`YYYY-MM-DD`, both
    /// included); nil when a date cannot be read or `to` is before `from`.
    public static func sessions(_ schedule: CronSchedule, from: String, to: String) -> [Timestamp]? {
        guard let first = localDay(from), let last = localDay(to), first <= last else { return nil }
        var out: [Timestamp] = []
        for day in first...last {
            out += schedule.fireTimes(onLocalDay: day).map { Timestamp(seconds: $0) }
        }
        // A fixed-time job moved out of a gap still belongs to its own day; times stay ascending across days.
        return out
    }

    /// Days since 1970-01-01 of `YYYY-MM-DD`.
    static func localDay(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, let y = Int64(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), d >= 1, d <= daysInMonth(y, m)
        else { return nil }
        return daysFromCivil(y, m, d)
    }
}

extension JobRunner {
    /// Runs `sessions` of `job` in order, `parallel` at a time (default 1), each through `run` (so sessions that
    /// succeeded are skipped unless `force`); after a session that did not succeed, no further session starts.
    /// Calls `report` with each outcome as it comes; returns the outcomes in session order (nil: not started).
    public func backfill(
        _ job: JobSpec, sessions: [Timestamp], parallel: Int = 1, force: Bool = false,
        report: @escaping @Sendable (Timestamp, SessionOutcome) -> Void = { _, _ in }
    ) throws -> [SessionOutcome?] {
        let lock = NSLock()
        var outcomes = [SessionOutcome?](repeating: nil, count: sessions.count)
        var next = 0
        var failed = false
        var thrown: Error? = nil
        let done = DispatchGroup()
        for _ in 0..<max(1, min(parallel, sessions.count)) {
            done.enter()
            Thread { [self] in
                defer { done.leave() }
                while true {
                    let index: Int? = lock.withLock {
                        guard !failed, next < sessions.count else { return nil }
                        defer { next += 1 }
                        return next
                    }
                    guard let index else { return }
                    do {
                        let outcome = try run(job, session: sessions[index], force: force, concurrency: false)
                        lock.withLock {
                            outcomes[index] = outcome
                            if !outcome.isSuccess { failed = true }
                        }
                        report(sessions[index], outcome)
                    } catch {
                        lock.withLock {
                            thrown = thrown ?? error
                            failed = true
                        }
                    }
                }
            }.start()
        }
        done.wait()
        if let thrown { throw thrown }
        return outcomes
    }
}
