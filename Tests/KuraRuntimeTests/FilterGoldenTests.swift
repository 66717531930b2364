import Foundation
import KuraSQLite
import KuraTestSupport
import Testing

/// Embulk-style configs of the column, row and expand_json filters and kura's expressions, each with its input,
/// the records expected (value by value, as `kura preview --format jsonl` prints them) and the run's counts
/// (`Tests/Golden/filters/<case>/`), run through the real `kura` executable into SQLite.
@Suite struct FilterGoldenTests {
    static let root = repositoryRoot + "/Tests/Golden/filters"
    static let cases = ["column_example", "column_drop_columns", "row_conditions", "row_where", "expand_json_example", "expressions"]

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
}
