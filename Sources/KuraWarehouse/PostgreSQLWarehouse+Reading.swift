import KuraCore
import KuraLibPQ

extension PostgreSQLWarehouse: HistoryReader {
    /// The latest attempt of each session, with its first attempt's start; `condition` filters the latest attempts
    /// (alias `a`).
    func sessionsSQL(where condition: String) -> String {
        """
        SELECT a.job, \(Self.micros("a.session_time")), a.attempt, a.status,
          (SELECT \(Self.micros("min(b.started_at)")) FROM \(s).job_attempts b WHERE b.job = a.job AND b.session_time = a.session_time),
          \(Self.micros("a.finished_at")), a.run_id, a.error
        FROM \(s).job_attempts a
        WHERE \(condition)
          AND a.attempt = (SELECT max(c.attempt) FROM \(s).job_attempts c WHERE c.job = a.job AND c.session_time = a.session_time)
        """
    }

    public func jobNames() throws -> [String] {
        guard try checkVersion() >= 3 else { return [] }
        return try wrap("could not read \(schema).job_attempts") {
            try connection.query("SELECT DISTINCT job FROM \(s).job_attempts ORDER BY job").rows.compactMap { $0[0] }
        }
    }

    public func sessions(job: String, before: Timestamp?, limit: Int) throws -> [SessionSummary] {
        guard try checkVersion() >= 3 else { return [] }
        return try wrap("could not read the sessions in \(schema).job_attempts") {
            try connection.query(
                sessionsSQL(where: "a.job = $1 AND ($2::timestamptz IS NULL OR a.session_time < $2::timestamptz)")
                    + " ORDER BY a.session_time DESC LIMIT \(max(0, limit))",
                [job, before?.iso8601]
            ).rows.map { r in
                SessionSummary(
                    job: r[0] ?? "", sessionTime: Self.timestamp(micros: r[1]), attempts: Int(r[2] ?? "") ?? 0,
                    status: JobAttempt.Status(rawValue: r[3] ?? "") ?? .failed, startedAt: Self.timestamp(micros: r[4]),
                    finishedAt: r[5].map { Self.timestamp(micros: $0) }, runID: r[6] ?? "", error: r[7])
            }
        }
    }

    public func attempts(job: String, sessionsFrom from: Timestamp, through: Timestamp) throws -> [JobAttempt] {
        try readAttempts(
            "WHERE job = $1 AND session_time >= $2 AND session_time <= $3 ORDER BY session_time, attempt",
            [job, from.iso8601, through.iso8601])
    }

    public func runs(sessionsFrom from: Timestamp, through: Timestamp, limit: Int) throws -> [RunRecord] {
        try readRuns(
            "WHERE session_time >= $1::timestamptz AND session_time <= $2::timestamptz ORDER BY session_time, recorded_at LIMIT \(max(0, limit))",
            [from.iso8601, through.iso8601])
    }

    public func runs(offset: Int, limit: Int) throws -> [RunRecord] {
        try readRuns("ORDER BY recorded_at DESC, run_id DESC LIMIT \(max(0, limit)) OFFSET \(max(0, offset))", [])
    }

    public func run(id: String) throws -> RunRecord? {
        try readRuns("WHERE run_id = $1", [id]).first
    }

    public func ledger(runID: String) throws -> [LedgerEntry] {
        if try checkVersion() == 0 { return [] }
        return try wrap("could not read the ledger \(schema).files") {
            try connection.query(
                """
                SELECT target, path, size, mtime, run_id, rows_read, rows_loaded, rows_rejected, rows_filtered
                FROM \(s).files WHERE run_id = $1 ORDER BY path
                """, [runID]
            ).rows.map(Self.ledgerEntry)
        }
    }

    public func ledger(offset: Int, limit: Int) throws -> [LedgerRow] {
        if try checkVersion() == 0 { return [] }
        return try wrap("could not read the ledger \(schema).files") {
            try connection.query(
                """
                SELECT f.target, f.path, f.size, f.mtime, f.run_id, f.rows_read, f.rows_loaded, f.rows_rejected,
                  f.rows_filtered, \(Self.micros("r.recorded_at"))
                FROM \(s).files f LEFT JOIN \(s).runs r ON r.run_id = f.run_id
                ORDER BY r.recorded_at DESC, f.run_id DESC, f.path LIMIT \(max(0, limit)) OFFSET \(max(0, offset))
                """
            ).rows.map { r in LedgerRow(entry: Self.ledgerEntry(r), recordedAt: r[9].map { Self.timestamp(micros: $0) }) }
        }
    }

