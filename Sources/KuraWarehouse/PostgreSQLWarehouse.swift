import KuraCore
import KuraLibPQ

/// kura's tables in a PostgreSQL schema (`kura` by default), on a connection the caller holds inside its transaction.
///
/// - `kura.runs`: one row per committed run: `run_id` (primary key), `config_hash`, `target` (the quoted,
///   schema-qualified table, such as `"public"."events"`), `mode`, `session_time`, `recorded_at`, `task_count`, and
///   the run's `rows_read`, `rows_loaded`, `rows_rejected`, `rows_filtered`.
/// - `kura.files`: the ingestion ledger, one row per task of each run: `target`, `path`, `size` (bytes), `mtime`
///   (seconds since the epoch), `run_id`, and the task's four counts; the primary key is (`target`, `path`,
///   `run_id`).
/// - `kura.rejects`: rejected records (file, line, byte offset, column, code, message, raw bytes, length,
///   recorded_at, and `id`, numbering them in the order they were recorded).
/// - `kura.meta`: `key` / `value` text pairs; `schema_version` holds the tables' version.
///
/// A migration (including the first creation) takes kura's advisory lock `(lockClass, 0)` for the rest of the
/// caller's transaction and checks the version again under it, so concurrent first runs do not race: the second one
/// waits for the first to commit, then finds the tables current. Runs against current tables take no such lock.
public final class PostgreSQLWarehouse: WarehouseStore {
    /// The advisory lock class of kura's locks (`'kura'` as a 32-bit number); key 0 guards migrations, the output's
    /// per-target locks use `hashtext(target)`.
    public static let lockClass: Int32 = 0x6B75_7261

    /// The connection, with the caller's transaction open.
    public let connection: PGConnection
    /// The schema holding the tables (default `kura`).
    public let schema: String
    /// `schema` as written in statements: as is when it is a plain lower-case name (such as `kura`), else quoted.
    let s: String

