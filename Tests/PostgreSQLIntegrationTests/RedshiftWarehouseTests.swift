import Foundation
import KuraCore
import KuraLibPQ
import Testing

@testable import KuraWarehouse

/// `RedshiftWarehouse`: its statements use only what Redshift has, and they keep the ledger on a real server
/// (PostgreSQL, which runs the same SQL), each test in a schema of its own.
@Suite struct RedshiftWarehouseTests {
    /// Constructs Redshift does not have (or evaluates on the leader node only), in lower case.
    static let postgresOnly = [
        "on conflict", "to_regclass", "bytea", "decode(", "encode(", "advisory", "ctid", "create index", "serial",
        "now()", "jsonb", " text",
    ]

    @Test func theTablesUseOnlyRedshiftSQL() throws {
        let creation = RedshiftWarehouse.creation(schema: "kura").lowercased()
        for construct in Self.postgresOnly { #expect(!creation.contains(construct), "\(construct)") }
        // Every statement of RedshiftWarehouse, and those it shares with PostgreSQLWarehouse.
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/KuraWarehouse")
        let own = try String(contentsOf: sources.appendingPathComponent("RedshiftWarehouse.swift"), encoding: .utf8)
        let postgres = try String(contentsOf: sources.appendingPathComponent("PostgreSQLWarehouse.swift"), encoding: .utf8)
        let shared = try #require(postgres.components(separatedBy: "// MARK: - Statements shared with RedshiftWarehouse").last)
            .components(separatedBy: "/// Runs `body`").first ?? ""
        func statements(_ text: String) -> [String] {
            text.split(separator: "\"\"\"").enumerated().filter { $0.offset % 2 == 1 }.map { $0.element.lowercased() }
        }
        #expect(statements(own).count >= 4 && statements(shared).count >= 3)
        for sql in statements(own) + statements(shared) {
            for construct in Self.postgresOnly where construct != " text" { #expect(!sql.contains(construct), "\(construct) in \(sql)") }
        }
        for call in ["query(\"SELECT DISTINCT", "runColumns", "micros("] { #expect(shared.contains(call), "\(call)") }
    }

    @Test(.enabled(if: pg)) func theLedgerRunsAndRejectsRoundTrip() throws {
        let db = try TestServer.current!.connect()
        let store = RedshiftWarehouse(connection: db, schema: uniqueName("kura_rs"))
        store.now = { Timestamp(seconds: 1_700_000_100) }
        defer { _ = try? db.execute("DROP SCHEMA IF EXISTS \(quoteIdentifier(store.schema)) CASCADE") }
        #expect(try store.schemaVersion() == 0)
        #expect(try store.loadedFiles(target: "t") == [])
        let raw = Array(repeating: UInt8(0xE3), count: 40_000)
        try db.execute("BEGIN")
        try store.recordRun(
            id: "r1", configHash: "h", target: "\"public\".\"t\"", mode: "insert", sessionTime: Timestamp(seconds: 1_700_000_000),
            counts: RowCounts(read: 5, loaded: 4, rejected: 1), tasks: [InputTask(name: "/d/a.csv", size: 10, modifiedAt: 1.5)],
            taskCounts: [RowCounts(read: 5, loaded: 4, rejected: 1)], replacingLedger: false)
        try store.recordRejects(runID: "r1", target: "\"public\".\"t\"", [
            DataError(.cast, file: "/d/a.csv", line: 3, byteOffset: 40, column: "n", message: "not a long", raw: raw),
        ])
        try store.recordRejects(runID: "r1", target: "\"public\".\"t\"", [DataError(.cast, file: "/d/a.csv", message: "second")])
        try db.execute("COMMIT")
        #expect(try store.schemaVersion() == RedshiftWarehouse.layoutVersion)
        #expect(try store.loadedFiles(target: "\"public\".\"t\"") == ["/d/a.csv"])
        let run = try #require(try store.runs(target: "\"public\".\"t\"", limit: 5).first)
        #expect(run.id == "r1" && run.counts == RowCounts(read: 5, loaded: 4, rejected: 1) && run.recordedAt == Timestamp(seconds: 1_700_000_100))
        #expect(try store.runs(target: nil, limit: 5).map(\.id) == ["r1"])
        #expect(try store.ledger(target: "\"public\".\"t\"").map(\.size) == [10])
        let rejects = try store.rejects(runID: "r1")
        #expect(rejects.map(\.message) == ["not a long", "second"])
        #expect(rejects.first?.raw == Array(raw.prefix(RedshiftWarehouse.rawPrefixBytes)) && rejects.first?.length == 40_000)
        // A replacing run drops the other runs' entries for the target.
        try db.execute("BEGIN")
        try store.recordRun(
            id: "r2", configHash: "h", target: "\"public\".\"t\"", mode: "replace", sessionTime: Timestamp(seconds: 1_700_000_000),
            counts: RowCounts(read: 1, loaded: 1), tasks: [InputTask(name: "/d/b.csv")], taskCounts: [RowCounts(read: 1, loaded: 1)],
            replacingLedger: true)
        try db.execute("COMMIT")
        #expect(try store.loadedFiles(target: "\"public\".\"t\"") == ["/d/b.csv"])
    }
}
