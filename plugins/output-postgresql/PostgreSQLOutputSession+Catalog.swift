import Foundation
import KuraCore
import KuraLibPQ
import KuraWarehouse

/// The catalog and DDL side of a run: the target's description, schema drift, `CREATE TABLE`, staging names, and the
/// per-target lock.
extension PostgreSQLOutputSession {
    /// The type kura declares for a column of `kind` when it creates the table.
    static func naturalTargetType(_ kind: ColumnType) -> TargetType {
        switch kind {
        case .long: return TargetType(name: "int8", display: "bigint")
        case .double: return TargetType(name: "float8", display: "double precision")
        case .boolean: return TargetType(name: "bool", display: "boolean")
        case .string: return TargetType(name: "text", display: "text")
        case .timestamp: return TargetType(name: "timestamptz", display: "timestamp with time zone")
        case .json: return TargetType(name: "jsonb", display: "jsonb")
        }
    }

    /// `name` cut (at a character boundary) so that `name + suffix` fits PostgreSQL's 63-byte limit, plus `suffix`.
    static func shortName(_ name: String, suffix: String) -> String {
        let room = PostgreSQLOutputPlugin.maxIdentifierBytes - suffix.utf8.count
        var cut = ""
        var used = 0
        for ch in name {
            let n = String(ch).utf8.count
            if used + n > room { break }
            cut.append(ch)
            used += n
        }
        return cut + suffix
    }

    /// The advisory lock class of kura's per-target locks (`'kura'` as a 32-bit number, shared with the warehouse).
    static let lockClass: Int32 = PostgreSQLWarehouse.lockClass

    /// Takes the transaction-scoped advisory lock of `target`, waiting up to `waitSeconds`.
    static func lockTarget(_ db: PGConnection, target: String, waitSeconds: Double, logger: Logger) throws {
        let deadline = Date().addingTimeInterval(waitSeconds)
        var told = false
        while true {
            let got = try db.query("SELECT pg_try_advisory_xact_lock(\(lockClass), hashtext($1))", [target])
            if got.rows.first?.first == "t" { return }
            if !told && waitSeconds > 0 {
                logger.info(
                    "another run is loading into \(target) (\(lockHolder(db, target: target))); waiting up to \(Int(waitSeconds)) s for it (lock_wait_seconds)")
                told = true
            }
            if Date() >= deadline {
                let waited = waitSeconds > 0 ? " for \(waitSeconds) s" : ""
                throw SystemError(
                    "another run is loading into \(target) (\(lockHolder(db, target: target)) holds kura's lock on that table; waited\(waited.isEmpty ? " not at all" : waited)); "
                        + "wait for it to finish, or set lock_wait_seconds to wait for it")
            }
            Thread.sleep(forTimeInterval: min(0.2, max(0.01, deadline.timeIntervalSinceNow)))
        }
    }

