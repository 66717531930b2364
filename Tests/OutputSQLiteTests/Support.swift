import Foundation
import KuraCore
import KuraSQLite
import KuraTestSupport
import OutputSQLite

/// A fresh temporary directory, removed when the value is dropped by `cleanUp()`.
struct TempDir {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "kura-sqlite-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    var context: PluginContext {
        PluginContext(workingDirectory: path, sessionTime: Timestamp(seconds: 1_700_000_000), logger: .silent)
    }
}

/// Builds one page of `schema` from boxed rows.
func makePage(_ schema: Schema, _ rows: [[Value]]) -> Page {
    var builder = PageBuilder(schema: schema, capacity: max(1, rows.count))
    for row in rows {
        for (c, v) in row.enumerated() { builder.set(c, v) }
        builder.finishRecord()
    }
    return builder.build()
}

/// Decodes a YAML-free config section from string pairs (values are plain scalars).
func config(_ pairs: [(String, ConfigNode)]) -> PluginConfig {
    PluginConfig(node: .mapping(pairs), path: "out")
}

/// Makes the plugin from a config section, as the registry would.
func makePlugin(_ pairs: [(String, ConfigNode)], context: PluginContext) throws -> OutputPlugin {
    guard case .output(let factory) = SQLiteOutputPlugin.descriptor.factory else { fatalError("not an output factory") }
    return try factory(config(pairs), context)
}

/// Runs a whole load: begin, one task per page list, commit.
func load(_ plugin: OutputPlugin, _ schema: Schema, _ pagesPerTask: [[Page]], context: PluginContext) throws {
    try plugin.plan(schema: schema, context: context)
    let tasks = pagesPerTask.indices.map { InputTask(name: "f\($0).csv") }
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
    try session.commit(CommitReport(tasks: tasks, counts: counts, total: total))
}

/// Whether `table` exists in the database at `path`.
func tableExists(_ path: String, _ table: String) throws -> Bool {
    let db = try SQLiteConnection(path: path, mode: .readOnly)
    return try !db.queryText("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [table]).isEmpty
}

/// The number of rows in `table`, or 0 when the table (or the file) does not exist; read on a new connection.
func countRows(_ path: String, _ table: String) throws -> Int {
    guard FileManager.default.fileExists(atPath: path) else { return 0 }
    guard try tableExists(path, table) else { return 0 }
    let db = try SQLiteConnection(path: path, mode: .readOnly)
    let text = try db.queryText("SELECT count(*) FROM \(SQLiteOutputPlugin.quote(table))").first?.first ?? nil
    return Int(text ?? "") ?? -1
}

/// Reads `table` back as values of `schema` (booleans from 0/1, timestamps from ISO 8601 text), in rowid order.
func readRows(_ path: String, _ table: String, _ schema: Schema) throws -> [[Value]] {
    let db = try SQLiteConnection(path: path, mode: .readOnly)
    let columns = schema.names.map(SQLiteOutputPlugin.quote).joined(separator: ", ")
    let stmt = try db.prepare("SELECT \(columns) FROM \(SQLiteOutputPlugin.quote(table)) ORDER BY rowid")
    var rows: [[Value]] = []
    while try stmt.step() {
        rows.append(
            schema.columns.map { column in
                let i = Int32(column.index)
                if stmt.isNull(at: i) { return .null }
                switch column.type {
                case .long: return .long(stmt.int64(at: i))
                case .double: return .double(stmt.double(at: i))
                case .boolean: return .boolean(stmt.int64(at: i) != 0)
                case .string: return .string(stmt.text(at: i))
                case .json: return .json(stmt.text(at: i))
                case .timestamp: return parseISO8601(stmt.text(at: i)).map { .timestamp($0) } ?? .string(stmt.text(at: i))
                }
            })
    }
    return rows
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (what the output writes) into a timestamp.
func parseISO8601(_ text: String) -> Timestamp? {
    let b = Array(text.utf8)
    guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"), b.last == UInt8(ascii: "Z") else {
        return nil
    }
    func num(_ from: Int, _ to: Int) -> Int64? {
        var v: Int64 = 0
        for i in from..<to {
            guard b[i] >= 48 && b[i] <= 57 else { return nil }
            v = v * 10 + Int64(b[i] - 48)
        }
        return v
    }
    guard let y = num(0, 4), let mo = num(5, 7), let d = num(8, 10), let h = num(11, 13), let mi = num(14, 16),
        let s = num(17, 19)
    else { return nil }
    var nanos: Int64 = 0
    if b[19] == UInt8(ascii: ".") {
        let digits = b.count - 1 - 20
        guard digits >= 1 && digits <= 9, let f = num(20, b.count - 1) else { return nil }
        nanos = f
        for _ in digits..<9 { nanos *= 10 }
    }
    let secs = daysFromCivil(y, Int(mo), Int(d)) * 86_400 + h * 3600 + mi * 60 + s
    return Timestamp(seconds: secs, nanosecond: nanos)
}
