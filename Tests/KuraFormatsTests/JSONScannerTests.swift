import KuraCore
import KuraFormats
import KuraTestSupport
import Testing

/// Conformance of the scanner, in the spirit of JSONTestSuite: texts that must be accepted (with their compact
/// form), texts that must be rejected, and implementation-defined ones with the behaviour chosen here.
@Suite struct JSONConformanceTests {

    @Test func validDocumentsCompactExactly() {
        for (text, expected) in JSONConformanceCases.valid {
            switch compacted(text) {
            case .success(let out): #expect(out == expected, "\(text)")
            case .failure(let e): Issue.record("rejected valid \(text): \(e)")
            }
        }
    }

    @Test func invalidDocumentsAreErrorsWithOffsets() {
        for text in JSONConformanceCases.invalid {
            switch compacted(text) {
            case .success(let out): Issue.record("accepted invalid \(text.debugDescription) as \(out)")
            case .failure(let e):
                #expect(e.offset >= 0 && e.offset <= text.utf8.count, "\(text.debugDescription): \(e)")
                #expect(!e.message.isEmpty)
            }
        }
    }

    @Test func invalidUTF8InStringsIsAnEncodingError() {
        let cases: [[UInt8]] = [
            [0x5B, 0x22, 0xC3, 0x22, 0x5D],  // truncated 2-byte sequence
            [0x5B, 0x22, 0xC0, 0xAF, 0x22, 0x5D],  // overlong
            [0x5B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x5D],  // UTF-8 encoded surrogate
            [0x5B, 0x22, 0xF4, 0x90, 0x80, 0x80, 0x22, 0x5D],  // beyond U+10FFFF
            [0x5B, 0x22, 0xFF, 0x22, 0x5D],
            [0x5B, 0x22, 0x80, 0x22, 0x5D],
        ]
        for bytes in cases {
            switch compacted(bytes: bytes) {
            case .success: Issue.record("accepted invalid UTF-8 \(bytes)")
            case .failure(let e):
                #expect(e.kind == .encoding, "\(bytes): \(e)")
                #expect(e.offset == 2, "\(bytes): \(e)")
            }
        }
        // Bytes outside strings are a syntax error.
        if case .failure(let e) = compacted(bytes: [0x5B, 0xC3, 0xA9, 0x5D]) { #expect(e.kind == .syntax) } else { Issue.record("accepted") }
    }

    @Test func implementationDefinedChoices() throws {
        // Huge exponents and long integers are kept as written.
        #expect(try compacted("[1e999]").get() == "[1e999]")
        #expect(try compacted("[-123456789012345678901234567890e-999]").get() == "[-123456789012345678901234567890e-999]")
        // Lone surrogate escapes follow the grammar, so PASSTHROUGH keeps them as written.
        #expect(try compacted("[\"\\uD800\"]").get() == "[\"\\uD800\"]")
        #expect(try compacted("[\"\\uDFAA\\uD800x\"]").get() == "[\"\\uDFAA\\uD800x\"]")
        // UNESCAPE turns them into U+FFFD, SKIP drops them; a valid pair is untouched.
        #expect(try compacted("[\"a\\uD800b\"]", escapes: .unescape).get() == "[\"a\\uFFFDb\"]")
        #expect(try compacted("[\"a\\uD800b\"]", escapes: .skip).get() == "[\"ab\"]")
        #expect(try compacted("[\"\\uD83D\\uDE00\"]", escapes: .skip).get() == "[\"\\uD83D\\uDE00\"]")
        // Non-characters are accepted.
        #expect(try compacted("[\"\\uFFFF\u{FFFF}\"]").get() == "[\"\\uFFFF\u{FFFF}\"]")
        // Duplicate keys are kept (readers take the last one).
        #expect(try compacted("{\"a\":1,\"a\":2}").get() == "{\"a\":1,\"a\":2}")
        // Escaped NUL is fine.
        #expect(try compacted("[\"\\u0000\"]").get() == "[\"\\u0000\"]")
    }

    @Test func invalidEscapePolicies() throws {
        // Embulk's examples: {"\a":"b"}.
        #expect(throws: JSONError.self) { try JSON.compact("{\"\\a\":\"b\"}") }
        #expect(try compacted("{\"\\a\":\"b\"}", escapes: .skip).get() == "{\"\":\"b\"}")
        #expect(try compacted("{\"\\a\":\"b\"}", escapes: .unescape).get() == "{\"a\":\"b\"}")
        #expect(try compacted("{\"\\u12xY\":\"efg\"}", escapes: .skip).get() == "{\"12xY\":\"efg\"}")
        #expect(try compacted("{\"\\u000x\":\"efg\"}", escapes: .unescape).get() == "{\"u000x\":\"efg\"}")
        // Valid escapes are never touched.
        #expect(try compacted("[\"\\n\\u0001\"]", escapes: .skip).get() == "[\"\\n\\u0001\"]")
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(try compacted(ok).get() == ok)
        let deep = String(repeating: "[", count: 1001) + String(repeating: "]", count: 1001)
        switch compacted(deep) {
        case .success: Issue.record("accepted 1001 levels")
        case .failure(let e):
            #expect(e.kind == .depth)
            #expect(e.offset == 1000)
            #expect(e.message.contains("1000"))
        }
        let objects = String(repeating: "{\"a\":", count: 5) + "1" + String(repeating: "}", count: 5)
        #expect(throws: JSONError.self) { try JSON.compact(objects, maxDepth: 4) }
        #expect(try JSON.compact(objects, maxDepth: 5) == objects)
        // Very deep input fails cleanly instead of exhausting the stack.
        let huge = String(repeating: "[", count: 200_000)
        if case .success = compacted(huge) { Issue.record("accepted") }
    }

    @Test func errorMessagesSayWhatWasExpectedAndWhere() {
        guard case .failure(let e) = compacted("{\"a\":1 x}") else { Issue.record("accepted"); return }
        #expect(e.offset == 7)
        #expect(e.message.contains("expected ',' or '}'"))
        #expect(e.description.contains("at byte 7"))
        guard case .failure(let e2) = compacted("[\"ab\u{01}\"]") else { Issue.record("accepted"); return }
        #expect(e2.offset == 4)
        #expect(e2.message.contains("control character"))
        guard case .failure(let e3) = compacted("[1,") else { Issue.record("accepted"); return }
        #expect(e3.offset == 3)
        #expect(e3.message.contains("end of the input"))
    }

    @Test func incrementalScanning() {
        let scanner = JSONScanner()
        func scan(_ text: String, final: Bool) -> (JSONScanner.Outcome, String) {
            var out: [UInt8] = []
            let bytes = Array(text.utf8)
            let r = bytes.withUnsafeBytes { scanner.scan($0, from: 0, isFinal: final, tree: nil, compactInto: &out) }
            return (r, String(decoding: out, as: UTF8.self))
        }
        // Cut inside a value: more data is needed, nothing is written; at the end of the stream it is an error.
        for prefix in ["{\"a\": [1, 2", "\"abc", "tru", "{\"a\"", "[\"\\u12", "[\"\\uD83D\""] {
            let cut = prefix
            #expect(scan(cut, final: false).0 == .needMoreData, "\(prefix)")
            #expect(scan(cut, final: false).1 == "")
            if case .invalid(let e) = scan(cut, final: true).0 {
                #expect(e.offset == cut.utf8.count)
            } else {
                Issue.record("\(prefix) accepted at the end")
            }
        }
        // A UTF-8 character cut after its first byte.
        var out: [UInt8] = []
        let cutUTF8: [UInt8] = [0x22, 0xE6]
        #expect(cutUTF8.withUnsafeBytes { scanner.scan($0, from: 0, isFinal: false, tree: nil, compactInto: &out) } == .needMoreData)
        // A top-level number may go on in the next chunk.
        #expect(scan("123", final: false).0 == .needMoreData)
        #expect(scan("123", final: true).0 == .complete(end: 3))
        #expect(scan("123 ", final: false).0 == .complete(end: 3))
        // The value ends where it ends; what follows is the caller's.
        #expect(scan("{\"a\" : 1} {", final: false) == (.complete(end: 9), "{\"a\":1}"))
        // An error is an error whatever follows.
        if case .invalid(let e) = scan("[1 x", final: false).0 { #expect(e.offset == 3) } else { Issue.record("not invalid") }
        #expect(scanner.maxDepth == 1000)
    }

    @Test func pointersAndLocate() throws {
        let doc = Array("{\"a\":{\"b\":[10,{\"c/d\":\"x\",\"m~n\":true}]},\"e\":null}".utf8)
        let scanner = JSONScanner()
        func at(_ p: String) throws -> String? {
            let pointer = try JSONPointer(p)
            return try doc.withUnsafeBytes { b in
                try scanner.locate(pointer, in: b).map { String(decoding: b[$0], as: UTF8.self) }
            }
        }
        #expect(try at("") == String(decoding: doc, as: UTF8.self))
        #expect(try at("/a/b/0") == "10")
        #expect(try at("/a/b/1/c~1d") == "\"x\"")
        #expect(try at("/a/b/1/m~0n") == "true")
        #expect(try at("/e") == "null")
        #expect(try at("/a/b/2") == nil)
        #expect(try at("/a/b/01") == nil)
        #expect(try at("/zz") == nil)
        #expect(throws: JSONCastError.self) { try JSONPointer("a/b") }
        #expect(throws: JSONCastError.self) { try JSONPointer("/a~2") }
        #expect(try JSONPointer("/a~1b/~0").tokens == [Array("a/b".utf8), Array("~".utf8)])
        #expect(JSONPointer(tokens: [Array("a/b".utf8), Array("~".utf8)]).text == "/a~1b/~0")
    }

    @Test func unescapingAndTypedReads() throws {
        func text(_ json: String, _ policy: JSONInvalidEscapes = .passthrough) throws -> String {
            var out: [UInt8] = []
            let bytes = Array(json.utf8)
            try bytes.withUnsafeBytes { (b) throws in
                try JSON.appendUnescaped(UnsafeRawBufferPointer(rebasing: b[1..<(b.count - 1)]), invalidEscapes: policy, to: &out)
            }
            return String(decoding: out, as: UTF8.self)
        }
        #expect(try text("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"") == "a\"b\\c/d\u{08}\u{0C}\n\r\t")
        #expect(try text("\"\\u0041\\u00E9\\u65E5\\uD83D\\uDE00\"") == "Aé日😀")
        #expect(try text("\"\\u0000\"") == "\u{0}")
        #expect(throws: JSONCastError.self) { try text("\"\\uD800\"") }
        #expect(throws: JSONCastError.self) { try text("\"\\uDC00\\uD800\"") }
        #expect(try text("\"x\\uD800y\"", .unescape) == "x\u{FFFD}y")
        #expect(try text("\"x\\uDE00y\"", .skip) == "xy")
        #expect(try text("\"\\uD83D\\u0041\"", .unescape) == "\u{FFFD}A")

        func read<T>(_ json: String, _ f: (UnsafeRawBufferPointer, inout [UInt8]) throws -> T) throws -> T {
            var scratch: [UInt8] = []
            let bytes = Array(json.utf8)
            return try bytes.withUnsafeBytes { (b) throws in try f(b, &scratch) }
        }
        let long = { (s: String) throws in try read(s) { (b, s) throws in try JSON.int64(b, invalidEscapes: .passthrough, scratch: &s) } }
        #expect(try long("9007199254740993") == 9_007_199_254_740_993)
        #expect(try long("-9223372036854775808") == Int64.min)
        #expect(try long("9223372036854775807") == Int64.max)
        #expect(throws: JSONCastError.self) { try long("9223372036854775808") }
        #expect(throws: JSONCastError.self) { try long("1234567890123456789012345678901234567890") }
        #expect(throws: JSONCastError.self) { try long("1.5") }
        #expect(throws: JSONCastError.self) { try long("1e3") }
        #expect(throws: JSONCastError.self) { try long("true") }
        #expect(try long("\"42\"") == 42)
        #expect(try long("\"-7\"") == -7)
        #expect(throws: JSONCastError.self) { try long("\"4 2\"") }

        let double = { (s: String) throws in try read(s) { (b, s) throws in try JSON.double(b, invalidEscapes: .passthrough, scratch: &s) } }
        for d in [0.1, 1.7976931348623157e308, 2.2250738585072014e-308, Double.leastNonzeroMagnitude, 9007199254740993.0, 123.456, -0.0] {
            #expect(try double(d.description) == d)
        }
        #expect(try double("0.30000000000000004") == 0.30000000000000004)
        #expect(try double("1.000000000000000000001") == 1.0)
        #expect(try double("\"2.5\"") == 2.5)
        #expect(throws: JSONCastError.self) { try double("[1]") }

        let boolean = { (s: String) throws in try read(s) { (b, s) throws in try JSON.boolean(b, invalidEscapes: .passthrough, scratch: &s) } }
        #expect(try boolean("true") == true)
        #expect(try boolean("false") == false)
        #expect(try boolean("\"yes\"") == true)
        #expect(try boolean("0") == false)
        #expect(throws: JSONCastError.self) { try boolean("2") }
        #expect(throws: JSONCastError.self) { try boolean("\"maybe\"") }
    }

    @Test func appendQuotedEscapesAndRepairs() {
        var out: [UInt8] = []
        JSON.appendQuoted("a\"b\\c\n\t\r\u{08}\u{0C}\u{01}\u{1F}é😀/", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001Fé😀/\"")
        out = []
        ([0x61, 0xFF, 0x62, 0xC3] as [UInt8]).withUnsafeBytes { JSON.appendQuoted($0, to: &out) }
        #expect(out == [0x22, 0x61, 0xEF, 0xBF, 0xBD, 0x62, 0xEF, 0xBF, 0xBD, 0x22])
        out = []
        JSON.appendQuoted("", to: &out)
        #expect(out == [0x22, 0x22])
        // Whatever appendQuoted writes is valid JSON that decodes back.
        if case .failure(let e) = compacted(bytes: Array("[\"a\\\"b\\\\c\\n\\u0001é\"]".utf8)) { Issue.record("\(e)") }
    }
}

/// Compacts `text` with `JSON.compact`, or returns the error.
func compacted(_ text: String, maxDepth: Int = 1000, escapes: JSONInvalidEscapes = .passthrough) -> Result<String, JSONError> {
    Result { () throws(JSONError) in try JSON.compact(text, maxDepth: maxDepth, invalidEscapes: escapes) }
}

func compacted(bytes: [UInt8]) -> Result<String, JSONError> {
    var out: [UInt8] = []
    let r = bytes.withUnsafeBytes { b in Result { () throws(JSONError) in try JSON.compact(b, into: &out) } }
    return r.map { String(decoding: out, as: UTF8.self) }
}
