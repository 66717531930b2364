import Foundation
import KuraSQLite
import KuraTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Out-of-process plugins through the real `kura` executable, with real child processes: the shipped examples,
/// and plugins that crash, hang, write garbage or exit early (each fails its run, commits nothing and reports the
/// end of the plugin's standard error).
@Suite struct ExternalPluginTests {
    func kura(_ args: [String], in dir: String) throws -> KuraExecutable.Outcome {
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        return try KuraExecutable.run(binary, args, in: dir)
    }

    /// A temporary project holding the shipped examples under `plugins/`.
    func project() throws -> TempDir {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.path + "/plugins", withIntermediateDirectories: true)
        for example in ["filter-mask", "input-counter"] {
            try FileManager.default.copyItem(atPath: repositoryRoot + "/plugins/examples/" + example, toPath: dir.path + "/plugins/" + example)
        }
        return dir
    }

    static func config(filter: String, out: String = "{type: sqlite, path: w.db, table: t}", count: Int = 4) -> String {
        """
        in:
          type: counter
          count: \(count)
          prefix: "id-"
          parser:
            type: jsonl
            columns:
              - {name: n, type: long}
              - {name: label, type: string}
        filters:
          - \(filter)
        out: \(out)
        """
    }

    func sha256(_ text: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())", text]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        p.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func shellInputAndPythonFilterLoadEveryRecord() throws {
        let dir = try project()
        _ = dir.write("c.yml", Self.config(filter: "{type: mask, columns: [label], salt: s}", out: "{type: stdout}"))
        let run = try kura(["run", "c.yml"], in: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        var expected = ""
        for n in 1...4 { expected += "\(n),\(try sha256("sid-\(n)"))\n" }
        #expect(run.stdout.hasPrefix(expected))
        #expect(run.stdout.contains("         4          4          0          0"))
    }

    @Test func pluginsAreListedAsExternal() throws {
        let dir = try project()
        let list = try kura(["plugins"], in: dir.path)
        #expect(list.status == 0)
        #expect(list.stdout.contains("  mask "))
        #expect(list.stdout.contains("(external: \(dir.path)/plugins/filter-mask/plugin.yml)"))
        #expect(list.stdout.contains("  counter "))
        #expect(list.stdout.contains("  csv "))
    }

    @Test func optionsAreCheckedAgainstTheManifest() throws {
        let dir = try project()
        _ = dir.write("c.yml", Self.config(filter: "{type: mask, colums: [label]}"))
        let typo = try kura(["run", "c.yml"], in: dir.path)
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("unknown key 'colums'"))
        #expect(typo.stderr.contains("did you mean 'columns'?"))
        _ = dir.write("d.yml", Self.config(filter: "{type: mask, columns: [n]}"))
        let refused = try kura(["run", "d.yml"], in: dir.path)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("column 'n' is not a string column"))
    }

    /// Writes a filter plugin whose script is `body` (Python, after reading the handshake and answering it).
    func writeFilter(_ dir: TempDir, name: String, body: String) {
        _ = dir.write("plugins/\(name)/plugin.yml", "kind: filter\nname: \(name)\ncommand: [python3, p.py]\n")
        _ = dir.write(
            "plugins/\(name)/p.py",
            "import json, os, subprocess, sys, time\nhello = json.loads(sys.stdin.readline())\nprint(json.dumps({'schema': hello['schema']}), flush=True)\n" + body)
    }

    @Test func unchangedAnswersKeepTheirRecordsAndOthersAreDecoded() throws {
        let dir = try project()
        // Records 1 and 2 come back as sent, 3 is dropped, 4 gets a new label, 5 and 6 come back as sent again.
        writeFilter(
            dir, name: "some",
            body: """
                for line in sys.stdin:
                    r = json.loads(line)
                    if r['n'] == 3: print('null', flush=True)
                    elif r['n'] == 4: print(json.dumps({'n': 4, 'label': 'changed'}), flush=True)
                    else: sys.stdout.write(line); sys.stdout.flush()

                """)
        _ = dir.write("c.yml", Self.config(filter: "{type: some}", out: "{type: stdout}", count: 6))
        let run = try kura(["run", "c.yml"], in: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("1,id-1\n2,id-2\n4,changed\n5,id-5\n6,id-6\n"), "\(run.stdout)")
        #expect(run.stdout.contains("         6          5          0          1"), "\(run.stdout)")
    }

    func expectFailedRun(_ dir: TempDir, filter: String, stderr: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        _ = dir.write("c.yml", Self.config(filter: filter, count: 50))
        let run = try kura(["run", "c.yml"], in: dir.path)
        #expect(run.status == 1, "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(stderr), "\(run.stderr)", sourceLocation: sourceLocation)
        if FileManager.default.fileExists(atPath: dir.path + "/w.db") {
            let tables = try SQLiteConnection(path: dir.path + "/w.db", mode: .readOnly).queryText("SELECT count(*) FROM sqlite_master WHERE name = 't'")
            #expect(tables == [["0"]], "a failed run committed its rows", sourceLocation: sourceLocation)
        }
    }

    @Test func crashFailsTheRunWithTheEndOfStandardError() throws {
        let dir = try project()
        writeFilter(dir, name: "crash", body: "sys.stdin.readline()\nprint('boom: cannot go on', file=sys.stderr, flush=True)\nos._exit(3)\n")
        try expectFailedRun(dir, filter: "{type: crash}", stderr: "boom: cannot go on")
    }

    @Test func garbageFailsTheRun() throws {
        let dir = try project()
        writeFilter(dir, name: "garbage", body: "for line in sys.stdin:\n    print('hello there', flush=True)\n")
        try expectFailedRun(dir, filter: "{type: garbage}", stderr: "answered record 1 with \"hello there\": not a JSON object or null")
    }

    @Test func earlyExitFailsTheRun() throws {
        let dir = try project()
        writeFilter(dir, name: "early", body: "print('leaving early', file=sys.stderr)\nsys.exit(0)\n")
        try expectFailedRun(dir, filter: "{type: early}", stderr: "leaving early")
    }

    @Test func hangIsStoppedAfterTheTimeoutWithItsProcessGroup() throws {
        let dir = try project()
        // The plugin starts a helper in its process group, records its pid, then stops answering.
        writeFilter(
            dir, name: "hang",
            body: "helper = subprocess.Popen(['sleep', '300'])\nopen('helper.pid', 'w').write(str(helper.pid))\nprint('waiting forever', file=sys.stderr, flush=True)\ntime.sleep(300)\n")
        try expectFailedRun(dir, filter: "{type: hang, timeout_seconds: 1}", stderr: "sent nothing for 1 s (timeout_seconds)")
        let pid = try #require(Int32(try String(contentsOfFile: dir.path + "/plugins/hang/helper.pid", encoding: .utf8)))
        // The helper was killed with the group (a zombie at most until its parent, also killed, is reaped by init).
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
        #expect(state == nil || state == "Z", "the plugin's helper \(pid) is still running")
    }
}
