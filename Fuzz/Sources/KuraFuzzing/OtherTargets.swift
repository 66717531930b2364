import DecoderGzip
import EncoderGzip
import KuraCore
import KuraFormats

extension FuzzTargets {
    /// `JSON.compact`: the whole input is the text.
    ///
    /// Invariants: no crash; an error points inside the input; a result is no longer than the input, has no
    /// whitespace outside strings, and compacts to itself; the scanner fed the same text in two pieces (incremental
    /// contract: `.needMoreData`, then scan again from the start) agrees.
    public static func jsonCompact(_ data: UnsafeRawBufferPointer) {
        var out: [UInt8] = []
        let result = Result { () throws(JSONError) in try JSON.compact(data, into: &out) }
        switch result {
        case .failure(let e):
            check(out.isEmpty, "compact left \(out.count) bytes behind after an error")
            check(e.offset >= 0 && e.offset <= data.count, "compact error at \(e.offset) of \(data.count) bytes")
            check(!e.message.isEmpty, "compact error without a message")
        case .success:
            check(out.count <= data.count, "compact grew \(data.count) bytes into \(out.count)")
            check(!outsideStrings(out).contains(where: JSON.isWhitespace), "compact output has whitespace outside strings")
            var again: [UInt8] = []
            let second = out.withUnsafeBytes { b in Result { () throws(JSONError) in try JSON.compact(b, into: &again) } }
            check((try? second.get()) != nil && again == out, "compact output does not compact to itself")
        }
        // Incremental scanning: a prefix never completes a value the whole text does not, and a value that
        // completes in the whole text gives the same bytes and end when scanned from a prefix that holds it.
        var i = 0
        while i < data.count, JSON.isWhitespace(data[i]) { i += 1 }
        guard i < data.count else { return }
        let cut = i + (data.count - i) / 2
        let scanner = JSONScanner()
        var whole: [UInt8] = []
        let full = scanner.scan(data, from: i, isFinal: true, tree: nil, compactInto: &whole)
        var part: [UInt8] = []
        let prefix = scanner.scan(UnsafeRawBufferPointer(rebasing: data[0..<cut]), from: i, isFinal: false, tree: nil, compactInto: &part)
        switch (prefix, full) {
        case (.complete(let e1), .complete(let e2)):
            check(e1 == e2 && part == whole, "scan of a prefix ended at \(e1) (\(part.count) bytes), the whole at \(e2) (\(whole.count))")
        case (.complete(let e1), _):
            check(false, "scan of a prefix completed at \(e1) but the whole text gave \(full)")
        case (.needMoreData, _):
            check(part.isEmpty, "scan left bytes behind when it needed more data")
        case (.invalid(let e1), .invalid(let e2)):
            check(e1 == e2, "prefix and whole text fail differently: \(e1) vs \(e2)")
        case (.invalid(let e1), _):
            check(false, "a prefix is invalid (\(e1)) but the whole text gave \(full)")
        }
    }

    /// The bytes of compact JSON `text` that are outside string literals.
    static func outsideStrings(_ text: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var inString = false, escaped = false
        for b in text {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else {
                result.append(b)
            }
        }
        return result
    }

