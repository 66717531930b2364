import KuraCore

/// A session of a job as its attempts left it: the latest attempt's status, error and run id, from the first
/// attempt's start to the latest one's finish.
public struct SessionSummary: Equatable, Sendable {
    /// The job's name (as kept in the history: `NAME[I/N]` for a shard).
    public var job: String
    /// The session's logical time.
    public var sessionTime: Timestamp
    /// How many attempts the session had (the latest attempt's number).
    public var attempts: Int
    /// The latest attempt's status.
    public var status: JobAttempt.Status
    /// When the first attempt started.
    public var startedAt: Timestamp
    /// When the latest attempt ended; nil while it runs.
    public var finishedAt: Timestamp?
    /// The latest attempt's run id.
    public var runID: String
    /// The latest attempt's error, if any.
    public var error: String?

    /// Creates a summary.
    public init(
        job: String, sessionTime: Timestamp, attempts: Int, status: JobAttempt.Status, startedAt: Timestamp,
        finishedAt: Timestamp?, runID: String, error: String?
    ) {
        self.job = job
        self.sessionTime = sessionTime
        self.attempts = attempts
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.runID = runID
        self.error = error
    }
}

/// A ledger entry with the time its run was recorded (nil when the run's record is missing).
public struct LedgerRow: Equatable, Sendable {
    public var entry: LedgerEntry
    public var recordedAt: Timestamp?

    public init(entry: LedgerEntry, recordedAt: Timestamp?) {
        self.entry = entry
        self.recordedAt = recordedAt
    }
}

/// A rejected record with its position among its run's rejects: a number that grows in the order they were
/// recorded, to page on (`rejects(runID:after:limit:)`).
public struct NumberedReject: Equatable, Sendable {
    public var number: Int64
    public var record: RejectRecord

    public init(number: Int64, record: RejectRecord) {
        self.number = number
        self.record = record
    }
}

/// How many sessions of a job ended (so far) in a status, by their latest attempt.
public struct SessionCount: Equatable, Sendable {
    public var job: String
    public var status: JobAttempt.Status
    public var count: Int

    public init(job: String, status: JobAttempt.Status, count: Int) {
        self.job = job
        self.status = status
        self.count = count
    }
}

/// The rows every recorded run of a target loaded, summed.
public struct TargetTotals: Equatable, Sendable {
    public var target: String
    public var runs: Int
    public var counts: RowCounts

    public init(target: String, runs: Int, counts: RowCounts) {
        self.target = target
        self.runs = runs
        self.counts = counts
    }
}

/// Bounded reads over kura's tables for browsing the history: every list is a page (a limit and a cursor), so a
/// warehouse with millions of rejected records answers as fast as an empty one. Reads only; a database without
/// kura's tables (or older ones without a table) yields nothing.
public protocol HistoryReader {
    /// The names of the jobs with sessions in the history, in name order.
    func jobNames() throws -> [String]

    /// The sessions of `job` older than `before` (all when `nil`), newest first, at most `limit`.
    func sessions(job: String, before: Timestamp?, limit: Int) throws -> [SessionSummary]

    /// Every attempt of the sessions of `job` from `from` through `through`, by session then attempt.
    func attempts(job: String, sessionsFrom from: Timestamp, through: Timestamp) throws -> [JobAttempt]

    /// The runs whose session time is from `from` through `through`, by session time, at most `limit`.
    func runs(sessionsFrom from: Timestamp, through: Timestamp, limit: Int) throws -> [RunRecord]

    /// The runs of every target, newest first (by `recorded_at`, then run id), skipping `offset`, at most `limit`.
    func runs(offset: Int, limit: Int) throws -> [RunRecord]

    /// The run `id`, if recorded.
    func run(id: String) throws -> RunRecord?

    /// The ledger entries of run `runID` (one per file), by path.
    func ledger(runID: String) throws -> [LedgerEntry]

    /// The ledger of every target, newest run first (then path), skipping `offset`, at most `limit`.
    func ledger(offset: Int, limit: Int) throws -> [LedgerRow]

    /// The rejected records of run `runID` numbered after `after` (from the first when `nil`), in the order they
    /// were recorded, at most `limit`.
    func rejects(runID: String, after: Int64?, limit: Int) throws -> [NumberedReject]

    /// How many sessions each job has in each status (by the latest attempt).
    func sessionCounts() throws -> [SessionCount]

    /// When each job's latest succeeded attempt finished, by job name.
    func lastSuccesses() throws -> [(job: String, finishedAt: Timestamp)]

    /// The counts of every target's recorded runs, summed, by target.
    func targetTotals() throws -> [TargetTotals]
}

/// What browsing the history needs of a warehouse: its tables, the job history and the bounded reads.
public typealias HistoryWarehouse = WarehouseStore & JobHistoryStore & HistoryReader
