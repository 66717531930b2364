import Foundation
import KuraTestSupport
import Testing

let pushgateway = ProcessInfo.processInfo.environment["KURA_TEST_PUSHGATEWAY_URL"]

/// A run's figures, pushed to a real Prometheus Pushgateway and written for the textfile collector.
extension CLITests {
    @Test func aRunWritesItsFiguresForTheTextfileCollector() throws {
        let dir = TempDir()
        dir.write("data/a.csv", "1,a\nx,b\n2,c\n")
        dir.write("c.yml", Self.config)
        let run = try kura(["run", "c.yml", "--metrics-file", "m.prom"], in: dir.path)
        #expect(run.status == 0)
        let text = try String(contentsOfFile: dir.path + "/m.prom", encoding: .utf8)
        #expect(text.contains("kura_rows{kura_job=\"c\",outcome=\"read\"} 3\n"))
        #expect(text.contains("kura_rows{kura_job=\"c\",outcome=\"loaded\"} 2\n"))
        #expect(text.contains("kura_rows{kura_job=\"c\",outcome=\"rejected\"} 1\n"))
        #expect(text.contains("kura_run_success{kura_job=\"c\"} 1\n"))
        #expect(text.contains("# TYPE kura_last_success_timestamp_seconds gauge"))
    }

    @Test(.enabled(if: pushgateway != nil, "needs a Pushgateway (KURA_TEST_PUSHGATEWAY_URL; scripts/test starts one)"))
    func aRunPushesItsFiguresToThePushgateway() throws {
        let url = try #require(pushgateway)
        let dir = TempDir()
        dir.write("data/a.csv", "1,a\n2,b\n")
        let name = "metrics_" + UUID().uuidString.prefix(8).lowercased()
        dir.write("\(name).yml", Self.config)
        let run = try kura(["run", "\(name).yml", "--metrics-push", url], in: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        let scraped = String(decoding: try Data(contentsOf: URL(string: url + "/metrics")!), as: UTF8.self)
        let lines = scraped.split(separator: "\n").filter { $0.contains("kura_job=\"\(name)\"") }
        #expect(lines.contains { $0.hasPrefix("kura_rows{") && $0.contains("outcome=\"loaded\"") && $0.hasSuffix(" 2") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("kura_run_success{") && $0.hasSuffix(" 1") })
        // A failed run pushes too, with success 0.
        dir.write("data/b.csv", "1,a,too,many\n")
        dir.write("\(name).yml", Self.config + "\nexec: {max_errors: 0}\n")
        let failed = try kura(["run", "\(name).yml", "--metrics-push", url], in: dir.path)
        #expect(failed.status == 1)
        let after = String(decoding: try Data(contentsOf: URL(string: url + "/metrics")!), as: UTF8.self)
        #expect(after.split(separator: "\n").contains { $0.hasPrefix("kura_run_success{") && $0.contains(name) && $0.hasSuffix(" 0") })
    }
}