    /// Gzip decoder. The first byte chooses what the rest is:
    /// - mode 0: a gzip stream as it is;
    /// - mode 1: data to compress with the gzip encoder (in one or two members), which must decode back exactly;
    /// - mode 2: the same, with the compressed stream cut short, which must fail with a data error;
    /// - mode 3: the same, with one compressed byte changed, which must fail or still decode to the data.
    ///
    /// Invariants: no crash; on each inflate engine, feeding whole, split and in small pieces gives the same bytes or
    /// the same error; ISA-L and zlib give the same bytes whenever both read a stream; errors about the data are
    /// `DataError`s of code `CORRUPT_INPUT`.
    public static func gzip(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 1 else { return }
        let mode = data[0] % 4
        let payload = UnsafeRawBufferPointer(rebasing: data[1...])
        if mode == 0 {
            _ = decodeEveryWay(Array(payload))
            return
        }
        let members = payload.count > 8 && payload[0] & 1 != 0 ? 2 : 1
        var stream: [UInt8] = []
        var memberEnds: [Int: [UInt8]] = [:]  // where a member ends in `stream`, and the data up to there
        let half = payload.count / 2
        for m in 0..<members {
            let part = members == 1 ? payload : UnsafeRawBufferPointer(rebasing: m == 0 ? payload[..<(half + 1)] : payload[(half + 1)...])
            stream += compress(part, level: Int(payload.first ?? 6) % 10)
            memberEnds[stream.count] = Array(payload[..<(m == members - 1 ? payload.count : half + 1)])
        }
        let original = Array(payload)
        switch mode {
        case 1:
            let r = decodeEveryWay(stream)
            check((try? r.get()) == original, "gzip round trip of \(original.count) bytes in \(members) member(s) failed: \(r)")
        case 2:
            let keep = Int(hash(payload) % UInt64(stream.count))
            let r = decodeEveryWay(Array(stream[..<keep]))
            if case .failure(let e as DataError) = r {
                check(e.code == .corruptInput, "truncated gzip gave \(e.code)")
            } else if let whole = memberEnds[keep] {
                // Cut right after a member: a shorter but complete stream.
                check((try? r.get()) == whole, "gzip stream cut after a member decoded to \(r)")
            } else if keep > 0 {
                check(false, "gzip stream cut from \(stream.count) to \(keep) bytes decoded without an error: \(r)")
            }
        default:
            var damaged = stream
            let at = Int(hash(payload) % UInt64(stream.count))
            damaged[at] ^= UInt8(truncatingIfNeeded: hash(payload) >> 40) | 1
            let r = decodeEveryWay(damaged)
            if case .success(let out) = r {
                check(out == original, "gzip with byte \(at) changed decoded to different data without an error")
            }
        }
    }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    static func compress(_ bytes: UnsafeRawBufferPointer, level: Int) -> [UInt8] {
        var out: [UInt8] = []
        do {
            let encoder = try GzipEncoderPlugin(options: .init(level: level)).makeEncoder()
            try encoder.push(bytes) { out.append(contentsOf: $0) }
            try encoder.finish { out.append(contentsOf: $0) }
        } catch {
            check(false, "gzip encoder failed: \(error)")
        }
        return out
    }

    /// Decodes `stream` on each inflate engine (ISA-L, zlib, and the automatic choice), each whole, split at
    /// derived points and in 7-byte pieces; checks that the ways agree on each engine, and that the engines give the
    /// same bytes whenever both read the stream. Returns the automatic engine's result.
    static func decodeEveryWay(_ stream: [UInt8]) -> Result<[UInt8], Error> {
        let isal = decodeEveryWay(stream, engine: .isal)
        let zlib = decodeEveryWay(stream, engine: .zlib)
        let automatic = decodeEveryWay(stream, engine: .automatic)
        if case .success(let a) = isal, case .success(let b) = zlib {
            check(a == b, "ISA-L and zlib decode the same stream to different bytes: \(a.count) and \(b.count) bytes")
        }
        if case .success(let out) = automatic {
            let expected = stream.first == 0x1f ? isal : zlib
            check((try? expected.get()) == out, "the automatic engine differs from the engine it chose")
        }
        return automatic
    }

    /// Decodes `stream` on `engine` whole, split at derived points, and in 7-byte pieces; checks they agree.
    static func decodeEveryWay(_ stream: [UInt8], engine: InflateEngine) -> Result<[UInt8], Error> {
        let results = stream.withUnsafeBytes { b -> [Result<[UInt8], Error>] in
            let split = splitPoints(b, seed: 2)
            let small = Array(stride(from: 7, to: b.count, by: 7))
            return [decode(b, cuts: [], engine: engine), decode(b, cuts: split, engine: engine), decode(b, cuts: small, engine: engine)]
        }
        for r in results {
            if case .failure(let e) = r {
                check(e is DataError, "gzip decoding (\(engine)) failed with a \(type(of: e)), not a DataError: \(e)")
                check((e as? DataError)?.code == .corruptInput, "gzip decoding (\(engine)) failed with \(e)")
            }
        }
        switch (results[0], results[1], results[2]) {
        case let (.success(a), .success(b), .success(c)):
            check(a == b && a == c, "gzip output (\(engine)) differs by split: \(a.count), \(b.count), \(c.count) bytes")
        case (.failure, .failure, .failure):
            break
        default:
            check(false, "gzip success or failure (\(engine)) depends on the split: \(results.map { r in (try? r.get()).map { "\($0.count) bytes" } ?? "error" })")
        }
        return results[0]
    }

