import Foundation
import Testing

/// Runs the built `kura` executable (it sits beside the test bundle) and checks exit codes and output.
@Suite struct CLITests {
    static var binary: String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("kura").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func kura(_ args: [String], in dir: String, interruptAfter: Double? = nil) throws -> Outcome {
        let binary = try #require(Self.binary, "the kura executable was not built next to the tests")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        if let delay = interruptAfter {
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGINT)
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Outcome(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static let config = """
        in:
          type: file
          path_prefix: data/
          parser:
            type: csv
            columns:
              - {name: id, type: long}
              - {name: name, type: string}
        out:
          type: sqlite
          path: w.db
          table: t
        """

    @Test func exitStatusesAreDocumented() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", "1,a\nx,b\n")
        _ = dir.write("c.yml", Self.config)
        let ok = try kura(["run", "c.yml"], in: dir.path)
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("committed to sqlite"))
        #expect(ok.stderr.contains("Skipped line data/a.csv:2 (CAST"))

        _ = dir.write("bad.yml", Self.config.replacingOccurrences(of: "type: sqlite", with: "type: sqlit"))
        let bad = try kura(["run", "bad.yml"], in: dir.path)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("unknown output plugin 'sqlit'; did you mean 'sqlite'?"))

        let usage = try kura(["run"], in: dir.path)
        #expect(usage.status == 2)

        _ = dir.write("budget.yml", Self.config + "\nexec: {max_errors: 0}\n")
        let failed = try kura(["run", "--force", "budget.yml"], in: dir.path)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("nothing was committed"))

        let version = try kura(["--version"], in: dir.path)
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("0."))
    }

    @Test func checkPreviewAndPlugins() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", "1,a\n2,b\n")
        _ = dir.write("c.yml", Self.config)
        let check = try kura(["check", "c.yml"], in: dir.path)
        #expect(check.status == 0)
        #expect(check.stdout.contains("schema: (id long, name string)"))
        #expect(check.stdout.contains("check OK: c.yml"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/w.db"))
        let preview = try kura(["preview", "--format", "jsonl", "c.yml"], in: dir.path)
        #expect(preview.stdout == "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\"}\n")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/w.db"))
        let plugins = try kura(["plugins"], in: dir.path)
        for name in ["file", "gzip", "bzip2", "csv", "json", "rename", "remove_columns", "jsonl", "sqlite", "stdout", "null"] {
            #expect(plugins.stdout.contains("  \(name) "))
        }
    }

    @Test func exampleWritesALoadableConfig() throws {
        let dir = TempDir()
        let ex = try kura(["example", "ex"], in: dir.path)
        #expect(ex.status == 0)
        let run = try kura(["run", "ex/example.yml"], in: dir.path)
        #expect(run.status == 0)
        #expect(run.stdout.contains("ex/csv/sample_01.csv.gz"))
        #expect(run.stdout.contains("         5          5          0          0"))
    }

    @Test func interruptCommitsNothing() throws {
        let dir = TempDir()
        // Enough rows that the run is still going when the signal arrives.
        var text = ""
        text.reserveCapacity(40_000_000)
        for i in 0..<2_000_000 { text += "\(i),name-\(i)\n" }
        _ = dir.write("data/big.csv", text)
        _ = dir.write("c.yml", Self.config)
        let r = try kura(["run", "c.yml"], in: dir.path, interruptAfter: 0.3)
        #expect(r.status == 1)
        #expect(r.stderr.contains("interrupted"))
        if FileManager.default.fileExists(atPath: dir.path + "/w.db") {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            check.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(\"select count(*) from sqlite_master where name='t'\").fetchone()[0])", dir.path + "/w.db"]
            let pipe = Pipe()
            check.standardOutput = pipe
            try check.run()
            check.waitUntilExit()
            #expect(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "0\n")
        }
    }

    @Test func checkReportsSchemaDrift() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", "1,a\n")
        _ = dir.write("c.yml", Self.config)
        #expect(try kura(["run", "c.yml"], in: dir.path).status == 0)
        // The same target, now declared with another type for `name`.
        _ = dir.write("drift.yml", Self.config.replacingOccurrences(of: "{name: name, type: string}", with: "{name: name, type: long}"))
        let check = try kura(["check", "drift.yml"], in: dir.path)
        #expect(check.status == 2, "a table that does not fit the load is a config problem (exit 2)")
        #expect(check.stderr.contains("column 'name'") && check.stderr.contains("drift.yml"))
        #expect(!check.stdout.contains("check OK"))
    }

    static let pg = ProcessInfo.processInfo.environment

    @Test(.enabled(if: pg["KURA_TEST_PG_HOST"] != nil, "needs a PostgreSQL server (KURA_TEST_PG_HOST)"))
    func killDuringCopyLeavesNothingAndRerunLoadsEverythingOnce() throws {
        let dir = TempDir()
        var text = ""
        for i in 0..<3_000_000 { text += "\(i),name-\(i)\n" }
        _ = dir.write("data/big.csv", text)
        let table = "killed_\(UInt32.random(in: 0...UInt32.max))"
        let out = """
              type: postgresql
              host: \(Self.pg["KURA_TEST_PG_HOST"]!)
              port: \(Self.pg["KURA_TEST_PG_PORT"]!)
              user: \(Self.pg["KURA_TEST_PG_USER"]!)
              database: \(Self.pg["KURA_TEST_PG_DATABASE"]!)
              table: \(table)
            """
        let config = Self.config.replacingOccurrences(of: "  type: sqlite\n  path: w.db\n  table: t", with: out)
        _ = dir.write("pg.yml", config)
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
        func psql(_ sql: String) throws -> String {
            let q = Process()
            q.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            q.arguments = ["psql", "-X", "-q", "-t", "-A", "-h", Self.pg["KURA_TEST_PG_HOST"]!, "-p", Self.pg["KURA_TEST_PG_PORT"]!,
                           "-U", Self.pg["KURA_TEST_PG_USER"]!, "-d", Self.pg["KURA_TEST_PG_DATABASE"]!, "-c", sql]
            let pipe = Pipe()
            q.standardOutput = pipe
            try q.run()
            let d = pipe.fileHandleForReading.readDataToEndOfFile()
            q.waitUntilExit()
            return String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
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
    static var clusterScript: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/pg-cluster").path
    }

    static var canRunOwnServer: Bool {
        pg["KURA_TEST_PG_HOST"] != nil && FileManager.default.isExecutableFile(atPath: clusterScript)
    }

    /// Runs a shell command with `system(3)` (output through a file: a server it starts outlives it).
    func sh(_ command: String) throws -> String {
        let out = NSTemporaryDirectory() + "kura-sh-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = system("(\(command)) > '\(out)' 2>&1 < /dev/null")
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
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
        var text = ""
        for i in 0..<3_000_000 { text += "\(i),name-\(i)\n" }
        _ = dir.write("data/big.csv", text)
        let config = Self.config.replacingOccurrences(
            of: "  type: sqlite\n  path: w.db\n  table: t",
            with: "  type: postgresql\n  host: \(host)\n  port: \(port)\n  user: postgres\n  database: kura_test\n  table: t\n  retry_limit: 0")
        _ = dir.write("pg.yml", config)
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
        let psql = "psql -X -q -t -A -h '\(host)' -p \(port) -U postgres -d kura_test -c"
        #expect(try sh("\(psql) \"SELECT to_regclass('t') IS NULL OR (SELECT count(*) = 0 FROM t)\" 2>/dev/null || echo t") == "t")
        let rerun = try kura(["run", "pg.yml"], in: dir.path)
        #expect(rerun.status == 0)
        #expect(try sh("\(psql) 'SELECT count(*) FROM t'") == "3000000")
    }
}
