import KuraCore

/// One committed run, as kept in the runs table (`_kura_runs` in SQLite, `kura.runs` in PostgreSQL).
public struct RunRecord: Equatable, Sendable {
    /// The run's identifier (the table's primary key).
    public var id: String
    /// The hash of the rendered config the run used.
    public var configHash: String
    /// The target the run loaded into: the table name in SQLite, the quoted, schema-qualified table in PostgreSQL.
    public var target: String
    /// The output mode, such as `insert`.
    public var mode: String
    /// The logical time the run is for.
    public var sessionTime: Timestamp
    /// When the run was recorded, by the database's clock; `nil` in a record about to be written (the database sets
    /// it).
    public var recordedAt: Timestamp?
    /// The number of tasks (input files) of the run.
    public var taskCount: Int
    /// The run's row counts.
    public var counts: RowCounts

    /// Creates a record; `recordedAt` defaults to `nil` (set by the database when written).
    public init(
        id: String, configHash: String, target: String, mode: String, sessionTime: Timestamp,
        recordedAt: Timestamp? = nil, taskCount: Int, counts: RowCounts
    ) {
        self.id = id
        self.configHash = configHash
        self.target = target
        self.mode = mode
        self.sessionTime = sessionTime
        self.recordedAt = recordedAt
        self.taskCount = taskCount
        self.counts = counts
    }
}
