import Foundation
import KuraCore
import KuraSQLite
import Testing

@testable import KuraWarehouse

/// `SQLiteWarehouse` against real database files.
@Suite struct SQLiteWarehouseTests {
    /// A new database file in a fresh temporary directory.
    func newDatabase() throws -> SQLiteConnection {
        let dir = NSTemporaryDirectory() + "kura-warehouse-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try SQLiteConnection(path: dir + "/w.db")
    }

    func names(_ db: SQLiteConnection, _ type: String) throws -> [String] {
        try db.queryText("SELECT name FROM sqlite_master WHERE type = ?1 AND name LIKE '\\_kura\\_%' ESCAPE '\\' ORDER BY name", [type])
            .compactMap { $0[0] }
    }

    /// kura's tables as version 1 created them (no version record).
    static let version1 = """
        CREATE TABLE _kura_runs (run_id TEXT PRIMARY KEY, config_hash TEXT NOT NULL, target_table TEXT NOT NULL,
          mode TEXT NOT NULL, session_time TEXT NOT NULL, recorded_at TEXT NOT NULL, task_count INTEGER NOT NULL,
          rows_read INTEGER NOT NULL, rows_loaded INTEGER NOT NULL, rows_rejected INTEGER NOT NULL,
          rows_filtered INTEGER NOT NULL);
        CREATE TABLE _kura_files (target_table TEXT NOT NULL, path TEXT NOT NULL, size INTEGER, mtime REAL,
          run_id TEXT NOT NULL, rows_read INTEGER NOT NULL, rows_loaded INTEGER NOT NULL, rows_rejected INTEGER NOT NULL,
          rows_filtered INTEGER NOT NULL, PRIMARY KEY (target_table, path, run_id));
        CREATE TABLE _kura_rejects (run_id TEXT NOT NULL, target_table TEXT NOT NULL, file TEXT NOT NULL, line INTEGER,
          byte_offset INTEGER, column_name TEXT, reason TEXT NOT NULL, message TEXT NOT NULL, raw TEXT);
        INSERT INTO _kura_runs VALUES ('old', 'h0', 't', 'insert', '2023-11-14T22:13:20Z', '2023-11-14T22:13:21.500Z',
          1, 3, 3, 0, 0);
        INSERT INTO _kura_files VALUES ('t', '/data/old.csv', 10, 1.5, 'old', 3, 3, 0, 0);
        """

