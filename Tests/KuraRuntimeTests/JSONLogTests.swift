import Foundation
import KuraTestSupport
import Testing

/// `--log-format json`: every line on stderr is one JSON object a log collector can parse.
extension CLITests {
    func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return try #require(object, "not a JSON object: \(line)")
        }
    }

    @Test func jsonLogsCarrySeverityMessageTimeAndTheRunsFields() throws {
        let dir = TempDir()
        dir.write("data/a.csv", "1,a\nx,b\n")
        dir.write("c.yml", Self.config)
        let run = try kura(["run", "c.yml", "--log-format", "json"], in: dir.path)
        #expect(run.status == 0)
        let lines = try jsonLines(run.stderr)
        #expect(!lines.isEmpty && lines.allSatisfy { $0["severity"] is String && $0["message"] is String && $0["time"] is String })
        let committed = try #require(lines.first { ($0["message"] as? String)?.contains("committed") == true })
        #expect(committed["severity"] as? String == "INFO" && committed["read"] as? Int == 2 && committed["rejected"] as? Int == 1)
        #expect((committed["run_id"] as? String)?.isEmpty == false)
        #expect(lines.contains { $0["severity"] as? String == "WARNING" && ($0["message"] as? String)?.hasPrefix("Skipped line") == true })
        // Errors are JSON too, from the flag or from KURA_LOG_FORMAT.
        dir.write("bad.yml", Self.config.replacingOccurrences(of: "path_prefix", with: "path_prefx"))
        let bad = try kura(["run", "bad.yml", "--log-format", "json"], in: dir.path)
        #expect(bad.status == 2)
        let error = try #require(try jsonLines(bad.stderr).last)
        #expect(error["severity"] as? String == "ERROR" && (error["message"] as? String)?.contains("bad.yml:2:3") == true)
    }
}
