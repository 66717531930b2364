import Foundation
import KuraCore
import KuraLibPQ
import KuraTestSupport
import Testing

@testable import OutputPostgreSQL

let pg = TestServer.isAvailable

@Suite("output postgresql against a real server", .serialized)
struct PostgreSQLOutputIntegrationTests {
    let schema = Schema([("id", .long), ("name", .string), ("score", .double)])

    func page(_ rows: [(Int64, String?, Double?)]) -> Page {
        makePage(schema, rows.map { [.long($0.0), $0.1.map { .string($0) } ?? .null, $0.2.map { .double($0) } ?? .null] })
    }

    // MARK: - Conformance

    func conformance(mode: String, extra: [(String, ConfigNode)] = [], cases: [OutputConformance.Case]) -> [String] {
        let prefix = uniqueName("conf")
        let name: (OutputConformance.Case) -> String = { prefix + "_" + $0.rawValue }
        let harness = OutputConformance.Harness(
            context: testContext(),
            // `json` keeps the text as written; `jsonb` (the default) would normalise key order and spaces.
            makePlugin: { c in
                try makePlugin(
                    [("table", .scalar(name(c))), ("mode", .scalar(mode)),
                     ("column_options", .mapping([("doc", .mapping([("type", .scalar("JSON"))]))]))] + extra)
            },
            countRows: { c in try count(name(c)) },
            readRows: { c in
                try rows(
                    "SELECT id, name, score, flag, extract(epoch from at)::numeric * 1000000, doc::text FROM public.\(quoteIdentifier(name(c)))"
                ).map { r in
                    [
                        r[0].map { .long(Int64($0)!) } ?? .null,
                        r[1].map { .string($0) } ?? .null,
                        r[2].map { .double(Double($0)!) } ?? .null,
                        r[3].map { .boolean($0 == "t") } ?? .null,
                        r[4].map { .timestamp(Timestamp(nanos: Int64(Double($0)!.rounded()) * 1000)) } ?? .null,
                        r[5].map { .json($0) } ?? .null,
                    ]
                }
            })
        return OutputConformance.run(harness, cases: cases)
    }

    @Test(.enabled(if: pg)) func conformanceInsert() {
        // `insert` shares one COPY between the tasks as `insert_direct` does, so it has the same cases.
        #expect(conformance(mode: "insert", cases: [.openClose, .emptyPage, .manyPages, .abortLeavesNoRows]) == [])
    }

    @Test(.enabled(if: pg)) func conformanceMergeWithKeys() {
        #expect(conformance(mode: "merge", extra: [("merge_keys", list(["id"]))], cases: OutputConformance.Case.allCases) == [])
    }

    @Test(.enabled(if: pg)) func conformanceTextCopy() {
        #expect(conformance(mode: "truncate_insert", extra: [("copy_format", .scalar("text"))], cases: OutputConformance.Case.allCases) == [])
    }

    @Test(.enabled(if: pg)) func conformanceInsertDirect() {
        // A direct-mode task cannot take back rows it sent, so the task-abort case is the direct modes' documented
        // limit (tested below) and is left out here.
        #expect(conformance(mode: "insert_direct", cases: [.openClose, .emptyPage, .manyPages, .abortLeavesNoRows]) == [])
    }

    @Test(.enabled(if: pg)) func directModeTaskAbortAfterRowsRefusesToCommit() throws {
        let table = uniqueName("direct_abort")
        let plugin = try makePlugin([("table", .scalar(table)), ("mode", .scalar("insert_direct"))])
        let session = try plugin.begin(schema: schema, tasks: [InputTask(name: "a")], context: testContext())
        let writer = try session.openTask(0)
        try writer.add(page([(1, "a", 1)]))
        writer.abort()
        #expect(throws: SystemError.self) { try session.commit(CommitReport(tasks: [], counts: [], total: RowCounts())) }
        session.abort()
        #expect(try count(table) == 0)
    }

    // MARK: - Modes

    @Test(.enabled(if: pg)) func insertAppendsAndCreatesTable() throws {
        let table = uniqueName("ins")
        let plugin = try makePlugin([("table", .scalar(table))])
        try load(plugin, schema, [[page([(1, "a", 1.5)])], [page([(2, "b", nil)])]])
        try load(plugin, schema, [[page([(3, "c", 3)])]])
        #expect(try rows("SELECT id, name, score FROM \(table) ORDER BY id") == [["1", "a", "1.5"], ["2", "b", nil], ["3", "c", "3"]])
        let types = try rows(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum",
            [table])
        #expect(types == [["bigint"], ["text"], ["double precision"]])
        #expect(try leftoverStaging(table) == [])
    }

