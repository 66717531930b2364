import KuraCore

/// kura's own tables in a warehouse: the run records, the ingestion ledger and the rejected records, versioned.
///
/// A store works on a connection that its caller already holds, inside the caller's transaction: the output session
/// that loads the data writes the run, its ledger entries and its rejects on the same connection, so they become
/// visible exactly when the data does (and vanish with it on rollback). The store never begins, commits or rolls
/// back a transaction itself.
///
/// The tables carry a schema version (`WarehouseSchema.currentVersion`), kept as the `schema_version` row of a small
/// meta table. The write methods bring older tables to the current version first (`migrate()`), in the caller's
/// transaction; every method refuses tables newer than this kura knows. Reading from a database without kura's
/// tables yields nothing.
///
/// Implementations: `SQLiteWarehouse` (`_kura_*` tables in the database file) and `PostgreSQLWarehouse` (tables in
/// the `kura` schema).
public protocol WarehouseStore {
    /// Where the tables are, for messages: the database file, or the server and schema (never a password).
    var location: String { get }

    /// The version of kura's tables in this database: 0 when there are none yet.
    func schemaVersion() throws -> Int

    /// Creates kura's tables at the current version, or brings older ones to it in place; does nothing when they
    /// are current. Runs in the caller's transaction. Throws when the tables are newer than this kura knows.
    func migrate() throws

    /// Records a run and its ledger entries (one per task). With `replacingLedger`, the target's ledger entries of
    /// other runs are dropped first, because the target now holds only this run's rows (`truncate_insert`,
    /// `replace`). Migrates first.
    func recordRun(_ run: RunRecord, entries: [LedgerEntry], replacingLedger: Bool) throws

    /// Records rejected records of run `runID` into `target`. Migrates first.
    func recordRejects(runID: String, target: String, _ rejects: [DataError]) throws

    /// The paths of the files loaded into `target`, according to the ledger.
    func loadedFiles(target: String) throws -> Set<String>

    /// The recorded runs, newest first (by `recorded_at`, then run id), of `target` or of every target when `nil`,
    /// at most `limit` of them.
    func runs(target: String?, limit: Int) throws -> [RunRecord]

    /// The ledger entries of `target`, ordered by path and run id.
    func ledger(target: String) throws -> [LedgerEntry]

    /// The rejected records of run `runID`, in the order they were recorded.
    func rejects(runID: String) throws -> [RejectRecord]
}

extension WarehouseStore {
    /// The version of kura's tables, after refusing a version newer than this kura knows.
    @discardableResult
    public func checkVersion() throws -> Int {
        let found = try schemaVersion()
        try WarehouseSchema.refuseNewer(found, at: location)
        return found
    }

    /// Records a run from the runtime's view of it: the run's counts and, per task, the task and its counts
    /// (`taskCounts[i]` are the counts of `tasks[i]`).
    public func recordRun(
        id: String, configHash: String, target: String, mode: String, sessionTime: Timestamp, counts: RowCounts,
        tasks: [InputTask], taskCounts: [RowCounts], replacingLedger: Bool
    ) throws {
        guard tasks.count == taskCounts.count else {
            throw SystemError("recordRun got \(tasks.count) tasks but \(taskCounts.count) task counts")
        }
        let run = RunRecord(
            id: id, configHash: configHash, target: target, mode: mode, sessionTime: sessionTime,
            taskCount: tasks.count, counts: counts)
        let entries = zip(tasks, taskCounts).map { task, c in
            LedgerEntry(target: target, path: task.name, size: task.size, mtime: task.modifiedAt, runID: id, counts: c)
        }
        try recordRun(run, entries: entries, replacingLedger: replacingLedger)
    }
}
