import Foundation
import KuraTestSupport
import Testing

/// Hostile files of a few megabytes through the built `kura`, with a small `max_record_size`: the oversized record
/// is rejected with `RECORD_TOO_LARGE` (its raw text kept to 64 KiB), the rows around it load, and the counts add
/// up. (Peak memory with 300 MB records is measured by `scripts/hostile-rss`, not here.)
@Suite struct HostileInputTests {
    static let limit = 65_536
    static let huge = 3 * 1024 * 1024

    /// What one run loaded and rejected.
    struct Loaded {
        var ids: [Int]
        var rejects: [[String: Any]]
        var stdout: String
    }

    /// Runs `kura run` over `data` (written as `data/<name>`, compressed by `compressor`, `gzip` or `bzip2`, when
    /// given) with `parser`.
    func load(_ name: String, _ data: Data, parser: String, compressor: String? = nil) throws -> Loaded {
        let dir = TempDir()
        let path = dir.path + "/data/" + name
        try FileManager.default.createDirectory(atPath: dir.path + "/data", withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
        if let compressor {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [compressor, "-1", path]
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        _ = dir.write("c.yml", """
            in:
              type: file
              path_prefix: data/
            \(compressor.map { "  decoders: [{type: \($0)}]\n" } ?? "")  parser:
            \(parser)
            out:
              type: file
              path_prefix: out/rows_
              file_ext: jsonl
              formatter: {type: jsonl}
            exec: {rejects_path: rejects.jsonl}
            """)
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        let r = try KuraExecutable.run(binary, ["run", "c.yml"], in: dir.path)
        #expect(r.status == 0, "kura run failed: \(r.stderr.suffix(2000))")
        var ids: [Int] = []
        for file in (try? FileManager.default.contentsOfDirectory(atPath: dir.path + "/out")) ?? [] {
            let text = try String(contentsOfFile: dir.path + "/out/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                if let id = o?["id"] as? Int { ids.append(id) }
            }
        }
        let rejectsText = (try? String(contentsOfFile: dir.path + "/rejects.jsonl", encoding: .utf8)) ?? ""
        let rejects = try rejectsText.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        return Loaded(ids: ids.sorted(), rejects: rejects, stdout: r.stdout)
    }

    static let csvParser = """
            type: csv
            max_record_size: \(limit)
            columns:
              - {name: id, type: long}
              - {name: v, type: string}
        """
    static let jsonParser = """
            type: json
            max_record_size: \(limit)
            columns:
              - {name: id, type: long}
              - {name: v, type: string}
        """

    /// 1..<50, the hostile record as id 50 (written by `bad`), then 51...100, as CSV or JSON Lines.
    static func rows(json: Bool, _ bad: (inout Data) -> Void) -> Data {
        var d = Data()
        func row(_ i: Int) { d.append(contentsOf: Array((json ? "{\"id\":\(i),\"v\":\"r\(i)\"}\n" : "\(i),r\(i)\n").utf8)) }
        for i in 1..<50 { row(i) }
        bad(&d)
        for i in 51...100 { row(i) }
        return d
    }

    func expectRejected(_ r: Loaded, line: Int = 50, length: Int) {
        #expect(r.ids == Array(1..<50) + Array(51...100))
        #expect(r.rejects.count == 1)
        #expect(r.rejects.first?["reason"] as? String == "RECORD_TOO_LARGE")
        #expect(r.rejects.first?["line"] as? Int == line)
        #expect(r.rejects.first?["length"] as? Int == length)
        #expect(((r.rejects.first?["raw"] as? String)?.utf8.count ?? .max) <= 65_536)
        #expect(r.stdout.contains("       100         99          1          0   (read = loaded + rejected + filtered)"))
    }

    @Test func csvUnquotedHugeField() throws {
        let data = Self.rows(json: false) { $0.append(contentsOf: Array("50,".utf8) + [UInt8](repeating: 0x61, count: Self.huge) + [10]) }
        expectRejected(try load("a.csv", data, parser: Self.csvParser), length: Self.huge + 3)
    }

    @Test func csvQuotedHugeField() throws {
        let data = Self.rows(json: false) {
            $0.append(contentsOf: Array("50,\"".utf8) + [UInt8](repeating: 0x62, count: Self.huge) + Array("\"\r\n".utf8))
        }
        expectRejected(try load("a.csv", data, parser: Self.csvParser), length: Self.huge + 5)
    }

    @Test func csvLineWithoutAnyNewline() throws {
        var data = Self.rows(json: false) { _ in }
        data.append(contentsOf: [UInt8](repeating: 0x63, count: Self.huge))
        let r = try load("a.csv", data, parser: Self.csvParser)
        #expect(r.ids == Array(1..<50) + Array(51...100))
        #expect(r.rejects.map { $0["reason"] as? String } == ["RECORD_TOO_LARGE"])
        #expect(r.rejects.first?["line"] as? Int == 100)
        #expect(r.rejects.first?["length"] as? Int == Self.huge)
    }

    @Test func jsonHugeString() throws {
        let data = Self.rows(json: true) {
            $0.append(contentsOf: Array("{\"id\":50,\"v\":\"".utf8) + [UInt8](repeating: 0x64, count: Self.huge) + Array("\"}\n".utf8))
        }
        expectRejected(try load("a.jsonl", data, parser: Self.jsonParser), length: Self.huge + 16)
    }

    @Test func jsonHugeObject() throws {
        var members = "{\"id\":50"
        var k = 0
        while members.utf8.count < Self.huge {
            members += ",\"k\(k)\":[\(k),{\"x\":null}]"
            k += 1
        }
        members += "}"
        let data = Self.rows(json: true) { $0.append(contentsOf: Array((members + "\n").utf8)) }
        expectRejected(try load("a.jsonl", data, parser: Self.jsonParser), length: members.utf8.count)
    }

    @Test(arguments: ["gzip", "bzip2"]) func decompressionBombIsCaughtWhileStreaming(_ compressor: String) throws {
        // 64 MB of one line compresses to well under 1 MB.
        let bomb = 64 * 1024 * 1024
        let data = Self.rows(json: false) { $0.append(contentsOf: Array("50,".utf8) + [UInt8](repeating: 0x65, count: bomb) + [10]) }
        expectRejected(try load("a.csv", data, parser: Self.csvParser, compressor: compressor), length: bomb + 3)
    }
}