    @Test(.enabled(if: pg)) func insertDirectLoadsAllTasks() throws {
        let table = uniqueName("insd")
        let plugin = try makePlugin([("table", .scalar(table)), ("mode", .scalar("insert_direct"))])
        try load(plugin, schema, [[page([(1, "a", 1)]), page([(2, "b", 2)])], [page([(3, "c", 3)])]])
        #expect(try rows("SELECT id FROM \(table) ORDER BY id") == [["1"], ["2"], ["3"]])
    }

    @Test(.enabled(if: pg)) func truncateInsertReplacesRows() throws {
        let table = uniqueName("trunc")
        try load(try makePlugin([("table", .scalar(table))]), schema, [[page([(1, "old", 1), (2, "old", 2)])]])
        let plugin = try makePlugin([("table", .scalar(table)), ("mode", .scalar("truncate_insert"))])
        try load(plugin, schema, [[page([(9, "new", 9)])]])
        #expect(try rows("SELECT id, name FROM \(table)") == [["9", "new"]])
    }

    @Test(.enabled(if: pg)) func replaceSwapsInANewTable() throws {
        let table = uniqueName("repl")
        let db = try TestServer.current!.connect()
        try db.execute("CREATE TABLE \(table) (legacy int, other text); INSERT INTO \(table) VALUES (1, 'x')")
        let plugin = try makePlugin([
            ("table", .scalar(table)), ("mode", .scalar("replace")),
            ("create_table_constraint", .scalar("PRIMARY KEY (id)")),
        ])
        try load(plugin, schema, [[page([(1, "a", 1)])], [page([(2, "b", 2)])]])
        #expect(try rows("SELECT id, name FROM \(table) ORDER BY id") == [["1", "a"], ["2", "b"]])
        let columns = try rows("SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum", [table])
        #expect(columns == [["id"], ["name"], ["score"]])
        #expect(try rows("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE indrelid = $1::regclass AND indisprimary", [table]) == [[table + "_pkey"]])
        #expect(try leftoverStaging(table) == [])
    }

