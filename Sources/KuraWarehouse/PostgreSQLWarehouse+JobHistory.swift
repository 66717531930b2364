import KuraCore
import KuraLibPQ

extension PostgreSQLWarehouse: JobHistoryStore {
    public func insertAttempt(_ a: JobAttempt) throws {
        try migrate()
        try wrap("could not record an attempt of job \(a.job) in \(schema).job_attempts") {
            _ = try connection.query(
                """
                INSERT INTO \(s).job_attempts (job, session_time, attempt, status, started_at, finished_at, run_id, error)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, Self.parameters(a))
        }
    }

    public func finishAttempt(_ a: JobAttempt) throws {
        try migrate()
        try wrap("could not record how an attempt of job \(a.job) ended in \(schema).job_attempts") {
            _ = try connection.query(
                """
                UPDATE \(s).job_attempts SET status = $4, started_at = $5, finished_at = $6, run_id = $7, error = $8
                WHERE job = $1 AND session_time = $2 AND attempt = $3
                """, Self.parameters(a))
        }
    }

    public func attempts(job: String, limit: Int) throws -> [JobAttempt] {
        try readAttempts("WHERE job = $1 ORDER BY session_time DESC, attempt DESC LIMIT \(max(0, limit))", [job])
    }

    public func attempts(job: String, sessionTime: Timestamp) throws -> [JobAttempt] {
        try readAttempts("WHERE job = $1 AND session_time = $2 ORDER BY attempt", [job, sessionTime.iso8601])
    }

    static func parameters(_ a: JobAttempt) -> [String?] {
        [a.job, a.sessionTime.iso8601, String(a.attempt), a.status.rawValue, a.startedAt.iso8601, a.finishedAt?.iso8601, a.runID, a.error]
    }

    func readAttempts(_ clause: String, _ parameters: [String?]) throws -> [JobAttempt] {
        guard try checkVersion() >= 3 else { return [] }
        return try wrap("could not read \(schema).job_attempts") {
            try connection.query(
                """
                SELECT job, \(Self.micros("session_time")), attempt, status, \(Self.micros("started_at")),
                  \(Self.micros("finished_at")), run_id, error
                FROM \(s).job_attempts \(clause)
                """, parameters
            ).rows.map { r in
                JobAttempt(
                    job: r[0] ?? "", sessionTime: Self.timestamp(micros: r[1]), attempt: Int(r[2] ?? "") ?? 0,
                    status: JobAttempt.Status(rawValue: r[3] ?? "") ?? .failed, startedAt: Self.timestamp(micros: r[4]),
                    finishedAt: r[5].map { Self.timestamp(micros: $0) }, runID: r[6] ?? "", error: r[7])
            }
        }
    }
}
