import Foundation
import KuraLibPQ
import KuraTestSupport
import Testing

/// The shipped sample pipeline (`jobs/`) through the built executable with PostgreSQL as the job warehouse: the
/// events, the feature table and the job history all live in the server.
extension PostgreSQLCLITests {
    @Test(.enabled(if: pg)) func theSamplePipelineRunsOnPostgreSQLAndEachSessionSucceedsOnce() throws {
        let server = try #require(TestServer.current)
        let pipeline = try SamplePipelineOnServer(server, databasePrefix: "kura_jobs")
        defer { pipeline.drop() }
        let dir = pipeline.dir, database = pipeline.database
        let args = ["backfill", "train_model", "--from", "2024-01-01", "--to", "2024-01-03", "--with-deps"]
        let first = try kura(args, in: dir.path)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("6 succeeded"))
        let again = try kura(args, in: dir.path)
        #expect(again.stdout.contains("6 already succeeded"), "\(again.stdout)")
        let db = try PGConnection(settings: PGConnectionSettings(parameters: [
            ("host", server.host), ("port", String(server.port)), ("user", server.user), ("dbname", database),
        ]), logger: .silent)
        #expect(try db.query("SELECT count(*) FROM events").rows == [["360"]])
        let features = try db.query("SELECT session_date, count(*), sum(events_30d) FROM user_features GROUP BY 1 ORDER BY 1").rows
        #expect(features.map { $0[0] } == ["2024-01-01", "2024-01-02", "2024-01-03"])
        #expect(features.map { $0[2] } == ["120", "240", "360"])
        let attempts = try db.query("SELECT job, count(*) FROM kura.job_attempts WHERE status = 'succeeded' GROUP BY job ORDER BY job").rows
        #expect(attempts == [["train_model", "3"], ["user_features", "3"]])
        #expect(FileManager.default.fileExists(atPath: dir.path + "/samples/out/models/2024-01-03/metrics.json"))
    }
}

extension PostgreSQLCLITests {
    /// Three shards of one load started at once, twice: every row lands once (the advisory lock makes them take
    /// turns at commit; the ledger skips what another shard committed).
    @Test(.enabled(if: pg)) func threeConcurrentShardsTwiceLoadEveryRowOnce() throws {
        let server = try #require(TestServer.current)
        let table = uniqueName("shards")
        let dir = TempDir()
        for i in 0..<12 { dir.write("data/f\(i).csv", (0..<50).map { "\(i * 1000 + $0),row-\($0)" }.joined(separator: "\n") + "\n") }
        dir.write("load.yml", Self.config(out: """
              type: postgresql
              host: \(server.host)
              port: \(server.port)
              user: \(server.user)
              database: \(server.database)
              table: \(table)
              mode: insert
            """))
        let binary = try #require(KuraExecutable.path)
        for round in 0..<2 {
            let processes = (0..<3).map { i -> Process in
                let p = Process()
                p.executableURL = URL(fileURLWithPath: binary)
                p.arguments = ["run", "load.yml", "--shard", "\(i)/3"]
                p.currentDirectoryURL = URL(fileURLWithPath: dir.path)
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                return p
            }
            for p in processes { try p.run() }
            for p in processes { p.waitUntilExit() }
            #expect(processes.allSatisfy { $0.terminationStatus == 0 }, "round \(round): \(processes.map(\.terminationStatus))")
            let db = try server.connect()
            #expect(try db.query("SELECT count(*), count(DISTINCT id) FROM \(table)").rows == [["600", "600"]], "round \(round)")
        }
        _ = try? server.connect().execute("DROP TABLE IF EXISTS \(table)")
    }
}
