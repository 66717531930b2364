import Foundation
import KuraCore
import KuraFormats

/// One run of output `postgresql`: the control connection with the run's open transaction, plus per-task
/// connections that fill staging tables (or, in the direct modes, a COPY on the control connection shared by the
/// tasks).
///
/// Nothing is visible to other sessions before `commit`: staging tables hold rows no reader of the target sees, and
/// everything on the control connection is inside its transaction. `abort` rolls the transaction back and drops the
/// staging tables.
///
/// Staging tables are created when a task opens (on the task's connection, before its first row), so tasks the
/// ledger skips cost nothing. They are `UNLOGGED` and declared with the target's column types, so the encoding chosen
/// for the target fits them too. A run that is killed leaves its staging tables behind; they are named
/// `<table>_kura_<session>_<task>` and can be dropped by hand.
///
/// In the direct modes a task that fails after some of its rows went into the shared COPY cannot take them back;
/// the run then refuses to commit (its `abort` still rolls everything back).
public final class PostgreSQLOutputSession: LedgerOutputSession {
    enum State: CustomStringConvertible {
        case open, committed, aborted
        var description: String { self == .open ? "open" : self == .committed ? "committed" : "aborted" }
    }

    let options: PostgreSQLOutputPlugin.Options
    let plugin: PostgreSQLOutputPlugin
    let schema: Schema
    let context: PluginContext
    let settings: PGConnectionSettings
    /// The target, quoted and schema-qualified; also the ledger's target key.
    let target: String
    /// This session's identifier in staging names: 8 hex digits.
    let tag: String
    /// The table the rows go into before any rename: the target, or under `replace` the new table.
    let loadTable: String
    /// The quoted column list of the COPY and of the final statements.
    let columnList: String
    /// The target's type of each record column, as declared (`format_type`), for staging tables.
    let columnTypes: [String]
    /// How each record column is encoded.
    let encoders: [FieldEncoder]
    /// Whether the COPY uses the binary format.
    public let usesBinaryCopy: Bool
    /// The columns a merge matches rows on.
    let mergeKeys: [String]
    /// Whether the target existed at begin (for `replace`).
    let targetExisted: Bool
    let isDryRun: Bool

    /// Guards everything below and the control connection.
    let lock = NSLock()
    var control: PGConnection?
    var state = State.open
    /// Why the run can no longer commit, when it cannot.
    var poisoned: String?
    /// The staging table of each opened task, by task index.
    var staging: [Int: String] = [:]
    /// Tasks that aborted: their staging tables are left out of the final statement.
    var abortedTasks = Set<Int>()
    /// Tasks that finished their COPY.
    var finishedTasks = Set<Int>()
    /// Idle task connections, reused by later tasks.
    var pool: [PGConnection] = []
    /// The direct modes' COPY encoder, while the COPY on the control connection is open.
    var directCopy: CopyEncoder?
    /// The staging table of `merge_direct` (a temporary table of the control connection).
    let directMergeTable: String?

    // MARK: - Begin

