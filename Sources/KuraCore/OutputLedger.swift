/// An output session that keeps kura's run record and ingestion ledger in the same transaction as the data, so a
/// file counts as loaded exactly when its rows are committed.
///
/// The runtime reads `loadedFiles()` to skip files already loaded, and calls `recordRun` after every task
/// has finished and before `commit`.
public protocol LedgerOutputSession: OutputSession {
    /// Records the run and one ledger entry per task (path, size, modification time, counts), to become visible
    /// with the data at `commit`. `taskCounts[i]` are the counts of `tasks[i]`.
    func recordRun(id: String, configHash: String, counts: RowCounts, tasks: [InputTask], taskCounts: [RowCounts])
        throws

    /// Records rejected records of run `runID` (called after `recordRun`, possibly several times with batches),
    /// to become visible with the data at `commit`.
    func recordRejects(runID: String, _ rejects: [DataError]) throws

    /// The paths of the files already loaded into this session's target, according to the ledger; empty when
    /// the run replaces the target's contents (so nothing counts as already loaded).
    func loadedFiles() throws -> Set<String>
}