    /// Drops the staging tables that killed runs left beside `table` (`<table>_kura_<session>_<task>` and
    /// `…_new`), other than this run's (`keeping`). Called while this run holds the target's lock, so no other run
    /// on the target can be using them; the drops commit with the run.
    static func sweepStaging(_ db: PGConnection, schema: String, table: String, keeping tag: String, logger: Logger) throws {
        let rows = try db.query(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'u', 'p') AND c.relname ~ '_kura_[0-9a-f]{8}_([0-9]+|new)$'
            """, [schema]).rows.compactMap { $0.first ?? nil }
        var swept: [String] = []
        for name in rows {
            guard let at = name.range(of: "_kura_", options: .backwards) else { continue }
            let base = String(name[..<at.lowerBound])
            let suffix = name[at.lowerBound...]
            let truncated = table.hasPrefix(base) && base.utf8.count + suffix.utf8.count >= PostgreSQLOutputPlugin.maxIdentifierBytes - 1
            guard base == table || truncated, !suffix.hasPrefix("_kura_\(tag)_") else { continue }
            try db.execute("DROP TABLE IF EXISTS \(quoteIdentifier(schema)).\(quoteIdentifier(name))")
            swept.append(name)
        }
        if !swept.isEmpty {
            logger.info("dropped \(swept.count) staging table(s) that killed runs left beside \(table): \(swept.joined(separator: ", "))")
        }
    }

    /// Who holds kura's lock on `target`: the server process, its `application_name` (kura names its connections
    /// `kura <run id>`) and since when its transaction runs; "a session" when the server does not say.
    static func lockHolder(_ db: PGConnection, target: String) -> String {
        let rows = try? db.query(
            """
            SELECT a.pid, coalesce(a.application_name, ''),
              coalesce(to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '')
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1
              AND l.objid::bigint = (hashtext($2)::bigint & 4294967295)
            LIMIT 1
            """, [String(lockClass), target])
        guard let r = rows?.rows.first, let pid = r[0] else { return "a session" }
        let name = (r[1] ?? "").isEmpty ? "" : " '\(r[1]!)'"
        let since = (r[2] ?? "").isEmpty ? "" : ", in a transaction since \(r[2]!)"
        return "server process \(pid)\(name)\(since)"
    }

    /// An existing relation: its kind and columns, primary key and unique keys.
    struct TableDescription {
        struct Column {
            var name: String
            /// `pg_type.typname` (of the base type, for a domain).
            var typeName: String
            /// `format_type`, such as `character(2)`.
            var display: String
            var notNull: Bool
            var hasDefault: Bool
        }
        var kind: String
        var columns: [Column]
        var primaryKey: [String]
        var uniqueKeys: [Set<String>]
        var isTable: Bool { kind == "r" || kind == "p" }
        var kindName: String {
            ["v": "view", "m": "materialized view", "f": "foreign table", "S": "sequence", "i": "index", "c": "composite type"][kind] ?? "relation"
        }
    }

    /// The relation `schema.table`, or `nil` when there is none.
    static func describeTable(_ db: PGConnection, schema: String, table: String) throws -> TableDescription? {
        let found = try db.query(
            """
            SELECT c.oid, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2
            """, [schema, table])
        guard let row = found.rows.first, let oid = row[0], let kind = row[1] else { return nil }
        let columns = try db.query(
            """
            SELECT a.attname, coalesce(b.typname, t.typname), format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> ''
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_type b ON b.oid = t.typbasetype AND t.typtype = 'd'
            WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """, [oid]
        ).rows.map {
            TableDescription.Column(
                name: $0[0] ?? "", typeName: $0[1] ?? "", display: $0[2] ?? "", notNull: $0[3] == "t", hasDefault: $0[4] == "t")
        }
        let indexes = try db.query(
            """
            SELECT i.indisprimary, array_to_json(array(
                     SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n))::text
            FROM pg_index i WHERE i.indrelid = $1::oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
            """, [oid])
        var primary: [String] = []
        var unique: [Set<String>] = []
        for r in indexes.rows {
            let names = (try? JSONDecoder().decode([String].self, from: Data((r[1] ?? "[]").utf8))) ?? []
            if r[0] == "t" { primary = names }
            unique.append(Set(names))
        }
        return TableDescription(kind: kind, columns: columns, primaryKey: primary, uniqueKeys: unique)
    }

    /// Compares the table's columns with the records': adds missing columns under `schema_update: add_columns`,
    /// else reports each difference. Returns whether columns were added.
    static func reconcile(
        _ table: TableDescription, schema: Schema, plugin: PostgreSQLOutputPlugin, db: PGConnection, logger: Logger,
        dryRun: Bool
    ) throws -> Bool {
        let options = plugin.options
        let target = plugin.qualifiedTarget
        let have = Set(table.columns.map(\.name))
        let new = schema.columns.filter { !have.contains($0.name) }
        var errors: [ConfigError] = []
        var added = false
        if !new.isEmpty {
            if options.schemaUpdate == .addColumns {
                for column in new where !dryRun {
                    let type = plugin.declaredType(of: column)
                    try db.execute("ALTER TABLE \(target) ADD COLUMN \(quoteIdentifier(column.name)) \(type)")
                    logger.info("PostgreSQL output: added column \(quoteIdentifier(column.name)) \(type) to \(target)")
                    added = true
                }
            } else {
                for column in new {
                    errors.append(
                        plugin.config.error(
                            "table", "table \(target) has no column '\(column.name)' (\(column.type)), which the records have",
                            fix: "set schema_update: add_columns to add it, add it yourself (ALTER TABLE \(target) ADD COLUMN "
                                + "\(quoteIdentifier(column.name)) \(plugin.declaredType(of: column))), remove it from the "
                                + "records, or use mode: replace"))
                }
            }
        }
        let names = Set(schema.names)
        for column in table.columns where !names.contains(column.name) {
            if column.notNull && !column.hasDefault {
                errors.append(
                    plugin.config.error(
                        "table",
                        "column '\(column.name)' of table \(target) is NOT NULL without a default, and the records do not have it",
                        fix: "add the column to the records, give it a default (ALTER TABLE \(target) ALTER COLUMN "
                            + "\(quoteIdentifier(column.name)) SET DEFAULT …), or use mode: replace"))
            } else {
                logger.info("PostgreSQL output: the records have no column '\(column.name)' of \(target); it gets its default")
            }
        }
        if errors.count == 1 { throw errors[0] }
        if errors.count > 1 { throw ConfigErrors(errors) }
        return added
    }

    /// The column definitions `"name" type, …`.
    static func columnDefinitions(_ schema: Schema, _ types: [String]) -> String {
        zip(schema.columns, types).map { "\(quoteIdentifier($0.name)) \($1)" }.joined(separator: ", ")
    }

    /// `CREATE TABLE` for the records, with the options' constraint and table option; `primaryKey` adds a key.
    static func createTableSQL(_ name: String, schema: Schema, plugin: PostgreSQLOutputPlugin, primaryKey: [String]?) -> String {
        var parts = schema.columns.map { "\(quoteIdentifier($0.name)) \(plugin.declaredType(of: $0))" }
        if let constraint = plugin.options.createTableConstraint {
            parts.append(constraint)
        } else if let primaryKey {
            parts.append("PRIMARY KEY (\(primaryKey.map(quoteIdentifier).joined(separator: ", ")))")
        }
        var sql = "CREATE TABLE \(name) (\(parts.joined(separator: ", ")))"
        if let option = plugin.options.createTableOption { sql += " " + option }
        return sql
    }
}
