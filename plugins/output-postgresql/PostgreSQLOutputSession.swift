import Foundation
import KuraCore
import KuraFormats
import KuraLibPQ
import KuraWarehouse

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
/// `<table>_kura_<session>_<task>`; the next run on the target drops them (`sweepStaging`).
///
/// In the direct modes a task that fails after some of its rows went into the shared COPY cannot take them back;
/// the run then refuses to commit (its `abort` still rolls everything back).
public final class PostgreSQLOutputSession: LedgerOutputSession {
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
    /// The statements that finish the load at commit.
    let finalStatements: FinalStatements
    let isDryRun: Bool

    /// Guards everything below and the control connection.
    let lock = NSLock()
    var control: PGConnection?
    /// The run's sequencing: the open COPY, the tasks' staging tables, whether it may still commit.
    var machine: CopyStateMachine
    /// Idle task connections, reused by later tasks.
    var pool: [PGConnection] = []
    /// The direct modes' COPY encoder, while the COPY on the control connection is open.
    var directCopy: CopyEncoder?
    /// The staging table of `merge_direct` (a temporary table of the control connection).
    var directMergeTable: String? { finalStatements.directMergeTable }

    // MARK: - Begin

    /// Connects, opens the run's transaction, takes the target's lock, and prepares the target (see `Begin`).
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
        self.columnList = schema.names.map(quoteIdentifier).joined(separator: ", ")
        self.machine = CopyStateMachine(target: target, mode: options.mode.rawValue, isDryRun: isDryRun)

        let db = try PGConnection(settings: settings, logger: context.logger)
        try db.execute(isDryRun ? "BEGIN READ ONLY" : "BEGIN")
        do {
            let begin = Begin(plugin: plugin, schema: schema, db: db, tag: tag, logger: context.logger, isDryRun: isDryRun)
            if !isDryRun {
                try Self.lockTarget(db, target: target, waitSeconds: options.lockWaitSeconds, logger: context.logger)
                try Self.sweepStaging(db, schema: options.schema, table: options.table, keeping: tag, logger: context.logger)
            }
            // A warehouse newer than this kura is refused before anything is written.
            try PostgreSQLWarehouse(connection: db).checkVersion()
            let prepared = try begin.prepareTarget()
            loadTable = prepared.loadTable
            let encoding = try begin.encoding(for: prepared.existing)
            encoders = encoding.encoders
            columnTypes = encoding.declaredTypes
            usesBinaryCopy = encoding.usesBinaryCopy
            let keys = try begin.mergeKeys(existing: prepared.existing)
            finalStatements = FinalStatements(
                mode: options.mode, target: target, loadTable: loadTable, table: options.table, columns: schema.names,
                mergeKeys: keys, mergeRule: options.mergeRule,
                beforeLoad: options.beforeLoad, afterLoad: options.afterLoad, targetExisted: prepared.targetExisted,
                directMergeTable: try begin.createDirectMergeTable(declaredTypes: encoding.declaredTypes),
                mergeByUniqueIndex: prepared.existing.map { $0.uniqueKeys.contains(Set(keys)) } ?? true)
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
        if machine.isOpen { abort() }
    }

    /// The warehouse tables on the control connection, inside the run's transaction.
    func warehouse(_ db: PGConnection) -> PostgreSQLWarehouse { PostgreSQLWarehouse(connection: db) }

    // MARK: - Tasks

    public func openTask(_ index: Int) throws -> OutputTaskWriter {
        if isDryRun || options.mode.isDirect { return DirectTaskWriter(session: self, index: index) }
        let name = Self.shortName(options.table, suffix: "_kura_\(tag)_\(index)")
        let table = quoteIdentifier(options.tempSchema ?? options.schema) + "." + quoteIdentifier(name)
        lock.lock()
        if case .fail(let message) = machine.openStagingTask(index, table: table) {
            lock.unlock()
            throw SystemError(message)
        }
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
        let reusable = connection.map { $0.isOK && $0.isIdle } ?? false
        if machine.taskEnded(index, finished: finished, connectionReusable: reusable) == .reuseConnection,
            let connection
        {
            pool.append(connection)
        }
    }

