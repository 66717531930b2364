import Foundation
import KuraCore
import KuraSQLite
import KuraTestSupport
@testable import OutputSQLite
import KuraWarehouse
import Testing

@Suite struct SQLiteOutputTests {
    static let schema = Schema([("id", .long), ("name", .string)])

    static func rows(_ ids: ClosedRange<Int64>, _ prefix: String = "n") -> [[Value]] {
        ids.map { [.long($0), .string("\(prefix)\($0)")] }
    }

    // MARK: - Conformance

    @Test func conformanceSuite() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let db = dir.file("conformance/warehouse.db")
        let harness = OutputConformance.Harness(
            context: dir.context,
            makePlugin: { c in
                try makePlugin(
                    [("path", .scalar("conformance/warehouse.db")), ("table", .scalar(c.rawValue))], context: dir.context)
            },
            countRows: { c in try countRows(db, c.rawValue) },
            readRows: { c in try readRows(db, c.rawValue, OutputConformance.schema) })
        let failures = OutputConformance.run(harness)
        #expect(failures == [])
        // The suite really wrote: the multi-task case's rows are there.
        #expect(
            try countRows(db, "many_pages")
                == OutputConformance.taskCount * OutputConformance.pagesPerTask * OutputConformance.rowsPerPage)
    }

    // MARK: - Modes

    @Test func insertCreatesTheTableAndAppends() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let plugin = try makePlugin([("path", .scalar("a/b/w.db")), ("table", .scalar("t"))], context: dir.context)
        try load(plugin, Self.schema, [[makePage(Self.schema, Self.rows(1...3))]], context: dir.context)
        try load(plugin, Self.schema, [[makePage(Self.schema, Self.rows(4...5))]], context: dir.context)
        let path = dir.file("a/b/w.db")
        #expect(try readRows(path, "t", Self.schema) == Self.rows(1...5))
        let db = try SQLiteConnection(path: path, mode: .readOnly)
        let declared = try db.queryText("SELECT name, type FROM pragma_table_info('t')")
        #expect(declared == [["id", "INTEGER"], ["name", "TEXT"]])
        #expect(try db.queryText("PRAGMA journal_mode") == [["wal"]])
    }

    @Test func truncateInsertReplacesTheRowsButKeepsTheTable() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let path = dir.file("w.db")
        do {
            let db = try SQLiteConnection(path: path)
            try db.exec("CREATE TABLE t (id INTEGER, name TEXT, extra TEXT DEFAULT 'd'); INSERT INTO t VALUES (99, 'old', 'x')")
            try db.exec("CREATE INDEX t_id ON t (id)")
        }
        let plugin = try makePlugin(
            [("path", .scalar("w.db")), ("table", .scalar("t")), ("mode", .scalar("truncate_insert"))],
            context: dir.context)
        try load(plugin, Self.schema, [[makePage(Self.schema, Self.rows(1...2))]], context: dir.context)
        #expect(try readRows(path, "t", Self.schema) == Self.rows(1...2))
        let db = try SQLiteConnection(path: path, mode: .readOnly)
        #expect(try db.queryText("SELECT extra FROM t") == [["d"], ["d"]])
        #expect(try db.queryText("SELECT name FROM sqlite_master WHERE type = 'index'") == [["t_id"]])
    }

    @Test func replaceSwapsInANewTableAndKeepsViewsWorking() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let path = dir.file("w.db")
        do {
            let db = try SQLiteConnection(path: path)
            try db.exec("CREATE TABLE t (old_column BLOB); INSERT INTO t VALUES (x'00'); CREATE VIEW v AS SELECT * FROM t")
        }
        let plugin = try makePlugin(
            [("path", .scalar("w.db")), ("table", .scalar("t")), ("mode", .scalar("replace"))], context: dir.context)
        try load(plugin, Self.schema, [[makePage(Self.schema, Self.rows(1...3))]], context: dir.context)
        #expect(try readRows(path, "t", Self.schema) == Self.rows(1...3))
        #expect(try !tableExists(path, "t__kura_new"))
        let db = try SQLiteConnection(path: path, mode: .readOnly)
        #expect(try db.queryText("SELECT count(*) FROM v") == [["3"]])
        #expect(try db.queryText("SELECT name FROM pragma_table_info('t')") == [["id"], ["name"]])
    }

    @Test func replaceThatAbortsKeepsTheOldTable() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let path = dir.file("w.db")
        let ctx = dir.context
        try load(
            try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t"))], context: ctx), Self.schema,
            [[makePage(Self.schema, Self.rows(1...2))]], context: ctx)
        let plugin = try makePlugin(
            [("path", .scalar("w.db")), ("table", .scalar("t")), ("mode", .scalar("replace"))], context: ctx)
        let session = try plugin.begin(schema: Self.schema, tasks: [], context: ctx)
        let writer = try session.openTask(0)
        try writer.add(makePage(Self.schema, Self.rows(10...20)))
        session.abort()
        #expect(try readRows(path, "t", Self.schema) == Self.rows(1...2))
        #expect(try !tableExists(path, "t__kura_new"))
    }

    // MARK: - Values

    @Test func everyTypeRoundTrips() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let schema = Schema([
            ("l", .long), ("d", .double), ("b", .boolean), ("s", .string), ("t", .timestamp), ("j", .json),
        ])
        let rows: [[Value]] = [
            [.long(.min), .double(0.1), .boolean(true), .string("emoji 😀 and ünïcödé 漢字"),
             .timestamp(Timestamp(nanos: -1)), .json("{\"a\":[1,2.50,\"x\"],\"big\":12345678901234567890123}")],
            [.long(.max), .double(-1e308), .boolean(false), .string(""),
             .timestamp(Timestamp(seconds: -2_208_988_800, nanosecond: 123_456_789)), .json("null")],
            [.long(0), .double(.leastNonzeroMagnitude), .null, .string("quote ' and \" and \\ and\nnewline"),
             .timestamp(Timestamp(seconds: 0)), .json("\"s\"")],
            [.null, .null, .null, .null, .null, .null],
            [.long(-1), .double(Double.pi), .boolean(true), .string("𝄞"),
             .timestamp(Timestamp(seconds: 4_102_444_800, nanosecond: 1)), .json("[]")],
            [.long(42), .double(-0.0), .boolean(false), .string(" "), .timestamp(Timestamp(seconds: -1, nanosecond: 500_000_000)), .json("{}")],
        ]
        let plugin = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("values"))], context: dir.context)
        try load(plugin, schema, [[makePage(schema, rows)]], context: dir.context)
        let path = dir.file("w.db")
        let back = try readRows(path, "values", schema)
        #expect(back == rows)
        // Exact bits of the doubles, except that SQLite stores an integral REAL as an integer, so -0.0 comes back
        // as 0.0 (== treats them as equal, hence the bit comparison).
        let bits = back.map { row -> UInt64? in if case .double(let d) = row[1] { return d.bitPattern } else { return nil } }
        var want = rows.map { row -> UInt64? in if case .double(let d) = row[1] { return d.bitPattern } else { return nil } }
        want[5] = (0.0 as Double).bitPattern
        #expect(bits == want)
        // Storage classes and the stored timestamp text.
        let db = try SQLiteConnection(path: path, mode: .readOnly)
        #expect(
            try db.queryText("SELECT typeof(l), typeof(d), typeof(b), typeof(s), typeof(t), typeof(j) FROM \"values\" LIMIT 1")
                == [["integer", "real", "integer", "text", "text", "text"]])
        #expect(
            try db.queryText("SELECT t, b FROM \"values\" ORDER BY rowid LIMIT 2")
                == [["1969-12-31T23:59:59.999999999Z", "1"], ["1900-01-01T00:00:00.123456789Z", "0"]])
        // SQLite's own date functions read the stored text.
        #expect(try db.queryText("SELECT date(t) FROM \"values\" WHERE rowid = 2") == [["1900-01-01"]])
        #expect(try db.queryText("SELECT s FROM \"values\" WHERE rowid = 2") == [[""]])
    }

    @Test func hostileIdentifiersAreJustNames() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let path = dir.file("w.db")
        do {
            let db = try SQLiteConnection(path: path)
            try db.exec("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)")
        }
        let hostile = "x\"; DROP TABLE t; --"
        let schema = Schema([(hostile, .string), ("id", .long)])
        let rows: [[Value]] = [[.string("v"), .long(1)], [.null, .long(2)]]
        for mode in ["insert", "replace", "truncate_insert"] {
            let plugin = try makePlugin(
                [("path", .scalar("w.db")), ("table", .scalar(hostile)), ("mode", .scalar(mode)),
                 ("column_options", .mapping([(hostile, .mapping([("type", .scalar("TEXT"))]))]))],
                context: dir.context)
            try load(plugin, schema, [[makePage(schema, rows)]], context: dir.context)
        }
        #expect(try readRows(path, hostile, schema) == rows)
        #expect(try countRows(path, "t") == 1)
        let db = try SQLiteConnection(path: path, mode: .readOnly)
        #expect(try db.queryText("SELECT name FROM pragma_table_info(?1)", [hostile]) == [[hostile], ["id"]])
    }

    // MARK: - Existing tables

    @Test func schemaMismatchNamesTheColumnAndTheFix() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let path = dir.file("w.db")
        do {
            let db = try SQLiteConnection(path: path)
            try db.exec("CREATE TABLE t (id BIGINT, label TEXT)")
        }
        let plugin = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t"))], context: dir.context)
        do {
            _ = try plugin.begin(schema: Self.schema, tasks: [], context: dir.context)
            Issue.record("a mismatched table was accepted")
        } catch let e as ConfigErrors {
            #expect(e.errors.count == 2)
            #expect(e.errors[0].message.contains("column 'id'"))
            #expect(e.errors[0].message.contains("BIGINT"))
            #expect(e.errors[0].fix?.contains("column_options") == true)
            #expect(e.errors[1].message.contains("no column 'name'"))
            #expect(e.errors[1].fix?.contains("ADD COLUMN \"name\" TEXT") == true)
        }
        // Nothing was written and the lock was released: the table is unchanged and a writer can proceed.
        let db = try SQLiteConnection(path: path)
        #expect(try db.queryText("SELECT name, type FROM pragma_table_info('t')") == [["id", "BIGINT"], ["label", "TEXT"]])
        try db.exec("BEGIN IMMEDIATE; ALTER TABLE t ADD COLUMN name TEXT; COMMIT")

        // With the type stated and the column added, the load goes in.
        let fixed = try makePlugin(
            [("path", .scalar("w.db")), ("table", .scalar("t")),
             ("column_options", .mapping([("id", .mapping([("type", .scalar("bigint"))]))]))],
            context: dir.context)
        try load(fixed, Self.schema, [[makePage(Self.schema, Self.rows(1...2))]], context: dir.context)
        #expect(try readRows(path, "t", Self.schema) == Self.rows(1...2))
    }

    @Test func aViewOrWithoutRowidTableIsRefused() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        do {
            let db = try SQLiteConnection(path: dir.file("w.db"))
            try db.exec("CREATE TABLE base (id INTEGER); CREATE VIEW v AS SELECT id, 'x' AS name FROM base")
            try db.exec("CREATE TABLE wr (id INTEGER PRIMARY KEY, name TEXT) WITHOUT ROWID")
        }
        let view = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("V"))], context: dir.context)
        #expect(throws: SystemError.self) { _ = try view.begin(schema: Self.schema, tasks: [], context: dir.context) }
        let wr = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("wr"))], context: dir.context)
        #expect(throws: ConfigError.self) { _ = try wr.begin(schema: Self.schema, tasks: [], context: dir.context) }
    }

    // MARK: - Transactions

    @Test func abortLeavesNothing() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let plugin = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t"))], context: dir.context)
        let session = try plugin.begin(schema: Self.schema, tasks: [], context: dir.context)
        let writer = try session.openTask(0)
        try writer.add(makePage(Self.schema, Self.rows(1...100)))
        try writer.finish()
        session.abort()
        session.abort()  // a second abort is harmless
        #expect(try countRows(dir.file("w.db"), "t") == 0)
        #expect(try !tableExists(dir.file("w.db"), "t"))
        #expect(throws: SystemError.self) { try session.commit(CommitReport(tasks: [], counts: [], total: RowCounts())) }
    }

    @Test func nothingIsVisibleToAnotherConnectionBeforeCommit() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let path = dir.file("w.db")
        try load(
            try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t"))], context: dir.context), Self.schema,
            [[makePage(Self.schema, Self.rows(1...1))]], context: dir.context)
        let plugin = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t"))], context: dir.context)
        let session = try plugin.begin(schema: Self.schema, tasks: [], context: dir.context)
        let writer = try session.openTask(0)
        try writer.add(makePage(Self.schema, Self.rows(2...50)))
        try writer.finish()
        let reader = try SQLiteConnection(path: path, mode: .readOnly)
        #expect(try reader.queryText("SELECT count(*) FROM t") == [["1"]])
        try session.commit(CommitReport(tasks: [], counts: [], total: RowCounts(read: 49, loaded: 49)))
        #expect(try reader.queryText("SELECT count(*) FROM t") == [["50"]])
    }

    @Test func aRunHoldsTheWriteLockUntilItEnds() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let plugin = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t"))], context: dir.context)
        let session = try plugin.begin(schema: Self.schema, tasks: [], context: dir.context)
        let other = try SQLiteConnection(path: dir.file("w.db"))
        other.setBusyTimeout(milliseconds: 0)
        do {
            try other.exec("BEGIN IMMEDIATE")
            Issue.record("a second writer got the lock during a run")
        } catch let e as SystemError {
            #expect(e.isRetryable)
            #expect(e.message.contains(dir.file("w.db")))
        }
        try session.commit(CommitReport(tasks: [], counts: [], total: RowCounts()))
        try other.exec("BEGIN IMMEDIATE; ROLLBACK")
    }

    @Test func aFileThatIsNotADatabaseIsASystemError() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        try Array("this is not an SQLite database, just text that is long enough to look like a header".utf8)
            .withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: dir.file("w.db"))) }
        let plugin = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t"))], context: dir.context)
        do {
            _ = try plugin.begin(schema: Self.schema, tasks: [], context: dir.context)
            Issue.record("a text file was taken for a database")
        } catch let e as SystemError {
            #expect(e.message.contains("not a database"))
            #expect(e.message.contains(dir.file("w.db")))
        }
    }

    @Test func aFailedTaskLosesOnlyItsOwnRows() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let path = dir.file("w.db")
        do {
            // A column named rowid hides the real rowid; a UNIQUE constraint makes task 1 fail half way.
            let db = try SQLiteConnection(path: path)
            try db.exec("CREATE TABLE t (id INTEGER UNIQUE, name TEXT, rowid TEXT)")
        }
        let plugin = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t"))], context: dir.context)
        let session = try plugin.begin(schema: Self.schema, tasks: [], context: dir.context)
        let a = try session.openTask(0), b = try session.openTask(1)
        try a.add(makePage(Self.schema, Self.rows(1...10)))
        try b.add(makePage(Self.schema, Self.rows(100...110)))
        try a.add(makePage(Self.schema, Self.rows(11...20)))
        #expect(throws: SystemError.self) { try b.add(makePage(Self.schema, Self.rows(111...120) + Self.rows(5...5))) }
        b.abort()
        try a.finish()
        try session.commit(CommitReport(tasks: [], counts: [], total: RowCounts(read: 20, loaded: 20)))
        #expect(try readRows(path, "t", Self.schema) == Self.rows(1...20))
    }

    @Test func dryRunWritesNothing() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        var ctx = dir.context
        ctx.isDryRun = true
        let plugin = try makePlugin([("path", .scalar("sub/w.db")), ("table", .scalar("t"))], context: ctx)
        try load(plugin, Self.schema, [[makePage(Self.schema, Self.rows(1...5))]], context: ctx)
        #expect(!FileManager.default.fileExists(atPath: dir.file("sub")))
    }

    // MARK: - Ledger

    @Test func ledgerCommitsWithTheData() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let path = dir.file("w.db")
        let ctx = dir.context
        let tasks = [
            InputTask(name: "/data/a.csv", size: 120, modifiedAt: 1_700_000_000.5), InputTask(name: "/data/b.csv"),
        ]
        let counts = [RowCounts(read: 3, loaded: 2, rejected: 1), RowCounts(read: 1, loaded: 0, filtered: 1)]

        func run(_ id: String, mode: String, commit: Bool) throws -> Set<String> {
            let plugin = try makePlugin(
                [("path", .scalar("w.db")), ("table", .scalar("t")), ("mode", .scalar(mode))], context: ctx)
            let session = try plugin.begin(schema: Self.schema, tasks: tasks, context: ctx)
            guard let ledger = session as? LedgerOutputSession else {
                Issue.record("the session keeps no ledger")
                return []
            }
            let before = try ledger.loadedFiles()
            let w = try session.openTask(0)
            try w.add(makePage(Self.schema, Self.rows(1...2)))
            try w.finish()
            try ledger.recordRun(
                id: id, configHash: "hash-\(id)", counts: RowCounts(read: 4, loaded: 2, rejected: 1, filtered: 1),
                tasks: tasks, taskCounts: counts)
            if commit {
                try session.commit(CommitReport(tasks: tasks, counts: counts, total: RowCounts(read: 4, loaded: 2, rejected: 1, filtered: 1)))
            } else {
                session.abort()
            }
            return before
        }

        #expect(try run("r1", mode: "insert", commit: false) == [])
        #expect(try !tableExists(path, "_kura_runs"))
        #expect(try run("r1", mode: "insert", commit: true) == [])
        #expect(try run("r2", mode: "insert", commit: true) == ["/data/a.csv", "/data/b.csv"])

        let db = try SQLiteConnection(path: path, mode: .readOnly)
        #expect(
            try db.queryText(
                "SELECT run_id, config_hash, target_table, mode, session_time, task_count, rows_read, rows_loaded, "
                    + "rows_rejected, rows_filtered FROM _kura_runs ORDER BY run_id")
                == [["r1", "hash-r1", "t", "insert", "2023-11-14T22:13:20Z", "2", "4", "2", "1", "1"],
                    ["r2", "hash-r2", "t", "insert", "2023-11-14T22:13:20Z", "2", "4", "2", "1", "1"]])
        #expect(
            try db.queryText(
                "SELECT path, size, mtime, rows_read, rows_loaded, rows_rejected, rows_filtered FROM _kura_files "
                    + "WHERE run_id = 'r1' ORDER BY path")
                == [["/data/a.csv", "120", "1700000000.5", "3", "2", "1", "0"], ["/data/b.csv", nil, nil, "1", "0", "0", "1"]])
        #expect(try db.queryText("SELECT count(*) FROM t") == [["4"]])

        // truncate_insert leaves only this run's rows, so only this run's ledger entries.
        _ = try run("r3", mode: "truncate_insert", commit: true)
        #expect(try db.queryText("SELECT DISTINCT run_id FROM _kura_files") == [["r3"]])
        #expect(try db.queryText("SELECT count(*) FROM _kura_runs") == [["3"]])
    }

    @Test func aWarehouseNewerThanThisKuraIsRefusedAtBegin() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let path = dir.file("w.db")
        do {
            let db = try SQLiteConnection(path: path)
            try db.exec("CREATE TABLE _kura_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO _kura_meta VALUES ('schema_version', '\(WarehouseSchema.currentVersion + 1)')")
        }
        let plugin = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t"))], context: dir.context)
        do {
            _ = try plugin.begin(schema: Self.schema, tasks: [], context: dir.context)
            Issue.record("a newer warehouse was not refused")
        } catch let error as SystemError {
            #expect(error.message == "the warehouse at \(path) has kura schema version \(WarehouseSchema.currentVersion + 1); this kura knows up to \(WarehouseSchema.currentVersion); upgrade kura")
        }
        #expect(try !tableExists(path, "t"))
    }

    // MARK: - Options

    @Test func optionsAreValidated() throws {
        let dir = try TempDir()
        defer { dir.cleanUp() }
        let ctx = dir.context
        #expect(throws: ConfigError.self) { _ = try makePlugin([("table", .scalar("t"))], context: ctx) }
        #expect(throws: ConfigError.self) { _ = try makePlugin([("path", .scalar("w.db"))], context: ctx) }
        do {
            _ = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t")), ("mode", .scalar("replce"))], context: ctx)
            Issue.record("a bad mode was accepted")
        } catch let e as ConfigError {
            #expect(e.path == "out.mode")
            #expect(e.fix?.contains("did you mean 'replace'") == true)
        }
        do {
            _ = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t")), ("tabel", .scalar("x"))], context: ctx)
            Issue.record("an unknown key was accepted")
        } catch let e as ConfigError {
            #expect(e.message.contains("unknown key 'tabel'"))
        }
        do {
            _ = try makePlugin(
                [("path", .scalar("w.db")), ("table", .scalar("t")),
                 ("column_options", .mapping([("id", .mapping([("type", .scalar("INTEGER); DROP TABLE t; --"))]))]))],
                context: ctx)
            Issue.record("a hostile type was accepted")
        } catch let e as ConfigError {
            #expect(e.path == "out.column_options.id.type")
        }
        do {
            _ = try makePlugin(
                [("path", .scalar("w.db")), ("table", .scalar("t")),
                 ("column_options", .mapping([("id", .mapping([("typ", .scalar("TEXT"))]))]))],
                context: ctx)
            Issue.record("an unknown column option was accepted")
        } catch let e as ConfigError {
            #expect(e.message.contains("unknown key 'typ'"))
        }

        let plugin = try makePlugin(
            [("path", .scalar("w.db")), ("table", .scalar("t")),
             ("column_options", .mapping([("nme", .mapping([("type", .scalar("VARCHAR(10)"))]))]))],
            context: ctx)
        do {
            try plugin.plan(schema: Self.schema, context: ctx)
            Issue.record("column_options for an unknown column was accepted")
        } catch let e as ConfigError {
            #expect(e.fix == "did you mean 'name'?")
        }
        let valid = try makePlugin([("path", .scalar("w.db")), ("table", .scalar("t"))], context: ctx)
        #expect(throws: ConfigError.self) {
            try valid.plan(schema: Schema([("a", .long), ("A", .string)]), context: ctx)
        }
        #expect(throws: ConfigError.self) { try valid.plan(schema: Schema([]), context: ctx) }
        // plan has no side effects.
        try valid.plan(schema: Self.schema, context: ctx)
        #expect(!FileManager.default.fileExists(atPath: dir.file("w.db")))
    }

    @Test func typeNamesAreChecked() {
        for good in ["INTEGER", "bigint", "VARCHAR(20)", "DECIMAL(10, 2)", "double precision", "NUMERIC ( -3 , +4 )"] {
            #expect(SQLiteOutputPlugin.ColumnOption.isPlainTypeName(good), "\(good)")
        }
        for bad in ["", " ", "1INT", "INT)", "INT(", "INT(1,2,3)", "TEXT; DROP", "INT -- x", "VARCHAR(a)", "INT\""] {
            #expect(!SQLiteOutputPlugin.ColumnOption.isPlainTypeName(bad), "\(bad)")
        }
    }

    @Test func descriptorExampleDecodes() throws {
        #expect(SQLiteOutputPlugin.descriptor.name == "sqlite")
        #expect(SQLiteOutputPlugin.descriptor.kind == .output)
        // The example's keys, decoded the way the runtime would.
        let example = config([
            ("path", .scalar("warehouse.db")), ("table", .scalar("events")), ("mode", .scalar("insert")),
            ("column_options", .mapping([("price", .mapping([("type", .scalar("NUMERIC"))]))])),
        ])
        let options = try example.decode(SQLiteOutputPlugin.Options.self)
        #expect(options.columnOptions["price"]?.type == "NUMERIC")
        #expect(SQLiteOutputPlugin.descriptor.example.contains("price: {type: NUMERIC}"))
    }
}