    /// A store on `connection`, with its tables in `schema` (default `kura`).
    public init(connection: PGConnection, schema: String = "kura") {
        self.connection = connection
        self.schema = schema
        let plain = schema.utf8.first.map { $0 == UInt8(ascii: "_") || ($0 >= 97 && $0 <= 122) } == true
            && schema.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) }
        self.s = plain ? schema : quoteIdentifier(schema)
    }

    public var location: String { "\(connection.settings.redactedDescription) (schema \(schema))" }

    public func schemaVersion() throws -> Int {
        try wrap("could not read the version of kura's tables in schema \(schema)") {
            let found = try connection.query(
                "SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL, to_regclass($3) IS NOT NULL",
                ["\(s).meta", "\(s).schema_version", "\(s).runs"]
            ).rows.first ?? []
            if found.first == "t" {
                let value = try connection.query(
                    "SELECT value FROM \(s).meta WHERE key = $1", [WarehouseSchema.versionKey]).rows.first?.first ?? nil
                guard let value, let version = Int(value) else {
                    throw SystemError(
                        "the warehouse at \(location) has a meta table without a valid \(WarehouseSchema.versionKey) row "
                            + "(found \(value.map { "'\($0)'" } ?? "none")); restore it or drop schema \(schema)")
                }
                return version
            }
            if found.count > 1, found[1] == "t" {
                let value = try connection.query("SELECT max(version) FROM \(s).schema_version").rows.first?.first ?? nil
                return value.flatMap { Int($0) } ?? 1
            }
            return found.count > 2 && found[2] == "t" ? 1 : 0
        }
    }

    public func migrate() throws {
        if try checkVersion() == WarehouseSchema.currentVersion { return }
        try wrap("could not create or migrate kura's tables in schema \(schema)") {
            try connection.execute("SELECT pg_advisory_xact_lock(\(Self.lockClass), 0)")
            let found = try checkVersion()
            if found == WarehouseSchema.currentVersion { return }
            for step in migrations where step.version > found {
                try connection.execute(step.sql)
            }
            try connection.query(
                """
                INSERT INTO \(s).meta (key, value) VALUES ($1, $2)
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                """, [WarehouseSchema.versionKey, String(WarehouseSchema.currentVersion)])
        }
    }

    public func recordRun(_ run: RunRecord, entries: [LedgerEntry], replacingLedger: Bool) throws {
        try migrate()
        func n(_ v: Int) -> String { String(v) }
        try wrap("could not record the run in \(schema).runs and \(schema).files") {
            try connection.query(
                """
                INSERT INTO \(s).runs (run_id, config_hash, target, mode, session_time, task_count,
                  rows_read, rows_loaded, rows_rejected, rows_filtered)
                VALUES ($1, $2, $3, $4, $5::timestamptz, $6, $7, $8, $9, $10)
                """,
                [run.id, run.configHash, run.target, run.mode, run.sessionTime.iso8601, n(run.taskCount),
                 n(run.counts.read), n(run.counts.loaded), n(run.counts.rejected), n(run.counts.filtered)])
            if replacingLedger {
                try connection.query("DELETE FROM \(s).files WHERE target = $1 AND run_id <> $2", [run.target, run.id])
            }
            try Self.insert(entries, into: "\(s).files", connection: connection)
        }
    }

    public func recordRejects(runID: String, target: String, _ rejects: [DataError]) throws {
        if rejects.isEmpty { return }
        try migrate()
        let hex: [Character] = Array("0123456789abcdef")
        try wrap("could not record rejected records in \(schema).rejects") {
            for e in rejects {
                var raw = ""
                raw.reserveCapacity(e.raw.count * 2)
                for b in e.raw {
                    raw.append(hex[Int(b >> 4)])
                    raw.append(hex[Int(b & 15)])
                }
                try connection.query(
                    """
                    INSERT INTO \(s).rejects (run_id, target, file, line, byte_offset, column_name, code, message, raw, length)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, decode($9, 'hex'), $10)
                    """,
                    [runID, target, e.file, e.line.map { String($0) }, e.byteOffset.map { String($0) }, e.column,
                     e.code.rawValue, e.message, raw, String(e.length ?? Int64(e.raw.count))])
            }
        }
    }

    public func loadedFiles(target: String) throws -> Set<String> {
        if try checkVersion() == 0 { return [] }
        return try wrap("could not read the ledger \(schema).files") {
            try Self.loadedFiles(target: target, in: "\(s).files", connection: connection)
        }
    }

    public func runs(target: String?, limit: Int) throws -> [RunRecord] {
        if try checkVersion() == 0 { return [] }
        return try wrap("could not read the runs in \(schema).runs") {
            try connection.query(
                """
                SELECT \(Self.runColumns)
                FROM \(s).runs WHERE $1::text IS NULL OR target = $1
                ORDER BY recorded_at DESC, run_id DESC LIMIT $2
                """, [target, String(limit)]
            ).rows.map(Self.runRecord)
        }
    }

    public func ledger(target: String) throws -> [LedgerEntry] {
        if try checkVersion() == 0 { return [] }
        return try wrap("could not read the ledger \(schema).files") {
            try Self.ledger(target: target, in: "\(s).files", connection: connection)
        }
    }

    public func rejects(runID: String) throws -> [RejectRecord] {
        let version = try checkVersion()
        if version == 0 { return [] }
        return try wrap("could not read the rejected records in \(schema).rejects") {
            try connection.query(
                """
                SELECT run_id, target, file, line, byte_offset, column_name, code, message, encode(raw, 'hex'), \(version >= 4 ? "length" : "NULL")
                FROM \(s).rejects WHERE run_id = $1 ORDER BY recorded_at, ctid
                """, [runID]
            ).rows.map { r in
                RejectRecord(
                    runID: r[0] ?? "", target: r[1] ?? "", file: r[2] ?? "", line: r[3].flatMap { Int($0) },
                    byteOffset: r[4].flatMap { Int64($0) }, column: r[5], code: r[6] ?? "", message: r[7] ?? "",
                    raw: Self.bytes(hex: r[8] ?? ""), length: r[9].flatMap { Int64($0) })
            }
        }
    }

    // MARK: - Statements shared with RedshiftWarehouse (the same SQL on both servers)

    /// The columns of a runs row as `runRecord` reads them.
    static let runColumns = """
        run_id, config_hash, target, mode, \(micros("session_time")), \(micros("recorded_at")),
          task_count, rows_read, rows_loaded, rows_rejected, rows_filtered
        """

    /// A run record from a row of `runColumns`.
    static func runRecord(_ r: [String?]) -> RunRecord {
        RunRecord(
            id: r[0] ?? "", configHash: r[1] ?? "", target: r[2] ?? "", mode: r[3] ?? "",
            sessionTime: timestamp(micros: r[4]), recordedAt: timestamp(micros: r[5]),
            taskCount: Int(r[6] ?? "") ?? 0, counts: counts(r, from: 7))
    }

    /// Inserts ledger `entries` into the files table `table` (schema-qualified, as written in statements).
    static func insert(_ entries: [LedgerEntry], into table: String, connection: PGConnection) throws {
        func n(_ v: Int) -> String { String(v) }
        for e in entries {
            try connection.query(
                """
                INSERT INTO \(table) (target, path, size, mtime, run_id, rows_read, rows_loaded, rows_rejected,
                  rows_filtered)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """,
                [e.target, e.path, e.size.map { String($0) }, e.mtime.map { "\($0)" }, e.runID,
                 n(e.counts.read), n(e.counts.loaded), n(e.counts.rejected), n(e.counts.filtered)])
        }
    }

    /// The paths loaded into `target` according to the files table `table`.
    static func loadedFiles(target: String, in table: String, connection: PGConnection) throws -> Set<String> {
        let rows = try connection.query("SELECT DISTINCT path FROM \(table) WHERE target = $1", [target])
        return Set(rows.rows.compactMap { $0.first ?? nil })
    }

    /// The ledger entries of `target` in the files table `table`, ordered by path and run id.
    static func ledger(target: String, in table: String, connection: PGConnection) throws -> [LedgerEntry] {
        try connection.query(
            """
            SELECT target, path, size, mtime, run_id, rows_read, rows_loaded, rows_rejected, rows_filtered
            FROM \(table) WHERE target = $1 ORDER BY path, run_id
            """, [target]
        ).rows.map { r in
            LedgerEntry(
                target: r[0] ?? "", path: r[1] ?? "", size: r[2].flatMap { Int64($0) }, mtime: r[3].flatMap { Double($0) },
                runID: r[4] ?? "", counts: counts(r, from: 5))
        }
    }

    /// Runs `body`, turning a `PGError` into a `SystemError` that says what was being done.
    func wrap<T>(_ doing: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PGError {
            throw error.systemError("PostgreSQL warehouse at \(location) \(doing)")
        }
    }

    /// A `timestamptz` column as integer microseconds since the epoch, rounded toward negative infinity.
    static func micros(_ column: String) -> String {
        "floor(extract(epoch FROM \(column)) * 1000000)::bigint"
    }

    static func timestamp(micros text: String?) -> Timestamp {
        Timestamp(nanos: (Int64(text ?? "") ?? 0) * 1000)
    }

    static func counts(_ row: [String?], from i: Int) -> RowCounts {
        func n(_ k: Int) -> Int { Int(row[i + k] ?? "") ?? 0 }
        return RowCounts(read: n(0), loaded: n(1), rejected: n(2), filtered: n(3))
    }

    static func bytes(hex: String) -> [UInt8] {
        func nibble(_ c: UInt8) -> UInt8 { c >= 97 ? c - 87 : c >= 65 ? c - 55 : c - 48 }
        let b = Array(hex.utf8)
        return stride(from: 0, to: b.count - 1, by: 2).map { nibble(b[$0]) << 4 | nibble(b[$0 + 1]) }
    }

    /// The migration steps for this schema; step 1 creates the version 1 tables when they are missing.
    var migrations: [WarehouseMigration] {
        [
            WarehouseMigration(
                version: 1,
                sql: """
                    CREATE SCHEMA IF NOT EXISTS \(s);
                    CREATE TABLE IF NOT EXISTS \(s).runs (
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
                    CREATE TABLE IF NOT EXISTS \(s).files (
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
                    CREATE TABLE IF NOT EXISTS \(s).rejects (
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
                    """),
            WarehouseMigration(
                version: 2,
                sql: """
                    CREATE TABLE IF NOT EXISTS \(s).meta (key text PRIMARY KEY, value text NOT NULL);
                    CREATE INDEX IF NOT EXISTS runs_target_recorded_at ON \(s).runs (target, recorded_at);
                    CREATE INDEX IF NOT EXISTS rejects_run_id ON \(s).rejects (run_id);
                    DROP TABLE IF EXISTS \(s).schema_version;
                    """),
            WarehouseMigration(
                version: 3,
                sql: """
                    CREATE TABLE IF NOT EXISTS \(s).job_attempts (
                      job text NOT NULL,
                      session_time timestamptz NOT NULL,
                      attempt integer NOT NULL,
                      status text NOT NULL,
                      started_at timestamptz NOT NULL,
                      finished_at timestamptz,
                      run_id text NOT NULL,
                      error text,
                      PRIMARY KEY (job, session_time, attempt)
                    );
                    """),
            WarehouseMigration(version: 4, sql: "ALTER TABLE \(s).rejects ADD COLUMN IF NOT EXISTS length bigint;"),
            WarehouseMigration(
                version: 5,
                sql: """
                    ALTER TABLE \(s).rejects ADD COLUMN IF NOT EXISTS id bigserial;
                    CREATE INDEX IF NOT EXISTS rejects_run_id_id ON \(s).rejects (run_id, id);
                    CREATE INDEX IF NOT EXISTS runs_recorded_at ON \(s).runs (recorded_at, run_id);
                    CREATE INDEX IF NOT EXISTS runs_session_time ON \(s).runs (session_time);
                    CREATE INDEX IF NOT EXISTS files_run_id ON \(s).files (run_id);
                    """),
        ]
    }
}