    init(plugin: PostgreSQLOutputPlugin, schema: Schema, settings: PGConnectionSettings, context: PluginContext) throws {
        let options = plugin.options
        self.plugin = plugin
        self.options = options
        self.schema = schema
        self.context = context
        self.settings = settings
        self.isDryRun = context.isDryRun
        self.target = plugin.qualifiedTarget
        self.tag = String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPadded(8)
        let q = quoteIdentifier
        self.columnList = schema.names.map(q).joined(separator: ", ")

        let db = try PGConnection(settings: settings, logger: context.logger)
        if !isDryRun { try Self.createLedgerTables(db) }
        try db.execute(isDryRun ? "BEGIN READ ONLY" : "BEGIN")
        do {
            if !isDryRun { try Self.lockTarget(db, target: target, waitSeconds: options.lockWaitSeconds) }
            var existing = try Self.describeTable(db, schema: options.schema, table: options.table)
            targetExisted = existing != nil
            if let existing, !existing.isTable {
                throw plugin.config.error(
                    "table", "\(plugin.qualifiedTarget) is a \(existing.kindName), not a table", fix: "choose another table name")
            }
            // Under replace the rows go into a new table that takes the target's name at commit.
            if options.mode == .replace {
                let name = Self.shortName(options.table, suffix: "_kura_\(tag)_new")
                loadTable = q(options.schema) + "." + q(name)
                if !isDryRun {
                    try db.execute(Self.createTableSQL(loadTable, schema: schema, plugin: plugin, primaryKey: nil))
                    existing = try Self.describeTable(db, schema: options.schema, table: name)
                } else {
                    existing = nil
                }
            } else {
                loadTable = target
                if existing == nil && !isDryRun {
                    let key = options.mode.isMerge ? options.mergeKeys : nil
                    if options.mode.isMerge && key == nil {
                        throw plugin.config.error(
                            "merge_keys", "table \(target) does not exist, and a merge needs merge_keys to create it",
                            fix: "set merge_keys to the columns that identify a row")
                    }
                    try db.execute(Self.createTableSQL(target, schema: schema, plugin: plugin, primaryKey: key))
                    existing = try Self.describeTable(db, schema: options.schema, table: options.table)
                    context.logger.info("PostgreSQL output: created table \(target)")
                } else if let table = existing {
                    if try Self.reconcile(table, schema: schema, plugin: plugin, db: db, logger: context.logger, dryRun: isDryRun) {
                        existing = try Self.describeTable(db, schema: options.schema, table: options.table)
                    }
                }
            }

            // The encoders, from the load table's actual column types (the schema's own types in a dry run of a
            // table that does not exist yet).
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
                    targetType = Self.naturalTargetType(column.type)
                    declared = plugin.declaredType(of: column)
                }
                let option = options.columnOptions[column.name]
                guard
                    let encoder = try FieldEncoder.make(
                        column: column.name, source: column.type, target: targetType, option: option, defaultZone: zone)
                else {
                    typeErrors.append(
                        plugin.config.error(
                            "table",
                            "column '\(column.name)' of table \(target) is \(targetType.display), which cannot hold the "
                                + "records' \(column.type) values",
                            fix: "change the column (ALTER TABLE \(target) ALTER COLUMN \(q(column.name)) TYPE "
                                + "\(PostgreSQLOutputPlugin.defaultType(of: column.type)) USING …), convert the column "
                                + "before the output, set column_options: {\(column.name): {value_type: string}} to let "
                                + "the server convert the text, or use mode: replace"))
                    continue
                }
                if case .float4 = encoder.kind {
                    context.logger.warn("PostgreSQL output: column '\(column.name)' is real (float4), so its doubles are rounded to 6–9 significant digits")
                }
                if case .date = encoder.kind {
                    context.logger.warn("PostgreSQL output: column '\(column.name)' is a date, so the time of day of its timestamps is dropped")
                }
                encoders.append(encoder)
                types.append(declared)
            }
            if typeErrors.count == 1 { throw typeErrors[0] }
            if typeErrors.count > 1 { throw ConfigErrors(typeErrors) }
            self.encoders = encoders
            self.columnTypes = types
            let textColumns = encoders.filter { !$0.binary }.map { "\($0.column) (\($0.target.display))" }
            usesBinaryCopy = options.copyFormat == .binary && textColumns.isEmpty
            if options.copyFormat == .binary && !textColumns.isEmpty {
                context.logger.info(
                    "PostgreSQL output: using the text COPY format for this load, because the binary format cannot carry "
                        + "column(s) \(textColumns.joined(separator: ", ")) exactly")
            }

