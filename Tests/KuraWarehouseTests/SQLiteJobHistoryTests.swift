import KuraCore
import KuraSQLite
import KuraTestSupport
import Testing

@testable import KuraWarehouse

/// Job history in a real SQLite file: attempts written as they happen and read back.
@Suite struct SQLiteJobHistoryTests {
    let dir = TempDir()

    func newDatabase() throws -> SQLiteConnection { try SQLiteConnection(path: dir.path + "/w.db") }

    @Test func jobAttemptsAreRecordedAndReadBackNewestFirst() throws {
        let db = try newDatabase()
        let store = SQLiteWarehouse(connection: db)
        let t1 = Timestamp(seconds: 1_704_067_200), t2 = Timestamp(seconds: 1_704_153_600)
        var a = JobAttempt(job: "features", sessionTime: t1, attempt: 1, status: .running, startedAt: Timestamp(seconds: 1_704_067_260), runID: "r1")
        try store.insertAttempt(a)
        a.status = .failed
        a.finishedAt = Timestamp(seconds: 1_704_067_300, nanosecond: 250_000_000)
        a.error = "step 2 (sql) failed: no such table"
        try store.finishAttempt(a)
        let b = JobAttempt(job: "features", sessionTime: t1, attempt: 2, status: .succeeded, startedAt: Timestamp(seconds: 1_704_067_400), finishedAt: Timestamp(seconds: 1_704_067_500), runID: "r2")
        try store.insertAttempt(b)
        let c = JobAttempt(job: "features", sessionTime: t2, attempt: 1, status: .running, startedAt: Timestamp(seconds: 1_704_153_660), runID: "r3")
        try store.insertAttempt(c)
        try store.insertAttempt(JobAttempt(job: "other", sessionTime: t1, attempt: 1, status: .skipped, startedAt: t1, finishedAt: t1, runID: "r4"))
        #expect(try store.attempts(job: "features", sessionTime: t1) == [a, b])
        #expect(try store.attempts(job: "features", limit: 10) == [c, b, a])
        #expect(try store.attempts(job: "features", limit: 1) == [c])
        #expect(throws: (any Error).self) { try store.insertAttempt(b) }
    }
}