@Suite struct TimestampTextTests {
    @Test func matchesTimestampISO8601() {
        var rng = SplitMix(seed: 7)
        var samples: [Int64] = [0, 1, -1, 999_999_999, -999_999_999, 1_000_000_000, -1_000_000_000, .min + 1_000_000_000, .max,
                                 -2_208_988_800_000_000_000, 951_782_400_000_000_000, 4_102_444_799_999_999_999]
        // Timestamp.epochSeconds traps within a second of Int64.min (it negates the value and adds), so the
        // reference comparison stays clear of it; the extreme is checked on its own below.
        for _ in 0..<20_000 { samples.append(max(.min + 1_000_000_000, Int64(bitPattern: rng.next()))) }
        for _ in 0..<20_000 { samples.append(Int64(bitPattern: rng.next()) / 1_000_000 * 1_000_000) }
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: iso8601Capacity)
        defer { buffer.deallocate() }
        var mismatches: [String] = []
        for nanos in samples {
            let n = formatISO8601(nanos: nanos, into: buffer)
            let text = String(decoding: UnsafeBufferPointer(start: buffer, count: n), as: UTF8.self)
            if text != Timestamp(nanos: nanos).iso8601 { mismatches.append("\(nanos): \(text)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        let n = formatISO8601(nanos: .min, into: buffer)
        #expect(String(decoding: UnsafeBufferPointer(start: buffer, count: n), as: UTF8.self) == "1677-09-21T00:12:43.145224192Z")
    }
}
