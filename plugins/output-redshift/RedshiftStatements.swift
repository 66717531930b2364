import KuraCore
import KuraLibPQ
import OutputPostgreSQL

/// The SQL of a Redshift load, built without I/O (and golden-tested): the tables, the COPY from S3, and each
/// mode's final statements. The same statements run on PostgreSQL for `copy_method: insert`, with PostgreSQL's
/// column types and lock syntax.
struct RedshiftStatements {
    typealias Mode = PostgreSQLOutputPlugin.Mode

    let schema: Schema
    let options: PostgreSQLOutputPlugin.Options
    /// Whether the server is Redshift (else PostgreSQL).
    let isRedshift: Bool

    /// The hidden column of merge staging tables that numbers the rows in load order, so the last row of a key wins.
    static let sequenceColumn = "_kura_seq"

    var target: String { quoteIdentifier(options.schema) + "." + quoteIdentifier(options.table) }
    /// The table a replace load fills before it is swapped in.
    var replacement: String { quoteIdentifier(options.schema) + "." + quoteIdentifier(options.table + "_kura_new") }
    /// The temporary staging table of a merge.
    var staging: String { quoteIdentifier(options.table + "_kura_stage") }

    /// The table the rows are copied or inserted into.
    var loadTable: String {
        switch options.mode {
        case .insert, .insertDirect, .truncateInsert: return target
        case .replace: return replacement
        case .merge, .mergeDirect: return staging
        }
    }

    /// Whether the loaded rows carry the hidden sequence column.
    var carriesSequence: Bool { options.mode.isMergeMode }

    /// The quoted columns written, in order (the sequence column last, for a merge).
    var loadColumns: [String] {
        schema.names.map(quoteIdentifier) + (carriesSequence ? [quoteIdentifier(Self.sequenceColumn)] : [])
    }

    /// The column type declared for `column` when kura creates a table.
    func declaredType(of column: Column) -> String {
        if let t = options.columnOptions[column.name]?.type { return t }
        switch column.type {
        case .long: return "BIGINT"
        case .double: return "DOUBLE PRECISION"
        case .boolean: return "BOOLEAN"
        case .string: return isRedshift ? "VARCHAR(65535)" : "TEXT"
        case .timestamp: return "TIMESTAMPTZ"
        case .json: return isRedshift ? "VARCHAR(65535)" : "JSONB"
        }
    }

    /// `CREATE TABLE` of `name` with the records' columns (and the extra options).
    func createTable(_ name: String, ifNotExists: Bool, temporary: Bool = false) -> String {
        var columns = schema.columns.map { quoteIdentifier($0.name) + " " + declaredType(of: $0) }
        if temporary && carriesSequence { columns.append(quoteIdentifier(Self.sequenceColumn) + " BIGINT") }
        if !temporary, let constraint = options.createTableConstraint { columns.append(constraint) }
        let head = temporary ? "CREATE TEMP TABLE" : "CREATE TABLE" + (ifNotExists ? " IF NOT EXISTS" : "")
        let tail = !temporary ? options.createTableOption.map { " " + $0 } ?? "" : ""
        return "\(head) \(name) (\(columns.joined(separator: ", ")))\(tail)"
    }

    /// The statements that open a run inside its transaction: tables created, the target locked and emptied.
    var setup: [String] {
        var sql: [String] = []
        if let before = options.beforeLoad { sql.append(before) }
        switch options.mode {
        case .replace:
            sql.append("DROP TABLE IF EXISTS \(replacement)")
            sql.append(createTable(replacement, ifNotExists: false))
        default:
            sql.append(createTable(target, ifNotExists: true))
            sql.append(isRedshift ? "LOCK \(target)" : "LOCK TABLE \(target) IN SHARE ROW EXCLUSIVE MODE")
            if options.mode == .truncateInsert { sql.append("DELETE FROM \(target)") }
            if options.mode.isMergeMode { sql.append(createTable(staging, ifNotExists: false, temporary: true)) }
        }
        return sql
    }