            // Merge keys: the option, else the target's primary key; ON CONFLICT needs a unique index on them.
            if options.mode.isMerge, let existing {
                let keys = options.mergeKeys ?? existing.primaryKey
                if keys.isEmpty {
                    throw plugin.config.error(
                        "merge_keys", "table \(target) has no primary key, so a merge does not know which rows match",
                        fix: "set merge_keys to the columns that identify a row (they need a unique index)")
                }
                for key in keys where schema.index(of: key) == nil {
                    throw plugin.config.error(
                        "merge_keys", "merge key '\(key)' of table \(target) is not a column of the records",
                        fix: "load that column too, or set merge_keys to columns of the records")
                }
                if !existing.uniqueKeys.contains(Set(keys)) {
                    throw plugin.config.error(
                        "merge_keys",
                        "table \(target) has no unique index on (\(keys.joined(separator: ", "))), which a merge needs",
                        fix: "create one: CREATE UNIQUE INDEX ON \(target) (\(keys.map(q).joined(separator: ", ")))")
                }
                mergeKeys = keys
            } else {
                mergeKeys = options.mergeKeys ?? []
            }

            if options.mode == .mergeDirect && !isDryRun {
                let name = "kura_merge_\(tag)"
                directMergeTable = q(name)
                try db.execute(
                    "CREATE TEMPORARY TABLE \(q(name)) (\(Self.columnDefinitions(schema, types))) ON COMMIT DROP")
            } else {
                directMergeTable = nil
            }
            if options.mode.isDirect && !isDryRun, let sql = options.beforeLoad {
                try db.execute(sql)
            }
        } catch {
            _ = try? db.execute("ROLLBACK")
            throw error
        }
        control = db
    }

    deinit {
        if state == .open { abort() }
    }

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

    /// The advisory lock class of kura's per-target locks (`'kura'` as a 32-bit number).
    static let lockClass: Int32 = 0x6B75_7261

    /// Takes the transaction-scoped advisory lock of `target`, waiting up to `waitSeconds`.
    static func lockTarget(_ db: PGConnection, target: String, waitSeconds: Double) throws {
        let deadline = Date().addingTimeInterval(waitSeconds)
        while true {
            let got = try db.query("SELECT pg_try_advisory_xact_lock(\(lockClass), hashtext($1))", [target])
            if got.rows.first?.first == "t" { return }
            if Date() >= deadline {
                let waited = waitSeconds > 0 ? " for \(waitSeconds) s" : ""
                throw SystemError(
                    "another run is loading into \(target) (it holds kura's lock on that table; waited\(waited.isEmpty ? " not at all" : waited)); "
                        + "wait for it to finish, or set lock_wait_seconds to wait for it")
            }
            Thread.sleep(forTimeInterval: min(0.2, max(0.01, deadline.timeIntervalSinceNow)))
        }
    }

    // MARK: - Table inspection

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

    // MARK: - Tasks

    public func openTask(_ index: Int) throws -> OutputTaskWriter {
        if isDryRun || options.mode.isDirect { return DirectTaskWriter(session: self, index: index) }
        lock.lock()
        guard state == .open else {
            lock.unlock()
            throw SystemError("the PostgreSQL output run on \(target) was already \(state)")
        }
        let name = Self.shortName(options.table, suffix: "_kura_\(tag)_\(index)")
        let table = quoteIdentifier(options.tempSchema ?? options.schema) + "." + quoteIdentifier(name)
        staging[index] = table
        let reused = pool.popLast()
        lock.unlock()
        do {
            let connection = try reused ?? PGConnection(settings: settings, logger: context.logger)
            let writer = StagingTaskWriter(session: self, index: index, table: table, connection: connection)
            try writer.start()
            return writer
        } catch let error as PGError {
            throw error.systemError("PostgreSQL output could not start task \(index) (staging table \(table))")
        }
    }

    /// Takes a task's connection back for reuse, and notes the task's outcome.
    func taskEnded(_ index: Int, connection: PGConnection?, finished: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if finished { finishedTasks.insert(index) } else { abortedTasks.insert(index) }
        if let connection, connection.isOK, connection.isIdle, state == .open { pool.append(connection) }
    }

    /// Adds a page to the direct modes' shared COPY on the control connection.
    func addDirect(_ page: Page, task: Int) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        guard state == .open else { throw SystemError("the PostgreSQL output run on \(target) was already \(state)") }
        if let poisoned { throw SystemError(poisoned) }
        if isDryRun || page.rowCount == 0 { return page.rowCount }
        guard let db = control else { throw SystemError("the PostgreSQL output run on \(target) is closed") }
        do {
            if directCopy == nil {
                let into = directMergeTable ?? loadTable
                try db.beginCopy(copySQL(into))
                let encoder = CopyEncoder(encoders: encoders, binary: usesBinaryCopy)
                encoder.begin()
                directCopy = encoder
            }
            try directCopy!.encode(page) { try db.putCopyData($0) }
        } catch {
            poisoned = "the COPY into \(target) failed (\(error)), so the run cannot commit"
            directCopy = nil
            if let e = error as? PGError { throw e.systemError("PostgreSQL output: the COPY into \(target) failed") }
            throw error
        }
        return page.rowCount
    }

    /// Notes that a direct-mode task failed; if it had sent rows, the run can no longer commit.
    func abortDirect(task: Int, rowsSent: Int) {
        lock.lock()
        defer { lock.unlock() }
        abortedTasks.insert(task)
        if rowsSent > 0 && poisoned == nil {
            poisoned = "task \(task) failed after \(rowsSent) of its rows went into \(target) in mode \(options.mode.rawValue), "
                + "which cannot take them back, so the run cannot commit (the staging modes can drop a failed task's rows)"
        }
    }

    /// Ends the direct modes' COPY, if open (lock held).
    func endDirectCopy() throws {
        guard let encoder = directCopy, let db = control else { return }
        directCopy = nil
        do {
            encoder.end()
            try encoder.withPending { try db.putCopyData($0) }
            try db.endCopy()
        } catch let error as PGError {
            poisoned = "the COPY into \(target) failed (\(error)), so the run cannot commit"
            throw error.systemError("PostgreSQL output: the COPY into \(target) failed")
        }
    }

    /// `COPY table (columns) FROM STDIN` in this run's format.
    func copySQL(_ table: String) -> String {
        "COPY \(table) (\(columnList)) FROM STDIN" + (usesBinaryCopy ? " (FORMAT binary)" : "")
    }

    // MARK: - Commit and abort

    public func commit(_ report: CommitReport) throws {
        lock.lock()
        defer { lock.unlock() }
        guard state == .open else { throw SystemError("the PostgreSQL output run on \(target) was already \(state)") }
        if let poisoned { throw SystemError(poisoned) }
        if isDryRun {
            state = .committed
            _ = try? control?.execute("ROLLBACK")
            control = nil
            return
        }
        guard let db = control else { throw SystemError("the PostgreSQL output run on \(target) is closed") }
        let unfinished = staging.keys.filter { !finishedTasks.contains($0) && !abortedTasks.contains($0) }.sorted()
        if !unfinished.isEmpty {
            throw SystemError("PostgreSQL output: task(s) \(unfinished.map(String.init).joined(separator: ", ")) did not finish, so the run cannot commit")
        }
        do {
            try endDirectCopy()
            let sources = staging.keys.sorted().filter { !abortedTasks.contains($0) }.map { staging[$0]! }
            let q = quoteIdentifier
            if options.mode == .truncateInsert { try db.execute("TRUNCATE \(target)") }
            if !options.mode.isDirect, let sql = options.beforeLoad { try db.execute(sql) }
            var moved = 0
            switch options.mode {
            case .insert, .truncateInsert, .replace:
                for source in sources {
                    moved += try db.execute("INSERT INTO \(loadTable) (\(columnList)) SELECT \(columnList) FROM \(source)").affected
                }
            case .insertDirect:
                break
            case .merge, .mergeDirect:
                let all = directMergeTable.map { [$0] } ?? sources
                for source in all { moved += try db.execute(mergeSQL(from: source)).affected }
            }
            if options.mode == .replace {
                if targetExisted { try db.execute("DROP TABLE \(target)") }
                try db.execute("ALTER TABLE \(loadTable) RENAME TO \(q(options.table))")
                try renameIndexes(db)
            }
            if let sql = options.afterLoad { try db.execute(sql) }
            try db.execute("COMMIT")
            if !options.mode.isDirect && moved != report.total.loaded && !options.mode.isMerge {
                context.logger.warn("PostgreSQL output: \(moved) rows went into \(target) but the run counted \(report.total.loaded) loaded")
            }
        } catch let error as PGError {
            throw error.systemError("PostgreSQL output could not commit the load into \(target)")
        }
        state = .committed
        context.logger.info("PostgreSQL output: committed the load into \(target)")
        cleanUp(db)
    }

    /// Gives the indexes of a `replace` table (named after the new table, such as `…_kura_<session>_new_pkey`)
    /// the names they would have had on the target (`<table>_pkey`), now that the old ones are gone.
    func renameIndexes(_ db: PGConnection) throws {
        let newName = Self.shortName(options.table, suffix: "_kura_\(tag)_new")
        let found = try db.query(
            """
            SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = $1::regclass AND left(c.relname, length($2)) = $2
            """, [target, newName])
        for name in found.rows.compactMap({ $0[0] }) {
            let renamed = options.table + name.dropFirst(newName.count)
            guard renamed.utf8.count <= PostgreSQLOutputPlugin.maxIdentifierBytes else { continue }
            let free = try db.query("SELECT to_regclass($1) IS NULL", [quoteIdentifier(options.schema) + "." + quoteIdentifier(renamed)])
            if free.rows.first?.first == "t" {
                try db.execute("ALTER INDEX \(quoteIdentifier(options.schema)).\(quoteIdentifier(name)) RENAME TO \(quoteIdentifier(renamed))")
            }
        }
    }

    /// `INSERT … ON CONFLICT (keys) DO UPDATE` from one staging table; within it the last row of a key wins.
    func mergeSQL(from source: String) -> String {
        let q = quoteIdentifier
        let keys = mergeKeys.map(q).joined(separator: ", ")
        let assignments: String
        if let rule = options.mergeRule {
            assignments = rule.map(rewriteMergeRule).joined(separator: ", ")
        } else {
            let set = schema.names.filter { !mergeKeys.contains($0) }.map { "\(q($0)) = EXCLUDED.\(q($0))" }
            assignments = set.joined(separator: ", ")
        }
        let action = assignments.isEmpty ? "DO NOTHING" : "DO UPDATE SET \(assignments)"
        return """
            INSERT INTO \(loadTable) AS t (\(columnList))
            SELECT DISTINCT ON (\(keys)) \(columnList) FROM \(source) ORDER BY \(keys), ctid DESC
            ON CONFLICT (\(keys)) \(action)
            """
    }

    public func abort() {
        lock.lock()
        defer { lock.unlock() }
        guard state == .open else { return }
        state = .aborted
        guard let db = control else { return }
        if db.isCopying { _ = try? db.endCopy(failure: "kura aborted the run") }
        directCopy = nil
        if db.isOK {
            do { try db.execute("ROLLBACK") } catch {
                context.logger.error("PostgreSQL output: rollback on \(target) failed: \(error)")
            }
        }
        cleanUp(db)
    }

    /// Drops the staging tables (on a new connection when the control connection broke) and closes connections.
    func cleanUp(_ db: PGConnection) {
        pool.removeAll()
        control = nil
        let tables = staging.values.sorted()
        staging.removeAll()
        guard !tables.isEmpty else { return }
        var connection: PGConnection? = db.isOK && db.isIdle ? db : nil
        if connection == nil { connection = try? PGConnection(settings: settings, logger: context.logger) }
        guard let connection else {
            context.logger.error(
                "PostgreSQL output: could not reconnect to drop the staging tables \(tables.joined(separator: ", ")); drop them by hand")
            return
        }
        // A task still copying holds a lock on its table: do not wait for it for ever.
        _ = try? connection.execute("SET lock_timeout = '10s'")
        for table in tables {
            do { try connection.execute("DROP TABLE IF EXISTS \(table)") } catch {
                context.logger.error("PostgreSQL output: could not drop the staging table \(table) (\(error)); drop it by hand")
            }
        }
        _ = try? connection.execute("RESET lock_timeout")
    }
}

