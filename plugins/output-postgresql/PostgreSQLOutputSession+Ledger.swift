import Foundation
import KuraCore

/// kura's own tables in the `kura` schema, written in the run's transaction so they become visible exactly when the
/// data does:
///
/// - `kura.schema_version`: one row, the version of these tables (1).
/// - `kura.runs`: one row per committed run: `run_id` (primary key), `config_hash`, `target` (the quoted,
///   schema-qualified table, such as `"public"."events"`), `mode`, `session_time`, `recorded_at`, `task_count`, and
///   the run's `rows_read`, `rows_loaded`, `rows_rejected`, `rows_filtered`.
/// - `kura.files`: the ingestion ledger, one row per task of each run: `target`, `path`, `size` (bytes), `mtime`
///   (seconds since the epoch), `run_id`, and the task's four counts; the primary key is (`target`, `path`,
///   `run_id`).
/// - `kura.rejects`: rejected records (file, line, byte offset, column, code, message, raw bytes), for runs that keep
///   them in the warehouse.
///
/// The tables are created once, in a short transaction of their own under an advisory lock, so concurrent first
/// runs do not race. Under `truncate_insert` and `replace` the target holds only this run's rows afterwards, so the
/// run also drops the target's earlier ledger entries.
extension PostgreSQLOutputSession {
    /// The version of kura's tables that this code writes.
    static let ledgerVersion = 1

    static func createLedgerTables(_ db: PGConnection) throws {
        let present = try db.query("SELECT to_regclass('kura.rejects') IS NOT NULL AND to_regclass('kura.schema_version') IS NOT NULL")
        if present.rows.first?.first == "t" { return }
        try db.execute("BEGIN")
        do {
            try db.execute("SELECT pg_advisory_xact_lock(\(lockClass), 0)")
            try db.execute(
                """
                CREATE SCHEMA IF NOT EXISTS kura;
                CREATE TABLE IF NOT EXISTS kura.schema_version (version integer NOT NULL);
                INSERT INTO kura.schema_version (version)
                  SELECT \(ledgerVersion) WHERE NOT EXISTS (SELECT 1 FROM kura.schema_version);
                CREATE TABLE IF NOT EXISTS kura.runs (
                  run_id text PRIMARY KEY,
                  config_hash text NOT NULL,
                  target text NOT NULL,
                  mode text NOT NULL,
                  session_time timestamptz NOT NULL,
                  recorded_at timestamptz NOT NULL DEFAULT now(),
                  task_count integer NOT NULL,
                  rows_read bigint NOT NULL,
                  rows_loaded bigint NOT NULL,
                  rows_rejected bigint NOT NULL,
                  rows_filtered bigint NOT NULL
                );
                CREATE TABLE IF NOT EXISTS kura.files (
                  target text NOT NULL,
                  path text NOT NULL,
                  size bigint,
                  mtime double precision,
                  run_id text NOT NULL,
                  rows_read bigint NOT NULL,
                  rows_loaded bigint NOT NULL,
                  rows_rejected bigint NOT NULL,
                  rows_filtered bigint NOT NULL,
                  PRIMARY KEY (target, path, run_id)
                );
                CREATE TABLE IF NOT EXISTS kura.rejects (
                  run_id text NOT NULL,
                  target text NOT NULL,
                  file text NOT NULL,
                  line bigint,
                  byte_offset bigint,
                  column_name text,
                  code text NOT NULL,
                  message text NOT NULL,
                  raw bytea,
                  recorded_at timestamptz NOT NULL DEFAULT now()
                );
                """)
            try db.execute("COMMIT")
        } catch {
            _ = try? db.execute("ROLLBACK")
            throw error
        }
    }

    public func recordRun(
        id: String, configHash: String, counts: RowCounts, tasks: [InputTask], taskCounts: [RowCounts]
    ) throws {
        guard tasks.count == taskCounts.count else {
            throw SystemError("recordRun got \(tasks.count) tasks but \(taskCounts.count) task counts")
        }
        lock.lock()
        defer { lock.unlock() }
        guard state == .open else { throw SystemError("the PostgreSQL output run on \(target) was already \(state)") }
        if isDryRun { return }
        guard let db = control else { throw SystemError("the PostgreSQL output run on \(target) is closed") }
        try endDirectCopy()
        do {
            func n(_ v: Int) -> String { String(v) }
            try db.query(
                """
                INSERT INTO kura.runs (run_id, config_hash, target, mode, session_time, task_count,
                  rows_read, rows_loaded, rows_rejected, rows_filtered)
                VALUES ($1, $2, $3, $4, $5::timestamptz, $6, $7, $8, $9, $10)
                """,
                [id, configHash, target, options.mode.rawValue, context.sessionTime.iso8601, n(tasks.count),
                 n(counts.read), n(counts.loaded), n(counts.rejected), n(counts.filtered)])
            if options.mode == .truncateInsert || options.mode == .replace {
                try db.query("DELETE FROM kura.files WHERE target = $1 AND run_id <> $2", [target, id])
            }
            for (task, c) in zip(tasks, taskCounts) {
                try db.query(
                    """
                    INSERT INTO kura.files (target, path, size, mtime, run_id, rows_read, rows_loaded, rows_rejected,
                      rows_filtered)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    """,
                    [target, task.name, task.size.map { String($0) }, task.modifiedAt.map { "\($0)" }, id,
                     n(c.read), n(c.loaded), n(c.rejected), n(c.filtered)])
            }
        } catch let error as PGError {
            throw error.systemError("PostgreSQL output could not record the run in kura.runs and kura.files")
        }
    }

    public func recordRejects(runID: String, _ rejects: [DataError]) throws {
        lock.lock()
        defer { lock.unlock() }
        guard state == .open else { throw SystemError("the PostgreSQL output run on \(target) was already \(state)") }
        if isDryRun || rejects.isEmpty { return }
        guard let db = control else { throw SystemError("the PostgreSQL output run on \(target) is closed") }
        try endDirectCopy()
        let hex: [Character] = Array("0123456789abcdef")
        do {
            for e in rejects {
                var raw = ""
                raw.reserveCapacity(e.raw.count * 2)
                for b in e.raw {
                    raw.append(hex[Int(b >> 4)])
                    raw.append(hex[Int(b & 15)])
                }
                try db.query(
                    """
                    INSERT INTO kura.rejects (run_id, target, file, line, byte_offset, column_name, code, message, raw)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, decode($9, 'hex'))
                    """,
                    [runID, target, e.file, e.line.map { String($0) }, e.byteOffset.map { String($0) }, e.column,
                     e.code.rawValue, e.message, raw])
            }
        } catch let error as PGError {
            throw error.systemError("PostgreSQL output could not record rejected records in kura.rejects")
        }
    }

    public func loadedFiles() throws -> Set<String> {
        lock.lock()
        defer { lock.unlock() }
        guard options.mode != .truncateInsert, options.mode != .replace, let db = control else { return [] }
        do {
            let exists = try db.query("SELECT to_regclass('kura.files') IS NOT NULL")
            if exists.rows.first?.first != "t" { return [] }
            let rows = try db.query("SELECT DISTINCT path FROM kura.files WHERE target = $1", [target])
            return Set(rows.rows.compactMap { $0.first ?? nil })
        } catch let error as PGError {
            throw error.systemError("PostgreSQL output could not read the ledger kura.files")
        }
    }
}
