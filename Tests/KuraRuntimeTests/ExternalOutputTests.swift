import Foundation
import KuraTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Out-of-process outputs through the real `kura` executable, with real child processes and real files: the
/// shipped `csvdir` example (files renamed into place at the commit, rejects counted), and outputs that crash,
/// hang, write garbage or exit early in one task while another task has prepared: the run fails with the end of
/// the plugin's standard error, and no task commits.
@Suite struct ExternalOutputTests {
    func kura(_ args: [String], in dir: String) throws -> KuraExecutable.Outcome {
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        return try KuraExecutable.run(binary, args, in: dir)
    }

    /// A temporary project with the `csvdir` example under `plugins/` and two input files: `in/a.jsonl` (task 0,
    /// `a` records) and `in/b.jsonl` (task 1, `b` records); records whose number is in `nullLabels` have no label.
    func project(a: Int = 3, b: Int = 2, nullLabels: Set<Int> = []) throws -> TempDir {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.path + "/plugins", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: repositoryRoot + "/plugins/examples/output-csvdir", toPath: dir.path + "/plugins/output-csvdir")
        var n = 0
        for (file, count) in [("a", a), ("b", b)] {
            var text = ""
            for _ in 0..<count {
                n += 1
                text += nullLabels.contains(n) ? "{\"n\":\(n),\"label\":null}\n" : "{\"n\":\(n),\"label\":\"x,\(n)\"}\n"
            }
            _ = dir.write("in/\(file).jsonl", text)
        }
        return dir
    }

    static func config(out: String, exec: String = "{max_threads: 2}") -> String {
        """
        in:
          type: file
          path_prefix: in/
          parser:
            type: jsonl
            columns:
              - {name: n, type: long}
              - {name: label, type: string}
        out: \(out)
        exec: \(exec)
        """
    }

    func files(_ dir: TempDir, _ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path + "/" + folder)) ?? []).sorted()
    }

    @Test func csvdirWritesOneFilePerTaskAtTheCommit() throws {
        let dir = try project()
        _ = dir.write("c.yml", Self.config(out: "{type: csvdir, directory: out}"))
        let run = try kura(["run", "c.yml"], in: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(files(dir, "out") == ["part.000.csv", "part.001.csv"])
        let first = try String(contentsOfFile: dir.path + "/out/part.000.csv", encoding: .utf8)
        #expect(first == "n,label\n1,\"x,1\"\n2,\"x,2\"\n3,\"x,3\"\n")
        let second = try String(contentsOfFile: dir.path + "/out/part.001.csv", encoding: .utf8)
        #expect(second == "n,label\n4,\"x,4\"\n5,\"x,5\"\n")
        #expect(run.stdout.contains("         5          5          0          0"), "\(run.stdout)")
    }

    @Test func refusedRecordsCountAsRejectedWithTheirReason() throws {
        let dir = try project(nullLabels: [2, 5])
        _ = dir.write("c.yml", Self.config(out: "{type: csvdir, directory: out, not_null: [label]}", exec: "{max_threads: 2, rejects_path: rejects.jsonl}"))
        let run = try kura(["run", "c.yml"], in: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("         5          3          2          0"), "\(run.stdout)")
        #expect(try String(contentsOfFile: dir.path + "/out/part.000.csv", encoding: .utf8) == "n,label\n1,\"x,1\"\n3,\"x,3\"\n")
        #expect(try String(contentsOfFile: dir.path + "/out/part.001.csv", encoding: .utf8) == "n,label\n4,\"x,4\"\n")
        let rejects = try String(contentsOfFile: dir.path + "/rejects.jsonl", encoding: .utf8)
        #expect(rejects.split(separator: "\n").count == 2)
        #expect(rejects.contains("REFUSED_BY_OUTPUT"))
        #expect(rejects.contains("refused record 2 of the task: column 'label' is null"))
        #expect(rejects.contains("refused record 2 of the task") && rejects.contains("b.jsonl"))
    }

    @Test func anAbortedRunLeavesNoFile() throws {
        // Both tasks prepare, then the refused records exceed exec.max_errors: the run aborts every task.
        let dir = try project(nullLabels: [1, 4])
        _ = dir.write("c.yml", Self.config(out: "{type: csvdir, directory: out, not_null: [label]}", exec: "{max_threads: 2, max_errors: 1}"))
        let run = try kura(["run", "c.yml"], in: dir.path)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("more than exec.max_errors (1) records were rejected"), "\(run.stderr)")
        #expect(files(dir, "out") == [], "an aborted run left files behind")
    }

    @Test func optionsAreCheckedByTheManifestAndThePlugin() throws {
        let dir = try project()
        _ = dir.write("c.yml", Self.config(out: "{type: csvdir, directry: out}"))
        let typo = try kura(["run", "c.yml"], in: dir.path)
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("did you mean 'directory'?"), "\(typo.stderr)")
        _ = dir.write("d.yml", Self.config(out: "{type: csvdir, directory: out, not_null: [nope]}"))
        let refused = try kura(["run", "d.yml"], in: dir.path)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("refused its options: not_null names 'nope'"), "\(refused.stderr)")
    }

    @Test func outputsAreListedAsExternal() throws {
        let dir = try project()
        let list = try kura(["plugins"], in: dir.path)
        #expect(list.status == 0)
        #expect(list.stdout.contains("  csvdir "))
        #expect(list.stdout.contains("(external: \(dir.path)/plugins/output-csvdir/plugin.yml)"))
    }

    /// Writes an output plugin that behaves for task 0 (it prepares, and on the commit writes `committed.0` in its
    /// folder) and runs `onRecord(number)` after each record and `onFinish()` before preparing in task 1.
    func writeOutput(_ dir: TempDir, name: String, onRecord: String = "pass", onFinish: String = "pass") {
        _ = dir.write("plugins/\(name)/plugin.yml", "kind: output\nname: \(name)\ncommand: [python3, p.py]\n")
        _ = dir.write("plugins/\(name)/p.py", """
            import json, os, subprocess, sys, time
            hello = json.loads(sys.stdin.readline())
            task = hello["task"]["index"]
            def answer(m): print(json.dumps(m), flush=True)
            def on_record(number):
                \(onRecord)
            def on_finish():
                \(onFinish)
            answer({"ready": True})
            received = 0
            for line in sys.stdin:
                if line.startswith("["): break
                received += 1
                if task == 1: on_record(received)
            if task == 1: on_finish()
            answer({"prepared": {"received": received}})
            if json.loads(sys.stdin.readline()) == ["commit"]:
                open("committed.%d" % task, "w").write("yes")
                answer({"committed": True})

            """)
    }

    func expectFailedRun(_ dir: TempDir, name: String, stderr: String, out: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        _ = dir.write("c.yml", Self.config(out: out ?? "{type: \(name)}"))
        let run = try kura(["run", "c.yml"], in: dir.path)
        #expect(run.status == 1, "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(stderr), "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(!files(dir, "plugins/\(name)").contains { $0.hasPrefix("committed.") }, "a failed run committed a task", sourceLocation: sourceLocation)
    }

    @Test func aWellBehavedOutputCommitsEveryTask() throws {
        let dir = try project()
        writeOutput(dir, name: "fine")
        _ = dir.write("c.yml", Self.config(out: "{type: fine}"))
        let run = try kura(["run", "c.yml"], in: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(files(dir, "plugins/fine").filter { $0.hasPrefix("committed.") } == ["committed.0", "committed.1"])
    }

    @Test func crashMidStreamFailsTheRunAndCommitsNothing() throws {
        let dir = try project(b: 40)
        writeOutput(dir, name: "crash", onRecord: "if number == 2: print('boom: disk on fire', file=sys.stderr, flush=True); os._exit(3)")
        try expectFailedRun(dir, name: "crash", stderr: "boom: disk on fire")
    }

    @Test func garbageFailsTheRun() throws {
        let dir = try project()
        writeOutput(dir, name: "garbage", onFinish: "print('hello there', flush=True)")
        try expectFailedRun(dir, name: "garbage", stderr: "answered [\"finish\"] with \"hello there\"")
    }

    @Test func aWrongCountFailsTheRun() throws {
        let dir = try project()
        writeOutput(dir, name: "lossy", onFinish: "global received; received -= 1")
        try expectFailedRun(dir, name: "lossy", stderr: "said it received 1 record(s), but kura sent 2")
    }

    @Test func earlyExitFailsTheRun() throws {
        let dir = try project()
        writeOutput(dir, name: "early", onRecord: "print('leaving early', file=sys.stderr, flush=True); sys.exit(0)")
        try expectFailedRun(dir, name: "early", stderr: "leaving early")
    }

    @Test func hangIsStoppedAfterTheTimeoutWithItsProcessGroup() throws {
        let dir = try project()
        writeOutput(
            dir, name: "hang",
            onRecord: "helper = subprocess.Popen(['sleep', '300']); open('helper.pid', 'w').write(str(helper.pid)); time.sleep(300)")
        try expectFailedRun(dir, name: "hang", stderr: "(timeout_seconds); it was stopped", out: "{type: hang, timeout_seconds: 1}")
        let pid = try #require(Int32(try String(contentsOfFile: dir.path + "/plugins/hang/helper.pid", encoding: .utf8)))
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
        #expect(state == nil || state == "Z", "the plugin's helper \(pid) is still running")
    }
}
