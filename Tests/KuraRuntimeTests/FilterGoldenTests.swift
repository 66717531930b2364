import Foundation
import KuraSQLite
import KuraTestSupport
import Testing

/// Embulk-style configs of the column, row and expand_json filters and kura's expressions, each with its input,
/// the records expected (value by value, as `kura preview --format jsonl` prints them) and the run's counts
/// (`Tests/Golden/filters/<case>/`), run through the real `kura` executable into SQLite.
@Suite struct FilterGoldenTests {
    static let root = repositoryRoot + "/Tests/Golden/filters"
    static let cases = [
        "column_example", "column_drop_columns", "column_jsonpath_columns", "column_jsonpath_add_columns", "column_jsonpath_drop_columns",
        "column_jsonpath_brackets", "row_conditions", "row_where", "expand_json_example", "expressions"]

    func kura(_ args: [String], in dir: String) throws -> KuraExecutable.Outcome {
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        return try KuraExecutable.run(binary, args, in: dir)
    }

    /// A copy of the case's files in a fresh directory.
    func copy(_ name: String) throws -> TempDir {
        let dir = TempDir()
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.root + "/" + name) {
            try FileManager.default.copyItem(atPath: "\(Self.root)/\(name)/\(file)", toPath: "\(dir.path)/\(file)")
        }
        return dir
    }

    @Test(arguments: cases)
    func previewMatchesValueByValue(_ name: String) throws {
        let dir = try copy(name)
        let preview = try kura(["preview", "config.yml", "--format", "jsonl"], in: dir.path)
        #expect(preview.status == 0, "\(preview.stderr)")
        let expected = try String(contentsOfFile: "\(dir.path)/expected.jsonl", encoding: .utf8)
        let got = preview.stdout.split(separator: "\n").map(String.init)
        let want = expected.split(separator: "\n").map(String.init)
        #expect(got.count == want.count)
        for (g, w) in zip(got, want) {
            let a = try JSONSerialization.jsonObject(with: Data(g.utf8)) as? NSDictionary
            let b = try JSONSerialization.jsonObject(with: Data(w.utf8)) as? NSDictionary
            #expect(a == b, "\(name): got \(g), expected \(w)")
            #expect(g == w, "\(name): the text (key order and number forms) differs")
        }
    }

    @Test(arguments: cases)
    func runCountsFilteredRowsAndLoadsSQLite(_ name: String) throws {
        let dir = try copy(name)
        let run = try kura(["run", "config.yml"], in: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        let want = try String(contentsOfFile: "\(dir.path)/expected.counts", encoding: .utf8).split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        let total = try #require(run.stdout.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("total") })
        let counts = total.split(separator: " ").compactMap { Int($0.replacingOccurrences(of: ",", with: "")) }
        #expect(counts == want, "\(name): \(total)")
        #expect(total.contains("(read = loaded + rejected + filtered)"))
        let db = try SQLiteConnection(path: dir.path + "/out.db", mode: .readOnly)
        let rows = try db.queryText("SELECT count(*) FROM t")
        #expect(rows.first?.first == String(want[1]))
    }

    /// A record expand_json cannot expand is rejected with its reason, column and value, in the rejects file and in
    /// the warehouse's rejects table, and counts against exec.max_errors.
    @Test func expandJSONRejectsInvalidRecords() throws {
        let dir = try copy("expand_json_example")
        let run = try kura(["run", "config.yml"], in: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        let text = try String(contentsOfFile: dir.path + "/rejects.jsonl", encoding: .utf8)
        let rejects = try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(rejects.count == 1)
        #expect(rejects.first?["file"] as? String == "input.jsonl")
        #expect(rejects.first?["column"] as? String == "json_payload")
        #expect(rejects.first?["reason"] as? String == "CAST")
        #expect(rejects.first?["raw"] as? String == #"{"app_id":"not a number"}"#)
        #expect((rejects.first?["message"] as? String)?.contains("'app_id': cannot read 'not a number' as long") == true)
        let db = try SQLiteConnection(path: dir.path + "/out.db", mode: .readOnly)
        #expect(try db.queryText("SELECT file, column_name, reason FROM _kura_rejects") == [["input.jsonl", "json_payload", "CAST"]])

        let strict = try copy("expand_json_example")
        let config = try String(contentsOfFile: strict.path + "/config.yml", encoding: .utf8)
        try config.replacingOccurrences(of: "rejects_path: rejects.jsonl", with: "rejects_path: rejects.jsonl\n  max_errors: 0")
            .write(toFile: strict.path + "/config.yml", atomically: true, encoding: .utf8)
        let failed = try kura(["run", "config.yml"], in: strict.path)
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("exec.max_errors (0)"), "\(failed.stderr)")
        #expect(failed.stderr.contains("input.jsonl"), "\(failed.stderr)")
    }

    /// With stop_on_invalid_record: true the first invalid record fails the run, naming the file and the column.
    @Test func expandJSONStopsOnInvalidRecord() throws {
        let dir = try copy("expand_json_example")
        let config = try String(contentsOfFile: dir.path + "/config.yml", encoding: .utf8)
        try config.replacingOccurrences(of: "root: \"$.\"", with: "root: \"$.\"\n    stop_on_invalid_record: true")
            .write(toFile: dir.path + "/config.yml", atomically: true, encoding: .utf8)
        let run = try kura(["run", "config.yml"], in: dir.path)
        #expect(run.status != 0)
        #expect(run.stderr.contains("input.jsonl column 'json_payload'"), "\(run.stderr)")
        #expect(run.stderr.contains("cannot read 'not a number' as long"), "\(run.stderr)")
        #expect(run.stderr.contains("stop_on_invalid_record: false"), "\(run.stderr)")
        if FileManager.default.fileExists(atPath: dir.path + "/out.db") {
            let tables = try SQLiteConnection(path: dir.path + "/out.db", mode: .readOnly).queryText("SELECT count(*) FROM sqlite_master WHERE name = 't'")
            #expect(tables.first?.first == "0", "a failed run must not leave the table")
        }
        let preview = try kura(["preview", "config.yml", "--format", "jsonl"], in: dir.path)
        #expect(preview.status != 0)
        #expect(preview.stderr.contains("input.jsonl column 'json_payload'"), "\(preview.stderr)")
    }
}
