import Foundation
import KuraCore
import KuraSQLite
import KuraWarehouse

/// One run of output `sqlite`: one connection and one write transaction, shared by every task.
///
/// Task writers may add pages from several threads at once. They take turns on the connection under one lock, and
/// each page is inserted with the one prepared `INSERT … VALUES (?, …)` statement, binding values straight from the
/// page's buffers.
///
/// A task's `abort` discards only that task's rows. Each writer remembers the rowids it inserted, as ranges of
/// consecutive rowids (one range per page in practice, since a page is inserted while holding the lock); abort
/// deletes those ranges inside the still-open transaction. This costs nothing on the insert path, unlike staging
/// every task in a table of its own and copying it at the end. A `SAVEPOINT` per task cannot work here, because
/// savepoints nest as a stack and tasks finish in any order. The target must therefore be a rowid table (any table
/// kura creates is; an existing `WITHOUT ROWID` table is refused at `begin`). Rows written by the table's own
/// triggers into other tables are not undone by a task abort, only by the run's abort.
public final class SQLiteOutputSession: LedgerOutputSession {
    enum State { case open, committed, aborted }

    /// The database file.
    public let path: String
    /// The table the run loads into (under `replace`, it takes this name at commit).
    public let table: String
    /// The table rows are inserted into during the run.
    let loadTable: String
    let mode: SQLiteOutputPlugin.Mode
    let schema: Schema
    let context: PluginContext
    let isDryRun: Bool

