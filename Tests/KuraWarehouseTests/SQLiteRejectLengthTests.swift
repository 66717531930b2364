import KuraCore
import KuraSQLite
import KuraTestSupport
import Testing

@testable import KuraWarehouse

/// The rejects table keeps a bounded prefix of an oversized record and its whole length.
@Suite struct SQLiteRejectLengthTests {
    let dir = TempDir()

    @Test func anOversizedRecordKeepsItsPrefixAndItsWholeLength() throws {
        let db = try SQLiteConnection(path: dir.path + "/w.db")
        let store = SQLiteWarehouse(connection: db)
        var big = DataError(.recordTooLarge, file: "/d/a.csv", line: 2, byteOffset: 10, message: "too large",
            raw: [UInt8](repeating: 65, count: 100_000), length: 300_000_000)
        big.capRaw()
        try store.recordRejects(runID: "r1", target: "t", [big, DataError(.cast, file: "/d/a.csv", line: 3, message: "x", raw: Array("1,b".utf8))])
        let back = try store.rejects(runID: "r1")
        #expect(back.map(\.length) == [300_000_000, 3])
        #expect(back[0].raw.count == DataError.rawLimit && back[0].code == "RECORD_TOO_LARGE")
        #expect(try store.schemaVersion() == WarehouseSchema.currentVersion)
    }
}
