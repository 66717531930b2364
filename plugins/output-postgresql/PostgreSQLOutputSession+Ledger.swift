import KuraCore
import KuraWarehouse

/// kura's own tables, kept by `PostgreSQLWarehouse` in the `kura` schema and written on the control connection in
/// the run's transaction, so they become visible exactly when the data does. The first write of a run creates or
/// migrates the tables (in that transaction too).
///
/// Under `truncate_insert` and `replace` the target holds only this run's rows afterwards, so the run also drops the
/// target's earlier ledger entries, and no file counts as already loaded.
extension PostgreSQLOutputSession {
    /// Whether the run replaces the target's contents.
    var replacesTarget: Bool { options.mode == .truncateInsert || options.mode == .replace }

    public func recordRun(
        id: String, configHash: String, counts: RowCounts, tasks: [InputTask], taskCounts: [RowCounts]
    ) throws {
        lock.lock()
        defer { lock.unlock() }
        guard let db = try connectionForLedger() else { return }
        try warehouse(db).recordRun(
            id: id, configHash: configHash, target: target, mode: plugin.recordedMode,
            sessionTime: context.sessionTime, counts: counts, tasks: tasks, taskCounts: taskCounts,
            replacingLedger: replacesTarget)
    }

    public func recordRejects(runID: String, _ rejects: [DataError]) throws {
        lock.lock()
        defer { lock.unlock() }
        guard let db = try connectionForLedger(nothingToWrite: rejects.isEmpty) else { return }
        try warehouse(db).recordRejects(runID: runID, target: target, rejects)
    }

    public func loadedFiles() throws -> Set<String> {
        lock.lock()
        defer { lock.unlock() }
        guard !replacesTarget, let db = control else { return [] }
        return try warehouse(db).loadedFiles(target: target)
    }
}
