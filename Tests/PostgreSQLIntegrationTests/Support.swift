import Foundation
import KuraCore
import KuraLibPQ
import KuraTestSupport
import Testing

@testable import OutputPostgreSQL

/// The test server from `KURA_TEST_PG_HOST`, `_PORT`, `_USER`, `_DATABASE` (set by `scripts/test`), or `nil`.
struct TestServer {
    let host: String
    let port: Int
    let user: String
    let database: String

    static let current: TestServer? = {
        let env = ProcessInfo.processInfo.environment
        guard let host = env["KURA_TEST_PG_HOST"], let user = env["KURA_TEST_PG_USER"],
            let database = env["KURA_TEST_PG_DATABASE"]
        else {
            print("PostgreSQL integration tests skipped: KURA_TEST_PG_HOST/PORT/USER/DATABASE are not set (scripts/test sets them)")
            return nil
        }
        return TestServer(host: host, port: Int(env["KURA_TEST_PG_PORT"] ?? "") ?? 5432, user: user, database: database)
    }()

    /// Whether the integration tests can run; when not, the reason has been printed once.
    static var isAvailable: Bool { current != nil }

    /// The connection keys of an output section.
    var connectionPairs: [(String, ConfigNode)] {
        [("host", .scalar(host)), ("port", .scalar(String(port))), ("user", .scalar(user)), ("database", .scalar(database))]
    }

    /// A new connection for checking results, with timestamps shown in UTC.
    func connect() throws -> PGConnection {
        let db = try PGConnection(
            settings: PGConnectionSettings(parameters: [
                ("host", host), ("port", String(port)), ("user", user), ("dbname", database),
            ]),
            logger: .silent)
        try db.execute("SET TimeZone = 'UTC'")
        return db
    }
}

/// A table name unique to this test run.
func uniqueName(_ base: String) -> String {
    base + "_" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
}

/// Collects log lines.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    lazy var logger = Logger(level: .debug) { [unowned self] _, line in self.append(line) }
}

func testContext(_ logger: Logger = .silent, dryRun: Bool = false) -> PluginContext {
    PluginContext(workingDirectory: "/tmp", sessionTime: Timestamp(seconds: 1_700_000_000), logger: logger, isDryRun: dryRun)
}

/// Makes the plugin from a config section (connection keys added), as the registry would.
func makePlugin(_ pairs: [(String, ConfigNode)], context: PluginContext = testContext()) throws -> PostgreSQLOutputPlugin {
    guard case .output(let factory) = PostgreSQLOutputPlugin.descriptor.factory else { fatalError("not an output factory") }
    let server = TestServer.current!
    return try factory(PluginConfig(node: .mapping(server.connectionPairs + pairs), path: "out"), context)
        as! PostgreSQLOutputPlugin
}

/// A YAML-free list node.
func list(_ items: [String]) -> ConfigNode { ConfigNode(.sequence(items.map { .scalar($0) })) }

/// Builds one page of `schema` from boxed rows.
func makePage(_ schema: Schema, _ rows: [[Value]]) -> Page {
    var builder = PageBuilder(schema: schema, capacity: max(1, rows.count))
    for row in rows {
        for (c, v) in row.enumerated() { builder.set(c, v) }
        builder.finishRecord()
    }
    return builder.build()
}

/// Runs a whole load: begin, one task per page list (each finished), record the run, commit.
@discardableResult
func load(
    _ plugin: OutputPlugin, _ schema: Schema, _ pagesPerTask: [[Page]], context: PluginContext = testContext(),
    runID: String = uniqueName("run"), taskNames: [String]? = nil
) throws -> OutputSession {
    try plugin.plan(schema: schema, context: context)
    let tasks = pagesPerTask.indices.map { InputTask(name: taskNames?[$0] ?? "/data/f\($0).csv", size: 10, modifiedAt: 1.5) }
    let session = try plugin.begin(schema: schema, tasks: tasks, context: context)
    var counts: [RowCounts] = []
    for (i, pages) in pagesPerTask.enumerated() {
        let writer = try session.openTask(i)
        for p in pages { try writer.add(p) }
        try writer.finish()
        let n = pages.reduce(0) { $0 + $1.rowCount }
        counts.append(RowCounts(read: n, loaded: n))
    }
    var total = RowCounts()
    for c in counts { total += c }
    if let ledger = session as? LedgerOutputSession {
        try ledger.recordRun(id: runID, configHash: "h", counts: total, tasks: tasks, taskCounts: counts)
    }
    try session.commit(CommitReport(tasks: tasks, counts: counts, total: total))
    return session
}

/// The rows of a query as text.
func rows(_ sql: String, _ params: [String?] = []) throws -> [[String?]] {
    try TestServer.current!.connect().query(sql, params).rows
}

/// The number of rows of `table` in `public`, or 0 when it does not exist.
func count(_ table: String) throws -> Int {
    let db = try TestServer.current!.connect()
    let exists = try db.query("SELECT to_regclass($1) IS NOT NULL", [quoteIdentifier("public") + "." + quoteIdentifier(table)])
    if exists.rows.first?.first != "t" { return 0 }
    return Int(try db.query("SELECT count(*) FROM public.\(quoteIdentifier(table))").rows[0][0]!)!
}

/// Staging tables of `table` left in the database.
func leftoverStaging(_ table: String) throws -> [String] {
    try rows("SELECT relname FROM pg_class WHERE left(relname, length($1)) = $1", [table + "_kura_"]).compactMap { $0[0] }
}

/// A `psql` call that failed: its exit status and what it wrote to stderr.
struct PSQLError: Error, CustomStringConvertible {
    var status: Int32
    var stderr: String
    var description: String { "psql exited with status \(status): \(stderr)" }
}

/// Runs `sql` with `psql` against the server at `host`/`port` (the test server by default) and returns its unaligned,
/// tuples-only output, trimmed; throws `PSQLError` when psql fails (a connection error, an SQL error).
func psql(
    _ sql: String, host: String? = nil, port: String? = nil, user: String? = nil, database: String? = nil
) throws -> String {
    let server = TestServer.current
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [
        "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
        "-h", host ?? server?.host ?? "", "-p", port ?? server.map { String($0.port) } ?? "",
        "-U", user ?? server?.user ?? "", "-d", database ?? server?.database ?? "", "-c", sql,
    ]
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    if p.terminationStatus != 0 {
        throw PSQLError(status: p.terminationStatus, stderr: String(decoding: errors, as: UTF8.self))
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}


/// The shipped sample pipeline (`jobs/` and a week of `samples/data`) copied into a new folder, with a new database
/// on the test server as its job warehouse; `drop()` removes the database.
struct SamplePipelineOnServer {
    let dir = TempDir()
    let database: String
    let admin: PGConnection

    init(_ server: TestServer, databasePrefix: String) throws {
        admin = try server.connect()
        database = uniqueName(databasePrefix)
        _ = try admin.execute("CREATE DATABASE \(database)")
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir.path + "/samples/data", withIntermediateDirectories: true)
        try fm.copyItem(atPath: repositoryRoot + "/jobs", toPath: dir.path + "/jobs")
        try fm.copyItem(atPath: repositoryRoot + "/samples/data/week", toPath: dir.path + "/samples/data/week")
        let url = "postgresql://\(server.user)@/\(database)?host=\(server.host)&port=\(server.port)"
        dir.write("jobs/kura.yml", "warehouse: '\(url)'\ndefaults: {retries: 0}\n")
    }

    func drop() { _ = try? admin.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
}