    let lock = NSLock()
    var connection: SQLiteConnection?
    var insertStatement: SQLiteStatement?
    var deleteStatement: SQLiteStatement?
    var state = State.open
    /// Why the run can no longer commit (a task's rows could not be discarded), when it cannot.
    var poisoned: String?
    /// Rows inserted by tasks and not discarded.
    var netRows = 0
    /// Buffer for formatting one timestamp (guarded by `lock`).
    let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: iso8601Capacity)

    /// Opens the database and starts the run's transaction.
    init(plugin: SQLiteOutputPlugin, schema: Schema, types: [String], path: String, context: PluginContext) throws {
        let options = plugin.options
        self.path = path
        self.table = options.table
        self.mode = options.mode
        self.schema = schema
        self.context = context
        self.isDryRun = false
        self.loadTable = options.mode == .replace ? options.table + SQLiteOutputPlugin.replacementSuffix : options.table

        let db = try SQLiteConnection(path: path)
        db.setBusyTimeout(milliseconds: 30_000)
        let journal = try db.enableWriteAheadLog()
        if journal?.lowercased() != "wal" {
            context.logger.warn("SQLite database \(path) kept journal mode '\(journal ?? "?")' instead of WAL")
        }
        try db.exec("PRAGMA synchronous=NORMAL")
        try db.exec("BEGIN IMMEDIATE")
        do {
            // A warehouse newer than this kura is refused before anything is written.
            try SQLiteWarehouse(connection: db).checkVersion()
            var rowidName = "rowid"
            let q = SQLiteOutputPlugin.quote
            switch options.mode {
            case .insert, .truncateInsert:
                if let existing = try Self.describeTable(options.table, in: db) {
                    try Self.checkCompatible(existing, schema: schema, types: types, plugin: plugin)
                    rowidName = try Self.rowidAlias(existing, plugin: plugin)
                    if options.mode == .truncateInsert {
                        try db.exec("DELETE FROM \(q(options.table))")
                    }
                } else {
                    try db.exec(Self.createTableSQL(options.table, schema: schema, types: types))
                }
            case .replace:
                try db.exec("DROP TABLE IF EXISTS \(q(loadTable))")
                try db.exec(Self.createTableSQL(loadTable, schema: schema, types: types))
            }
            let columns = schema.names.map(q).joined(separator: ", ")
            let marks = Array(repeating: "?", count: schema.count).joined(separator: ", ")
            insertStatement = try db.prepare("INSERT INTO \(q(loadTable)) (\(columns)) VALUES (\(marks))")
            deleteStatement = try db.prepare("DELETE FROM \(q(loadTable)) WHERE \(rowidName) BETWEEN ?1 AND ?2")
        } catch {
            try? db.exec("ROLLBACK")
            throw error
        }
        connection = db
    }

    /// A dry run: checks an existing table read-only and writes nothing.
    init(dryRunOf plugin: SQLiteOutputPlugin, schema: Schema, types: [String], path: String, context: PluginContext) throws {
        let options = plugin.options
        self.path = path
        self.table = options.table
        self.mode = options.mode
        self.schema = schema
        self.context = context
        self.isDryRun = true
        self.loadTable = options.table
        guard FileManager.default.fileExists(atPath: path) else { return }
        let db = try SQLiteConnection(path: path, mode: .readOnly)
        db.setBusyTimeout(milliseconds: 30_000)
        try SQLiteWarehouse(connection: db).checkVersion()
        if options.mode != .replace, let existing = try Self.describeTable(options.table, in: db) {
            try Self.checkCompatible(existing, schema: schema, types: types, plugin: plugin)
            _ = try Self.rowidAlias(existing, plugin: plugin)
        }
        connection = db
    }

    deinit {
        if state == .open && !isDryRun {
            insertStatement = nil
            deleteStatement = nil
            try? connection?.exec("ROLLBACK")
        }
        scratch.deallocate()
    }

    public func openTask(_ index: Int) throws -> OutputTaskWriter {
        SQLiteTaskWriter(session: self, index: index)
    }

    public func commit(_ report: CommitReport) throws {
        lock.lock()
        defer { lock.unlock() }
        guard state == .open else { throw SystemError("the SQLite output run on \(path) was already \(state)") }
        if let poisoned { throw SystemError(poisoned) }
        if isDryRun {
            state = .committed
            connection = nil
            return
        }
        guard let db = connection else { throw SystemError("the SQLite output run on \(path) has no connection") }
        if report.total.loaded != netRows {
            context.logger.warn(
                "SQLite output: \(netRows) rows were inserted into '\(table)' but the run counted \(report.total.loaded) loaded")
        }
        insertStatement = nil
        deleteStatement = nil
        if mode == .replace {
            let q = SQLiteOutputPlugin.quote
            try db.exec("DROP TABLE IF EXISTS \(q(table))")
            // The legacy rename leaves views and triggers that name the target as they are, so they see the new
            // table; the modern rename would refuse while such a view points at the dropped table.
            try db.exec("PRAGMA legacy_alter_table=ON")
            try db.exec("ALTER TABLE \(q(loadTable)) RENAME TO \(q(table))")
            try db.exec("PRAGMA legacy_alter_table=OFF")
        }
        try db.exec("COMMIT")
        state = .committed
        connection = nil
    }

    public func abort() {
        lock.lock()
        defer { lock.unlock() }
        guard state == .open else { return }
        state = .aborted
        insertStatement = nil
        deleteStatement = nil
        if !isDryRun, let db = connection, !db.isAutocommit {
            do {
                try db.exec("ROLLBACK")
            } catch {
                context.logger.error("SQLite output: rollback on \(path) failed: \(error)")
            }
        }
        connection = nil
    }

    // MARK: - Tasks

    /// Inserts every row of `page` for `writer`.
    func insert(_ page: Page, for writer: SQLiteTaskWriter) throws {
        guard page.schema.count == schema.count,
            zip(page.schema.columns, schema.columns).allSatisfy({ $0.type == $1.type })
        else {
            throw SystemError("SQLite output: a page of \(page.schema) does not match the run's schema \(schema)")
        }
        lock.lock()
        defer { lock.unlock() }
        guard state == .open else { throw SystemError("the SQLite output run on \(path) was already \(state)") }
        if isDryRun {
            netRows += page.rowCount
            return
        }
        guard page.rowCount > 0 else { return }
        guard let stmt = insertStatement, let db = connection else {
            throw SystemError("the SQLite output run on \(path) is closed")
        }
        let columns = page.columns
        let width = columns.count
        for row in 0..<page.rowCount {
            for c in 0..<width {
                let index = Int32(c &+ 1)
                if !columns[c].validity[row] {
                    try stmt.bindNull(at: index)
                    continue
                }
                switch columns[c].type {
                case .long:
                    try stmt.bind(columns[c].integers[row], at: index)
                case .timestamp:
                    let n = formatISO8601(nanos: columns[c].integers[row], into: scratch)
                    try stmt.bindText(UnsafeRawBufferPointer(start: scratch, count: n), at: index)
                case .double:
                    try stmt.bind(columns[c].doubles[row], at: index)
                case .boolean:
                    try stmt.bind(columns[c].booleans[row] ? 1 as Int64 : 0, at: index)
                case .string, .json:
                    let start = columns[c].offsets[row], end = columns[c].offsets[row &+ 1]
                    try columns[c].bytes.withUnsafeBytes {
                        try stmt.bindText(UnsafeRawBufferPointer(rebasing: $0[start..<end]), at: index)
                    }
                }
            }
            do {
                try stmt.step()
            } catch let error as SystemError {
                throw SystemError(
                    "could not insert a row of task \(writer.index) into table '\(loadTable)': \(error.message)",
                    retryable: error.isRetryable)
            }
            stmt.reset()
            writer.noteInserted(rowid: db.lastInsertRowID)
            netRows += 1
        }
    }

    /// Deletes the rows `writer` inserted.
    func discard(_ writer: SQLiteTaskWriter) {
        lock.lock()
        defer { lock.unlock() }
        guard state == .open, !isDryRun, let stmt = deleteStatement, let db = connection else { return }
        do {
            for range in writer.ranges {
                try stmt.bind(range.lowerBound, at: 1)
                try stmt.bind(range.upperBound, at: 2)
                try stmt.step()
                netRows -= Int(db.changes)
                stmt.reset()
            }
            writer.ranges.removeAll()
        } catch {
            poisoned = "the rows of failed task \(writer.index) could not be removed from '\(loadTable)' (\(error)), so the run cannot commit"
            context.logger.error("SQLite output: " + poisoned!)
        }
    }

    // MARK: - Table checks

    /// An existing table: its name as stored and its columns with declared types.
    struct TableDescription {
        var name: String
        var columns: [(name: String, type: String)]
        var withoutRowid: Bool
    }

    /// The table called `name` (compared as SQLite does, ignoring ASCII case), or `nil` when there is none.
    static func describeTable(_ name: String, in db: SQLiteConnection) throws -> TableDescription? {
        let found = try db.queryText(
            "SELECT type, name FROM sqlite_master WHERE name = ?1 COLLATE NOCASE AND type IN ('table', 'view')", [name])
        guard let row = found.first, let kind = row[0], let stored = row[1] else { return nil }
        if kind != "table" {
            throw SystemError("'\(stored)' in the SQLite database is a \(kind), not a table; choose another table name")
        }
        let columns = try db.queryText("SELECT name, type FROM pragma_table_info(?1)", [stored]).map {
            (name: $0[0] ?? "", type: $0[1] ?? "")
        }
        let wr = try db.queryText("SELECT wr FROM pragma_table_list(?1)", [stored]).first?.first ?? nil
        return TableDescription(name: stored, columns: columns, withoutRowid: wr == "1")
    }

    /// Checks that every schema column exists in `table` with the declared type the load would give it.
    static func checkCompatible(
        _ table: TableDescription, schema: Schema, types: [String], plugin: SQLiteOutputPlugin
    ) throws {
        var byName: [String: (name: String, type: String)] = [:]
        for c in table.columns { byName[SQLiteOutputPlugin.foldCase(c.name)] = c }
        var errors: [ConfigError] = []
        for (column, want) in zip(schema.columns, types) {
            guard let have = byName[SQLiteOutputPlugin.foldCase(column.name)] else {
                errors.append(
                    plugin.config.error(
                        "table",
                        "table '\(table.name)' has no column '\(column.name)' (\(column.type))",
                        fix: "add it with ALTER TABLE \(SQLiteOutputPlugin.quote(table.name)) ADD COLUMN "
                            + "\(SQLiteOutputPlugin.quote(column.name)) \(want), remove the column from the records, "
                            + "or use mode: replace"))
                continue
            }
            if SQLiteOutputPlugin.normalizeType(have.type) != SQLiteOutputPlugin.normalizeType(want) {
                let shown = have.type.isEmpty ? "no type" : "type \(have.type)"
                errors.append(
                    plugin.config.error(
                        "table",
                        "column '\(column.name)' of table '\(table.name)' is declared with \(shown), but this load "
                            + "declares it \(want) (\(column.type))",
                        fix: "if \(have.type.isEmpty ? "no type" : have.type) can hold the values, set column_options: "
                            + "{\(column.name): {type: \(have.type.isEmpty ? "''" : have.type)}}; otherwise change the "
                            + "table or use mode: replace"))
            }
        }
        if errors.count == 1 { throw errors[0] }
        if errors.count > 1 { throw ConfigErrors(errors) }
    }

    /// A name that refers to the rowid of `table` (a column may hide `rowid`); throws for a WITHOUT ROWID table.
    static func rowidAlias(_ table: TableDescription, plugin: SQLiteOutputPlugin) throws -> String {
        if table.withoutRowid {
            throw plugin.config.error(
                "table", "table '\(table.name)' is a WITHOUT ROWID table, so a failed task's rows could not be removed",
                fix: "load into a table with rowids (any table kura creates), or use mode: replace")
        }
        let names = Set(table.columns.map { SQLiteOutputPlugin.foldCase($0.name) })
        guard let alias = ["rowid", "_rowid_", "oid"].first(where: { !names.contains($0) }) else {
            throw plugin.config.error(
                "table", "table '\(table.name)' has columns named rowid, _rowid_ and oid, which hide its rowids",
                fix: "rename one of those columns, or use mode: replace")
        }
        return alias
    }

    /// `CREATE TABLE` for `schema`, with `types` as the declared types.
    static func createTableSQL(_ name: String, schema: Schema, types: [String]) -> String {
        let q = SQLiteOutputPlugin.quote
        let columns = zip(schema.columns, types).map { "\(q($0.name)) \($1)" }.joined(separator: ", ")
        return "CREATE TABLE \(q(name)) (\(columns))"
    }
}

