import Foundation
import KuraTestSupport
import Testing

/// Runs the built `kura` executable (it sits beside the test bundle) against real PostgreSQL servers: a load killed
/// mid-COPY, and a server that dies mid-load.
@Suite struct PostgreSQLCLITests {
    typealias Outcome = KuraExecutable.Outcome
    static var binary: String? { KuraExecutable.path }

    func kura(_ args: [String], in dir: String) throws -> Outcome {
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        return try KuraExecutable.run(binary, args, in: dir)
    }

    /// A CSV load of `data/` into the output section `out` (indented by two spaces).
    static func config(out: String) -> String {
        """
        in:
          type: file
          path_prefix: data/
          parser:
            type: csv
            columns:
              - {name: id, type: long}
              - {name: name, type: string}
        out:
        \(out)
        """
    }

    /// `rows` lines of `id,name-id`.
    static func bigCSV(_ rows: Int) -> String {
        var text = ""
        text.reserveCapacity(rows * 20)
        for i in 0..<rows { text += "\(i),name-\(i)\n" }
        return text
    }

    @Test(.enabled(if: pg, "needs a PostgreSQL server (KURA_TEST_PG_HOST)"))
    func killDuringCopyLeavesNothingAndRerunLoadsEverythingOnce() throws {
        let server = try #require(TestServer.current)
        let dir = TempDir()
        _ = dir.write("data/big.csv", Self.bigCSV(3_000_000))
        let table = "killed_\(UInt32.random(in: 0...UInt32.max))"
        let out = """
              type: postgresql
              host: \(server.host)
              port: \(server.port)
              user: \(server.user)
              database: \(server.database)
              table: \(table)
            """
        _ = dir.write("pg.yml", Self.config(out: out))
        let binary = try #require(Self.binary)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["run", "pg.yml"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: 0.4)
        try #require(p.isRunning, "the load finished before it could be killed; the test needs more data")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        func count() throws -> String {
            if try psql("SELECT to_regclass('\(table)') IS NULL") == "t" { return "-1" }
            return try psql("SELECT count(*) FROM \(table)")
        }
        // Killed mid-load: no row is visible (the table may not even exist).
        let afterKill = try count()
        #expect(["-1", "0"].contains(afterKill), "after kill -9: \(afterKill)")
        let rerun = try kura(["run", "pg.yml"], in: dir.path)
        #expect(rerun.status == 0)
        #expect(try count() == "3000000")
        let again = try kura(["run", "pg.yml"], in: dir.path)
        #expect(again.status == 0)
        #expect(again.stdout.contains("skipped 1 file(s)"))
        #expect(try count() == "3000000")
    }

    /// The repository's `scripts/pg-cluster`, found from this source file.
    static var clusterScript: String { repositoryRoot + "/scripts/pg-cluster" }

    static var canRunOwnServer: Bool {
        pg && FileManager.default.isExecutableFile(atPath: clusterScript)
    }

    /// Runs a shell command with `system(3)` (output through a file: a server it starts outlives it) and returns
    /// its output; throws when the command exits non-zero.
    func sh(_ command: String) throws -> String {
        let out = NSTemporaryDirectory() + "kura-sh-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        let status = system("(\(command)) > '\(out)' 2>&1 < /dev/null")
        let text = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if status != 0 { throw PSQLError(status: status, stderr: "\(command): \(text)") }
        return text
    }

    @Test(.enabled(if: canRunOwnServer, "needs PostgreSQL server binaries (scripts/test provides them)"))
    func serverDyingMidLoadFailsCleanlyAndRerunSucceeds() throws {
        let dir = TempDir()
        let server = dir.path + "/pg"
        let exports = try sh("'\(Self.clusterScript)' start '\(server)'")
        defer { _ = try? sh("'\(Self.clusterScript)' stop '\(server)'") }
        func setting(_ name: String) -> String {
            exports.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) } ?? ""
        }
        let host = setting("KURA_TEST_PG_HOST"), port = setting("KURA_TEST_PG_PORT")
        _ = dir.write("data/big.csv", Self.bigCSV(3_000_000))
        let out = "  type: postgresql\n  host: \(host)\n  port: \(port)\n  user: postgres\n  database: kura_test\n  table: t\n  retry_limit: 0"
        _ = dir.write("pg.yml", Self.config(out: out))
        let binary = try #require(Self.binary)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["run", "pg.yml"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        Thread.sleep(forTimeInterval: 0.4)
        try #require(p.isRunning, "the load finished before the server could be stopped; the test needs more data")
        _ = try sh("'\(Self.clusterScript)' crash '\(server)'")
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 1)
        #expect(message.contains("error:"))
        // Back up: nothing of the failed run is there, and the same command loads every row once.
        _ = try sh("'\(Self.clusterScript)' start '\(server)'")
        func query(_ sql: String) throws -> String {
            try psql(sql, host: host, port: port, user: "postgres", database: "kura_test")
        }
        if try query("SELECT to_regclass('t') IS NULL") != "t" {
            #expect(try query("SELECT count(*) FROM t") == "0")
        }
        let rerun = try kura(["run", "pg.yml"], in: dir.path)
        #expect(rerun.status == 0)
        #expect(try query("SELECT count(*) FROM t") == "3000000")
    }
}