    /// Redshift's `COPY` of the parts a manifest lists into the load table. `authorization` is the credentials
    /// clause (`ACCESS_KEY_ID '…' SECRET_ACCESS_KEY '…'` or `IAM_ROLE '…'`).
    func copy(manifestURL: String, authorization: String, region: String) -> String {
        "COPY \(loadTable) (\(loadColumns.joined(separator: ", "))) FROM \(quoteLiteral(manifestURL)) \(authorization) "
            + "MANIFEST GZIP CSV QUOTE AS '\"' NULL AS '\\\\N' TIMEFORMAT 'auto' ACCEPTINVCHARS "
            + "REGION \(quoteLiteral(region)) COMPUPDATE OFF STATUPDATE OFF"
    }

    /// The credentials clause of the COPY.
    static func authorization(
        accessKeyID: String, secretAccessKey: String, sessionToken: String?, iamRole: (name: String, account: String)?
    ) -> String {
        if let role = iamRole { return "IAM_ROLE " + quoteLiteral("arn:aws:iam::\(role.account):role/\(role.name)") }
        var clause = "ACCESS_KEY_ID \(quoteLiteral(accessKeyID)) SECRET_ACCESS_KEY \(quoteLiteral(secretAccessKey))"
        if let token = sessionToken { clause += " SESSION_TOKEN \(quoteLiteral(token))" }
        return clause
    }

    /// A multi-row parameterized `INSERT` of `rows` rows into the load table.
    func insert(rows: Int) -> String {
        let width = loadColumns.count
        let tuples = (0..<rows).map { r in "(" + (1...width).map { "$\(r * width + $0)" }.joined(separator: ", ") + ")" }
        return "INSERT INTO \(loadTable) (\(loadColumns.joined(separator: ", "))) VALUES " + tuples.joined(separator: ", ")
    }

    /// The statements that move the loaded rows into place, before the commit. `keys` are the merge keys.
    func finish(keys: [String]) -> [String] {
        var sql: [String] = []
        switch options.mode {
        case .insert, .insertDirect, .truncateInsert: break
        case .replace:
            sql.append("DROP TABLE IF EXISTS \(target)")
            sql.append("ALTER TABLE \(replacement) RENAME TO \(quoteIdentifier(options.table))")
        case .merge, .mergeDirect:
            sql += merge(keys: keys)
            sql.append("DROP TABLE \(staging)")
        }
        if let after = options.afterLoad { sql.append(after) }
        return sql
    }

    /// A merge: the last staged row of each key updates the target's row (or replaces it), the rest are inserted.
    func merge(keys: [String]) -> [String] {
        let columns = schema.names.map(quoteIdentifier).joined(separator: ", ")
        let partition = keys.map(quoteIdentifier).joined(separator: ", ")
        let latest = "(SELECT \(columns) FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY \(partition) ORDER BY "
            + "\(quoteIdentifier(Self.sequenceColumn)) DESC) AS _kura_rank FROM \(staging)) AS ranked WHERE _kura_rank = 1)"
        let match = keys.map { "T.\(quoteIdentifier($0)) = S.\(quoteIdentifier($0))" }.joined(separator: " AND ")
        guard let rule = options.mergeRule else {
            return [
                "DELETE FROM \(target) USING \(staging) AS S WHERE "
                    + keys.map { "\(target).\(quoteIdentifier($0)) = S.\(quoteIdentifier($0))" }.joined(separator: " AND "),
                "INSERT INTO \(target) (\(columns)) SELECT \(columns) FROM \(latest) AS S",
            ]
        }
        return [
            "UPDATE \(target) AS T SET \(rule.joined(separator: ", ")) FROM \(latest) AS S WHERE \(match)",
            "INSERT INTO \(target) (\(columns)) SELECT \(columns) FROM \(latest) AS S "
                + "WHERE NOT EXISTS (SELECT 1 FROM \(target) AS T WHERE \(match))",
        ]
    }
}

extension PostgreSQLOutputPlugin.Mode {
    /// Whether rows with equal merge keys update existing rows.
    var isMergeMode: Bool { self == .merge || self == .mergeDirect }
}