/// `rule` with each table reference `S.` (the new row, in Embulk's merge rules) written as PostgreSQL's `EXCLUDED.`;
/// `T.` (the target row) already names the target, whose alias is `t`. Quoted text and identifiers are left alone.
func rewriteMergeRule(_ rule: String) -> String {
    let b = Array(rule.utf8)
    var out: [UInt8] = []
    var i = 0
    var quote: UInt8? = nil
    while i < b.count {
        let c = b[i]
        if let q = quote {
            out.append(c)
            if c == q { quote = nil }
            i += 1
            continue
        }
        if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
            quote = c
            out.append(c)
            i += 1
            continue
        }
        let startsWord = i == 0 || !(isWordByte(b[i - 1]) || b[i - 1] == UInt8(ascii: "."))
        if startsWord && (c == UInt8(ascii: "S") || c == UInt8(ascii: "s")) && i + 1 < b.count && b[i + 1] == UInt8(ascii: ".") {
            out.append(contentsOf: "EXCLUDED".utf8)
            i += 1
            continue
        }
        out.append(c)
        i += 1
    }
    return String(decoding: out, as: UTF8.self)
}

/// A task of a staging mode: its own connection and a COPY into its own staging table, committed on that
/// connection when the task finishes.
final class StagingTaskWriter: OutputTaskWriter {
    let session: PostgreSQLOutputSession
    let index: Int
    /// The staging table, quoted and qualified.
    let table: String
    var connection: PGConnection?
    let encoder: CopyEncoder
    var ended = false