/// Writes one task's pages through its session and remembers the rowids it inserted, so `abort` can remove them.
final class SQLiteTaskWriter: OutputTaskWriter {
    let session: SQLiteOutputSession
    /// The task's index.
    let index: Int
    /// The rowids this task inserted, as ranges of consecutive rowids (guarded by the session's lock).
    var ranges: [ClosedRange<Int64>] = []

    init(session: SQLiteOutputSession, index: Int) {
        self.session = session
        self.index = index
    }

    func add(_ page: Page) throws {
        try session.insert(page, for: self)
    }

    func finish() throws {}

    func abort() {
        session.discard(self)
    }

    @inline(__always)
    func noteInserted(rowid: Int64) {
        if let last = ranges.last, last.upperBound &+ 1 == rowid {
            ranges[ranges.count - 1] = last.lowerBound...rowid
        } else {
            ranges.append(rowid...rowid)
        }
    }
}

/// The most bytes `formatISO8601` writes.
let iso8601Capacity = 40

/// Writes the text of `Timestamp(nanos: nanos).iso8601` (`2024-01-02T03:04:05.5Z`: UTC, with a fraction only when
/// non-zero and without trailing zeros) to `out`, which holds `iso8601Capacity` bytes, and returns its length.
///
/// It makes the same text without allocating, because the insert path formats one per timestamp field.
@inline(__always)
func formatISO8601(nanos: Int64, into out: UnsafeMutablePointer<UInt8>) -> Int {
    var seconds = nanos / 1_000_000_000
    var fraction = nanos % 1_000_000_000
    if fraction < 0 {
        fraction += 1_000_000_000
        seconds -= 1
    }
    var days = seconds / 86_400
    var secondOfDay = seconds % 86_400
    if secondOfDay < 0 {
        secondOfDay += 86_400
        days -= 1
    }
    let (year, month, day) = civilFromDays(days)
    var i = 0
    @inline(__always) func put(_ value: Int64, _ width: Int) {
        var v = value
        var k = width - 1
        while k >= 0 {
            out[i + k] = UInt8(truncatingIfNeeded: 48 + v % 10)
            v /= 10
            k -= 1
        }
        i += width
    }
    @inline(__always) func put(byte: UInt8) {
        out[i] = byte
        i += 1
    }
    // Int64 nanoseconds span the years 1677 to 2262, so the year always has four digits.
    put(year, 4)
    put(byte: UInt8(ascii: "-"))
    put(Int64(month), 2)
    put(byte: UInt8(ascii: "-"))
    put(Int64(day), 2)
    put(byte: UInt8(ascii: "T"))
    put(secondOfDay / 3600, 2)
    put(byte: UInt8(ascii: ":"))
    put(secondOfDay % 3600 / 60, 2)
    put(byte: UInt8(ascii: ":"))
    put(secondOfDay % 60, 2)
    if fraction != 0 {
        put(byte: UInt8(ascii: "."))
        var digits = 9
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        put(fraction, digits)
    }
    put(byte: UInt8(ascii: "Z"))
    return i
}
