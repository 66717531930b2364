import Foundation
import KuraSQLite
import KuraTestSupport
@testable import KuraWarehouse
import Testing

/// The bounded history reads on a real SQLite file.
@Suite struct SQLiteHistoryReaderTests {
    @Test func historyReadsReturnWhatWasWritten() throws {
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.path + "/w.db")
        try HistoryReaderConformance.run(SQLiteWarehouse(connection: db)) { body in
            try db.exec("BEGIN IMMEDIATE")
            try body()
            try db.exec("COMMIT")
        }
    }

    @Test func aVersion4DatabaseIsReadAndMigratedToTheBrowsingIndexes() throws {
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.path + "/w.db")
        let store = SQLiteWarehouse(connection: db)
        try db.exec("BEGIN IMMEDIATE")
        for step in SQLiteWarehouse.migrations where step.version <= 4 { try db.exec(step.sql) }
        try db.exec("INSERT INTO _kura_meta (key, value) VALUES ('schema_version', '4')")
        try db.exec("COMMIT")
        #expect(try store.schemaVersion() == 4)
        #expect(try store.runs(offset: 0, limit: 5) == [] && store.jobNames() == [], "version 4 tables are read as they are")
        try db.exec("BEGIN IMMEDIATE")
        try store.migrate()
        try db.exec("COMMIT")
        #expect(try store.schemaVersion() == 5)
        let plan = try db.queryText("EXPLAIN QUERY PLAN SELECT * FROM _kura_runs ORDER BY recorded_at DESC, run_id DESC LIMIT 10")
        #expect(plan.contains { ($0.last ?? nil)?.contains("_kura_runs_recorded_at") == true }, "\(plan)")
    }
}
