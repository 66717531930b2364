import Foundation
import KuraCore
import KuraLibPQ
import Testing

@testable import KuraWarehouse

/// `PostgreSQLWarehouse` against the real server; each test keeps its tables in a schema of its own.
@Suite struct PostgreSQLWarehouseTests {
    /// A connection to the test server and a store in a new, unique schema (dropped at the end with `cleanUp`).
    func newStore() throws -> (PGConnection, PostgreSQLWarehouse) {
        let db = try TestServer.current!.connect()
        return (db, PostgreSQLWarehouse(connection: db, schema: uniqueName("kura_wh")))
    }

    func cleanUp(_ store: PostgreSQLWarehouse) {
        _ = try? store.connection.execute("ROLLBACK")
        _ = try? store.connection.execute("DROP SCHEMA IF EXISTS \(quoteIdentifier(store.schema)) CASCADE")
    }

    func relations(_ store: PostgreSQLWarehouse) throws -> [String] {
        try store.connection.query(
            """
            SELECT c.relname || ':' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'i') ORDER BY c.relname
            """, [store.schema]
        ).rows.compactMap { $0[0] }
    }

    @Test(.enabled(if: pg)) func freshDatabaseIsCreatedAtTheCurrentVersion() throws {
        let (db, store) = try newStore()
        defer { cleanUp(store) }
        #expect(try store.schemaVersion() == 0)
        #expect(try store.loadedFiles(target: "x") == [])
        try db.execute("BEGIN")
        try store.migrate()
        try db.execute("COMMIT")
        #expect(try store.schemaVersion() == WarehouseSchema.currentVersion)
        #expect(
            try relations(store) == [
                "files:r", "files_pkey:i", "files_run_id:i", "job_attempts:r", "job_attempts_pkey:i", "meta:r", "meta_pkey:i", "rejects:r",
                "rejects_run_id:i", "rejects_run_id_id:i", "runs:r", "runs_pkey:i", "runs_recorded_at:i", "runs_session_time:i",
                "runs_target_recorded_at:i",
            ])
        try store.migrate()
        #expect(try store.schemaVersion() == WarehouseSchema.currentVersion)
    }

    @Test(.enabled(if: pg)) func version1DatabaseIsMigratedInPlaceInTheCallersTransaction() throws {
        let (db, store) = try newStore()
        defer { cleanUp(store) }
        let s = quoteIdentifier(store.schema)
        // kura's tables as version 1 created them, with its one-row version table.
        try db.execute(
            """
            CREATE SCHEMA \(s);
            CREATE TABLE \(s).schema_version (version integer NOT NULL);
            INSERT INTO \(s).schema_version VALUES (1);
            CREATE TABLE \(s).runs (run_id text PRIMARY KEY, config_hash text NOT NULL, target text NOT NULL,
              mode text NOT NULL, session_time timestamptz NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
              task_count integer NOT NULL, rows_read bigint NOT NULL, rows_loaded bigint NOT NULL,
              rows_rejected bigint NOT NULL, rows_filtered bigint NOT NULL);
            CREATE TABLE \(s).files (target text NOT NULL, path text NOT NULL, size bigint, mtime double precision,
              run_id text NOT NULL, rows_read bigint NOT NULL, rows_loaded bigint NOT NULL, rows_rejected bigint NOT NULL,
              rows_filtered bigint NOT NULL, PRIMARY KEY (target, path, run_id));
            CREATE TABLE \(s).rejects (run_id text NOT NULL, target text NOT NULL, file text NOT NULL, line bigint,
              byte_offset bigint, column_name text, code text NOT NULL, message text NOT NULL, raw bytea,
              recorded_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO \(s).runs VALUES ('old', 'h0', '"public"."t"', 'insert', '2023-11-14T22:13:20Z',
              '2023-11-14T22:13:21.5Z', 1, 3, 3, 0, 0);
            INSERT INTO \(s).files VALUES ('"public"."t"', '/data/old.csv', 10, 1.5, 'old', 3, 3, 0, 0);
            """)
        #expect(try store.schemaVersion() == 1)

        // A rolled-back run leaves the tables at version 1.
        try db.execute("BEGIN")
        try store.migrate()
        #expect(try store.schemaVersion() == WarehouseSchema.currentVersion)
        try db.execute("ROLLBACK")
        #expect(try store.schemaVersion() == 1)

        try db.execute("BEGIN")
        try store.migrate()
        try db.execute("COMMIT")
        #expect(try store.schemaVersion() == WarehouseSchema.currentVersion)
        #expect(try !relations(store).contains("schema_version:r"))
        #expect(try store.loadedFiles(target: "\"public\".\"t\"") == ["/data/old.csv"])
        #expect(
            try store.runs(target: nil, limit: 10) == [
                RunRecord(
                    id: "old", configHash: "h0", target: "\"public\".\"t\"", mode: "insert",
                    sessionTime: Timestamp(seconds: 1_700_000_000),
                    recordedAt: Timestamp(seconds: 1_700_000_001, nanosecond: 500_000_000), taskCount: 1,
                    counts: RowCounts(read: 3, loaded: 3))
            ])
    }

    @Test(.enabled(if: pg)) func newerVersionIsRefused() throws {
        let (db, store) = try newStore()
        defer { cleanUp(store) }
        try db.execute("BEGIN")
        try store.migrate()
        try db.execute("COMMIT")
        try db.execute("UPDATE \(quoteIdentifier(store.schema)).meta SET value = '7' WHERE key = 'schema_version'")
        let expected = "the warehouse at \(store.location) has kura schema version 7; this kura knows up to \(WarehouseSchema.currentVersion); upgrade kura"
        #expect(store.location.contains("(schema \(store.schema))"))
        for attempt: () throws -> Void in [
            { try store.migrate() },
            { _ = try store.loadedFiles(target: "t") },
            { _ = try store.rejects(runID: "r") },
            { try store.recordRejects(runID: "r", target: "t", [DataError(.cast, file: "f", message: "m")]) },
        ] {
            do {
                try attempt()
                Issue.record("a version 7 warehouse was not refused")
            } catch let error as SystemError {
                #expect(error.message == expected)
            }
        }
    }

    @Test(.enabled(if: pg)) func runLedgerAndRejectsRoundTrip() throws {
        let (db, store) = try newStore()
        defer { cleanUp(store) }
        let target = "\"public\".\"We\"\"ird\""
        try db.execute("BEGIN")
        let tasks = [InputTask(name: "/data/a.csv", size: 120, modifiedAt: 1_700_000_000.5), InputTask(name: "/data/b.csv")]
        let counts = [RowCounts(read: 3, loaded: 2, rejected: 1), RowCounts(read: 1, filtered: 1)]
        try store.recordRun(
            id: "r1", configHash: "h1", target: target, mode: "insert", sessionTime: Timestamp(seconds: 1_700_000_000),
            counts: RowCounts(read: 4, loaded: 2, rejected: 1, filtered: 1), tasks: tasks, taskCounts: counts,
            replacingLedger: false)
        let raw: [UInt8] = [0x32, 0x2C, 0xFF, 0x00, 0x78]
        try store.recordRejects(
            runID: "r1", target: target,
            [
                DataError(.cast, file: "/data/a.csv", line: 3, byteOffset: 40, column: "score", message: "not a double", raw: raw),
                DataError(.cast, file: "/data/a.csv", message: "second"),
            ])
        try db.execute("COMMIT")

        var run = try #require(try store.runs(target: target, limit: 10).first)
        #expect(run.recordedAt != nil)
        run.recordedAt = nil
        #expect(
            run == RunRecord(
                id: "r1", configHash: "h1", target: target, mode: "insert", sessionTime: Timestamp(seconds: 1_700_000_000),
                taskCount: 2, counts: RowCounts(read: 4, loaded: 2, rejected: 1, filtered: 1)))
        #expect(
            try store.ledger(target: target) == [
                LedgerEntry(target: target, path: "/data/a.csv", size: 120, mtime: 1_700_000_000.5, runID: "r1", counts: counts[0]),
                LedgerEntry(target: target, path: "/data/b.csv", size: nil, mtime: nil, runID: "r1", counts: counts[1]),
            ])
        #expect(
            try store.rejects(runID: "r1") == [
                RejectRecord(
                    runID: "r1", target: target, file: "/data/a.csv", line: 3, byteOffset: 40, column: "score", code: "CAST",
                    message: "not a double", raw: raw),
                RejectRecord(
                    runID: "r1", target: target, file: "/data/a.csv", line: nil, byteOffset: nil, column: nil, code: "CAST",
                    message: "second", raw: []),
            ])
        #expect(try store.loadedFiles(target: target) == ["/data/a.csv", "/data/b.csv"])

        try db.execute("BEGIN")
        try store.recordRun(
            id: "r2", configHash: "h2", target: target, mode: "replace", sessionTime: Timestamp(seconds: 1_700_000_000),
            counts: RowCounts(read: 1, loaded: 1), tasks: [InputTask(name: "/data/c.csv")],
            taskCounts: [RowCounts(read: 1, loaded: 1)], replacingLedger: true)
        try db.execute("COMMIT")
        #expect(try store.loadedFiles(target: target) == ["/data/c.csv"])
        #expect(try store.runs(target: nil, limit: 10).map(\.id) == ["r2", "r1"])
        #expect(try store.runs(target: "other", limit: 10) == [])
    }
}
