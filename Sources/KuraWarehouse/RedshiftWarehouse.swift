import Glibc
import KuraCore
import KuraLibPQ

/// kura's run records, ledger and rejects in an Amazon Redshift schema (`kura` by default), on the load's connection
/// inside its transaction.
///
/// The tables hold what `PostgreSQLWarehouse`'s do (`runs`, `files`, `rejects`, `meta`), in the SQL that Redshift
/// and PostgreSQL share, since Redshift has no advisory locks, `ON CONFLICT`, `bytea`, `to_regclass`, indexes or
/// `ctid`, and evaluates `now()` on its leader node only:
/// - text columns are `VARCHAR(65535)` (Redshift's `TEXT` would be `VARCHAR(256)` and cut paths and messages);
/// - `recorded_at` is the client's clock, sent with each row;
/// - a rejected record's raw text is kept as hex of at most `rawPrefixBytes` bytes (its full `length` beside it),
///   and `id` numbers a run's rejects in the order they were recorded;
/// - the version row is replaced by a delete and an insert.
///
/// The output locks the target table before it reads the ledger, so two runs on one target take turns and each file
/// is loaded once. The statements are plain enough to run on PostgreSQL too, which is where they are tested.
public final class RedshiftWarehouse: WarehouseStore {
    /// The connection, with the caller's transaction open.
    public let connection: PGConnection
    /// The schema holding the tables (default `kura`).
    public let schema: String
    /// The clock for `recorded_at` (default: the system's).
    public var now: () -> Timestamp = {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Timestamp(nanos: Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec))
    }
    let s: String

    /// The version of these tables' layout, kept as the meta table's `schema_version` row (1: the only one so far;
    /// it moves apart from PostgreSQL's numbering, which counts that store's own migrations).
    public static let layoutVersion = 1

    /// The longest raw prefix of a rejected record kept (hex doubles it, within `VARCHAR(65535)`).
    public static let rawPrefixBytes = 32_000

    /// A store on `connection`, with its tables in `schema` (default `kura`).
    public init(connection: PGConnection, schema: String = "kura") {
        self.connection = connection
        self.schema = schema
        self.s = quoteIdentifier(schema)
    }

    public var location: String { "\(connection.settings.redactedDescription) (Redshift schema \(schema))" }

    public func schemaVersion() throws -> Int {
        try wrap("could not read the version of kura's tables in schema \(schema)") {
            let found = try connection.query(
                "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = 'meta'", [schema])
            guard found.rows.first?.first == "1" else { return 0 }
            let value = try connection.query("SELECT value FROM \(s).meta WHERE key = $1", [WarehouseSchema.versionKey])
            guard let text = value.rows.first?.first ?? nil, let version = Int(text) else {
                throw SystemError("the warehouse at \(location) has a meta table without a valid \(WarehouseSchema.versionKey) row; restore it or drop schema \(schema)")
            }
            return version
        }
    }

    public func migrate() throws {
        if try checkVersion() == Self.layoutVersion { return }
        try wrap("could not create kura's tables in schema \(schema)") {
            try connection.execute(creation)
            try connection.query("DELETE FROM \(s).meta WHERE key = $1", [WarehouseSchema.versionKey])
            try connection.query(
                "INSERT INTO \(s).meta (key, value) VALUES ($1, $2)",
                [WarehouseSchema.versionKey, String(Self.layoutVersion)])
        }
    }

    public func recordRun(_ run: RunRecord, entries: [LedgerEntry], replacingLedger: Bool) throws {
        try migrate()
        func n(_ v: Int) -> String { String(v) }
        let at = now().iso8601
        try wrap("could not record the run in \(schema).runs and \(schema).files") {
            try connection.query(
                """
                INSERT INTO \(s).runs (run_id, config_hash, target, mode, session_time, recorded_at, task_count,
                  rows_read, rows_loaded, rows_rejected, rows_filtered)
                VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7, $8, $9, $10, $11)
                """,
                [run.id, run.configHash, run.target, run.mode, run.sessionTime.iso8601, at, n(run.taskCount),
                 n(run.counts.read), n(run.counts.loaded), n(run.counts.rejected), n(run.counts.filtered)])
            if replacingLedger {
                try connection.query("DELETE FROM \(s).files WHERE target = $1 AND run_id <> $2", [run.target, run.id])
            }
            try PostgreSQLWarehouse.insert(entries, into: "\(s).files", connection: connection)
        }
    }

    public func recordRejects(runID: String, target: String, _ rejects: [DataError]) throws {
        if rejects.isEmpty { return }
        try migrate()
        let at = now().iso8601
        try wrap("could not record rejected records in \(schema).rejects") {
            let before = try connection.query("SELECT count(*) FROM \(s).rejects WHERE run_id = $1", [runID])
            var id = Int(before.rows.first?.first.flatMap { $0 } ?? "0") ?? 0
            for e in rejects {
                id += 1
                try connection.query(
                    """
                    INSERT INTO \(s).rejects (run_id, target, file, line, byte_offset, column_name, code, message, raw,
                      length, recorded_at, id)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz, $12)
                    """,
                    [runID, target, e.file, e.line.map { String($0) }, e.byteOffset.map { String($0) }, e.column,
                     e.code.rawValue, String(e.message.prefix(60_000)), Self.hex(e.raw.prefix(Self.rawPrefixBytes)),
                     String(e.length ?? Int64(e.raw.count)), at, String(id)])
            }
        }
    }

    public func loadedFiles(target: String) throws -> Set<String> {
        if try checkVersion() == 0 { return [] }
        return try wrap("could not read the ledger \(schema).files") {
            try PostgreSQLWarehouse.loadedFiles(target: target, in: "\(s).files", connection: connection)
        }
    }

    public func runs(target: String?, limit: Int) throws -> [RunRecord] {
        if try checkVersion() == 0 { return [] }
        let head = "SELECT \(PostgreSQLWarehouse.runColumns) FROM \(s).runs"
        let order = "ORDER BY recorded_at DESC, run_id DESC LIMIT \(max(0, limit))"
        return try wrap("could not read the runs in \(schema).runs") {
            let rows = try target.map { try connection.query("\(head) WHERE target = $1 \(order)", [$0]) }
                ?? connection.query("\(head) \(order)", [])
            return rows.rows.map(PostgreSQLWarehouse.runRecord)
        }
    }

    public func ledger(target: String) throws -> [LedgerEntry] {
        if try checkVersion() == 0 { return [] }
        return try wrap("could not read the ledger \(schema).files") {
            try PostgreSQLWarehouse.ledger(target: target, in: "\(s).files", connection: connection)
        }
    }

    public func rejects(runID: String) throws -> [RejectRecord] {
        if try checkVersion() == 0 { return [] }
        return try wrap("could not read the rejected records in \(schema).rejects") {
            try connection.query(
                """
                SELECT run_id, target, file, line, byte_offset, column_name, code, message, raw, length
                FROM \(s).rejects WHERE run_id = $1 ORDER BY id
                """, [runID]
            ).rows.map { r in
                RejectRecord(
                    runID: r[0] ?? "", target: r[1] ?? "", file: r[2] ?? "", line: r[3].flatMap { Int($0) },
                    byteOffset: r[4].flatMap { Int64($0) }, column: r[5], code: r[6] ?? "", message: r[7] ?? "",
                    raw: PostgreSQLWarehouse.bytes(hex: r[8] ?? ""), length: r[9].flatMap { Int64($0) })
            }
        }
    }

    /// The statements that create the tables where they are missing (all of them: there is one layout so far).
    var creation: String { Self.creation(schema: s) }

    /// `creation` for the schema written `s` in statements.
    static func creation(schema s: String) -> String {
        let text = "VARCHAR(65535)"
        return """
            CREATE SCHEMA IF NOT EXISTS \(s);
            CREATE TABLE IF NOT EXISTS \(s).meta (key VARCHAR(256) NOT NULL, value \(text) NOT NULL, PRIMARY KEY (key));
            CREATE TABLE IF NOT EXISTS \(s).runs (
              run_id VARCHAR(256) NOT NULL, config_hash VARCHAR(256) NOT NULL, target \(text) NOT NULL,
              mode VARCHAR(32) NOT NULL, session_time TIMESTAMPTZ NOT NULL, recorded_at TIMESTAMPTZ NOT NULL,
              task_count INTEGER NOT NULL, rows_read BIGINT NOT NULL, rows_loaded BIGINT NOT NULL,
              rows_rejected BIGINT NOT NULL, rows_filtered BIGINT NOT NULL, PRIMARY KEY (run_id));
            CREATE TABLE IF NOT EXISTS \(s).files (
              target \(text) NOT NULL, path \(text) NOT NULL, size BIGINT, mtime DOUBLE PRECISION,
              run_id VARCHAR(256) NOT NULL, rows_read BIGINT NOT NULL, rows_loaded BIGINT NOT NULL,
              rows_rejected BIGINT NOT NULL, rows_filtered BIGINT NOT NULL, PRIMARY KEY (target, path, run_id));
            CREATE TABLE IF NOT EXISTS \(s).rejects (
              run_id VARCHAR(256) NOT NULL, target \(text) NOT NULL, file \(text) NOT NULL, line BIGINT,
              byte_offset BIGINT, column_name \(text), code VARCHAR(64) NOT NULL, message \(text) NOT NULL,
              raw \(text), length BIGINT, recorded_at TIMESTAMPTZ NOT NULL, id BIGINT NOT NULL);
            """
    }

    /// Lower-case hex of `bytes`.
    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Runs `body`, turning a `PGError` into a `SystemError` that says what was being done.
    func wrap<T>(_ doing: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PGError {
            throw error.systemError("Redshift warehouse at \(location) \(doing)")
        }
    }
}
