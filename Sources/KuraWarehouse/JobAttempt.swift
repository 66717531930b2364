import KuraCore

/// One attempt of one session of a job, as kept in the job attempts table (`_kura_job_attempts` in SQLite,
/// `kura.job_attempts` in PostgreSQL).
public struct JobAttempt: Equatable, Sendable {
    /// How an attempt ended, or that it is still going.
    public enum Status: String, Sendable, CaseIterable {
        case running, succeeded, failed, interrupted, skipped
    }

    /// The job's name.
    public var job: String
    /// The session's logical time.
    public var sessionTime: Timestamp
    /// 1 for the first attempt of the session, then 2, 3, …
    public var attempt: Int
    public var status: Status
    /// When the attempt started (UTC, by kura's clock).
    public var startedAt: Timestamp
    /// When it ended; nil while it runs.
    public var finishedAt: Timestamp?
    /// The run id the attempt's steps share (`KURA_RUN_ID`).
    public var runID: String
    /// Why it failed, was interrupted or skipped.
    public var error: String?

    public init(
        job: String, sessionTime: Timestamp, attempt: Int, status: Status, startedAt: Timestamp,
        finishedAt: Timestamp? = nil, runID: String, error: String? = nil
    ) {
        self.job = job
        self.sessionTime = sessionTime
        self.attempt = attempt
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.runID = runID
        self.error = error
    }
}

/// Where job history is kept: every attempt of every session, written as it happens (not inside a load's
/// transaction), so the history survives a failed attempt.
public protocol JobHistoryStore {
    /// Records `attempt` (a new row; its number must be the session's next one). Migrates first.
    func insertAttempt(_ attempt: JobAttempt) throws
    /// Records how attempt `attempt.attempt` of its session ended: status, finish time and error.
    func finishAttempt(_ attempt: JobAttempt) throws
    /// The attempts of `job`, newest session first and, within a session, newest attempt first; at most `limit`.
    func attempts(job: String, limit: Int) throws -> [JobAttempt]
    /// The attempts of one session of `job`, oldest first.
    func attempts(job: String, sessionTime: Timestamp) throws -> [JobAttempt]
}
