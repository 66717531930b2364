import KuraCore
import KuraSQLite

/// kura's tables in a SQLite database file, beside the data, on a connection the caller holds.
///
/// - `_kura_runs`: one row per committed run: `run_id` (primary key), `config_hash`, `target_table`, `mode`,
///   `session_time` and `recorded_at` (ISO 8601 UTC text), `task_count`, and the run's `rows_read`, `rows_loaded`,
///   `rows_rejected`, `rows_filtered`.
/// - `_kura_files`: the ingestion ledger, one row per task of each run: `target_table`, `path`, `size` (bytes),
///   `mtime` (seconds since the epoch), `run_id`, and the task's four counts; the primary key is (`target_table`,
///   `path`, `run_id`).
/// - `_kura_rejects`: rejected records: `run_id`, `target_table`, `file`, `line`, `byte_offset`, `column_name`,
///   `reason` (the code), `message`, `raw` (text, at most 64 KiB of the record), `length` (the record's bytes);
///   its `rowid` numbers the records in the order they were recorded.
/// - `_kura_meta`: `key` / `value` text pairs; `schema_version` holds the tables' version.
/// - `_kura_job_attempts`: job history, one row per attempt: `job`, `session_time`, `attempt` (primary key
///   together), `status`, `started_at`, `finished_at` (ISO 8601 UTC text), `run_id`, `error`.
///
/// Every call runs in whatever transaction the connection has open; the output session holds the write lock
/// (`BEGIN IMMEDIATE`) for the whole run, so migrations cannot race.
public final class SQLiteWarehouse: WarehouseStore {
    /// The connection, with the caller's transaction.
    public let connection: SQLiteConnection

    static let runsTable = "_kura_runs"
    static let filesTable = "_kura_files"
    static let rejectsTable = "_kura_rejects"
    static let metaTable = "_kura_meta"
    static let attemptsTable = "_kura_job_attempts"

    /// A store on `connection`.
    public init(connection: SQLiteConnection) {
        self.connection = connection
    }

    public var location: String { connection.path }

