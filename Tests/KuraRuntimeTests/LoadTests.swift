import Foundation
import KuraBuiltins
import KuraCore
import KuraSQLite
import OutputSQLite
import KuraTestSupport
import Testing

@testable import KuraRuntime

/// End-to-end loads through the real plugins, into real SQLite files and real output files.
@Suite struct LoadTests {
    static let header = "id,name,score,ok,at,extra\n"

    func environment(_ dir: TempDir, vars: [String: String] = [:]) -> KuraEnvironment {
        KuraEnvironment(registry: BuiltinPlugins.registry, logger: .silent, workingDirectory: dir.path, vars: vars, environment: [:])
    }

    func csvConfig(prefix: String, out: String, extra: String = "", parserExtra: String = "") -> String {
        """
        in:
          type: file
          path_prefix: \(prefix)
          parser:
            type: csv
            newline: LF
            skip_header_lines: 1
        \(parserExtra)
            columns:
              - {name: id, type: long}
              - {name: name, type: string}
              - {name: score, type: double}
              - {name: ok, type: boolean}
              - {name: at, type: timestamp, format: '%Y-%m-%d %H:%M:%S'}
              - {name: extra, type: json}
        out:
        \(out)
        \(extra)
        """
    }

    func rows(_ db: String, _ sql: String) throws -> [[String?]] {
        try SQLiteConnection(path: db, mode: .readOnly).queryText(sql)
    }