    static func decode(_ stream: UnsafeRawBufferPointer, cuts: [Int], engine: InflateEngine) -> Result<[UInt8], Error> {
        Result {
            let decoder = try GzipDecoder(name: "fuzz.gz", engine: engine)
            var out: [UInt8] = []
            var start = 0
            for end in cuts + [stream.count] where end >= start {
                try decoder.push(UnsafeRawBufferPointer(rebasing: stream[start..<end])) { out.append(contentsOf: $0) }
                start = end
            }
            try decoder.finish { out.append(contentsOf: $0) }
            return out
        }
    }

    static let timestampFormats = [
        TimestampParser.defaultFormat, "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%N %z",
        "%s", "%s.%N", "%Q", "epoch", "epoch_millis", "epoch_nanos", "%d/%b/%Y:%H:%M:%S %z", "%Y%m%d%H%M%S",
        "%a, %d %b %Y %H:%M:%S %Z", "%y-%j %I:%M %p", "%F %T.%3N", "%m/%d/%Y %l:%M:%S %P %Z",
    ]

    /// Timestamp parser. The first byte picks a format (or, when it is 255, the text up to the first zero byte is
    /// the format) and a default zone; the rest is the text.
    ///
    /// Invariants: no crash; the text as bytes and as a Swift string parse the same; a parsed instant formatted
    /// with `%Y-%m-%d %H:%M:%S.%9N %z` parses back to the same instant.
    public static func timestamp(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 1 else { return }
        let pick = data[0]
        var text = UnsafeRawBufferPointer(rebasing: data[1...])
        let format: String
        if pick == 255 {
            guard let zero = text.firstIndex(of: 0) else { return }
            format = String(decoding: text[text.startIndex..<zero], as: UTF8.self)
            text = UnsafeRawBufferPointer(rebasing: text[(zero + 1)...])
        } else {
            format = timestampFormats[Int(pick) % timestampFormats.count]
        }
        let zone = ["UTC", "Asia/Tokyo", "+09:00", "America/New_York", "Europe/London", "PST"][Int(pick >> 4) % 6]
        let parser: TimestampParser
        do {
            parser = try TimestampParser(format: format, defaultZone: zone, defaultDate: "2024-02-29", dstPolicy: pick & 8 != 0 ? .later : .earlier)
        } catch {
            return  // an unknown directive or zone is a config error, not a parse of data
        }
        let fromBytes = Result { try parser.parse(text) }
        if isValidUTF8(text) {
            let fromString = Result { try parser.parse(String(decoding: text, as: UTF8.self)) }
            check((try? fromBytes.get()) == (try? fromString.get()), "timestamp: bytes and string parse differently: \(fromBytes) vs \(fromString)")
        }
        guard case .success(let nanos) = fromBytes else { return }
        // Round trip through the formatter (an Int64 of nanoseconds spans the years 1677 to 2262 only).
        let exact = "%Y-%m-%d %H:%M:%S.%9N %z"
        guard let formatter = try? TimestampFormatter(format: exact, zone: "UTC"),
            let back = try? TimestampParser(format: "%Y-%m-%d %H:%M:%S.%N %z")
        else {
            check(false, "timestamp: the round-trip formats are not accepted")
            return
        }
        let written = formatter.string(nanos: nanos)
        let reparsed = Result { try back.parse(written) }
        check((try? reparsed.get()) == nanos, "timestamp: \(nanos) written as '\(written)' parses back as \(reparsed)")
    }
}