    init(session: PostgreSQLOutputSession, index: Int, table: String, connection: PGConnection) {
        self.session = session
        self.index = index
        self.table = table
        self.connection = connection
        self.encoder = CopyEncoder(encoders: session.encoders, binary: session.usesBinaryCopy)
    }

    /// Creates the staging table and starts the COPY.
    func start() throws {
        guard let db = connection else { return }
        try db.execute(
            "CREATE UNLOGGED TABLE \(table) (\(PostgreSQLOutputSession.columnDefinitions(session.schema, session.columnTypes)))")
        try db.beginCopy(session.copySQL(table))
        encoder.begin()
    }

    func add(_ page: Page) throws {
        guard let db = connection, !ended else { throw SystemError("task \(index) of the PostgreSQL output already ended") }
        do {
            try encoder.encode(page) { try db.putCopyData($0) }
        } catch let error as PGError {
            throw error.systemError("PostgreSQL output: the COPY of task \(index) into \(table) failed")
        }
    }

    func finish() throws {
        guard let db = connection, !ended else { return }
        do {
            encoder.end()
            try encoder.withPending { try db.putCopyData($0) }
            encoder.clearPending()
            try db.endCopy()
        } catch let error as PGError {
            throw error.systemError("PostgreSQL output: the COPY of task \(index) into \(table) failed")
        }
        ended = true
        session.taskEnded(index, connection: db, finished: true)
        connection = nil
    }

    func abort() {
        guard !ended else { return }
        ended = true
        if let db = connection {
            if db.isCopying { _ = try? db.endCopy(failure: "kura aborted task \(index)") }
            if db.isOK { _ = try? db.execute("DROP TABLE IF EXISTS \(table)") }
        }
        session.taskEnded(index, connection: connection, finished: false)
        connection = nil
    }
}

/// A task of a direct mode (or of a dry run): hands its pages to the session's shared COPY.
final class DirectTaskWriter: OutputTaskWriter {
    let session: PostgreSQLOutputSession
    let index: Int
    var rowsSent = 0

    init(session: PostgreSQLOutputSession, index: Int) {
        self.session = session
        self.index = index
    }

    func add(_ page: Page) throws {
        rowsSent += try session.addDirect(page, task: index)
    }

    func finish() throws {}

    func abort() {
        session.abortDirect(task: index, rowsSent: rowsSent)
    }
}

extension String {
    /// The string left-padded with zeros to `width` characters.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