    public func schemaVersion() throws -> Int {
        let names = Set(
            try connection.queryText(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?1, ?2, ?3, ?4)",
                [Self.metaTable, Self.runsTable, Self.filesTable, Self.rejectsTable]
            ).compactMap { $0.first ?? nil })
        guard names.contains(Self.metaTable) else { return names.isEmpty ? 0 : 1 }
        let value = try connection.queryText(
            "SELECT value FROM \(Self.metaTable) WHERE key = ?1", [WarehouseSchema.versionKey]).first?.first ?? nil
        guard let value, let version = Int(value) else {
            throw SystemError(
                "the warehouse at \(location) has a \(Self.metaTable) table without a valid \(WarehouseSchema.versionKey) "
                    + "row (found \(value.map { "'\($0)'" } ?? "none")); restore it or remove kura's _kura_* tables")
        }
        return version
    }

    public func migrate() throws {
        let found = try checkVersion()
        if found == WarehouseSchema.currentVersion { return }
        for step in Self.migrations where step.version > found {
            try connection.exec(step.sql)
        }
        let write = try connection.prepare("INSERT OR REPLACE INTO \(Self.metaTable) (key, value) VALUES (?1, ?2)")
        try write.bind(WarehouseSchema.versionKey, at: 1)
        try write.bind(String(WarehouseSchema.currentVersion), at: 2)
        try write.step()
    }

    public func recordRun(_ run: RunRecord, entries: [LedgerEntry], replacingLedger: Bool) throws {
        try migrate()
        let insert = try connection.prepare(
            """
            INSERT INTO \(Self.runsTable) (run_id, config_hash, target_table, mode, session_time, recorded_at,
              task_count, rows_read, rows_loaded, rows_rejected, rows_filtered)
            VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?6, ?7, ?8, ?9, ?10)
            """)
        try insert.bind(run.id, at: 1)
        try insert.bind(run.configHash, at: 2)
        try insert.bind(run.target, at: 3)
        try insert.bind(run.mode, at: 4)
        try insert.bind(run.sessionTime.iso8601, at: 5)
        try insert.bind(Int64(run.taskCount), at: 6)
        try Self.bind(run.counts, to: insert, from: 7)
        try insert.step()

        if replacingLedger {
            let clear = try connection.prepare(
                "DELETE FROM \(Self.filesTable) WHERE target_table = ?1 AND run_id <> ?2")
            try clear.bind(run.target, at: 1)
            try clear.bind(run.id, at: 2)
            try clear.step()
        }

        let file = try connection.prepare(
            """
            INSERT INTO \(Self.filesTable) (target_table, path, size, mtime, run_id,
              rows_read, rows_loaded, rows_rejected, rows_filtered)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """)
        for entry in entries {
            try file.bind(entry.target, at: 1)
            try file.bind(entry.path, at: 2)
            if let size = entry.size { try file.bind(size, at: 3) } else { try file.bindNull(at: 3) }
            if let mtime = entry.mtime { try file.bind(mtime, at: 4) } else { try file.bindNull(at: 4) }
            try file.bind(entry.runID, at: 5)
            try Self.bind(entry.counts, to: file, from: 6)
            try file.step()
            file.reset()
        }
    }

    public func recordRejects(runID: String, target: String, _ rejects: [DataError]) throws {
        if rejects.isEmpty { return }
        try migrate()
        let insert = try connection.prepare(
            """
            INSERT INTO \(Self.rejectsTable) (run_id, target_table, file, line, byte_offset, column_name, reason, message, raw, length)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """)
        for e in rejects {
            try insert.bind(runID, at: 1)
            try insert.bind(target, at: 2)
            try insert.bind(e.file, at: 3)
            if let l = e.line { try insert.bind(Int64(l), at: 4) } else { try insert.bindNull(at: 4) }
            if let o = e.byteOffset { try insert.bind(o, at: 5) } else { try insert.bindNull(at: 5) }
            if let c = e.column { try insert.bind(c, at: 6) } else { try insert.bindNull(at: 6) }
            try insert.bind(e.code.rawValue, at: 7)
            try insert.bind(e.message, at: 8)
            try insert.bind(e.rawText, at: 9)
            try insert.bind(e.length ?? Int64(e.raw.count), at: 10)
            try insert.step()
            insert.reset()
        }
    }

    public func loadedFiles(target: String) throws -> Set<String> {
        if try checkVersion() == 0 { return [] }
        let rows = try connection.queryText(
            "SELECT DISTINCT path FROM \(Self.filesTable) WHERE target_table = ?1", [target])
        return Set(rows.compactMap { $0.first ?? nil })
    }

    public func runs(target: String?, limit: Int) throws -> [RunRecord] {
        if try checkVersion() == 0 { return [] }
        let stmt = try connection.prepare(
            """
            SELECT run_id, config_hash, target_table, mode, session_time, recorded_at, task_count,
              rows_read, rows_loaded, rows_rejected, rows_filtered
            FROM \(Self.runsTable) WHERE ?1 IS NULL OR target_table = ?1
            ORDER BY recorded_at DESC, run_id DESC LIMIT ?2
            """)
        if let target { try stmt.bind(target, at: 1) } else { try stmt.bindNull(at: 1) }
        try stmt.bind(Int64(limit), at: 2)
        var out: [RunRecord] = []
        while try stmt.step() {
            out.append(
                RunRecord(
                    id: stmt.text(at: 0), configHash: stmt.text(at: 1), target: stmt.text(at: 2), mode: stmt.text(at: 3),
                    sessionTime: try Self.timestamp(stmt.text(at: 4)), recordedAt: try Self.timestamp(stmt.text(at: 5)),
                    taskCount: Int(stmt.int64(at: 6)), counts: Self.counts(stmt, from: 7)))
        }
        return out
    }

    public func ledger(target: String) throws -> [LedgerEntry] {
        if try checkVersion() == 0 { return [] }
        let stmt = try connection.prepare(
            """
            SELECT target_table, path, size, mtime, run_id, rows_read, rows_loaded, rows_rejected, rows_filtered
            FROM \(Self.filesTable) WHERE target_table = ?1 ORDER BY path, run_id
            """)
        try stmt.bind(target, at: 1)
        var out: [LedgerEntry] = []
        while try stmt.step() {
            out.append(
                LedgerEntry(
                    target: stmt.text(at: 0), path: stmt.text(at: 1), size: stmt.isNull(at: 2) ? nil : stmt.int64(at: 2),
                    mtime: stmt.isNull(at: 3) ? nil : stmt.double(at: 3), runID: stmt.text(at: 4),
                    counts: Self.counts(stmt, from: 5)))
        }
        return out
    }

    public func rejects(runID: String) throws -> [RejectRecord] {
        let version = try checkVersion()
        if version == 0 { return [] }
        let stmt = try connection.prepare(
            """
            SELECT run_id, target_table, file, line, byte_offset, column_name, reason, message, raw, \(version >= 4 ? "length" : "NULL")
            FROM \(Self.rejectsTable) WHERE run_id = ?1 ORDER BY rowid
            """)
        try stmt.bind(runID, at: 1)
        var out: [RejectRecord] = []
        while try stmt.step() {
            out.append(
                RejectRecord(
                    runID: stmt.text(at: 0), target: stmt.text(at: 1), file: stmt.text(at: 2),
                    line: stmt.isNull(at: 3) ? nil : Int(stmt.int64(at: 3)),
                    byteOffset: stmt.isNull(at: 4) ? nil : stmt.int64(at: 4),
                    column: stmt.isNull(at: 5) ? nil : stmt.text(at: 5), code: stmt.text(at: 6),
                    message: stmt.text(at: 7), raw: Array(stmt.text(at: 8).utf8),
                    length: stmt.isNull(at: 9) ? nil : stmt.int64(at: 9)))
        }
        return out
    }

    static func bind(_ counts: RowCounts, to stmt: SQLiteStatement, from index: Int32) throws {
        try stmt.bind(Int64(counts.read), at: index)
        try stmt.bind(Int64(counts.loaded), at: index + 1)
        try stmt.bind(Int64(counts.rejected), at: index + 2)
        try stmt.bind(Int64(counts.filtered), at: index + 3)
    }

    static func counts(_ stmt: SQLiteStatement, from index: Int32) -> RowCounts {
        RowCounts(
            read: Int(stmt.int64(at: index)), loaded: Int(stmt.int64(at: index + 1)),
            rejected: Int(stmt.int64(at: index + 2)), filtered: Int(stmt.int64(at: index + 3)))
    }

    /// The instant of ISO 8601 UTC text as these tables store it (`2024-01-02T03:04:05[.fraction]Z`).
    static func timestamp(_ text: String) throws -> Timestamp {
        guard let t = parseUTCTimestamp(text) else {
            throw SystemError("the SQLite warehouse holds the time '\(text)', which is not ISO 8601 UTC text")
        }
        return t
    }

    /// The migration steps; step 1 creates the version 1 tables when they are missing.
    static let migrations: [WarehouseMigration] = [
        WarehouseMigration(
            version: 1,
            sql: """
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
                """),
        WarehouseMigration(
            version: 2,
            sql: """
                CREATE TABLE IF NOT EXISTS \(metaTable) (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS \(runsTable)_target_recorded_at ON \(runsTable) (target_table, recorded_at);
                CREATE INDEX IF NOT EXISTS \(rejectsTable)_run_id ON \(rejectsTable) (run_id);
                """),
        WarehouseMigration(
            version: 3,
            sql: """
                CREATE TABLE IF NOT EXISTS \(attemptsTable) (
                  job TEXT NOT NULL,
                  session_time TEXT NOT NULL,
                  attempt INTEGER NOT NULL,
                  status TEXT NOT NULL,
                  started_at TEXT NOT NULL,
                  finished_at TEXT,
                  run_id TEXT NOT NULL,
                  error TEXT,
                  PRIMARY KEY (job, session_time, attempt)
                );
                """),
        WarehouseMigration(version: 4, sql: "ALTER TABLE \(rejectsTable) ADD COLUMN length INTEGER;"),
        WarehouseMigration(
            version: 5,
            sql: """
                CREATE INDEX IF NOT EXISTS \(runsTable)_recorded_at ON \(runsTable) (recorded_at, run_id);
                CREATE INDEX IF NOT EXISTS \(runsTable)_session_time ON \(runsTable) (session_time);
                CREATE INDEX IF NOT EXISTS \(filesTable)_run_id ON \(filesTable) (run_id);
                """),
    ]
}

/// The instant of `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (up to nine fraction digits), or `nil` for any other text.
func parseUTCTimestamp(_ text: String) -> Timestamp? {
    let b = Array(text.utf8)
    guard b.count >= 20, b.last == UInt8(ascii: "Z"), b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
        b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":")
    else { return nil }
    func number(_ range: Range<Int>) -> Int64? {
        var n: Int64 = 0
        for i in range {
            guard b[i] >= 48, b[i] <= 57 else { return nil }
            n = n * 10 + Int64(b[i] - 48)
        }
        return n
    }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
        let minute = number(14..<16), let second = number(17..<19)
    else { return nil }
    var nanos: Int64 = 0
    let end = b.count - 1
    if end > 19 {
        guard b[19] == UInt8(ascii: "."), end - 20 >= 1, end - 20 <= 9, let f = number(20..<end) else { return nil }
        nanos = f
        for _ in 0..<(9 - (end - 20)) { nanos *= 10 }
    }
    let days = daysFromCivil(year, Int(month), Int(day))
    return Timestamp(seconds: days * 86_400 + hour * 3600 + minute * 60 + second, nanosecond: nanos)
}
