import Foundation
import KuraTestSupport
import Testing

/// Whether this process may mount a tmpfs (root), for a tablespace that fills up.
let canMount = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")

/// A load into a tablespace on a small tmpfs fills the server's disk mid-COPY: the run fails, commits nothing, and
/// once there is room again the same command loads every row once.
@Suite struct DiskFullTests {
    func sh(_ command: String) -> Int32 { system("(\(command)) >/dev/null 2>&1") }

    @Test(.enabled(if: pg && canMount, "needs a PostgreSQL server and root (to mount a small tmpfs)"))
    func aFullDiskFailsTheRunAndTheRerunLoadsOnce() throws {
        let server = try #require(TestServer.current)
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        let dir = TempDir()
        let small = dir.path + "/small"
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let space = "small_" + suffix, table = "full_" + suffix
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        try #require(sh("mount -t tmpfs -o size=6M tmpfs '\(small)'") == 0, "could not mount a tmpfs")
        defer {
            _ = try? psql("DROP TABLE IF EXISTS \(table)")
            _ = try? psql("DROP TABLESPACE IF EXISTS \(space)")
            _ = sh("umount '\(small)'")
        }
        _ = sh("chown postgres '\(small)'")
        _ = try psql("CREATE TABLESPACE \(space) LOCATION '\(small)'")
        _ = dir.write("data/big.csv", PostgreSQLCLITests.bigCSV(400_000))
        _ = dir.write("pg.yml", PostgreSQLCLITests.config(out: """
              type: postgresql
              host: \(server.host)
              port: \(server.port)
              user: \(server.user)
              database: \(server.database)
              table: \(table)
              create_table_option: TABLESPACE \(space)
            """))
        let full = try KuraExecutable.run(binary, ["run", "pg.yml"], in: dir.path)
        #expect(full.status == 1, "\(full.stdout)\(full.stderr)")
        #expect(full.stderr.contains("53100") && full.stderr.contains("disk is full"), "\(full.stderr)")
        #expect(try psql("SELECT to_regclass('\(table)') IS NULL") == "t", "nothing of the failed run may remain")
        #expect(sh("mount -o remount,size=200M '\(small)'") == 0)
        let rerun = try KuraExecutable.run(binary, ["run", "pg.yml"], in: dir.path)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try psql("SELECT count(*), count(DISTINCT id) FROM \(table)") == "400000|400000")
        let again = try KuraExecutable.run(binary, ["run", "pg.yml"], in: dir.path)
        #expect(again.stdout.contains("skipped 1 file(s)"), "\(again.stdout)")
    }
}
