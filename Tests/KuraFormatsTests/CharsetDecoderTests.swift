import KuraCore
import KuraFormats
import KuraTestSupport
import Testing

/// A `CharsetDecoder` as a byte transform, so `PluginVerifier` can feed it whole, byte by byte and at random splits.
private final class DecoderTransform: ByteTransform {
    let decoder: CharsetDecoder
    var invalid: [InvalidSequence] = []
    init(_ charset: Charset) throws { decoder = try CharsetDecoder(charset: charset) }
    func push(_ input: UnsafeRawBufferPointer, to sink: ByteSink) throws {
        try decoder.decode(input, to: sink)
        invalid += decoder.takeInvalid()
    }
    func finish(to sink: ByteSink) throws {
        try decoder.finish(to: sink)
        invalid += decoder.takeInvalid()
    }
}

private func decode(_ input: [UInt8], _ charset: Charset) throws -> String {
    let out = try PluginVerifier.verifyTransform(
        input: input, makeTransform: { try DecoderTransform(charset) }, mismatch: { Issue.record(Comment(rawValue: $0)) })
    return String(decoding: out, as: UTF8.self)
}

@Suite struct CharsetDecoderTests {
    @Test func namesAndAliases() {
        #expect(Charset(named: "ms932") == .windows31J)
        #expect(Charset(named: "Windows-31J") == .windows31J)
        #expect(Charset(named: "cp932") == .windows31J)
        #expect(Charset(named: "shift-jis") == .shiftJIS)
        #expect(Charset(named: "latin1") == .iso8859_1)
        #expect(Charset(named: "CP1252") == .windows1252)
        #expect(Charset(named: "utf8") == .utf8)
        #expect(Charset(named: "ascii") == .usASCII)
        #expect(Charset(named: "KOI8-R") == nil)
        #expect(Charset.all.filter { !$0.isAvailable }.isEmpty)
    }

    @Test func glibcConvertersDifferOn0x8160AsJavaDoes() throws {
        #expect(try decode([0x81, 0x60], .windows31J) == "\u{FF5E}")
        #expect(try decode([0x81, 0x60], .shiftJIS) == "\u{301C}")
        // Single bytes 0x5C and 0x7E are ASCII in both (glibc's SHIFT_JIS would give ¥ and ‾).
        #expect(try decode([0x5C, 0x7E, 0x81, 0x8F], .shiftJIS) == "\\~\u{FFE5}")
        #expect(try decode([0x5C, 0x7E], .windows31J) == "\\~")
    }

    @Test func invalidSequencesAreReplacedAndReportedWithBothOffsets() throws {
        // "東" (2 bytes → 3), an invalid 0xFF, then "a".
        let t = try DecoderTransform(.shiftJIS)
        var out: [UInt8] = []
        let input: [UInt8] = [0x93, 0x8C, 0xFF, 0x61]
        try input.withUnsafeBytes { try t.push($0) { out += $0 } }
        try t.finish { out += $0 }
        #expect(String(decoding: out, as: UTF8.self) == "東\u{FFFD}a")
        #expect(t.invalid == [InvalidSequence(decodedOffset: 3, originalOffset: 2, length: 1)])
        #expect(t.decoder.originalOffset(ofDecoded: 6) == 3)
    }

    @Test func offsetsAreExactAtLineStarts() throws {
        let d = try CharsetDecoder(charset: .utf16LE)
        var input: [UInt8] = [0xFF, 0xFE]
        for u in "日本\nab\r\n東\n".utf16 { input += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        var out: [UInt8] = []
        for b in input { try [b].withUnsafeBytes { try d.decode($0) { out += $0 } } }
        try d.finish { out += $0 }
        #expect(String(decoding: out, as: UTF8.self) == "日本\nab\r\n東\n")
        #expect(d.originalOffset(ofDecoded: 0) == 2)  // after the byte order mark
        #expect(d.originalOffset(ofDecoded: 7) == 8)  // "ab" starts at UTF-8 byte 7, file byte 8
        #expect(d.originalOffset(ofDecoded: 11) == 16)  // "東"
    }

    @Test func everyCharsetAtEverySplit() throws {
        #expect(try decode([0xC6, 0xFC, 0xCB, 0xDC, 0x0A], .eucJP) == "日本\n")
        #expect(try decode([0x63, 0x61, 0x66, 0xE9], .iso8859_1) == "café")
        #expect(try decode([0x80, 0x96], .windows1252) == "€–")
        #expect(try decode([0x00, 0x41, 0xD8, 0x3D, 0xDE, 0x00], .utf16) == "A😀")
        #expect(try decode([0xFE, 0xFF, 0x00, 0x41], .utf16) == "A")
        #expect(try decode([0x41, 0x00, 0x3D, 0xD8, 0x00, 0xDE], .utf16LE) == "A😀")
        #expect(try decode([0x41, 0xE6, 0x97, 0xA5, 0xC3], .utf8) == "A日\u{FFFD}")
        #expect(try decode([0x41, 0x93], .shiftJIS) == "A\u{FFFD}")
        #expect(try decode([0x41, 0x80], .usASCII) == "A\u{FFFD}")
    }
}
