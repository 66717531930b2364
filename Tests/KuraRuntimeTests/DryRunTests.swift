import Foundation
import KuraTestSupport
import Testing

/// `kura run --dry-run` and `--shard`, through the built executable.
extension CLITests {
    @Test func dryRunPrintsThePlanAndTouchesNoOutput() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", "1,a\n")
        _ = dir.write("data/b.csv", "2,b\n")
        _ = dir.write("c.yml", Self.config)
        let yaml = try kura(["run", "c.yml", "--dry-run"], in: dir.path)
        #expect(yaml.status == 0, "\(yaml.stderr)")
        #expect(yaml.stdout.contains("path: data/a.csv") && yaml.stdout.contains("path: data/b.csv"))
        #expect(yaml.stdout.contains("type: sqlite"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/w.db"), "a dry run created the warehouse")
        let json = try kura(["run", "c.yml", "--dry-run", "--format", "json"], in: dir.path)
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let tasks = try #require(object?["tasks"] as? [[String: Any]])
        #expect(tasks.compactMap { $0["path"] as? String } == ["data/a.csv", "data/b.csv"])
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/w.db"))
    }

    @Test func aShardRunLoadsItsShareAndAllShardsLoadEveryFileOnce() throws {
        let dir = TempDir()
        for i in 0..<12 { _ = dir.write("data/f\(i).csv", "\(i),x\n") }
        _ = dir.write("c.yml", Self.config)
        var planned: [String] = []
        for i in 0..<3 {
            let plan = try kura(["run", "c.yml", "--dry-run", "--format", "json", "--shard", "\(i)/3"], in: dir.path)
            #expect(plan.status == 0, "\(plan.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any]
            planned += (object?["tasks"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            #expect(object?["listed_task_count"] as? Int == 12)
        }
        #expect(planned.sorted() == (0..<12).map { "data/f\($0).csv" }.sorted())
        let bad = try kura(["run", "c.yml", "--shard", "3/3"], in: dir.path)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("shard"))
    }

    @Test func checkTriesAnUnreachableServerOnceAndFailsInSeconds() throws {
        let dir = TempDir()
        dir.write("data/a.csv", "1,a\n")
        dir.write("pg.yml", Self.config.replacingOccurrences(of: """
              type: sqlite
              path: w.db
              table: t
            """, with: """
              type: postgresql
              host: 127.0.0.1
              port: 1
              database: nope
              table: t
            """))
        let started = Date()
        let check = try kura(["check", "pg.yml"], in: dir.path)
        #expect(check.status == 1)
        #expect(check.stderr.contains("could not connect") && !check.stderr.contains("retrying"))
        #expect(Date().timeIntervalSince(started) < 10)
    }
}
