import KuraCore
import KuraFormats
import KuraLibPQ

extension PostgreSQLOutputSession {
    /// The steps of a run's begin after the transaction and the lock: the target (created, checked or, under
    /// `replace`, a new table), the encoders from its column types, the merge keys, and `merge_direct`'s temporary
    /// table. Each step runs on the control connection inside the run's transaction.
    struct Begin {
        let plugin: PostgreSQLOutputPlugin
        let schema: Schema
        let db: PGConnection
        let tag: String
        let logger: Logger
        let isDryRun: Bool

        var options: PostgreSQLOutputPlugin.Options { plugin.options }
        var target: String { plugin.qualifiedTarget }

        /// The table the rows go into and its description.
        struct PreparedTarget {
            /// The table the rows go into before any rename, quoted and qualified.
            var loadTable: String
            /// The load table's description (`nil` in a dry run of a table that does not exist yet).
            var existing: TableDescription?
            /// Whether the target existed at begin.
            var targetExisted: Bool
        }

        /// Checks the target, creates it when missing (or, under `replace`, creates the new table the rows go into),
        /// and reconciles its columns with the records'.
        func prepareTarget() throws -> PreparedTarget {
            let q = quoteIdentifier
            var existing = try describeTable(options.table)
            let targetExisted = existing != nil
            if let existing, !existing.isTable {
                throw plugin.config.error(
                    "table", "\(target) is a \(existing.kindName), not a table", fix: "choose another table name")
            }
            // Under replace the rows go into a new table that takes the target's name at commit.
            if options.mode == .replace {
                let name = PostgreSQLOutputSession.shortName(options.table, suffix: "_kura_\(tag)_new")
                let loadTable = q(options.schema) + "." + q(name)
                if isDryRun { return PreparedTarget(loadTable: loadTable, existing: nil, targetExisted: targetExisted) }
                try db.execute(createTableSQL(loadTable, primaryKey: nil))
                return PreparedTarget(loadTable: loadTable, existing: try describeTable(name), targetExisted: targetExisted)
            }
            if existing == nil && !isDryRun {
                let key = options.mode.isMerge ? options.mergeKeys : nil
                if options.mode.isMerge && key == nil {
                    throw plugin.config.error(
                        "merge_keys", "table \(target) does not exist, and a merge needs merge_keys to create it",
                        fix: "set merge_keys to the columns that identify a row")
                }
                try db.execute(createTableSQL(target, primaryKey: key))
                existing = try describeTable(options.table)
                logger.info("PostgreSQL output: created table \(target)")
            } else if let table = existing {
                if try PostgreSQLOutputSession.reconcile(
                    table, schema: schema, plugin: plugin, db: db, logger: logger, dryRun: isDryRun)
                {
                    existing = try describeTable(options.table)
                }
            }
            return PreparedTarget(loadTable: target, existing: existing, targetExisted: targetExisted)
        }

        /// How the records' columns are encoded and declared.
        struct Encoding {
            var encoders: [FieldEncoder]
            /// The load table's type of each record column, as declared, for staging tables.
            var declaredTypes: [String]
            var usesBinaryCopy: Bool
        }

