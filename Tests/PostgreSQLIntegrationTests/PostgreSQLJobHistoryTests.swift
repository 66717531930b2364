import Foundation
import KuraCore
import KuraLibPQ
import Testing

@testable import KuraWarehouse

/// Job history in a real PostgreSQL server: attempts written outside any load's transaction and read back.
extension PostgreSQLWarehouseTests {
    @Test(.enabled(if: pg)) func jobAttemptsAreRecordedAndReadBackNewestFirst() throws {
        let (_, store) = try newStore()
        defer { cleanUp(store) }
        let t1 = Timestamp(seconds: 1_704_067_200), t2 = Timestamp(seconds: 1_704_153_600)
        var a = JobAttempt(job: "features", sessionTime: t1, attempt: 1, status: .running, startedAt: Timestamp(seconds: 1_704_067_260), runID: "r1")
        try store.insertAttempt(a)
        a.status = .failed
        a.finishedAt = Timestamp(seconds: 1_704_067_300, nanosecond: 250_000_000)
        a.error = "step 2 (sql) failed: relation \"x\" does not exist"
        try store.finishAttempt(a)
        let b = JobAttempt(
            job: "features", sessionTime: t1, attempt: 2, status: .succeeded, startedAt: Timestamp(seconds: 1_704_067_400),
            finishedAt: Timestamp(seconds: 1_704_067_500), runID: "r2")
        try store.insertAttempt(b)
        let c = JobAttempt(job: "features", sessionTime: t2, attempt: 1, status: .running, startedAt: Timestamp(seconds: 1_704_153_660), runID: "r3")
        try store.insertAttempt(c)
        #expect(try store.attempts(job: "features", sessionTime: t1) == [a, b])
        #expect(try store.attempts(job: "features", limit: 10) == [c, b, a])
        #expect(try store.attempts(job: "nobody", limit: 10) == [])
        #expect(throws: (any Error).self) { try store.insertAttempt(b) }
    }
}
