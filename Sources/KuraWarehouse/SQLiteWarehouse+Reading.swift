import KuraCore
import KuraSQLite

extension SQLiteWarehouse: HistoryReader {
    /// The latest attempt of each session, with its first attempt's start; `{where}` filters the latest attempts
    /// (alias `a`).
    static func sessionsSQL(where condition: String) -> String {
        """
        SELECT a.job, a.session_time, a.attempt, a.status,
          (SELECT min(b.started_at) FROM \(attemptsTable) b WHERE b.job = a.job AND b.session_time = a.session_time),
          a.finished_at, a.run_id, a.error
        FROM \(attemptsTable) a
        WHERE \(condition)
          AND a.attempt = (SELECT max(c.attempt) FROM \(attemptsTable) c WHERE c.job = a.job AND c.session_time = a.session_time)
        """
    }

    public func jobNames() throws -> [String] {
        guard try checkVersion() >= 3 else { return [] }
        return try connection.queryText("SELECT DISTINCT job FROM \(Self.attemptsTable) ORDER BY job").compactMap { $0[0] }
    }

    public func sessions(job: String, before: Timestamp?, limit: Int) throws -> [SessionSummary] {
        guard try checkVersion() >= 3 else { return [] }
        let condition = before == nil ? "a.job = ?1" : "a.job = ?1 AND a.session_time < ?2"
        let rows = try connection.queryText(
            Self.sessionsSQL(where: condition) + " ORDER BY a.session_time DESC LIMIT \(max(0, limit))",
            [job] + (before.map { [$0.iso8601] } ?? []))
        return try rows.map { r in
            SessionSummary(
                job: r[0] ?? "", sessionTime: try Self.timestamp(r[1] ?? ""), attempts: Int(r[2] ?? "") ?? 0,
                status: JobAttempt.Status(rawValue: r[3] ?? "") ?? .failed, startedAt: try Self.timestamp(r[4] ?? ""),
                finishedAt: try r[5].map(Self.timestamp), runID: r[6] ?? "", error: r[7])
        }
    }

    public func attempts(job: String, sessionsFrom from: Timestamp, through: Timestamp) throws -> [JobAttempt] {
        try readAttempts(
            "WHERE job = ?1 AND session_time >= ?2 AND session_time <= ?3 ORDER BY session_time, attempt",
            [job, from.iso8601, through.iso8601])
    }

    public func runs(sessionsFrom from: Timestamp, through: Timestamp, limit: Int) throws -> [RunRecord] {
        try readRuns(
            "WHERE session_time >= ?1 AND session_time <= ?2 ORDER BY session_time, recorded_at LIMIT \(max(0, limit))",
            [from.iso8601, through.iso8601])
    }

    public func runs(offset: Int, limit: Int) throws -> [RunRecord] {
        try readRuns("ORDER BY recorded_at DESC, run_id DESC LIMIT \(max(0, limit)) OFFSET \(max(0, offset))", [])
    }

    public func run(id: String) throws -> RunRecord? {
        try readRuns("WHERE run_id = ?1", [id]).first
    }

    public func ledger(runID: String) throws -> [LedgerEntry] {
        if try checkVersion() == 0 { return [] }
        return try connection.queryText(
            """
            SELECT target_table, path, size, mtime, run_id, rows_read, rows_loaded, rows_rejected, rows_filtered
            FROM \(Self.filesTable) WHERE run_id = ?1 ORDER BY path
            """, [runID]
        ).map(Self.ledgerEntry)
    }

    public func ledger(offset: Int, limit: Int) throws -> [LedgerRow] {
        if try checkVersion() == 0 { return [] }
        return try connection.queryText(
            """
            SELECT f.target_table, f.path, f.size, f.mtime, f.run_id, f.rows_read, f.rows_loaded, f.rows_rejected,
              f.rows_filtered, r.recorded_at
            FROM \(Self.filesTable) f LEFT JOIN \(Self.runsTable) r ON r.run_id = f.run_id
            ORDER BY r.recorded_at DESC, f.run_id DESC, f.path LIMIT \(max(0, limit)) OFFSET \(max(0, offset))
            """
        ).map { r in LedgerRow(entry: Self.ledgerEntry(r), recordedAt: try r[9].map(Self.timestamp)) }
    }