        /// The encoders, from the load table's actual column types (the schema's own types in a dry run of a table
        /// that does not exist yet); a column whose type cannot hold the records' values is a config error.
        func encoding(for existing: TableDescription?) throws -> Encoding {
            var encoders: [FieldEncoder] = []
            var types: [String] = []
            var typeErrors: [ConfigError] = []
            let zone = ZoneRule(name: options.defaultTimezone) ?? ZoneRule(name: "UTC")!
            for column in schema.columns {
                let targetType: TargetType
                let declared: String
                if let existing, let c = existing.columns.first(where: { $0.name == column.name }) {
                    targetType = TargetType(name: c.typeName, display: c.display)
                    declared = c.display
                } else {
                    targetType = PostgreSQLOutputSession.naturalTargetType(column.type)
                    declared = plugin.declaredType(of: column)
                }
                let option = options.columnOptions[column.name]
                guard
                    let encoder = try FieldEncoder.make(
                        column: column.name, source: column.type, target: targetType, option: option, defaultZone: zone)
                else {
                    typeErrors.append(typeError(column, targetType))
                    continue
                }
                if case .float4 = encoder.kind {
                    logger.warn("PostgreSQL output: column '\(column.name)' is real (float4), so its doubles are rounded to 6–9 significant digits")
                }
                if case .date = encoder.kind {
                    logger.warn("PostgreSQL output: column '\(column.name)' is a date, so the time of day of its timestamps is dropped")
                }
                encoders.append(encoder)
                types.append(declared)
            }
            if typeErrors.count == 1 { throw typeErrors[0] }
            if typeErrors.count > 1 { throw ConfigErrors(typeErrors) }
            let textColumns = encoders.filter { !$0.binary }.map { "\($0.column) (\($0.target.display))" }
            if options.copyFormat == .binary && !textColumns.isEmpty {
                logger.info(
                    "PostgreSQL output: using the text COPY format for this load, because the binary format cannot carry "
                        + "column(s) \(textColumns.joined(separator: ", ")) exactly")
            }
            return Encoding(
                encoders: encoders, declaredTypes: types,
                usesBinaryCopy: options.copyFormat == .binary && textColumns.isEmpty)
        }

        /// The error for a column of the target whose type cannot hold the records' values.
        func typeError(_ column: Column, _ targetType: TargetType) -> ConfigError {
            plugin.config.error(
                "table",
                "column '\(column.name)' of table \(target) is \(targetType.display), which cannot hold the "
                    + "records' \(column.type) values",
                fix: "change the column (ALTER TABLE \(target) ALTER COLUMN \(quoteIdentifier(column.name)) TYPE "
                    + "\(PostgreSQLOutputPlugin.defaultType(of: column.type)) USING …), convert the column "
                    + "before the output, set column_options: {\(column.name): {value_type: string}} to let "
                    + "the server convert the text, or use mode: replace")
        }

        /// The merge keys: the option, else the target's primary key.
        func mergeKeys(existing: TableDescription?) throws -> [String] {
            guard options.mode.isMerge, let existing else { return options.mergeKeys ?? [] }
            let keys = options.mergeKeys ?? existing.primaryKey
            if keys.isEmpty {
                throw plugin.config.error(
                    "merge_keys", "table \(target) has no primary key, so a merge does not know which rows match",
                    fix: "set merge_keys to the columns that identify a row")
            }
            for key in keys where schema.index(of: key) == nil {
                throw plugin.config.error(
                    "merge_keys", "merge key '\(key)' of table \(target) is not a column of the records",
                    fix: "load that column too, or set merge_keys to columns of the records")
            }
            if !existing.uniqueKeys.contains(Set(keys)) {
                logger.info(
                    "PostgreSQL output: \(target) has no unique index on (\(keys.joined(separator: ", "))); merging with an UPDATE "
                        + "of the matching rows and an INSERT of the rest")
            }
            return keys
        }

        /// Creates `merge_direct`'s temporary table and returns its quoted name; `nil` in other modes and dry runs.
        func createDirectMergeTable(declaredTypes: [String]) throws -> String? {
            guard options.mode == .mergeDirect && !isDryRun else { return nil }
            let name = quoteIdentifier("kura_merge_\(tag)")
            try db.execute(
                "CREATE TEMPORARY TABLE \(name) (\(PostgreSQLOutputSession.columnDefinitions(schema, declaredTypes))) ON COMMIT DROP")
            return name
        }

        func describeTable(_ table: String) throws -> TableDescription? {
            try PostgreSQLOutputSession.describeTable(db, schema: options.schema, table: table)
        }

        func createTableSQL(_ name: String, primaryKey: [String]?) -> String {
            PostgreSQLOutputSession.createTableSQL(name, schema: schema, plugin: plugin, primaryKey: primaryKey)
        }
    }
}
