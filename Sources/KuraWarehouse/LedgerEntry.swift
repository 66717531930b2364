import KuraCore

/// One file of one run in the ingestion ledger (`_kura_files` in SQLite, `kura.files` in PostgreSQL).
///
/// The key is (`target`, `path`, `runID`).
public struct LedgerEntry: Equatable, Sendable {
    /// The target the file was loaded into (as in `RunRecord.target`).
    public var target: String
    /// The input file's path, as the input named the task.
    public var path: String
    /// The file's size in bytes, when the input knew it.
    public var size: Int64?
    /// The file's modification time in seconds since the epoch, when the input knew it.
    public var mtime: Double?
    /// The run that loaded it.
    public var runID: String
    /// The task's row counts.
    public var counts: RowCounts

    /// Creates an entry.
    public init(target: String, path: String, size: Int64?, mtime: Double?, runID: String, counts: RowCounts) {
        self.target = target
        self.path = path
        self.size = size
        self.mtime = mtime
        self.runID = runID
        self.counts = counts
    }
}