    @Test func goodRowsLoadBadRowsAreRejectedAndCountsAddUp() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", Self.header + "1,alice,1.5,true,2024-01-01 00:00:00,\"{\"\"k\"\": [1, 2]}\"\n2,bob,x,true,2024-01-01 00:00:00,{}\n")
        _ = dir.write("data/b.csv", Self.header + "3,carol,2,no,2024-01-02 10:00:00,\n4,dave,3,yes,2024-13-01 00:00:00,null\n5,\"e,ve\",4,1,2024-01-03 00:00:00,[]\n")
        let config = dir.write(
            "load.yml", csvConfig(prefix: "data/", out: "  type: sqlite\n  path: out/w.db\n  table: t\n", extra: "exec: {max_threads: 2}"))
        let pipeline = try environment(dir).pipeline(configPath: config)
        let result = try LoadRunner(pipeline: pipeline).run()
        #expect(result.total == RowCounts(read: 5, loaded: 3, rejected: 2, filtered: 0))
        #expect(result.counts == [RowCounts(read: 2, loaded: 1, rejected: 1), RowCounts(read: 3, loaded: 2, rejected: 1)])
        let db = dir.path + "/out/w.db"
        #expect(try rows(db, "SELECT id, name, score, ok, at, extra FROM t ORDER BY id") == [
            ["1", "alice", "1.5", "1", "2024-01-01T00:00:00Z", "{\"k\":[1,2]}"],
            ["3", "carol", "2.0", "0", "2024-01-02T10:00:00Z", nil],
            ["5", "e,ve", "4.0", "1", "2024-01-03T00:00:00Z", "[]"],
        ])
        let rejects = try String(contentsOfFile: dir.path + "/out/t.rejects.jsonl", encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(rejects.count == 2)
        let byFile = Dictionary(rejects.map { (($0["file"] as! String), $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byFile["data/a.csv"]?["line"] as? Int == 3)
        #expect(byFile["data/a.csv"]?["column"] as? String == "score")
        #expect(byFile["data/a.csv"]?["reason"] as? String == "CAST")
        #expect(byFile["data/a.csv"]?["raw"] as? String == "2,bob,x,true,2024-01-01 00:00:00,{}")
        #expect(byFile["data/b.csv"]?["line"] as? Int == 3)
        #expect(byFile["data/b.csv"]?["column"] as? String == "at")
        // The same rejects are in the warehouse, committed with the rows.
        #expect(try rows(db, "SELECT file, line, column_name, reason FROM _kura_rejects ORDER BY file") == [
            ["data/a.csv", "3", "score", "CAST"], ["data/b.csv", "3", "at", "CAST"],
        ])
        #expect(try rows(db, "SELECT path, rows_read, rows_loaded, rows_rejected FROM _kura_files ORDER BY path") == [
            [dir.path + "/data/a.csv", "2", "1", "1"], [dir.path + "/data/b.csv", "3", "2", "1"],
        ])
        let summary = RunSummary.render(result, outputType: "sqlite", workingDirectory: dir.path)
        #expect(summary.contains("total"))
        #expect(summary.contains("(read = loaded + rejected + filtered)"))
    }

    @Test func errorBudgetExceededCommitsNothing() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", Self.header + "1,a,1,t,2024-01-01 00:00:00,1\nx,b,1,t,2024-01-01 00:00:00,1\ny,c,1,t,2024-01-01 00:00:00,1\n")
        let config = dir.write(
            "load.yml", csvConfig(prefix: "data/", out: "  type: sqlite\n  path: w.db\n  table: t\n", extra: "exec: {max_errors: 1}"))
        let pipeline = try environment(dir).pipeline(configPath: config)
        #expect(throws: RunFailure.self) { try LoadRunner(pipeline: pipeline).run() }
        // Nothing committed: the table was never created.
        #expect(try rows(dir.path + "/w.db", "SELECT count(*) FROM sqlite_master WHERE name = 't'") == [["0"]])

        let ratio = dir.write(
            "ratio.yml", csvConfig(prefix: "data/", out: "  type: sqlite\n  path: w.db\n  table: t\n", extra: "exec: {max_errors: 50%}"))
        #expect(throws: RunFailure.self) { try LoadRunner(pipeline: try environment(dir).pipeline(configPath: ratio)).run() }
        #expect(try rows(dir.path + "/w.db", "SELECT count(*) FROM sqlite_master WHERE name = 't'") == [["0"]])
    }

    @Test func stopOnInvalidRecordFailsTheRun() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", Self.header + "1,a,1,t,2024-01-01 00:00:00,1\nx,b,1,t,2024-01-01 00:00:00,1\n")
        let config = dir.write(
            "load.yml",
            csvConfig(prefix: "data/", out: "  type: sqlite\n  path: w.db\n  table: t\n", parserExtra: "    stop_on_invalid_record: true"))
        do {
            _ = try LoadRunner(pipeline: try environment(dir).pipeline(configPath: config)).run()
            Issue.record("expected the run to fail")
        } catch let e as DataError {
            #expect(e.code == .cast)
            #expect(e.line == 3)
            #expect(e.file == "data/a.csv")
        }
        #expect(try rows(dir.path + "/w.db", "SELECT count(*) FROM sqlite_master WHERE name = 't'") == [["0"]])
    }

    @Test func ledgerSkipsLoadedFilesAndForceReloads() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", Self.header + "1,a,1,t,2024-01-01 00:00:00,1\n")
        let config = dir.write("load.yml", csvConfig(prefix: "data/", out: "  type: sqlite\n  path: w.db\n  table: t\n  mode: insert\n"))
        let first = try LoadRunner(pipeline: try environment(dir).pipeline(configPath: config)).run()
        #expect(first.total.loaded == 1)
        let second = try LoadRunner(pipeline: try environment(dir).pipeline(configPath: config)).run()
        #expect(second.total.loaded == 0)
        #expect(second.skipped.map(\.name) == ["data/a.csv"])
        // A new file is found even though nothing says where the last run stopped.
        _ = dir.write("data/0-earlier-name.csv", Self.header + "2,b,1,t,2024-01-01 00:00:00,1\n")
        let third = try LoadRunner(pipeline: try environment(dir).pipeline(configPath: config)).run()
        #expect(third.tasks.map(\.name) == ["data/0-earlier-name.csv"])
        let runner = LoadRunner(pipeline: try environment(dir).pipeline(configPath: config))
        runner.force = true
        #expect(try runner.run().total.loaded == 2)
        #expect(try rows(dir.path + "/w.db", "SELECT count(*) FROM t") == [["4"]])
    }

    @Test func fileOutputWithFormatterAndEncoder() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", Self.header + "1,a,1.5,t,2024-01-01 00:00:00,{\"x\":1}\n2,,2,f,2024-01-02 00:00:00,\n")
        let config = dir.write(
            "load.yml",
            csvConfig(
                prefix: "data/",
                out: "  type: file\n  path_prefix: out/part-\n  file_ext: jsonl.gz\n  formatter: {type: jsonl}\n  encoders: [{type: gzip}]\n"))
        let result = try LoadRunner(pipeline: try environment(dir).pipeline(configPath: config)).run()
        #expect(result.total.loaded == 2)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/out").sorted()
        #expect(files == ["part-000.00.jsonl.gz"])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -dc '\(dir.path)/out/part-000.00.jsonl.gz'"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text == """
            {"id":1,"name":"a","score":1.5,"ok":true,"at":"2024-01-01T00:00:00Z","extra":{"x":1}}
            {"id":2,"name":null,"score":2.0,"ok":false,"at":"2024-01-02T00:00:00Z","extra":null}

            """)
    }

    @Test func truncatedGzipFailsTheRunNamingTheFile() throws {
        let dir = TempDir()
        // A valid gzip header and the start of a deflate stream, cut short.
        let bytes: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03, 0x33, 0xd4, 0x51]
        FileManager.default.createFile(atPath: dir.path + "/data/cut.csv.gz", contents: nil)
        try? FileManager.default.createDirectory(atPath: dir.path + "/data", withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: dir.path + "/data/cut.csv.gz"))
        let config = dir.write(
            "load.yml",
            csvConfig(prefix: "data/", out: "  type: sqlite\n  path: w.db\n  table: t\n")
                .replacingOccurrences(of: "  parser:\n", with: "  decoders: [{type: gzip}]\n  parser:\n"))
        do {
            _ = try LoadRunner(pipeline: try environment(dir).pipeline(configPath: config)).run()
            Issue.record("expected the run to fail")
        } catch let e as DataError {
            #expect(e.file == "data/cut.csv.gz")
            #expect(e.code == .corruptInput)
        }
        #expect(try rows(dir.path + "/w.db", "SELECT count(*) FROM sqlite_master WHERE name = 't'") == [["0"]])
    }

    @Test func liquidTemplateWithVarsAndInclude() throws {
        let dir = TempDir()
        _ = dir.write("data/day-2024-01-01.csv", Self.header + "1,a,1,t,2024-01-01 00:00:00,1\n")
        _ = dir.write("data/day-2024-01-02.csv", Self.header + "2,b,1,t,2024-01-02 00:00:00,1\n")
        _ = dir.write("_out.yml.liquid", "out:\n  type: sqlite\n  path: {{ vars.db | default: 'w.db' }}\n  table: t\n")
        let template = csvConfig(prefix: "data/day-{{ vars.day }}", out: "").replacingOccurrences(of: "out:\n", with: "{% include 'out' %}")
        let config = dir.write("load.yml.liquid", template)
        let result = try LoadRunner(pipeline: try environment(dir, vars: ["day": "2024-01-02"]).pipeline(configPath: config)).run()
        #expect(result.tasks.map(\.name) == ["data/day-2024-01-02.csv"])
        #expect(try rows(dir.path + "/w.db", "SELECT id FROM t") == [["2"]])
    }

    @Test func configDiffCarriesLastPath() throws {
        let dir = TempDir()
        _ = dir.write("data/1.csv", Self.header + "1,a,1,t,2024-01-01 00:00:00,1\n")
        _ = dir.write("data/2.csv", Self.header + "2,a,1,t,2024-01-01 00:00:00,1\n")
        let config = dir.write("load.yml", csvConfig(prefix: "data/", out: "  type: \"null\"\n"))
        let diffPath = dir.path + "/diff.yml"
        let r1 = try LoadRunner(pipeline: try environment(dir).pipeline(configPath: config, diffPath: diffPath)).run()
        #expect(r1.configDiff["last_path"] == "data/2.csv")
        try ConfigDiff.render(input: r1.configDiff).write(toFile: diffPath, atomically: true, encoding: .utf8)
        _ = dir.write("data/3.csv", Self.header + "3,a,1,t,2024-01-01 00:00:00,1\n")
        let r2 = try LoadRunner(pipeline: try environment(dir).pipeline(configPath: config, diffPath: diffPath)).run()
        #expect(r2.tasks.map(\.name) == ["data/3.csv"])
    }
}

/// Golden outputs: previews and the messages of bad configs.
@Suite struct GoldenTests {
    func environment(_ dir: TempDir) -> KuraEnvironment {
        KuraEnvironment(registry: BuiltinPlugins.registry, logger: .silent, workingDirectory: dir.path, environment: [:])
    }

    static let config = """
        in:
          type: file
          path_prefix: data.csv
          parser:
            type: csv
            newline: LF
            columns:
              - {name: id, type: long}
              - {name: name, type: string}
              - {name: price, type: double}
              - {name: ok, type: boolean}
              - {name: at, type: timestamp, format: '%Y-%m-%d %H:%M:%S.%N', timezone: Asia/Tokyo}
              - {name: doc, type: json}
        out:
          type: stdout
        """

    static let data = """
        1,東京タワー,1.25,true,2024-01-01 09:00:00.5,"{""a"": 12345678901234567890123, ""b"": 1.000000000000000000001}"
        -9223372036854775808,"multi
        line",-0,off,1969-12-31 23:59:59.000000001,[]
        3,,1e300,Y,2262-04-11 08:47:16.0,null

        """

    @Test func previewTable() throws {
        let dir = TempDir()
        _ = dir.write("data.csv", Self.data)
        let pipeline = try environment(dir).pipeline(configPath: dir.write("c.yml", Self.config), dryRun: true)
        let result = try Previewer(pipeline: pipeline).run(limit: 0)
        #expect(PreviewFormat.table.render(result) == """
            +----------------------+-------------+--------------+------------+-----------------------------------+-----------------------------------------------------------+
            | id:long              | name:string | price:double | ok:boolean | at:timestamp                      | doc:json                                                  |
            +----------------------+-------------+--------------+------------+-----------------------------------+-----------------------------------------------------------+
            |                    1 | 東京タワー  |         1.25 | true       | 2024-01-01 00:00:00.5 UTC         | {"a":12345678901234567890123,"b":1.000000000000000000001} |
            | -9223372036854775808 | multi\\nline |         -0.0 | false      | 1969-12-31 14:59:59.000000001 UTC | []                                                        |
            |                    3 |             |       1e+300 | true       | 2262-04-10 23:47:16 UTC           | null                                                      |
            +----------------------+-------------+--------------+------------+-----------------------------------+-----------------------------------------------------------+

            """)
    }

    @Test func previewJSONLines() throws {
        let dir = TempDir()
        _ = dir.write("data.csv", Self.data)
        let pipeline = try environment(dir).pipeline(configPath: dir.write("c.yml", Self.config), dryRun: true)
        let result = try Previewer(pipeline: pipeline).run(limit: 0)
        #expect(PreviewFormat.jsonl.render(result) == """
            {"id":1,"name":"東京タワー","price":1.25,"ok":true,"at":"2024-01-01T00:00:00.5Z","doc":{"a":12345678901234567890123,"b":1.000000000000000000001}}
            {"id":-9223372036854775808,"name":"multi\\nline","price":-0.0,"ok":false,"at":"1969-12-31T14:59:59.000000001Z","doc":[]}
            {"id":3,"name":null,"price":1e+300,"ok":true,"at":"2262-04-10T23:47:16Z","doc":null}

            """)
        #expect(try Previewer(pipeline: pipeline).run(limit: 2).rowCount == 2)
    }

    func configError(_ yaml: String) throws -> String {
        let dir = TempDir()
        _ = dir.write("data.csv", "1\n")
        do {
            _ = try environment(dir).pipeline(configPath: dir.write("c.yml", yaml))
            return "no error"
        } catch let e as ConfigErrors {
            return e.errors.map { $0.description.replacingOccurrences(of: dir.path + "/", with: "") }.joined(separator: "\n")
        } catch let e as ConfigError {
            return e.description.replacingOccurrences(of: dir.path + "/", with: "")
        }
    }

    @Test func badConfigMessages() throws {
        #expect(try configError("in:\n  type: fiel\nout:\n  type: stdout\n") == """
            config error at c.yml:2:9 (in.type): unknown input plugin 'fiel'; did you mean 'file'? available: file
            config error at c.yml:2:3 (in.parser): missing 'parser:' under 'in:'; add a parser: type csv (with its columns) or json
            """)
        #expect(try configError("""
            in:
              type: file
              path_prefix: data.csv
              parser:
                type: csv
                delimeter: ';'
                columns: [{name: a, type: long}]
            out: {type: stdout}
            """) == "config error at c.yml:6:16 (in.parser.delimeter): unknown key 'delimeter'; did you mean 'delimiter'?")
        #expect(try configError("""
            in:
              type: file
              path_prefix: data.csv
              decoders: {type: gzip}
              parser: {type: json}
            out:
              type: file
              path_prefix: out
              file_ext: jsonl
              formatter: {type: jsonl}
              encoders: {type: gzip}
            """) == """
            config error at c.yml:4:13 (in.decoders): 'decoders' must be a list; write '- {type: gzip}' items
            config error at c.yml:11:13 (out.encoders): 'encoders' must be a list; write '- {type: gzip}' items
            """)
        #expect(try configError("""
            in:
              type: file
              path_prefix: data.csv
              parser:
                type: csv
                columns: [{name: a, type: integer}]
            out: {type: stdout}
            """) == "config error at c.yml:6:31 (in.parser.columns[0].type): 'integer' is not a column type; types are: boolean, long, double, string, timestamp, json")
        #expect(try configError("""
            in:
              type: file
              path_prefix: data.csv
              parser:
                type: csv
                columns: [{name: a, type: long}]
            filters:
              - type: rename
                columns: {b: c}
            out: {type: sqlit}
            """) == """
            config error at c.yml:9:18 (filters[0].columns.b): column 'b' does not exist in the input schema; did you mean 'a'?
            config error at c.yml:10:13 (out.type): unknown output plugin 'sqlit'; did you mean 'sqlite'? available: null, stdout, file, sqlite, postgresql, jdbc, redshift
            """)
    }
}
