import Foundation
import KuraLibPQ
import KuraTestSupport
import Testing

@testable import KuraWarehouse

/// The history reads and `kura serve` with PostgreSQL as the warehouse.
extension PostgreSQLCLITests {
    @Test(.enabled(if: pg)) func historyReadsReturnWhatWasWrittenOnPostgreSQL() throws {
        let db = try TestServer.current!.connect()
        let store = PostgreSQLWarehouse(connection: db, schema: uniqueName("kura_read"))
        defer { _ = try? db.execute("DROP SCHEMA IF EXISTS \(quoteIdentifier(store.schema)) CASCADE") }
        try HistoryReaderConformance.run(store) { body in
            _ = try db.execute("BEGIN")
            try body()
            _ = try db.execute("COMMIT")
        }
    }

    @Test(.enabled(if: pg)) func serveShowsTheSamplePipelineBackfilledIntoPostgreSQL() throws {
        let server = try #require(TestServer.current)
        let pipeline = try SamplePipelineOnServer(server, databasePrefix: "kura_serve")
        defer { pipeline.drop() }
        let dir = pipeline.dir, database = pipeline.database
        let backfill = try kura(["backfill", "train_model", "--from", "2024-01-01", "--to", "2024-01-02", "--with-deps"], in: dir.path)
        #expect(backfill.status == 0 && backfill.stdout.contains("4 succeeded"), "\(backfill.stdout)\n\(backfill.stderr)")
        let serve = try ServeProcess(["--jobs", "jobs"], in: dir.path)
        let home = try serve.request("/")
        #expect(home.status == 200)
        #expect(home.body.components(separatedBy: "class=\"cell succeeded\"").count - 1 == 4)
        #expect(home.body.contains("\"public\".\"events\"") || home.body.contains("&quot;public&quot;.&quot;events&quot;"))
        let job = try serve.request("/api/jobs/user_features")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(job.body.utf8)) as? [String: Any])
        let sessions = try #require(o["sessions"] as? [[String: Any]])
        #expect(sessions.map { $0["rows_loaded"] as? Int } == [120, 120], "each session's load, matched to it")
        let metrics = try serve.request("/metrics").body
        #expect(metrics.contains("kura_sessions{kura_job=\"train_model\",status=\"succeeded\"} 2\n"))
        #expect(metrics.contains("kura_rows_total{target=\"\\\"public\\\".\\\"events\\\"\",outcome=\"loaded\"} 240\n"), "\(metrics)")
        #expect(try serve.request("/healthz").body.contains("kura schema version 5"))
        #expect(!home.body.contains("password"))
        #expect(serve.stop() == 0)
    }
}
