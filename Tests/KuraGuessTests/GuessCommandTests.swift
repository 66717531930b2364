import Foundation
import KuraTestSupport
import Testing

/// `kura guess` and `kura preview` as a user runs them: files written, exit statuses, what is printed.
@Suite struct GuessCommandTests {
    func kura(_ args: [String], in dir: String) throws -> KuraExecutable.Outcome {
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        return try KuraExecutable.run(binary, args, in: dir)
    }

    static let seed = """
        in:
          type: file
          path_prefix: data/
        out:
          type: sqlite
          path: w.db
          table: t
        """

    @Test func guessWritesAConfigThatRuns() throws {
        let dir = TempDir()
        dir.write("data/a.csv", "id,price,at\n1,2.5,2024-01-02 03:04:05\n2,3,2024-01-03 00:00:00\n")
        dir.write("seed.yml", Self.seed)
        let guess = try kura(["guess", "seed.yml", "-o", "config.yml"], in: dir.path)
        #expect(guess.status == 0, "\(guess.stderr)")
        #expect(guess.stdout.contains("wrote config.yml"))
        let text = try String(contentsOfFile: dir.path + "/config.yml", encoding: .utf8)
        #expect(text.contains("- {name: at, type: timestamp, format: '%Y-%m-%d %H:%M:%S'}  # guessed"))
        #expect(text.contains("  table: t\n"), "the seed's out: is kept")
        let run = try kura(["run", "config.yml"], in: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("data/a.csv           2          2          0"))
    }

    @Test func guessToStdoutWithExplainOnStderr() throws {
        let dir = TempDir()
        dir.write("data/a.csv", "id,day\n1,01/02/2024\n2,03/04/2024\n")
        dir.write("seed.yml", Self.seed)
        let out = try kura(["guess", "seed.yml", "--explain"], in: dir.path)
        #expect(out.status == 0)
        #expect(out.stdout.hasPrefix("in:\n"))
        #expect(out.stderr.contains("in.parser.delimiter: ,"))
        #expect(out.stderr.contains("  candidates: "))
        #expect(out.stderr.contains("undecided: '01/02/2024' reads with both '%d/%m/%Y' and '%m/%d/%Y'"))
        let quiet = try kura(["guess", "seed.yml"], in: dir.path)
        #expect(quiet.stderr.contains("note: in.parser.columns[1].type (day):"), "an undecidable case is never silent")
    }

    @Test func sampleAllReadsEveryRecord() throws {
        let dir = TempDir()
        var lines = ["id,code"]
        for i in 0..<30_000 { lines.append("\(i),\(i)") }
        lines.append("30000,X7")  // only past the default sample's start
        dir.write("data/a.csv", lines.joined(separator: "\n") + "\n")
        dir.write("seed.yml", Self.seed)
        let all = try kura(["guess", "seed.yml", "--sample", "all"], in: dir.path)
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("{name: code, type: string}"))
        let small = try kura(["guess", "seed.yml", "--sample", "64KB"], in: dir.path)
        #expect(small.stdout.contains("{name: code, type: long}"))
        let bad = try kura(["guess", "seed.yml", "--sample", "lots"], in: dir.path)
        #expect(bad.status == 2)
    }

    @Test func previewShowsTypesVerticalRejectsAndGuess() throws {
        let dir = TempDir()
        dir.write("data/a.csv", "1,apple\nx,pear\n")
        dir.write("c.yml", """
            in:
              type: file
              path_prefix: data/
              parser: {type: csv, columns: [{name: id, type: long}, {name: fruit, type: string}]}
            out: {type: "null"}
            """)
        let table = try kura(["preview", "c.yml"], in: dir.path)
        #expect(table.stdout.contains("| id:long | fruit:string |"))
        #expect(table.stdout.contains("1 record(s) rejected (a run would reject them too):"))
        #expect(table.stdout.contains("data/a.csv:2 column 'id' [CAST]"))
        #expect(!table.stderr.contains("Skipped line"), "the rejects are listed once, after the records")
        let vertical = try kura(["preview", "c.yml", "--vertical"], in: dir.path)
        #expect(vertical.stdout.contains("*************************** 1 ***************************\n     id:long: 1\nfruit:string: apple\n"))
        dir.write("seed.yml", "in: {type: file, path_prefix: data/}\nout: {type: \"null\"}\n")
        let guessed = try kura(["preview", "seed.yml", "--guess", "--format", "jsonl"], in: dir.path)
        #expect(guessed.status == 0, "\(guessed.stderr)")
        #expect(guessed.stdout == "{\"c0\":\"1\",\"c1\":\"apple\"}\n{\"c0\":\"x\",\"c1\":\"pear\"}\n")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/seed.guessed.yml"))
    }

    @Test func missingColumnsErrorPointsAtGuess() throws {
        let dir = TempDir()
        dir.write("data/a.csv", "1,a\n")
        dir.write("c.yml", "in: {type: file, path_prefix: data/, parser: {type: csv}}\nout: {type: \"null\"}\n")
        let run = try kura(["run", "c.yml"], in: dir.path)
        #expect(run.status == 2)
        #expect(run.stderr.contains("run 'kura guess'"))
        dir.write("seed.yml", "in: {type: file, path_prefix: data/, parser: {type: csv}}\nout: {type: \"null\"}\n")
        let guess = try kura(["guess", "seed.yml", "-o", "c.yml"], in: dir.path)
        #expect(guess.status == 0)
        #expect(try kura(["run", "c.yml"], in: dir.path).status == 0)
    }
}
