import KuraCore
import KuraFormats
import KuraTestSupport
import ParserJSON
import Testing

@Suite struct JSONCharsetTests {
    /// `{"name":"東京","n":1}` + LF in Shift_JIS.
    static let tokyoSJIS: [UInt8] = [
        0x7B, 0x22, 0x6E, 0x61, 0x6D, 0x65, 0x22, 0x3A, 0x22, 0x93, 0x8C, 0x8B, 0x9E, 0x22, 0x2C, 0x22, 0x6E, 0x22, 0x3A,
        0x31, 0x7D, 0x0A,
    ]

    @Test func shiftJISLinesIntoTypedColumns() throws {
        let config: ConfigNode = ["charset": "Shift_JIS", "columns": [["name": "name", "type": "string"], ["name": "n", "type": "long"]]]
        // "ソ" ends in 0x5C, which must not be read as a backslash escape inside the JSON string.
        let so: [UInt8] = Array("{\"name\":\"".utf8) + [0x83, 0x5C] + Array("\",\"n\":2}\n".utf8)
        let r = try parse(Self.tokyoSJIS + so, config)
        #expect(r.rows == [[.string("東京"), .long(1)], [.string("ソ"), .long(2)]])
        #expect(r.rejects.isEmpty)
    }

    @Test func ms932AndEUCJPWholeRecords() throws {
        let ms932 = Array("{\"s\":\"".utf8) + [0x81, 0x60, 0x87, 0x40] + Array("\"}\n".utf8)
        #expect(jsonTexts(try parse(ms932, ["charset": "MS932"]).rows) == ["{\"s\":\"\u{FF5E}\u{2460}\"}"])
        let euc = Array("{\"s\":\"".utf8) + [0xC6, 0xFC, 0xCB, 0xDC] + Array("\"}\n".utf8)
        #expect(jsonTexts(try parse(euc, ["charset": "euc-jp"]).rows) == ["{\"s\":\"日本\"}"])
    }

    @Test func utf16LEWithBOM() throws {
        var input: [UInt8] = [0xFF, 0xFE]
        for u in "{\"k\":\"名前\"}\r\n{\"k\":\"é\"}\n".utf16 { input += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        let r = try parse(input, ["charset": "UTF-16LE"])
        #expect(jsonTexts(r.rows) == ["{\"k\":\"名前\"}", "{\"k\":\"é\"}"])
        let detected = try parse(input, ["charset": "UTF-16"])
        #expect(detected.rows == r.rows)
    }

    @Test func latin1AndWindows1252() throws {
        let input = Array("{\"p\":\"".utf8) + [0x80, 0xE9] + Array("\"}\n".utf8)
        #expect(jsonTexts(try parse(input, ["charset": "windows-1252"]).rows) == ["{\"p\":\"€é\"}"])
        #expect(jsonTexts(try parse(input, ["charset": "ISO-8859-1"]).rows) == ["{\"p\":\"\u{80}é\"}"])
    }

    @Test func invalidShiftJISRejectsOnlyItsRecord() throws {
        let bad = Array("{\"name\":\"a".utf8) + [0xFF] + Array("\",\"n\":2}\n".utf8)
        let input = Self.tokyoSJIS + bad + Self.tokyoSJIS
        let config: ConfigNode = ["charset": "Shift_JIS", "columns": [["name": "name", "type": "string"], ["name": "n", "type": "long"]]]
        let r = try parse(input, config)
        #expect(r.rows == [[.string("東京"), .long(1)], [.string("東京"), .long(1)]])
        #expect(r.rejects.map(\.code) == [.invalidEncoding])
        #expect(r.rejects.map(\.line) == [2])
        #expect(r.rejects.first?.byteOffset == 22)
        #expect(r.rejects.first?.message.contains("byte offset 32") == true)
        #expect(r.rejects.first?.rawText == "{\"name\":\"a\u{FFFD}\",\"n\":2}")

        let replaced = try parse(
            input, ["charset": "Shift_JIS", "invalid_bytes": "replace", "columns": [["name": "name", "type": "string"], ["name": "n", "type": "long"]]])
        #expect(replaced.rows == [[.string("東京"), .long(1)], [.string("a\u{FFFD}"), .long(2)], [.string("東京"), .long(1)]])
        #expect(replaced.rejects.isEmpty)
    }

    @Test func invalidByteOutsideAStringIsAnEncodingReject() throws {
        // The replacement character is not JSON syntax: still reported as the encoding problem it comes from.
        let input = Array("{\"a\":1}\n{\"a\":".utf8) + [0xFF] + Array("}\n{\"a\":3}\n".utf8)
        let r = try parse(input, ["charset": "Shift_JIS"])
        #expect(jsonTexts(r.rows) == ["{\"a\":1}", "{\"a\":3}"])
        #expect(r.rejects.map(\.code) == [.invalidEncoding])
        #expect(r.rejects.map(\.line) == [2])
    }

    @Test func flattenedArrayRejectsOnlyTheElementWithTheInvalidByte() throws {
        let input = Array("[{\"a\":\"x\"},{\"a\":\"".utf8) + [0x81, 0x20] + Array("\"},{\"a\":\"z\"}]\n".utf8)
        let r = try parse(input, ["charset": "Shift_JIS", "flatten_json_array": "true"])
        #expect(jsonTexts(r.rows) == ["{\"a\":\"x\"}", "{\"a\":\"z\"}"])
        #expect(r.rejects.map(\.code) == [.invalidEncoding])
    }

    @Test func invalidUTF8ReplacedWhenAsked() throws {
        let input = Array("{\"a\":\"x".utf8) + [0xC3] + Array("\"}\n{\"a\":\"ok\"}\n".utf8)
        let rejected = try parse(input)
        #expect(rejected.rejects.map(\.code) == [.invalidEncoding])
        #expect(jsonTexts(rejected.rows) == ["{\"a\":\"ok\"}"])
        let replaced = try parse(input, ["invalid_utf8": "replace"])
        #expect(jsonTexts(replaced.rows) == ["{\"a\":\"x\u{FFFD}\"}", "{\"a\":\"ok\"}"])
        #expect(replaced.rejects.isEmpty)
        #expect(throws: ConfigError.self) { try jsonPlugin(["invalid_bytes": "replace"]) }
        #expect(throws: ConfigError.self) { try jsonPlugin(["charset": "cp932", "invalid_utf8": "replace"]) }
    }
}
