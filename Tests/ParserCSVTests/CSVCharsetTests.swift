import KuraCore
import KuraFormats
import KuraTestSupport
import ParserCSV
import Testing

/// Parses the raw bytes `input` under every split plan.
func parseBytes(
    _ input: [UInt8], columns: [(String, String)], options: [(String, ConfigNode)] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> (rows: [[Value]], rejects: [DataError]) {
    let cols = ConfigNode(
        .sequence(columns.map { ConfigNode.mapping([("name", .scalar($0.0)), ("type", .scalar($0.1))]) }))
    let plugin = try CSVParserPlugin(config: PluginConfig(node: .mapping([("columns", cols)] + options), path: "in.parser"))
    let ctx = PluginContext(workingDirectory: "", sessionTime: Timestamp(nanos: 0), logger: .silent)
    return try PluginVerifier.verifyParser(
        input: input,
        makeParser: { try plugin.makeParser(for: InputTask(name: "t.csv"), context: ctx) },
        mismatch: { Issue.record(Comment(rawValue: $0), sourceLocation: sourceLocation) })
}

private let two = [("id", "long"), ("v", "string")]

@Suite struct CSVCharsetTests {
    @Test func shiftJISWithBackslashTrailBytesInQuotedField() throws {
        // 1,東京,"ソ表\\"  — ソ and 表 end in 0x5C, which must not be read as the escape character.
        let line1: [UInt8] = [
            0x31, 0x2C, 0x93, 0x8C, 0x8B, 0x9E, 0x2C, 0x22, 0x83, 0x5C, 0x95, 0x5C, 0x5C, 0x5C, 0x22, 0x0A,
        ]
        // 2,〜 (0x8160, WAVE DASH in strict Shift_JIS),\ (ASCII backslash, not a yen sign)
        let line2: [UInt8] = [0x32, 0x2C, 0x81, 0x60, 0x2C, 0x5C, 0x0A]
        let r = try parseBytes(
            line1 + line2, columns: [("id", "long"), ("a", "string"), ("b", "string")],
            options: [("charset", .scalar("Shift_JIS"))])
        #expect(r.rows == [[.long(1), s("東京"), s("ソ表\\")], [.long(2), s("\u{301C}"), s("\\")]])
        #expect(r.rejects.isEmpty)
    }

    @Test func ms932MapsWaveDashToFullwidthTildeAndReadsNECCharacters() throws {
        let input: [UInt8] = [0x31, 0x2C, 0x81, 0x60, 0x87, 0x40, 0x0A]
        for name in ["MS932", "windows-31j", "CP932", "Windows_31J"] {
            let r = try parseBytes(input, columns: two, options: [("charset", .scalar(name))])
            #expect(r.rows == [[.long(1), s("\u{FF5E}\u{2460}")]], "\(name)")
            #expect(r.rejects.isEmpty)
        }
        // Strict Shift_JIS has no ①: the record is rejected, not loaded with a wrong character.
        let strict = try parseBytes(input, columns: two, options: [("charset", .scalar("Shift_JIS"))])
        #expect(strict.rows.isEmpty)
        #expect(strict.rejects.map(\.code) == [.invalidEncoding])
    }

    @Test func eucJPWithHeader() throws {
        let input: [UInt8] = [
            0x69, 0x64, 0x2C, 0xCC, 0xBE, 0xC1, 0xB0, 0x0A, 0x31, 0x2C, 0xC6, 0xFC, 0xCB, 0xDC, 0xB8, 0xEC, 0x0A,
        ]
        let r = try parseBytes(input, columns: two, options: [("charset", .scalar("EUC-JP")), ("skip_header_lines", .scalar("1"))])
        #expect(r.rows == [[.long(1), s("日本語")]])
    }

    @Test func utf16LEWithBOMAndCRLF() throws {
        // "\u{FEFF}id,名前\r\n1,日本\r\n": 名 is U+540D, whose low byte is 0x0D (not a line break).
        let input: [UInt8] = [
            0xFF, 0xFE, 0x69, 0x00, 0x64, 0x00, 0x2C, 0x00, 0x0D, 0x54, 0x4D, 0x52, 0x0D, 0x00, 0x0A, 0x00, 0x31, 0x00,
            0x2C, 0x00, 0xE5, 0x65, 0x2C, 0x67, 0x0D, 0x00, 0x0A, 0x00,
        ]
        let r = try parseBytes(input, columns: [("id", "string"), ("v", "string")], options: [("charset", .scalar("UTF-16LE"))])
        #expect(r.rows == [[s("id"), s("名前")], [s("1"), s("日本")]])
        // The byte order mark decides the byte order for plain UTF-16.
        let detected = try parseBytes(input, columns: [("id", "string"), ("v", "string")], options: [("charset", .scalar("utf-16"))])
        #expect(detected.rows == r.rows)
    }

    @Test func utf16WithoutBOMIsBigEndian() throws {
        let input: [UInt8] = [0x00, 0x31, 0x00, 0x2C, 0x65, 0xE5, 0x67, 0x2C, 0x00, 0x0A]
        for name in ["UTF-16", "UTF-16BE"] {
            let r = try parseBytes(input, columns: two, options: [("charset", .scalar(name))])
            #expect(r.rows == [[.long(1), s("日本")]], "\(name)")
        }
        // A lone byte at the end is an incomplete code unit: its record is rejected.
        let r = try parseBytes(input + [0x00, 0x32, 0x00, 0x2C, 0x00], columns: two, options: [("charset", .scalar("UTF-16BE"))])
        #expect(r.rows == [[.long(1), s("日本")]])
        #expect(r.rejects.map(\.code) == [.invalidEncoding])
        #expect(r.rejects.map(\.line) == [2])
        #expect(r.rejects.first?.byteOffset == 10)
    }

    @Test func latin1AndWindows1252() throws {
        let latin1 = try parseBytes([0x31, 0x2C, 0x63, 0x61, 0x66, 0xE9, 0x0A], columns: two, options: [("charset", .scalar("latin1"))])
        #expect(latin1.rows == [[.long(1), s("café")]])
        let input: [UInt8] = [0x31, 0x2C, 0x80, 0x35, 0x20, 0x96, 0x20, 0x6F, 0x6B, 0x0A]
        let cp1252 = try parseBytes(input, columns: two, options: [("charset", .scalar("windows-1252"))])
        #expect(cp1252.rows == [[.long(1), s("€5 – ok")]])
        // The same bytes in ISO-8859-1 are C1 controls, not the euro sign.
        let asLatin1 = try parseBytes(input, columns: two, options: [("charset", .scalar("ISO-8859-1"))])
        #expect(asLatin1.rows == [[.long(1), s("\u{80}5 \u{96} ok")]])
        // 0x81 is undefined in windows-1252.
        let undefined = try parseBytes([0x31, 0x2C, 0x81, 0x0A, 0x32, 0x2C, 0x80, 0x0A], columns: two, options: [("charset", .scalar("CP1252"))])
        #expect(undefined.rows == [[.long(2), s("€")]])
        #expect(undefined.rejects.map(\.code) == [.invalidEncoding])
    }

    @Test func usASCIIRejectsBytesAbove127() throws {
        let r = try parseBytes([0x31, 0x2C, 0x61, 0x0A, 0x32, 0x2C, 0xC3, 0xA9, 0x0A], columns: two, options: [("charset", .scalar("US-ASCII"))])
        #expect(r.rows == [[.long(1), s("a")]])
        #expect(r.rejects.map(\.code) == [.invalidEncoding])
        #expect(r.rejects.map(\.line) == [2])
    }

    @Test func invalidShiftJISByteRejectsOnlyItsRecordWithTheFileOffset() throws {
        // 1,東京 / 2,a<FF>b / 3,ok — the record on line 2 starts at byte 9 of the file (byte 11 once decoded).
        let input: [UInt8] = [0x31, 0x2C, 0x93, 0x8C, 0x8B, 0x9E, 0x0A] + Array("2,a".utf8) + [0xFF] + Array("b\n3,ok\n".utf8)
        let r = try parseBytes(input, columns: two, options: [("charset", .scalar("Shift_JIS"))])
        #expect(r.rows == [[.long(1), s("東京")], [.long(3), s("ok")]])
        #expect(r.rejects.count == 1)
        let e = try #require(r.rejects.first)
        #expect(e.code == .invalidEncoding)
        #expect(e.line == 2)
        #expect(e.byteOffset == 7)
        #expect(e.message.contains("byte offset 10"))
        #expect(e.message.contains("Shift_JIS"))
        #expect(e.message.contains("invalid_bytes: replace"))
        #expect(e.rawText == "2,a\u{FFFD}b")

        let replaced = try parseBytes(
            input, columns: two, options: [("charset", .scalar("Shift_JIS")), ("invalid_bytes", .scalar("replace"))])
        #expect(replaced.rows == [[.long(1), s("東京")], [.long(2), s("a\u{FFFD}b")], [.long(3), s("ok")]])
        #expect(replaced.rejects.isEmpty)
    }

    @Test func invalidByteInsideAMultiLineQuotedFieldRejectsTheRecord() throws {
        let input = Array("1,\"a\n".utf8) + [0x82] + Array("\"\n2,b\n".utf8)
        let r = try parseBytes(input, columns: two, options: [("charset", .scalar("SJIS"))])
        #expect(r.rows == [[.long(2), s("b")]])
        #expect(r.rejects.map(\.code) == [.invalidEncoding])
        #expect(r.rejects.map(\.line) == [1])
        #expect(r.rejects.first?.byteOffset == 0)
    }

    @Test func truncatedCharacterAtTheEndOfTheFile() throws {
        let input = Array("1,a\n2,b".utf8) + [0x93]
        let r = try parseBytes(input, columns: two, options: [("charset", .scalar("Shift_JIS"))])
        #expect(r.rows == [[.long(1), s("a")]])
        #expect(r.rejects.map(\.code) == [.invalidEncoding])
        #expect(r.rejects.first?.byteOffset == 4)
    }

    @Test func invalidUTF8IsRejectedOrReplaced() throws {
        let input = Array("1,ok\n2,a".utf8) + [0xE6, 0x97] + Array("b\n3,\u{6771}\n".utf8)
        let r = try parseBytes(input, columns: two)
        #expect(r.rows == [[.long(1), s("ok")], [.long(3), s("東")]])
        #expect(r.rejects.map(\.code) == [.invalidEncoding])
        #expect(r.rejects.first?.message.contains("invalid_utf8: replace") == true)
        let replaced = try parseBytes(input, columns: two, options: [("invalid_utf8", .scalar("replace"))])
        // A truncated sequence is one U+FFFD (its maximal subpart).
        #expect(replaced.rows == [[.long(1), s("ok")], [.long(2), s("a\u{FFFD}b")], [.long(3), s("東")]])
        #expect(replaced.rejects.isEmpty)
    }

    @Test func charsetOptionErrors() throws {
        func error(_ options: [(String, ConfigNode)]) -> ConfigError? {
            let cols = ConfigNode(.sequence([.mapping([("name", .scalar("a")), ("type", .scalar("string"))])]))
            do {
                _ = try CSVParserPlugin(config: PluginConfig(node: .mapping([("columns", cols)] + options), path: "in.parser"))
                return nil
            } catch let e as ConfigError {
                return e
            } catch {
                return nil
            }
        }
        let unknown = try #require(error([("charset", .scalar("KOI8-R"))]))
        #expect(unknown.path == "in.parser.charset")
        #expect(unknown.description.contains("Shift_JIS, windows-31j, EUC-JP"))
        let typo = try #require(error([("charset", .scalar("Shift_JS"))]))
        #expect(typo.description.contains("did you mean 'Shift_JIS'?"))
        let wrongKey = try #require(error([("charset", .scalar("EUC-JP")), ("invalid_utf8", .scalar("replace"))]))
        #expect(wrongKey.path == "in.parser.invalid_utf8")
        let wrongKey2 = try #require(error([("invalid_bytes", .scalar("replace"))]))
        #expect(wrongKey2.path == "in.parser.invalid_bytes")
        let badValue = try #require(error([("charset", .scalar("EUC-JP")), ("invalid_bytes", .scalar("skip"))]))
        #expect(badValue.description.contains("reject, replace"))
        #expect(error([("charset", .scalar("eucjp")), ("invalid_bytes", .scalar("REPLACE"))]) == nil)
    }

    @Test func longShiftJISInputAtEveryChunkBoundary() throws {
        // Many lines of two-byte characters, so random splits cut characters in every position.
        var input: [UInt8] = []
        var expected: [[Value]] = []
        for i in 0..<200 {
            input += Array("\(i),".utf8) + [0x93, 0x8C, 0x8B, 0x9E, 0x83, 0x5C, 0xB1] + [0x0D, 0x0A]
            expected.append([.long(Int64(i)), s("東京ソｱ")])
        }
        let r = try parseBytes(input, columns: two, options: [("charset", .scalar("Shift_JIS"))])
        #expect(r.rows == expected)
        #expect(r.rejects.isEmpty)
    }
}