    @Test func freshDatabaseIsCreatedAtTheCurrentVersion() throws {
        let db = try newDatabase()
        let store = SQLiteWarehouse(connection: db)
        #expect(try store.schemaVersion() == 0)
        #expect(try store.loadedFiles(target: "t") == [])
        #expect(try store.runs(target: nil, limit: 10) == [])
        try db.exec("BEGIN IMMEDIATE")
        try store.migrate()
        try db.exec("COMMIT")
        #expect(try store.schemaVersion() == WarehouseSchema.currentVersion)
        #expect(try names(db, "table") == ["_kura_files", "_kura_job_attempts", "_kura_meta", "_kura_rejects", "_kura_runs"])
        #expect(try names(db, "index") == [
            "_kura_files_run_id", "_kura_rejects_run_id", "_kura_runs_recorded_at", "_kura_runs_session_time", "_kura_runs_target_recorded_at",
        ])
        #expect(try db.queryText("SELECT key, value FROM _kura_meta") == [["schema_version", "\(WarehouseSchema.currentVersion)"]])
        // Migrating current tables changes nothing.
        try store.migrate()
        #expect(try store.schemaVersion() == WarehouseSchema.currentVersion)
    }

    @Test func version1DatabaseIsMigratedInPlaceInTheCallersTransaction() throws {
        let db = try newDatabase()
        try db.exec(Self.version1)
        let store = SQLiteWarehouse(connection: db)
        #expect(try store.schemaVersion() == 1)

        // A rolled-back run leaves the tables at version 1.
        try db.exec("BEGIN IMMEDIATE")
        try store.migrate()
        #expect(try store.schemaVersion() == WarehouseSchema.currentVersion)
        try db.exec("ROLLBACK")
        #expect(try store.schemaVersion() == 1)

        try db.exec("BEGIN IMMEDIATE")
        try store.migrate()
        try db.exec("COMMIT")
        #expect(try store.schemaVersion() == WarehouseSchema.currentVersion)
        #expect(try names(db, "index").contains("_kura_runs_target_recorded_at"))
        #expect(try store.loadedFiles(target: "t") == ["/data/old.csv"])
        #expect(
            try store.runs(target: "t", limit: 10) == [
                RunRecord(
                    id: "old", configHash: "h0", target: "t", mode: "insert", sessionTime: Timestamp(seconds: 1_700_000_000),
                    recordedAt: Timestamp(seconds: 1_700_000_001, nanosecond: 500_000_000), taskCount: 1,
                    counts: RowCounts(read: 3, loaded: 3))
            ])
    }

    @Test func newerVersionIsRefused() throws {
        let db = try newDatabase()
        let store = SQLiteWarehouse(connection: db)
        try store.migrate()
        try db.exec("UPDATE _kura_meta SET value = '99' WHERE key = 'schema_version'")
        let expected = "the warehouse at \(db.path) has kura schema version 99; this kura knows up to \(WarehouseSchema.currentVersion); upgrade kura"
        #expect(systemErrorMessage { try store.migrate() } == expected)
        #expect(systemErrorMessage { _ = try store.loadedFiles(target: "t") } == expected)
        #expect(systemErrorMessage { _ = try store.runs(target: nil, limit: 1) } == expected)
        #expect(systemErrorMessage { try store.recordRun(Self.run("r1"), entries: [], replacingLedger: false) } == expected)
        // Nothing was written.
        #expect(try db.queryText("SELECT count(*) FROM _kura_runs") == [["0"]])
    }

    @Test func runLedgerAndRejectsRoundTrip() throws {
        let db = try newDatabase()
        let store = SQLiteWarehouse(connection: db)
        try db.exec("BEGIN IMMEDIATE")
        let tasks = [InputTask(name: "/data/a.csv", size: 120, modifiedAt: 1_700_000_000.5), InputTask(name: "/data/b.csv")]
        let counts = [RowCounts(read: 3, loaded: 2, rejected: 1), RowCounts(read: 1, filtered: 1)]
        try store.recordRun(
            id: "r1", configHash: "h1", target: "t", mode: "insert", sessionTime: Timestamp(seconds: 1_700_000_000),
            counts: RowCounts(read: 4, loaded: 2, rejected: 1, filtered: 1), tasks: tasks, taskCounts: counts,
            replacingLedger: false)
        let reject = DataError(
            .cast, file: "/data/a.csv", line: 3, byteOffset: 40, column: "score", message: "not a double",
            raw: Array("2,b,x".utf8))
        try store.recordRejects(runID: "r1", target: "t", [reject])
        try db.exec("COMMIT")

        let runs = try store.runs(target: "t", limit: 10)
        #expect(runs.count == 1)
        #expect(runs.first?.recordedAt != nil)
        var run = try #require(runs.first)
        run.recordedAt = nil
        #expect(run == Self.run("r1"))
        #expect(
            try store.ledger(target: "t") == [
                LedgerEntry(target: "t", path: "/data/a.csv", size: 120, mtime: 1_700_000_000.5, runID: "r1", counts: counts[0]),
                LedgerEntry(target: "t", path: "/data/b.csv", size: nil, mtime: nil, runID: "r1", counts: counts[1]),
            ])
        #expect(
            try store.rejects(runID: "r1") == [
                RejectRecord(
                    runID: "r1", target: "t", file: "/data/a.csv", line: 3, byteOffset: 40, column: "score", code: "CAST",
                    message: "not a double", raw: Array("2,b,x".utf8))
            ])
        #expect(try store.loadedFiles(target: "t") == ["/data/a.csv", "/data/b.csv"])
        #expect(try store.loadedFiles(target: "other") == [])

        // A run that replaces the target's contents drops the target's other ledger entries.
        try store.recordRun(
            id: "r2", configHash: "h2", target: "t", mode: "truncate_insert", sessionTime: Timestamp(seconds: 1_700_000_000),
            counts: RowCounts(read: 1, loaded: 1), tasks: [InputTask(name: "/data/c.csv")],
            taskCounts: [RowCounts(read: 1, loaded: 1)], replacingLedger: true)
        #expect(try store.loadedFiles(target: "t") == ["/data/c.csv"])
        #expect(try store.runs(target: nil, limit: 10).map(\.id).sorted() == ["r1", "r2"])
        #expect(try store.runs(target: nil, limit: 1).count == 1)
        #expect(throws: SystemError.self) {
            try store.recordRun(
                id: "r3", configHash: "h", target: "t", mode: "insert", sessionTime: Timestamp(seconds: 0), counts: RowCounts(),
                tasks: tasks, taskCounts: [], replacingLedger: false)
        }
    }

    @Test func storedTimesParseBack() {
        #expect(parseUTCTimestamp("2023-11-14T22:13:20Z") == Timestamp(seconds: 1_700_000_000))
        #expect(parseUTCTimestamp("2023-11-14T22:13:20.5Z") == Timestamp(seconds: 1_700_000_000, nanosecond: 500_000_000))
        #expect(parseUTCTimestamp("1969-12-31T23:59:59.000000001Z") == Timestamp(nanos: -999_999_999))
        #expect(parseUTCTimestamp("2023-11-14 22:13:20Z") == nil)
        #expect(parseUTCTimestamp("2023-11-14T22:13:20.Z") == nil)
        #expect(parseUTCTimestamp("2023-11-14T22:13:20.1234567890Z") == nil)
    }

    static func run(_ id: String) -> RunRecord {
        RunRecord(
            id: id, configHash: "h1", target: "t", mode: "insert", sessionTime: Timestamp(seconds: 1_700_000_000), taskCount: 2,
            counts: RowCounts(read: 4, loaded: 2, rejected: 1, filtered: 1))
    }
}

/// The message of the `SystemError` that `body` throws, or `nil` when it throws none.
func systemErrorMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as SystemError {
        return error.message
    } catch {
        return "not a SystemError: \(error)"
    }
}
