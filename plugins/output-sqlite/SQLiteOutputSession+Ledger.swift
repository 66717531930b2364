import KuraCore
import KuraWarehouse

/// The run record, the ingestion ledger and the rejects, kept by `SQLiteWarehouse` in the `_kura_*` tables of the
/// same database and written in the run's transaction, so they become visible exactly when the data does.
///
/// Under `truncate_insert` and `replace` the target holds only this run's rows afterwards, so the run also drops the
/// target's earlier ledger entries, and no file counts as already loaded.
extension SQLiteOutputSession {
    public func recordRun(
        id: String, configHash: String, counts: RowCounts, tasks: [InputTask], taskCounts: [RowCounts]
    ) throws {
        lock.lock()
        defer { lock.unlock() }
        guard let store = try openWarehouse() else { return }
        try store.recordRun(
            id: id, configHash: configHash, target: table, mode: mode.rawValue, sessionTime: context.sessionTime,
            counts: counts, tasks: tasks, taskCounts: taskCounts, replacingLedger: mode != .insert)
    }

    public func recordRejects(runID: String, _ rejects: [DataError]) throws {
        lock.lock()
        defer { lock.unlock() }
        guard let store = try openWarehouse(), !rejects.isEmpty else { return }
        try store.recordRejects(runID: runID, target: table, rejects)
    }

    public func loadedFiles() throws -> Set<String> {
        lock.lock()
        defer { lock.unlock() }
        guard mode == .insert, let db = connection else { return [] }
        return try SQLiteWarehouse(connection: db).loadedFiles(target: table)
    }

    /// The warehouse on the run's connection, or `nil` in a dry run (lock held).
    func openWarehouse() throws -> SQLiteWarehouse? {
        guard state == .open else { throw SystemError("the SQLite output run on \(path) was already \(state)") }
        if isDryRun { return nil }
        guard let db = connection else { throw SystemError("the SQLite output run on \(path) is closed") }
        return SQLiteWarehouse(connection: db)
    }
}