    @Test(.enabled(if: pg)) func mergeByPrimaryKeyUpdatesAndInserts() throws {
        let table = uniqueName("merge_pk")
        let db = try TestServer.current!.connect()
        try db.execute("CREATE TABLE \(table) (id bigint PRIMARY KEY, name text, score double precision)")
        try db.execute("INSERT INTO \(table) VALUES (1, 'one', 1), (2, 'two', 2)")
        let plugin = try makePlugin([("table", .scalar(table)), ("mode", .scalar("merge"))])
        // Task 1 updates a key that task 0 also writes: the later task wins; within a task the last row wins.
        try load(plugin, schema, [[page([(2, "TWO", 20), (3, "three", 3), (3, "THREE", 30)])], [page([(2, "deux", 22)])]])
        #expect(try rows("SELECT id, name, score FROM \(table) ORDER BY id") == [
            ["1", "one", "1"], ["2", "deux", "22"], ["3", "THREE", "30"],
        ])
    }

    @Test(.enabled(if: pg)) func mergeByMergeKeysWithRule() throws {
        let table = uniqueName("merge_keys")
        let db = try TestServer.current!.connect()
        try db.execute("CREATE TABLE \(table) (id bigint, name text, score double precision)")
        try db.execute("CREATE UNIQUE INDEX ON \(table) (name)")
        try db.execute("INSERT INTO \(table) VALUES (1, 'a', 10)")
        let plugin = try makePlugin([
            ("table", .scalar(table)), ("mode", .scalar("merge_direct")), ("merge_keys", list(["name"])),
            ("merge_rule", list(["score = T.score + S.score", "id = S.id"])),
        ])
        try load(plugin, schema, [[page([(7, "a", 5), (8, "b", 1)])]])
        #expect(try rows("SELECT id, name, score FROM \(table) ORDER BY name") == [["7", "a", "15"], ["8", "b", "1"]])
    }

    @Test(.enabled(if: pg)) func mergeWithoutKeysOrPrimaryKeyIsAConfigError() throws {
        let table = uniqueName("merge_nokey")
        try TestServer.current!.connect().execute("CREATE TABLE \(table) (id bigint, name text, score double precision)")
        let plugin = try makePlugin([("table", .scalar(table)), ("mode", .scalar("merge"))])
        let error = #expect(throws: ConfigError.self) { try load(plugin, schema, [[page([(1, "a", 1)])]]) }
        #expect(error?.message.contains("no primary key") == true)
    }

    /// As Embulk merges: with merge_keys and no unique index, matching rows are updated and the rest inserted; when the
    /// loaded rows repeat a key, the last one wins; a merge rule is honoured.
    @Test(.enabled(if: pg), arguments: ["merge", "merge_direct"])
    func mergeWithoutAUniqueIndexUpdatesMatchesAndInsertsTheRest(mode: String) throws {
        let table = uniqueName("merge_noindex")
        let db = try TestServer.current!.connect()
        try db.execute("CREATE TABLE \(table) (id bigint, name text, score double precision)")
        try db.execute("INSERT INTO \(table) VALUES (1, 'a', 10), (2, 'b', 20)")
        let plugin = try makePlugin([("table", .scalar(table)), ("mode", .scalar(mode)), ("merge_keys", list(["id"]))])
        try load(plugin, schema, [[page([(1, "a1", 11), (3, "c", 30), (3, "c2", 31)])]])
        #expect(try rows("SELECT id, name, score FROM \(table) ORDER BY id") == [["1", "a1", "11"], ["2", "b", "20"], ["3", "c2", "31"]])
        let ruled = try makePlugin([
            ("table", .scalar(table)), ("mode", .scalar(mode)), ("merge_keys", list(["id"])),
            ("merge_rule", list(["score = T.score + S.score"])),
        ])
        try load(ruled, schema, [[page([(2, "ignored", 5), (4, "d", 40)])]])
        #expect(try rows("SELECT id, name, score FROM \(table) ORDER BY id") == [
            ["1", "a1", "11"], ["2", "b", "25"], ["3", "c2", "31"], ["4", "d", "40"],
        ])
    }

    // MARK: - Types

    static let typeSchema = Schema([
        ("l", .long), ("d", .double), ("b", .boolean), ("s", .string), ("t", .timestamp), ("j", .json),
    ])

    func roundTrip(format: String) throws {
        let table = uniqueName("types_" + format)
        let values: [[Value]] = [
            [.long(Int64.max), .double(0.1), .boolean(true), .string("héllo \u{1F600} \t tab\nnewline \\ back"),
             .timestamp(Timestamp(nanos: -1)), .json(#"{"a":[1,2.50,"x"],"n":12345678901234567890123}"#)],
            [.long(Int64.min), .double(-0.0), .boolean(false), .string(""),
             .timestamp(Timestamp(seconds: 4_102_444_800, nanosecond: 123_456_789)), .json("null")],
            [.null, .null, .null, .null, .null, .null],
            [.long(0), .double(Double(bitPattern: 1)), .boolean(true), .string("x"),
             .timestamp(Timestamp(seconds: -2_208_988_800, nanosecond: 999_999_999)), .json("[]")],
            [.long(1), .double(Double.greatestFiniteMagnitude), .boolean(true), .string("y"), .timestamp(Timestamp(nanos: 0)), .json("1")],
        ]
        let plugin = try makePlugin([("table", .scalar(table)), ("copy_format", .scalar(format))])
        try load(plugin, Self.typeSchema, [[makePage(Self.typeSchema, values)]])
        let got = try rows(
            "SELECT l, d, b, s, t, j::text, (extract(epoch from t) * 1000000)::bigint FROM \(table) ORDER BY l NULLS FIRST")
        #expect(got.count == 5)
        #expect(got[0] == [nil, nil, nil, nil, nil, nil, nil])
        #expect(got[1][0] == String(Int64.min))
        #expect(got[1][1].map { Double($0)!.bitPattern } == (-0.0).bitPattern)
        #expect(got[1][2] == "f")
        #expect(got[1][3] == "")
        #expect(got[1][4] == "2100-01-01 00:00:00.123456+00")  // nanoseconds dropped toward negative infinity
        #expect(got[1][5] == "null")
        #expect(got[2][1].map { Double($0)!.bitPattern } == 1)
        #expect(got[2][4] == "1900-01-01 00:00:00.999999+00")
        #expect(got[2][5] == "[]")
        #expect(got[3][1].map { Double($0)! } == Double.greatestFiniteMagnitude)
        #expect(got[3][4] == "1970-01-01 00:00:00+00")
        #expect(got[4][0] == String(Int64.max))
        #expect(got[4][1].map { Double($0)! } == 0.1)
        #expect(got[4][3] == "héllo \u{1F600} \t tab\nnewline \\ back")
        #expect(got[4][4] == "1969-12-31 23:59:59.999999+00")  // −1 ns floors to the microsecond before the epoch
        #expect(got[4][6] == "-1")
        #expect(got[4][5] == #"{"a": [1, 2.50, "x"], "n": 12345678901234567890123}"#)
    }

    @Test(.enabled(if: pg)) func typesRoundTripBinary() throws { try roundTrip(format: "binary") }
    @Test(.enabled(if: pg)) func typesRoundTripText() throws { try roundTrip(format: "text") }

    @Test(.enabled(if: pg)) func benchLikeTargetWithNarrowerTypes() throws {
        let table = uniqueName("events")
        let db = try TestServer.current!.connect()
        try db.execute(
            """
            CREATE TABLE \(table) (id bigint NOT NULL, user_id integer NOT NULL, event_time timestamp NOT NULL,
              event_type text NOT NULL, price double precision, quantity smallint NOT NULL, country char(2) NOT NULL,
              is_mobile boolean NOT NULL, referrer varchar(100), attributes jsonb, day date, note text, raw json)
            """)
        let s = Schema([
            ("id", .long), ("user_id", .long), ("event_time", .timestamp), ("event_type", .string), ("price", .double),
            ("quantity", .long), ("country", .string), ("is_mobile", .boolean), ("referrer", .string),
            ("attributes", .json), ("day", .timestamp), ("note", .timestamp), ("raw", .json),
        ])
        let t = Timestamp(seconds: 1_700_000_000, nanosecond: 250_000_000)
        let p = makePage(s, [[
            .long(1), .long(2_147_483_647), .timestamp(t), .string("click"), .null, .long(-32768), .string("J"),
            .boolean(true), .string("https://x"), .json(#"{"k":"v"}"#), .timestamp(t), .timestamp(t), .json(#"{"k" :1}"#),
        ]])
        let logs = LogLines()
        let plugin = try makePlugin(
            [("table", .scalar(table)), ("column_options", .mapping([("note", .mapping([("timezone", .scalar("Asia/Tokyo")), ("timestamp_format", .scalar("%Y/%m/%d %H:%M %z"))]))]))],
            context: testContext(logs.logger))
        let session = try load(plugin, s, [[p]], context: testContext(logs.logger))
        #expect((session as! PostgreSQLOutputSession).usesBinaryCopy)
        #expect(try rows("SELECT user_id, event_time, quantity, country, attributes::text, day, note, raw::text FROM \(table)") == [[
            "2147483647", "2023-11-14 22:13:20.25", "-32768", "J ", #"{"k": "v"}"#, "2023-11-14", "2023/11/15 07:13 +0900", #"{"k" :1}"#,
        ]])
        #expect(logs.all.contains { $0.contains("'day' is a date") })

        // A value that does not fit `integer` fails the run by name; nothing is committed.
        let big = makePage(s, [[
            .long(2), .long(2_147_483_648), .timestamp(t), .string("x"), .null, .long(1), .string("JP"), .boolean(false),
            .null, .null, .null, .null, .null,
        ]])
        let error = #expect(throws: SystemError.self) { try load(try makePlugin([("table", .scalar(table))]), s, [[big]]) }
        #expect(error?.message.contains("user_id") == true)
        #expect(try count(table) == 1)
    }

    @Test(.enabled(if: pg)) func timestampWithoutZoneTakesTheColumnTimezone() throws {
        let table = uniqueName("wall")
        try TestServer.current!.connect().execute("CREATE TABLE \(table) (named timestamp, fixed timestamp, utc timestamp)")
        let s = Schema([("named", .timestamp), ("fixed", .timestamp), ("utc", .timestamp)])
        let t = Timestamp(seconds: -86_400 * 365, nanosecond: 1_500)  // 1969-01-01, before the epoch
        for format in ["binary", "text"] {
            let plugin = try makePlugin([
                ("table", .scalar(table)), ("mode", .scalar("truncate_insert")), ("copy_format", .scalar(format)),
                ("column_options", .mapping([
                    ("named", .mapping([("timezone", .scalar("Asia/Tokyo"))])),
                    ("fixed", .mapping([("timezone", .scalar("-05:30"))])),
                ])),
            ])
            try load(plugin, s, [[makePage(s, [[.timestamp(t), .timestamp(t), .timestamp(t)]])]])
            #expect(try rows("SELECT named::text, fixed::text, utc::text FROM \(table)") == [[
                "1969-01-01 09:00:00.000001", "1968-12-31 18:30:00.000001", "1969-01-01 00:00:00.000001",
            ]], "\(format)")
        }
    }

    @Test(.enabled(if: pg)) func numericColumnFallsBackToTextCopy() throws {
        let table = uniqueName("numeric")
        try TestServer.current!.connect().execute("CREATE TABLE \(table) (id numeric(30,0), name uuid, score numeric)")
        let logs = LogLines()
        let plugin = try makePlugin([("table", .scalar(table))], context: testContext(logs.logger))
        let s = Schema([("id", .long), ("name", .string), ("score", .double)])
        let session = try load(
            plugin, s, [[makePage(s, [[.long(Int64.max), .string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), .double(0.1)]])]],
            context: testContext(logs.logger))
        #expect((session as! PostgreSQLOutputSession).usesBinaryCopy == false)
        #expect(logs.all.contains { $0.contains("text COPY format") && $0.contains("id (numeric(30,0))") })
        #expect(try rows("SELECT id::text, name::text, score::text FROM \(table)") == [[String(Int64.max), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "0.1"]])
    }

    // MARK: - Abort, ledger, lock

    @Test(.enabled(if: pg)) func abortLeavesNothing() throws {
        let table = uniqueName("abort")
        let plugin = try makePlugin([("table", .scalar(table)), ("mode", .scalar("truncate_insert"))])
        let session = try plugin.begin(schema: schema, tasks: [InputTask(name: "a"), InputTask(name: "b")], context: testContext())
        let w0 = try session.openTask(0)
        try w0.add(page([(1, "a", 1)]))
        try w0.finish()
        let w1 = try session.openTask(1)
        try w1.add(page([(2, "b", 2)]))
        #expect(try leftoverStaging(table).count == 2)
        session.abort()
        w1.abort()
        #expect(try count(table) == 0)
        #expect(try rows("SELECT to_regclass($1)", [table]) == [[nil]])  // the table kura created is rolled back too
        #expect(try leftoverStaging(table) == [])
    }

    @Test(.enabled(if: pg)) func ledgerRecordsFilesWithTheData() throws {
        let table = uniqueName("ledger")
        let plugin = try makePlugin([("table", .scalar(table))])
        let run1 = uniqueName("run")
        try load(plugin, schema, [[page([(1, "a", 1)])], [page([(2, "b", 2)])]], runID: run1, taskNames: ["/d/a.csv", "/d/b.csv"])
        let session = try plugin.begin(schema: schema, tasks: [], context: testContext()) as! LedgerOutputSession
        #expect(try session.loadedFiles() == ["/d/a.csv", "/d/b.csv"])
        session.abort()
        let target = "\"public\".\"\(table)\""
        #expect(try rows("SELECT path, size, mtime, rows_loaded FROM kura.files WHERE target = $1 ORDER BY path", [target]) == [
            ["/d/a.csv", "10", "1.5", "1"], ["/d/b.csv", "10", "1.5", "1"],
        ])
        #expect(try rows("SELECT mode, task_count, rows_loaded FROM kura.runs WHERE run_id = $1", [run1]) == [["insert", "2", "2"]])

        // An aborted run leaves no ledger rows.
        let aborted = try plugin.begin(schema: schema, tasks: [], context: testContext()) as! LedgerOutputSession
        try aborted.recordRun(id: "never", configHash: "h", counts: RowCounts(), tasks: [InputTask(name: "/d/c.csv")], taskCounts: [RowCounts()])
        aborted.abort()
        #expect(try rows("SELECT count(*) FROM kura.files WHERE path = '/d/c.csv'") == [["0"]])

        // truncate_insert starts over: nothing counts as loaded, and old entries go at commit.
        let truncating = try makePlugin([("table", .scalar(table)), ("mode", .scalar("truncate_insert"))])
        let t = try truncating.begin(schema: schema, tasks: [], context: testContext()) as! LedgerOutputSession
        #expect(try t.loadedFiles() == [])
        t.abort()
        try load(truncating, schema, [[page([(5, "e", 5)])]], taskNames: ["/d/e.csv"])
        #expect(try rows("SELECT path FROM kura.files WHERE target = $1", [target]) == [["/d/e.csv"]])
    }

    @Test(.enabled(if: pg)) func stagingTablesOfKilledRunsAreSweptByTheNextRunOnTheTarget() throws {
        let table = uniqueName("sweep")
        let db = try TestServer.current!.connect()
        for name in ["\(table)_kura_deadbeef_0", "\(table)_kura_deadbeef_new", "\(table)x_kura_deadbeef_0"] {
            try db.execute("CREATE UNLOGGED TABLE \(quoteIdentifier(name)) (id bigint)")
        }
        let session = try makePlugin([("table", .scalar(table))]).begin(schema: schema, tasks: [], context: testContext())
        try session.commit(CommitReport(tasks: [], counts: [], total: RowCounts()))
        let left = try rows("SELECT relname FROM pg_class WHERE relname LIKE $1 ORDER BY relname", [table + "%kura%"]).compactMap { $0[0] }
        #expect(left == ["\(table)x_kura_deadbeef_0"], "only another target's look-alike is left")
        _ = try? db.execute("DROP TABLE IF EXISTS \(quoteIdentifier(table + "x_kura_deadbeef_0")), \(quoteIdentifier(table))")
    }

    @Test(.enabled(if: pg)) func advisoryLockKeepsOneWriterPerTarget() throws {
        let table = uniqueName("lock")
        let first = try makePlugin([("table", .scalar(table))]).begin(schema: schema, tasks: [], context: testContext())
        let started = Date()
        let error = #expect(throws: SystemError.self) {
            _ = try makePlugin([("table", .scalar(table)), ("retry_limit", .scalar("0")), ("lock_wait_seconds", .scalar("0"))])
                .begin(schema: schema, tasks: [], context: testContext())
        }
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(error?.message.contains("another run is loading into \"public\".\"\(table)\"") == true)
        #expect(error?.message.contains("(server process ") == true && error?.message.contains("'kura'") == true, "\(error?.message ?? "")")

        // With lock_wait_seconds the second run waits until the first one ends.
        let release = Thread {
            Thread.sleep(forTimeInterval: 0.5)
            try? first.commit(CommitReport(tasks: [], counts: [], total: RowCounts()))
        }
        release.start()
        let waiting = try makePlugin([("table", .scalar(table)), ("lock_wait_seconds", .scalar("20"))])
        let second = try waiting.begin(schema: schema, tasks: [], context: testContext())
        #expect(Date().timeIntervalSince(started) >= 0.4)
        second.abort()
    }

    // MARK: - Schema drift, identifiers

    @Test(.enabled(if: pg)) func schemaDriftIsReportedOrAdded() throws {
        let table = uniqueName("drift")
        try TestServer.current!.connect().execute("CREATE TABLE \(table) (id bigint, score boolean, extra text NOT NULL)")
        let plugin = try makePlugin([("table", .scalar(table))])
        let error = #expect(throws: ConfigErrors.self) { try load(plugin, schema, [[page([(1, "a", 1)])]]) }
        let text = error?.description ?? ""
        #expect(text.contains("no column 'name'"))
        #expect(text.contains("'extra'") && text.contains("NOT NULL"))
        #expect(text.contains("schema_update: add_columns"))

        try TestServer.current!.connect().execute("ALTER TABLE \(table) ALTER COLUMN extra DROP NOT NULL")
        let typeError = #expect(throws: ConfigError.self) {
            try load(try makePlugin([("table", .scalar(table)), ("schema_update", .scalar("add_columns"))]), schema, [[page([(1, "a", 1)])]])
        }
        #expect(typeError?.message.contains("'score'") == true && typeError?.message.contains("boolean") == true)
        #expect(try rows("SELECT count(*) FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'name'", [table]) == [["0"]])

        try TestServer.current!.connect().execute("ALTER TABLE \(table) DROP COLUMN score")
        try load(try makePlugin([("table", .scalar(table)), ("schema_update", .scalar("add_columns"))]), schema, [[page([(1, "a", 1)])]])
        #expect(try rows("SELECT id, name, score, extra FROM \(table)") == [["1", "a", "1", nil]])
    }

    @Test(.enabled(if: pg)) func hostileIdentifiersAreQuoted() throws {
        let table = uniqueName("t\"; DROP TABLE x; -- ")
        let s = Schema([("x\"; DROP TABLE t; --", .long), ("Name With Space", .string)])
        let plugin = try makePlugin([("table", .scalar(table)), ("mode", .scalar("merge")), ("merge_keys", list(["x\"; DROP TABLE t; --"]))])
        try load(plugin, s, [[makePage(s, [[.long(1), .string("a")]])], [makePage(s, [[.long(1), .string("b")]])]])
        #expect(try rows("SELECT \(quoteIdentifier("x\"; DROP TABLE t; --")), \"Name With Space\" FROM \(quoteIdentifier(table))") == [["1", "b"]])
        #expect(try leftoverStaging(table) == [])
    }

    // MARK: - Connections, notices, failures

    @Test(.enabled(if: pg)) func passwordsNeverAppearInErrors() throws {
        let secret = "Pa55-w0rd-never-shown"
        let server = TestServer.current!
        let viaOptions = PostgreSQLOutputPlugin(options: {
            var o = PostgreSQLOutputPlugin.Options(table: "t")
            o.host = "/nonexistent/socket/dir"
            o.user = "nobody"
            o.password = secret
            o.retryLimit = 0
            return o
        }())
        let e1 = #expect(throws: SystemError.self) { _ = try viaOptions.begin(schema: schema, tasks: [], context: testContext()) }
        #expect(e1 != nil && !e1!.message.contains(secret))
        #expect(e1?.message.contains("could not connect") == true)

        var o = PostgreSQLOutputPlugin.Options(table: "t")
        o.url = "postgresql://nobody:\(secret)@/no_such_database_\(UInt16.random(in: 0...9999))?host=\(server.host)&port=\(server.port)"
        o.retryLimit = 3
        let started = Date()
        let e2 = #expect(throws: SystemError.self) { _ = try PostgreSQLOutputPlugin(options: o).begin(schema: schema, tasks: [], context: testContext()) }
        #expect(e2 != nil && !e2!.message.contains(secret))
        #expect(e2?.message.contains("********") == true)
        #expect(e2?.isRetryable == false)
        #expect(Date().timeIntervalSince(started) < 1)  // a missing role is not retried
    }

    @Test(.enabled(if: pg)) func noticesGoToTheLogger() throws {
        let table = uniqueName("notice")
        let logs = LogLines()
        let plugin = try makePlugin(
            [("table", .scalar(table)), ("before_load", .scalar("DO $$ BEGIN RAISE NOTICE 'hello from before_load'; END $$")),
             ("after_load", .scalar("DO $$ BEGIN RAISE WARNING 'bye'; END $$"))],
            context: testContext(logs.logger))
        try load(plugin, schema, [[page([(1, "a", 1)])]], context: testContext(logs.logger))
        #expect(logs.all.contains("PostgreSQL NOTICE: hello from before_load"))
        #expect(logs.all.contains("PostgreSQL WARNING: bye"))
    }

    /// `insert` with one task copies straight into the target, inside the run's transaction, and still records its mode.
    @Test(.enabled(if: pg)) func insertWithOneTaskCopiesOnceAndRecordsInsert() throws {
        let table = uniqueName("insert_one")
        let plugin = try makePlugin([("table", .scalar(table))])
        let session = try plugin.begin(schema: schema, tasks: [InputTask(name: "/d/one.csv")], context: testContext())
        let writer = try session.openTask(0)
        #expect(writer is DirectTaskWriter)
        try writer.add(page([(1, "a", 1), (2, "b", 2)]))
        try writer.finish()
        #expect(try rows("SELECT count(*) FROM pg_class WHERE relname = $1", [table]) == [["0"]] || rows("SELECT count(*) FROM \(table)") == [["0"]],
            "nothing is visible before commit")
        let ledger = try #require(session as? LedgerOutputSession)
        try ledger.recordRun(id: "one-\(table)", configHash: "h", counts: RowCounts(read: 2, loaded: 2), tasks: [InputTask(name: "/d/one.csv")],
            taskCounts: [RowCounts(read: 2, loaded: 2)])
        try session.commit(CommitReport(tasks: [InputTask(name: "/d/one.csv")], counts: [RowCounts(read: 2, loaded: 2)], total: RowCounts(read: 2, loaded: 2)))
        #expect(try rows("SELECT count(*) FROM \(table)") == [["2"]])
        #expect(try rows("SELECT mode FROM kura.runs WHERE run_id = $1", ["one-\(table)"]) == [["insert"]])
    }

    @Test(.enabled(if: pg)) func insertWithSeveralTasksSharesOneCopyAndStagesNothing() throws {
        let table = uniqueName("insert_many")
        let plugin = try makePlugin([("table", .scalar(table))])
        let tasks = [InputTask(name: "/d/a.csv"), InputTask(name: "/d/b.csv")]
        let session = try plugin.begin(schema: schema, tasks: tasks, context: testContext())
        let a = try session.openTask(0), b = try session.openTask(1)
        #expect(a is DirectTaskWriter && b is DirectTaskWriter)
        try a.add(page([(1, "a", 1)]))
        try b.add(page([(2, "b", 2), (3, "c", 3)]))
        try a.finish()
        try b.finish()
        #expect(try leftoverStaging(table) == [])
        let counts = [RowCounts(read: 1, loaded: 1), RowCounts(read: 2, loaded: 2)]
        let ledger = try #require(session as? LedgerOutputSession)
        try ledger.recordRun(id: "many-\(table)", configHash: "h", counts: RowCounts(read: 3, loaded: 3), tasks: tasks, taskCounts: counts)
        try session.commit(CommitReport(tasks: tasks, counts: counts, total: RowCounts(read: 3, loaded: 3)))
        #expect(try rows("SELECT id FROM \(table) ORDER BY id") == [["1"], ["2"], ["3"]])
        #expect(try rows("SELECT mode FROM kura.runs WHERE run_id = $1", ["many-\(table)"]) == [["insert"]])
    }

    @Test(.enabled(if: pg)) func serverDyingMidCopyFailsCleanly() throws {
        let table = uniqueName("killed")
        let plugin = try makePlugin([("table", .scalar(table)), ("mode", .scalar("truncate_insert"))])
        // A staging mode: the rows go through a staging table on a connection of the task's own.
        let session = try plugin.begin(schema: schema, tasks: [InputTask(name: "a"), InputTask(name: "b")], context: testContext())
        let writer = try session.openTask(0) as! StagingTaskWriter
        try writer.add(page([(1, "a", 1)]))
        let pid = writer.connection!.backendPID
        #expect(try rows("SELECT pg_terminate_backend($1)", [String(pid)]) == [["t"]])
        Thread.sleep(forTimeInterval: 0.2)
        let big = page((0..<50_000).map { (Int64($0), "row \($0) with some text to fill the buffer", Double($0)) })
        let error = #expect(throws: SystemError.self) {
            for _ in 0..<20 { try writer.add(big) }
            try writer.finish()
        }
        #expect(error?.message.contains("task 0") == true)
        writer.abort()
        session.abort()
        #expect(try count(table) == 0)
        #expect(try leftoverStaging(table) == [])
    }

    @Test(.enabled(if: pg)) func serverErrorDuringCopyFailsTheRun() throws {
        let table = uniqueName("check")
        try TestServer.current!.connect().execute("CREATE TABLE \(table) (id bigint CHECK (id > 0), name text, score float8)")
        let plugin = try makePlugin([("table", .scalar(table)), ("mode", .scalar("insert_direct"))])
        let error = #expect(throws: SystemError.self) { try load(plugin, schema, [[page([(1, "a", 1), (-1, "b", 2)])]]) }
        #expect(error?.message.contains("23514") == true)
        #expect(try count(table) == 0)
    }

    @Test(.enabled(if: pg)) func dryRunWritesNothing() throws {
        let table = uniqueName("dry")
        let plugin = try makePlugin([("table", .scalar(table))])
        try load(plugin, schema, [[page([(1, "a", 1)])]], context: testContext(dryRun: true))
        #expect(try rows("SELECT to_regclass($1)", [table]) == [[nil]])
    }
}
