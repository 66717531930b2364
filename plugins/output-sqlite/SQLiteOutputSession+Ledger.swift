import KuraCore

/// The run record and the ingestion ledger, kept in two tables of the same database and written in the run's
/// transaction, so they become visible exactly when the data does:
///
/// - `_kura_runs`: one row per committed run: `run_id` (primary key), `config_hash`, `target_table`, `mode`,
///   `session_time` and `recorded_at` (ISO 8601 UTC), `task_count`, and the run's `rows_read`, `rows_loaded`,
///   `rows_rejected`, `rows_filtered`.
/// - `_kura_files`: one row per task of each run: `target_table`, `path`, `size` (bytes), `mtime` (seconds since
///   the epoch), `run_id`, and the task's four counts; the primary key is (`target_table`, `path`, `run_id`).
///
/// Under `truncate_insert` and `replace` the target holds only this run's rows afterwards, so the run also drops the
/// target's earlier ledger entries.
extension SQLiteOutputSession {
    static let runsTable = "_kura_runs"
    static let filesTable = "_kura_files"
    static let rejectsTable = "_kura_rejects"

    public func recordRun(
        id: String, configHash: String, counts: RowCounts, tasks: [InputTask], taskCounts: [RowCounts]
    ) throws {
        guard tasks.count == taskCounts.count else {
            throw SystemError("recordRun got \(tasks.count) tasks but \(taskCounts.count) task counts")
        }
        lock.lock()
        defer { lock.unlock() }
        guard state == .open else { throw SystemError("the SQLite output run on \(path) was already \(state)") }
        if isDryRun { return }
        guard let db = connection else { throw SystemError("the SQLite output run on \(path) is closed") }
        try Self.createLedgerTables(in: db)

        let run = try db.prepare(
            """
            INSERT INTO \(Self.runsTable) (run_id, config_hash, target_table, mode, session_time, recorded_at,
              task_count, rows_read, rows_loaded, rows_rejected, rows_filtered)
            VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?6, ?7, ?8, ?9, ?10)
            """)
        try run.bind(id, at: 1)
        try run.bind(configHash, at: 2)
        try run.bind(table, at: 3)
        try run.bind(mode.rawValue, at: 4)
        try run.bind(context.sessionTime.iso8601, at: 5)
        try run.bind(Int64(tasks.count), at: 6)
        try Self.bind(counts, to: run, from: 7)
        try run.step()

        if mode != .insert {
            let clear = try db.prepare("DELETE FROM \(Self.filesTable) WHERE target_table = ?1 AND run_id <> ?2")
            try clear.bind(table, at: 1)
            try clear.bind(id, at: 2)
            try clear.step()
        }

        let file = try db.prepare(
            """
            INSERT INTO \(Self.filesTable) (target_table, path, size, mtime, run_id,
              rows_read, rows_loaded, rows_rejected, rows_filtered)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """)
        for (task, taskCount) in zip(tasks, taskCounts) {
            try file.bind(table, at: 1)
            try file.bind(task.name, at: 2)
            if let size = task.size { try file.bind(size, at: 3) } else { try file.bindNull(at: 3) }
            if let mtime = task.modifiedAt { try file.bind(mtime, at: 4) } else { try file.bindNull(at: 4) }
            try file.bind(id, at: 5)
            try Self.bind(taskCount, to: file, from: 6)
            try file.step()
            file.reset()
        }
    }

    public func recordRejects(runID: String, _ rejects: [DataError]) throws {
        lock.lock()
        defer { lock.unlock() }
        guard state == .open else { throw SystemError("the SQLite output run on \(path) was already \(state)") }
        if isDryRun || rejects.isEmpty { return }
        guard let db = connection else { throw SystemError("the SQLite output run on \(path) is closed") }
        try Self.createLedgerTables(in: db)
        let insert = try db.prepare(
            """
            INSERT INTO \(Self.rejectsTable) (run_id, target_table, file, line, byte_offset, column_name, reason, message, raw)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """)
        for e in rejects {
            try insert.bind(runID, at: 1)
            try insert.bind(table, at: 2)
            try insert.bind(e.file, at: 3)
            if let l = e.line { try insert.bind(Int64(l), at: 4) } else { try insert.bindNull(at: 4) }
            if let o = e.byteOffset { try insert.bind(o, at: 5) } else { try insert.bindNull(at: 5) }
            if let c = e.column { try insert.bind(c, at: 6) } else { try insert.bindNull(at: 6) }
            try insert.bind(e.code.rawValue, at: 7)
            try insert.bind(e.message, at: 8)
            try insert.bind(e.rawText, at: 9)
            _ = try insert.step()
            insert.reset()
        }
    }

    public func loadedFiles() throws -> Set<String> {
        lock.lock()
        defer { lock.unlock() }
        guard mode == .insert, let db = connection else { return [] }
        let target = table
        let exists = try db.queryText(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [Self.filesTable])
        if exists.isEmpty { return [] }
        let rows = try db.queryText("SELECT DISTINCT path FROM \(Self.filesTable) WHERE target_table = ?1", [target])
        return Set(rows.compactMap { $0.first ?? nil })
    }

    static func createLedgerTables(in db: SQLiteConnection) throws {
        try db.exec(
            """
            CREATE TABLE IF NOT EXISTS \(runsTable) (
              run_id TEXT PRIMARY KEY,
              config_hash TEXT NOT NULL,
              target_table TEXT NOT NULL,
              mode TEXT NOT NULL,
              session_time TEXT NOT NULL,
              recorded_at TEXT NOT NULL,
              task_count INTEGER NOT NULL,
              rows_read INTEGER NOT NULL,
              rows_loaded INTEGER NOT NULL,
              rows_rejected INTEGER NOT NULL,
              rows_filtered INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS \(filesTable) (
              target_table TEXT NOT NULL,
              path TEXT NOT NULL,
              size INTEGER,
              mtime REAL,
              run_id TEXT NOT NULL,
              rows_read INTEGER NOT NULL,
              rows_loaded INTEGER NOT NULL,
              rows_rejected INTEGER NOT NULL,
              rows_filtered INTEGER NOT NULL,
              PRIMARY KEY (target_table, path, run_id)
            );
            CREATE TABLE IF NOT EXISTS \(rejectsTable) (
              run_id TEXT NOT NULL,
              target_table TEXT NOT NULL,
              file TEXT NOT NULL,
              line INTEGER,
              byte_offset INTEGER,
              column_name TEXT,
              reason TEXT NOT NULL,
              message TEXT NOT NULL,
              raw TEXT
            );
            """)
    }

    static func bind(_ counts: RowCounts, to stmt: SQLiteStatement, from index: Int32) throws {
        try stmt.bind(Int64(counts.read), at: index)
        try stmt.bind(Int64(counts.loaded), at: index + 1)
        try stmt.bind(Int64(counts.rejected), at: index + 2)
        try stmt.bind(Int64(counts.filtered), at: index + 3)
    }
}
