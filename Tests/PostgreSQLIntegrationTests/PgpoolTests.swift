import Foundation
import KuraTestSupport
import Testing

/// The Pgpool-II in front of the test server, from `KURA_TEST_PGPOOL_HOST` and `_PORT` (set by `scripts/test`).
struct TestPgpool {
    let host: String
    let port: Int

    static let current: TestPgpool? = {
        let env = ProcessInfo.processInfo.environment
        guard TestServer.isAvailable, let host = env["KURA_TEST_PGPOOL_HOST"], let port = env["KURA_TEST_PGPOOL_PORT"].flatMap(Int.init)
        else {
            print("Pgpool integration tests skipped: KURA_TEST_PGPOOL_HOST/PORT are not set (scripts/test sets them when pgpool2 is installed)")
            return nil
        }
        return TestPgpool(host: host, port: port)
    }()
}

let pgpool = TestPgpool.current != nil

/// Loads through a real Pgpool-II (raw mode, connection cache on) in front of the test server, with the `kura`
/// executable as a user runs it: the ledger, a kill -9 followed at once by a rerun, and the target lock while pooled
/// backends outlive their clients.
@Suite(.serialized) struct PgpoolTests {
    /// A CSV load of `data/` into `table` through the pool, in `mode`.
    static func config(table: String, mode: String = "insert", extra: String = "") -> String {
        let pool = TestPgpool.current!, server = TestServer.current!
        return PostgreSQLCLITests.config(out: """
              type: postgresql
              host: \(pool.host)
              port: \(pool.port)
              user: \(server.user)
              database: \(server.database)
              table: \(table)
              mode: \(mode)
            \(extra)
            """)
    }

    func kura(_ args: [String], in dir: String) throws -> KuraExecutable.Outcome {
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        return try KuraExecutable.run(binary, args, in: dir)
    }

    /// The rows of `table` counted on the server directly (not through the pool); -1 when it does not exist.
    func count(_ table: String) throws -> Int {
        if try psql("SELECT to_regclass('\(table)') IS NULL") == "t" { return -1 }
        return Int(try psql("SELECT count(*) FROM \(table)")) ?? -2
    }

    /// kura's target locks on `table` held by any backend of the server, pooled ones included (other tests lock
    /// their own tables at the same time).
    func heldKuraLocks(_ table: String) throws -> Int {
        Int(try psql("""
            SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = 1802859105
              AND objid::bigint = (hashtext('"public"."\(table)"')::bigint & 4294967295)
            """)) ?? -1
    }

    @Test(.enabled(if: pgpool, "needs Pgpool-II (KURA_TEST_PGPOOL_HOST)"))
    func loadsThroughThePoolAndTheLedgerSkipsOnRerun() throws {
        let dir = TempDir()
        for i in 0..<3 { _ = dir.write("data/part-\(i).csv", PostgreSQLCLITests.bigCSV(20_000).replacingOccurrences(of: "name-", with: "p\(i)-")) }
        let table = uniqueName("pooled")
        _ = dir.write("pool.yml", Self.config(table: table))
        let first = try kura(["run", "pool.yml"], in: dir.path)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try count(table) == 60_000)
        #expect(try psql("SELECT count(DISTINCT name) FROM \(table)") == "60000")
        let again = try kura(["run", "pool.yml"], in: dir.path)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("skipped 3 file(s)"), "\(again.stdout)")
        #expect(try count(table) == 60_000)
        // Pooled backends stay connected after kura leaves; none of them may keep kura's target lock.
        #expect(try heldKuraLocks(table) == 0)
        #expect(try psql("SELECT count(*) FROM pg_class WHERE relname LIKE '\(table)_kura_%'") == "0")
    }

    @Test(.enabled(if: pgpool, "needs Pgpool-II (KURA_TEST_PGPOOL_HOST)"), arguments: ["insert", "insert_direct"])
    func killedRunIsFollowedAtOnceByARerunThatLoadsOnce(mode: String) throws {
        let dir = TempDir()
        _ = dir.write("data/big.csv", PostgreSQLCLITests.bigCSV(2_000_000))
        let table = uniqueName("pool_killed")
        _ = dir.write("pool.yml", Self.config(table: table, mode: mode))
        let binary = try #require(KuraExecutable.path)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["run", "pool.yml"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Kill it once its COPY is under way (the target lock is taken before any row is sent).
        var copying = false
        for _ in 0..<200 where !copying {
            Thread.sleep(forTimeInterval: 0.02)
            copying = (try? heldKuraLocks(table)) ?? 0 > 0
        }
        try #require(p.isRunning, "the load finished before it could be killed; the test needs more data")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect([-1, 0].contains(try count(table)))
        let rerun = try kura(["run", "pool.yml"], in: dir.path)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try count(table) == 2_000_000)
        #expect(try psql("SELECT count(DISTINCT id) FROM \(table)") == "2000000")
        #expect(try heldKuraLocks(table) == 0)
    }

    @Test(.enabled(if: pgpool, "needs Pgpool-II (KURA_TEST_PGPOOL_HOST)"))
    func aHeldTargetLockMakesTheRunWaitThenFailWithItsHolder() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", "1,a\n2,b\n")
        let table = uniqueName("pool_locked")
        _ = dir.write("pool.yml", Self.config(table: table, extra: "  lock_wait_seconds: 1"))
        // Another client holds the target's lock in an open transaction through the pool.
        let pool = TestPgpool.current!, server = TestServer.current!
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = [
            "psql", "-X", "-q", "-h", pool.host, "-p", String(pool.port), "-U", server.user, "-d", server.database,
            "-c", "SET application_name = 'holder'; BEGIN; SELECT pg_advisory_xact_lock(1802859105, hashtext('\"public\".\"\(table)\"')); SELECT pg_sleep(4); COMMIT;",
        ]
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        var held = false
        for _ in 0..<200 where !held {
            Thread.sleep(forTimeInterval: 0.02)
            held = (try? heldKuraLocks(table)) ?? 0 > 0
        }
        try #require(held, "the holder never took the lock")
        let blocked = try kura(["run", "pool.yml"], in: dir.path)
        #expect(blocked.status != 0)
        #expect(blocked.stderr.contains("holder"), "\(blocked.stderr)")
        #expect(try count(table) <= 0)
        holder.waitUntilExit()
        let after = try kura(["run", "pool.yml"], in: dir.path)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(try count(table) == 2)
    }
}
