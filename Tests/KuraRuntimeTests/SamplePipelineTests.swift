import Foundation
import KuraTestSupport
import Testing

/// The shipped sample pipeline (`jobs/`) through the built executable, on the embedded SQLite warehouse.
extension CLITests {
    /// A copy of the sample jobs and the week of sample events in a fresh directory.
    func samplePipeline() throws -> TempDir {
        let dir = TempDir()
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir.path + "/samples/data", withIntermediateDirectories: true)
        try fm.copyItem(atPath: repositoryRoot + "/jobs", toPath: dir.path + "/jobs")
        try fm.copyItem(atPath: repositoryRoot + "/samples/data/week", toPath: dir.path + "/samples/data/week")
        return dir
    }

    @Test func theSamplePipelineBackfillsAWeekAndASecondBackfillRunsNothingAgain() throws {
        let dir = try samplePipeline()
        let validate = try kura(["jobs", "validate"], in: dir.path)
        #expect(validate.status == 0, "\(validate.stderr)")
        #expect(validate.stdout.contains("3 job(s) OK"))
        let first = try kura(["backfill", "train_model", "--from", "2024-01-01", "--to", "2024-01-07", "--with-deps"], in: dir.path)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("14 succeeded"), "\(first.stdout)")
        let again = try kura(["backfill", "train_model", "--from", "2024-01-01", "--to", "2024-01-07", "--with-deps"], in: dir.path)
        #expect(again.status == 0)
        #expect(again.stdout.contains("14 already succeeded"), "\(again.stdout)")
        // Each session has exactly one successful attempt, in the history's JSON Lines.
        for job in ["user_features", "train_model"] {
            let history = try kura(["jobs", "history", job, "--format", "jsonl"], in: dir.path)
            let lines = history.stdout.split(separator: "\n")
            let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
            #expect(records.count == 7)
            #expect(records.allSatisfy { $0["status"] as? String == "succeeded" && $0["attempt"] as? Int == 1 })
            #expect(Set(records.compactMap { $0["session_time"] as? String }).count == 7)
            for key in ["job", "session_time", "attempt", "status", "started_at", "finished_at", "run_id"] {
                #expect(records.allSatisfy { $0[key] != nil }, "\(key)")
            }
        }
        for day in 1...7 {
            let metrics = dir.path + "/samples/out/models/2024-01-0\(day)/metrics.json"
            let data = try #require(FileManager.default.contents(atPath: metrics), "no model metrics for day \(day)")
            let m = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            #expect((m?["users"] as? Int ?? 0) > 20)
        }
    }

    @Test func aJobWhoseDependencyHasNotRunWaitsAndFails() throws {
        let dir = try samplePipeline()
        let run = try kura(["jobs", "run", "train_model", "--session", "2024-01-03T01:00:00Z"], in: dir.path)
        #expect(run.status == 1)
        #expect(run.stdout.contains("waits for job user_features session 2024-01-03T00:30:00Z to succeed"))
        let unknown = try kura(["jobs", "run", "train_modle"], in: dir.path)
        #expect(unknown.status == 2 && unknown.stderr.contains("did you mean 'train_model'?"))
    }

    @Test func aSessionStartedPastItsDeadlineIsRecordedAsSkipped() throws {
        let dir = TempDir()
        dir.write("jobs/y.yml", "schedule: '0 0 1 1 *'\nstarting_deadline_seconds: 60\nsteps: [{exec: 'touch ran'}]\n")
        let run = try kura(["jobs", "run", "y"], in: dir.path)
        #expect(run.status == 0)
        #expect(run.stdout.contains("skipped: started") && run.stdout.contains("past starting_deadline_seconds (60)"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/jobs/ran"))
        let history = try kura(["jobs", "history", "y", "--format", "jsonl"], in: dir.path)
        #expect(history.stdout.contains("\"status\":\"skipped\""))
    }
}