    public func rejects(runID: String, after: Int64?, limit: Int) throws -> [NumberedReject] {
        let version = try checkVersion()
        if version == 0 { return [] }
        let start = max(0, after ?? 0)
        // Before version 5 the records have no id: they are numbered by their place in the run's list.
        let (number, page) =
            version >= 5
            ? ("id", "AND id > \(start) ORDER BY id LIMIT \(max(0, limit))")
            : ("\(start) + row_number() OVER (ORDER BY recorded_at, ctid)", "ORDER BY recorded_at, ctid OFFSET \(start) LIMIT \(max(0, limit))")
        return try wrap("could not read the rejected records in \(schema).rejects") {
            try connection.query(
                """
                SELECT \(number), target, file, line, byte_offset, column_name, code, message, encode(raw, 'hex'),
                  \(version >= 4 ? "length" : "NULL")
                FROM \(s).rejects WHERE run_id = $1 \(page)
                """, [runID]
            ).rows.map { r in
                NumberedReject(
                    number: Int64(r[0] ?? "") ?? 0,
                    record: RejectRecord(
                        runID: runID, target: r[1] ?? "", file: r[2] ?? "", line: r[3].flatMap { Int($0) },
                        byteOffset: r[4].flatMap { Int64($0) }, column: r[5], code: r[6] ?? "", message: r[7] ?? "",
                        raw: Self.bytes(hex: r[8] ?? ""), length: r[9].flatMap { Int64($0) }))
            }
        }
    }

    public func sessionCounts() throws -> [SessionCount] {
        guard try checkVersion() >= 3 else { return [] }
        return try wrap("could not count the sessions in \(schema).job_attempts") {
            try connection.query(
                "SELECT job, status, count(*) FROM (\(sessionsSQL(where: "true"))) t GROUP BY job, status ORDER BY job, status"
            ).rows.map { r in
                SessionCount(job: r[0] ?? "", status: JobAttempt.Status(rawValue: r[1] ?? "") ?? .failed, count: Int(r[2] ?? "") ?? 0)
            }
        }
    }

    public func lastSuccesses() throws -> [(job: String, finishedAt: Timestamp)] {
        guard try checkVersion() >= 3 else { return [] }
        return try wrap("could not read \(schema).job_attempts") {
            try connection.query(
                """
                SELECT job, \(Self.micros("max(finished_at)")) FROM \(s).job_attempts
                WHERE status = 'succeeded' AND finished_at IS NOT NULL GROUP BY job ORDER BY job
                """
            ).rows.map { r in (r[0] ?? "", Self.timestamp(micros: r[1])) }
        }
    }

    public func targetTotals() throws -> [TargetTotals] {
        if try checkVersion() == 0 { return [] }
        return try wrap("could not read the runs in \(schema).runs") {
            try connection.query(
                """
                SELECT target, count(*), sum(rows_read), sum(rows_loaded), sum(rows_rejected), sum(rows_filtered)
                FROM \(s).runs GROUP BY target ORDER BY target
                """
            ).rows.map { r in
                TargetTotals(target: r[0] ?? "", runs: Int(r[1] ?? "") ?? 0, counts: Self.counts(r, from: 2))
            }
        }
    }

    func readRuns(_ clause: String, _ parameters: [String?]) throws -> [RunRecord] {
        if try checkVersion() == 0 { return [] }
        return try wrap("could not read the runs in \(schema).runs") {
            try connection.query(
                """
                SELECT run_id, config_hash, target, mode, \(Self.micros("session_time")), \(Self.micros("recorded_at")),
                  task_count, rows_read, rows_loaded, rows_rejected, rows_filtered
                FROM \(s).runs \(clause)
                """, parameters
            ).rows.map { r in
                RunRecord(
                    id: r[0] ?? "", configHash: r[1] ?? "", target: r[2] ?? "", mode: r[3] ?? "",
                    sessionTime: Self.timestamp(micros: r[4]), recordedAt: Self.timestamp(micros: r[5]),
                    taskCount: Int(r[6] ?? "") ?? 0, counts: Self.counts(r, from: 7))
            }
        }
    }

    static func ledgerEntry(_ r: [String?]) -> LedgerEntry {
        LedgerEntry(
            target: r[0] ?? "", path: r[1] ?? "", size: r[2].flatMap { Int64($0) }, mtime: r[3].flatMap { Double($0) },
            runID: r[4] ?? "", counts: counts(r, from: 5))
    }
}