    public func rejects(runID: String, after: Int64?, limit: Int) throws -> [NumberedReject] {
        let version = try checkVersion()
        if version == 0 { return [] }
        let stmt = try connection.prepare(
            """
            SELECT rowid, file, line, byte_offset, column_name, reason, message, raw, target_table, \(version >= 4 ? "length" : "NULL")
            FROM \(Self.rejectsTable) WHERE run_id = ?1 AND rowid > ?2 ORDER BY rowid LIMIT \(max(0, limit))
            """)
        try stmt.bind(runID, at: 1)
        try stmt.bind(after ?? 0, at: 2)
        var out: [NumberedReject] = []
        while try stmt.step() {
            let record = RejectRecord(
                runID: runID, target: stmt.text(at: 8), file: stmt.text(at: 1),
                line: stmt.isNull(at: 2) ? nil : Int(stmt.int64(at: 2)),
                byteOffset: stmt.isNull(at: 3) ? nil : stmt.int64(at: 3),
                column: stmt.isNull(at: 4) ? nil : stmt.text(at: 4), code: stmt.text(at: 5), message: stmt.text(at: 6),
                raw: Array(stmt.text(at: 7).utf8), length: stmt.isNull(at: 9) ? nil : stmt.int64(at: 9))
            out.append(NumberedReject(number: stmt.int64(at: 0), record: record))
        }
        return out
    }

    public func sessionCounts() throws -> [SessionCount] {
        guard try checkVersion() >= 3 else { return [] }
        return try connection.queryText(
            "SELECT job, status, count(*) FROM (\(Self.sessionsSQL(where: "1 = 1"))) GROUP BY job, status ORDER BY job, status"
        ).map { r in
            SessionCount(job: r[0] ?? "", status: JobAttempt.Status(rawValue: r[1] ?? "") ?? .failed, count: Int(r[2] ?? "") ?? 0)
        }
    }

    public func lastSuccesses() throws -> [(job: String, finishedAt: Timestamp)] {
        guard try checkVersion() >= 3 else { return [] }
        return try connection.queryText(
            """
            SELECT job, max(finished_at) FROM \(Self.attemptsTable)
            WHERE status = 'succeeded' AND finished_at IS NOT NULL GROUP BY job ORDER BY job
            """
        ).map { r in (r[0] ?? "", try Self.timestamp(r[1] ?? "")) }
    }

    public func targetTotals() throws -> [TargetTotals] {
        if try checkVersion() == 0 { return [] }
        return try connection.queryText(
            """
            SELECT target_table, count(*), sum(rows_read), sum(rows_loaded), sum(rows_rejected), sum(rows_filtered)
            FROM \(Self.runsTable) GROUP BY target_table ORDER BY target_table
            """
        ).map { r in
            func n(_ i: Int) -> Int { Int(r[i] ?? "") ?? 0 }
            return TargetTotals(target: r[0] ?? "", runs: n(1), counts: RowCounts(read: n(2), loaded: n(3), rejected: n(4), filtered: n(5)))
        }
    }

    func readRuns(_ clause: String, _ arguments: [String]) throws -> [RunRecord] {
        if try checkVersion() == 0 { return [] }
        return try connection.queryText(
            """
            SELECT run_id, config_hash, target_table, mode, session_time, recorded_at, task_count,
              rows_read, rows_loaded, rows_rejected, rows_filtered
            FROM \(Self.runsTable) \(clause)
            """, arguments
        ).map { r in
            func n(_ i: Int) -> Int { Int(r[i] ?? "") ?? 0 }
            return RunRecord(
                id: r[0] ?? "", configHash: r[1] ?? "", target: r[2] ?? "", mode: r[3] ?? "",
                sessionTime: try Self.timestamp(r[4] ?? ""), recordedAt: try r[5].map(Self.timestamp), taskCount: n(6),
                counts: RowCounts(read: n(7), loaded: n(8), rejected: n(9), filtered: n(10)))
        }
    }

    static func ledgerEntry(_ r: [String?]) -> LedgerEntry {
        func n(_ i: Int) -> Int { Int(r[i] ?? "") ?? 0 }
        return LedgerEntry(
            target: r[0] ?? "", path: r[1] ?? "", size: r[2].flatMap { Int64($0) }, mtime: r[3].flatMap { Double($0) },
            runID: r[4] ?? "", counts: RowCounts(read: n(5), loaded: n(6), rejected: n(7), filtered: n(8)))
    }
}