    /// Adds a page to the direct modes' shared COPY on the control connection.
    func addDirect(_ page: Page, task: Int) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        var action = machine.addPage(rowCount: page.rowCount)
        switch action {
        case .fail(let message): throw SystemError(message)
        case .none: return page.rowCount
        default: break
        }
        guard let db = control else { throw SystemError("the PostgreSQL output run on \(target) is closed") }
        do {
            if action == .beginCopy {
                try db.beginCopy(copySQL(directMergeTable ?? loadTable))
                let encoder = CopyEncoder(encoders: encoders, binary: usesBinaryCopy)
                encoder.begin()
                directCopy = encoder
                action = machine.copyStarted()
            }
            if action == .sendCopyData { try directCopy!.encode(page) { try db.putCopyData($0) } }
        } catch {
            machine.copyFailed("\(error)")
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
        machine.directTaskAborted(task, rowsSent: rowsSent)
    }

    /// Ends the direct modes' COPY (lock held) and returns what the machine says comes next.
    func endDirectCopy(_ db: PGConnection) throws -> CopyStateMachine.Action {
        guard let encoder = directCopy else { return machine.copyEnded() }
        directCopy = nil
        do {
            encoder.end()
            try encoder.withPending { try db.putCopyData($0) }
            try db.endCopy()
        } catch let error as PGError {
            machine.copyFailed("\(error)")
            throw error.systemError("PostgreSQL output: the COPY into \(target) failed")
        }
        return machine.copyEnded()
    }

    /// Prepares the control connection for a ledger write (ending the direct COPY if open), and returns it, or
    /// `nil` when there is nothing to write (lock held).
    func connectionForLedger(nothingToWrite: Bool = false) throws -> PGConnection? {
        var action = machine.ledgerWrite(nothingToWrite: nothingToWrite)
        if case .fail(let message) = action { throw SystemError(message) }
        if action == .none { return nil }
        guard let db = control else { throw SystemError("the PostgreSQL output run on \(target) is closed") }
        if action == .endCopy { action = try endDirectCopy(db) }
        return action == .writeLedger ? db : nil
    }

    /// `COPY table (columns) FROM STDIN` in this run's format.
    func copySQL(_ table: String) -> String {
        "COPY \(table) (\(columnList)) FROM STDIN" + (usesBinaryCopy ? " (FORMAT binary)" : "")
    }

    // MARK: - Commit and abort

    public func commit(_ report: CommitReport) throws {
        lock.lock()
        defer { lock.unlock() }
        var action = machine.commit()
        switch action {
        case .fail(let message):
            throw SystemError(message)
        case .closeReadOnly:
            _ = try? control?.execute("ROLLBACK")
            control = nil
            return
        default:
            break
        }
        guard let db = control else { throw SystemError("the PostgreSQL output run on \(target) is closed") }
        do {
            if action == .endCopy { action = try endDirectCopy(db) }
            guard case .commit(let sources) = action else { throw SystemError("PostgreSQL output: unexpected \(action) at commit") }
            let moved = try runFinalStatements(db, sources: sources)
            try db.execute("COMMIT")
            if !options.mode.isDirect && moved != report.total.loaded && !options.mode.isMerge {
                context.logger.warn("PostgreSQL output: \(moved) rows went into \(target) but the run counted \(report.total.loaded) loaded")
            }
        } catch let error as PGError {
            machine.commitFailed()
            throw error.systemError("PostgreSQL output could not commit the load into \(target)")
        } catch {
            machine.commitFailed()
            throw error
        }
        _ = machine.commitSucceeded()
        context.logger.info("PostgreSQL output: committed the load into \(target)")
        cleanUp(db)
    }

    /// Sends the mode's final statements; returns the number of rows they moved.
    func runFinalStatements(_ db: PGConnection, sources: [String]) throws -> Int {
        var moved = 0
        for step in finalStatements.steps(sources: sources) {
            switch step {
            case .execute(let sql): try db.execute(sql)
            case .move(let sql): moved += try db.execute(sql).affected
            case .renameIndexes: try renameIndexes(db)
            }
        }
        return moved
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

    public func abort() {
        lock.lock()
        defer { lock.unlock() }
        guard machine.abort() == .rollback, let db = control else { return }
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
        let tables = machine.takeStagingTables()
        guard !tables.isEmpty else { return }
        var connection: PGConnection? = db.isOK && db.isIdle ? db : nil
        if connection == nil { connection = try? PGConnection(settings: settings, logger: context.logger) }
        guard let connection else {
            context.logger.error(
                "PostgreSQL output: could not reconnect to drop the staging tables \(tables.joined(separator: ", ")); the next run on the target drops them")
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
