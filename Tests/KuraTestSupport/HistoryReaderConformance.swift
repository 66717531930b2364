import KuraCore
import KuraWarehouse
import Testing

/// The bounded history reads (`HistoryReader`) checked the same way on every backend: a store is filled with a few
/// sessions, runs and rejects through its write methods, then every read is compared with what was written.
public enum HistoryReaderConformance {
    /// Fills `store` (inside `transaction`, which begins and commits around its body) and checks every read.
    public static func run(_ store: HistoryWarehouse, transaction: (() throws -> Void) throws -> Void) throws {
        #expect(try store.jobNames() == [], "an empty warehouse has no history")
        #expect(try store.rejects(runID: "r1", after: nil, limit: 10) == [])
        let day: Int64 = 86_400
        let s1 = Timestamp(seconds: 20 * day), s2 = Timestamp(seconds: 21 * day), s3 = Timestamp(seconds: 22 * day)
        func t(_ session: Timestamp, _ offset: Int64) -> Timestamp { Timestamp(seconds: session.epochSeconds + offset) }
        try transaction {
            for (job, session, attempt, status, error) in [
                ("b", s1, 1, JobAttempt.Status.succeeded, String?.none), ("b", s2, 1, .failed, "boom"), ("b", s2, 2, .succeeded, nil),
                ("b", s3, 1, .failed, "again"), ("a", s1, 1, .skipped, "late"),
            ] {
                try store.insertAttempt(JobAttempt(
                    job: job, sessionTime: session, attempt: attempt, status: status, startedAt: t(session, Int64(attempt) * 100),
                    finishedAt: t(session, Int64(attempt) * 100 + 30), runID: "\(job)-\(attempt)", error: error))
            }
            for (i, session) in [s1, s2, s3].enumerated() {
                let tasks = [InputTask(name: "/d/f\(i).csv", size: 10), InputTask(name: "/d/g\(i).csv", size: 20)]
                try store.recordRun(
                    id: "r\(i + 1)", configHash: "h", target: "t", mode: "insert", sessionTime: session,
                    counts: RowCounts(read: 12, loaded: 10, rejected: 2), tasks: tasks,
                    taskCounts: [RowCounts(read: 6, loaded: 5, rejected: 1), RowCounts(read: 6, loaded: 5, rejected: 1)], replacingLedger: false)
            }
            try store.recordRejects(runID: "r1", target: "t", (1...5).map { (i: Int) in DataError(.cast, file: "/d/f0.csv", line: i, message: "bad \(i)", raw: Array("row \(i)".utf8)) })
        }
        #expect(try store.jobNames() == ["a", "b"])
        let sessions = try store.sessions(job: "b", before: nil, limit: 10)
        #expect(sessions.map(\.sessionTime) == [s3, s2, s1])
        #expect(sessions.map(\.status) == [.failed, .succeeded, .succeeded])
        #expect(sessions[1].attempts == 2 && sessions[1].startedAt == t(s2, 100) && sessions[1].finishedAt == t(s2, 230))
        #expect(sessions[1].error == nil && sessions[0].error == "again" && sessions[1].runID == "b-2")
        #expect(try store.sessions(job: "b", before: s3, limit: 1).map(\.sessionTime) == [s2], "older than s3, one")
        #expect(try store.attempts(job: "b", sessionsFrom: s2, through: s3).map { "\($0.sessionTime == s2 ? 2 : 3)/\($0.attempt)" } == ["2/1", "2/2", "3/1"])
        #expect(try store.runs(sessionsFrom: s2, through: s3, limit: 10).map(\.id) == ["r2", "r3"])
        #expect(try store.runs(offset: 1, limit: 10).count == 2)
        #expect(try store.run(id: "r2")?.counts == RowCounts(read: 12, loaded: 10, rejected: 2))
        #expect(try store.run(id: "nope") == nil)
        #expect(try store.ledger(runID: "r2").map(\.path) == ["/d/f1.csv", "/d/g1.csv"])
        let ledger = try store.ledger(offset: 0, limit: 4)
        #expect(ledger.count == 4 && ledger.allSatisfy { $0.recordedAt != nil })
        #expect(try store.ledger(offset: 4, limit: 4).count == 2)
        let first = try store.rejects(runID: "r1", after: nil, limit: 2)
        #expect(first.map(\.record.message) == ["bad 1", "bad 2"])
        let rest = try store.rejects(runID: "r1", after: first.last?.number, limit: 10)
        #expect(rest.map(\.record.message) == ["bad 3", "bad 4", "bad 5"])
        #expect(rest.first?.record.raw == Array("row 3".utf8) && rest.first?.record.line == 3)
        #expect(try store.sessionCounts() == [
            SessionCount(job: "a", status: .skipped, count: 1), SessionCount(job: "b", status: .failed, count: 1),
            SessionCount(job: "b", status: .succeeded, count: 2),
        ])
        let last = try store.lastSuccesses()
        #expect(last.map(\.job) == ["b"] && last.first?.finishedAt == t(s2, 230))
        #expect(try store.targetTotals() == [TargetTotals(target: "t", runs: 3, counts: RowCounts(read: 36, loaded: 30, rejected: 6))])
    }
}
