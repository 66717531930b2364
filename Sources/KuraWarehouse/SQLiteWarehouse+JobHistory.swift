import KuraCore
import KuraSQLite

extension SQLiteWarehouse: JobHistoryStore {
    public func insertAttempt(_ a: JobAttempt) throws {
        try migrate()
        let insert = try connection.prepare(
            """
            INSERT INTO \(Self.attemptsTable) (job, session_time, attempt, status, started_at, finished_at, run_id, error)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            """)
        try bind(a, to: insert)
        try insert.step()
    }

    public func finishAttempt(_ a: JobAttempt) throws {
        try migrate()
        let update = try connection.prepare(
            """
            UPDATE \(Self.attemptsTable) SET status = ?4, started_at = ?5, finished_at = ?6, run_id = ?7, error = ?8
            WHERE job = ?1 AND session_time = ?2 AND attempt = ?3
            """)
        try bind(a, to: update)
        try update.step()
    }

    public func attempts(job: String, limit: Int) throws -> [JobAttempt] {
        try readAttempts(
            "WHERE job = ?1 ORDER BY session_time DESC, attempt DESC LIMIT \(max(0, limit))", [job])
    }

    public func attempts(job: String, sessionTime: Timestamp) throws -> [JobAttempt] {
        try readAttempts("WHERE job = ?1 AND session_time = ?2 ORDER BY attempt", [job, sessionTime.iso8601])
    }

    func bind(_ a: JobAttempt, to stmt: SQLiteStatement) throws {
        try stmt.bind(a.job, at: 1)
        try stmt.bind(a.sessionTime.iso8601, at: 2)
        try stmt.bind(Int64(a.attempt), at: 3)
        try stmt.bind(a.status.rawValue, at: 4)
        try stmt.bind(a.startedAt.iso8601, at: 5)
        if let f = a.finishedAt { try stmt.bind(f.iso8601, at: 6) } else { try stmt.bindNull(at: 6) }
        try stmt.bind(a.runID, at: 7)
        if let e = a.error { try stmt.bind(e, at: 8) } else { try stmt.bindNull(at: 8) }
    }

    func readAttempts(_ clause: String, _ arguments: [String]) throws -> [JobAttempt] {
        guard try checkVersion() >= 3 else { return [] }
        let rows = try connection.queryText(
            "SELECT job, session_time, attempt, status, started_at, finished_at, run_id, error FROM \(Self.attemptsTable) \(clause)",
            arguments)
        return try rows.map { r in
            JobAttempt(
                job: r[0] ?? "", sessionTime: try Self.timestamp(r[1] ?? ""), attempt: Int(r[2] ?? "") ?? 0,
                status: JobAttempt.Status(rawValue: r[3] ?? "") ?? .failed, startedAt: try Self.timestamp(r[4] ?? ""),
                finishedAt: try r[5].map(Self.timestamp), runID: r[6] ?? "", error: r[7])
        }
    }
}
