import Foundation
import KuraTestSupport
import Testing

/// Runs the built `kura` executable (it sits beside the test bundle) and checks exit codes and output.
@Suite struct CLITests {
    typealias Outcome = KuraExecutable.Outcome

    func kura(_ args: [String], in dir: String, interruptAfter: Double? = nil) throws -> Outcome {
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        return try KuraExecutable.run(binary, args, in: dir, interruptAfter: interruptAfter)
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
}
