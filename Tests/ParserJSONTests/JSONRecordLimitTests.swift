import KuraCore
import KuraTestSupport
import ParserJSON
import Testing

/// `max_record_size`: a JSON value that does not end within the limit is rejected with `RECORD_TOO_LARGE`, the rest
/// of its line is skipped, and the values around it load (whole, byte by byte and at random splits).
@Suite struct JSONRecordLimitTests {
    static let limit: ConfigNode = ["max_record_size": "1024"]

    func expectTooLarge(_ r: (rows: [[Value]], rejects: [DataError]), line: Int, length: Int64) {
        #expect(r.rejects.map(\.code) == [.recordTooLarge])
        #expect(r.rejects.first?.line == line)
        #expect(r.rejects.first?.length == length)
        #expect((r.rejects.first?.raw.count ?? 0) <= DataError.rawLimit)
        #expect(r.rejects.first?.message.contains("max_record_size (1024 bytes)") == true)
    }

    @Test func aHugeStringIsRejectedAndTheNextValuesLoad() throws {
        let value = "{\"a\":\"" + String(repeating: "x", count: 5000) + "\"}"
        let r = try parse("{\"a\":1}\n\(value)\n{\"a\":3}\n", Self.limit)
        #expect(jsonTexts(r.rows) == ["{\"a\":1}", "{\"a\":3}"])
        expectTooLarge(r, line: 2, length: Int64(value.utf8.count))
        #expect(r.rejects.first?.byteOffset == 8)
        #expect(r.rejects.first.map { String(decoding: $0.raw, as: UTF8.self) } == value)
    }

    @Test func aHugeObjectIsRejectedAndTheNextValuesLoad() throws {
        let members = (0..<400).map { "\"k\($0)\": [\($0), true, null]" }.joined(separator: ", ")
        let r = try parse("{\"a\":1}\r\n{\(members)}\r\n{\"a\":3}\r\n", Self.limit)
        #expect(jsonTexts(r.rows) == ["{\"a\":1}", "{\"a\":3}"])
        expectTooLarge(r, line: 2, length: Int64(members.utf8.count + 2))
    }

    @Test func aLastValueWithoutALineBreakIsRejected() throws {
        let r = try parse("{\"a\":1}\n{\"a\":\"" + String(repeating: "y", count: 3000), Self.limit)
        #expect(jsonTexts(r.rows) == ["{\"a\":1}"])
        expectTooLarge(r, line: 2, length: 3006)
    }

    @Test func typedColumnsAndArraysHaveTheSameLimit() throws {
        let big = "[" + (0..<600).map { "{\"id\":\($0)}" }.joined(separator: ",") + "]"
        let config: ConfigNode = ["max_record_size": "1024", "flatten_json_array": "true", "columns": [["name": "id", "type": "long"]]]
        let r = try parse("[{\"id\":1}]\n\(big)\n[{\"id\":2},{\"id\":3}]\n", config)
        #expect(r.rows == [[.long(1)], [.long(2)], [.long(3)]])
        #expect(r.rejects.map(\.code) == [.recordTooLarge])
        #expect(r.rejects.first?.line == 2)
    }

    @Test func aValueAtTheLimitLoads() throws {
        // 1024 bytes: {"a":"…"} around 1016 bytes.
        let fits = "{\"a\":\"" + String(repeating: "f", count: 1016) + "\"}"
        let r = try parse("\(fits)\n{\"a\":\"\(String(repeating: "f", count: 1017))\"}\n", Self.limit)
        #expect(jsonTexts(r.rows) == [fits])
        expectTooLarge(r, line: 2, length: 1025)
    }

    @Test func theOptionHasADefaultAndAFloor() throws {
        #expect(try jsonPlugin().options.maxRecordSize == 16 * 1024 * 1024)
        #expect(try jsonPlugin(["max_record_size": "4096"]).options.maxRecordSize == 4096)
        #expect(throws: ConfigError.self) { try jsonPlugin(["max_record_size": "0"]) }
    }
}
