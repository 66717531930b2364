import KuraCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A character set input text may be written in, named as Embulk (Java) names it, with Java's usual aliases.
///
/// Parsers read UTF-8; any other charset is converted to UTF-8 by a `CharsetDecoder` before tokenizing.
public struct Charset: Hashable, Sendable, CustomStringConvertible {
    /// How the bytes are converted.
    enum Kind: Hashable, Sendable {
        /// UTF-8: no conversion (or only validation, when invalid bytes are replaced).
        case utf8
        /// An ASCII-compatible charset converted by iconv (line breaks are the single bytes CR and LF).
        case bytes
        /// UTF-16 with a known byte order.
        case utf16(bigEndian: Bool)
        /// UTF-16 whose byte order comes from its byte order mark, big-endian without one.
        case utf16Detect
    }

    /// The canonical (Java) name, such as `Shift_JIS`.
    public let name: String
    /// The other names accepted for it.
    public let aliases: [String]
    /// The converter's name in iconv (empty for UTF-8 and byte-order-detected UTF-16).
    let iconvName: String
    let kind: Kind

    public var description: String { name }

    /// Whether the charset is UTF-8, which needs no conversion.
    public var isUTF8: Bool { kind == .utf8 }

    public static let utf8 = Charset(name: "UTF-8", aliases: ["UTF8"], iconvName: "", kind: .utf8)
    /// UTF-16 with its byte order taken from the byte order mark (big-endian without one).
    public static let utf16 = Charset(name: "UTF-16", aliases: ["UTF16"], iconvName: "", kind: .utf16Detect)
    public static let utf16LE = Charset(
        name: "UTF-16LE", aliases: ["UTF16LE", "UTF-16-LE", "X-UTF-16LE"], iconvName: "UTF-16LE", kind: .utf16(bigEndian: false))
    public static let utf16BE = Charset(
        name: "UTF-16BE", aliases: ["UTF16BE", "UTF-16-BE", "X-UTF-16BE"], iconvName: "UTF-16BE", kind: .utf16(bigEndian: true))
    /// Shift_JIS as Java reads it: JIS X 0208 with ASCII in the single-byte range (0x5C is `\`, 0x7E is `~`), so
    /// 0x8160 is U+301C WAVE DASH and the NEC and IBM extensions (such as ① at 0x8740) are invalid.
    public static let shiftJIS = Charset(
        name: "Shift_JIS", aliases: ["SJIS", "Shift-JIS", "MS_Kanji", "csShiftJIS", "x-sjis"], iconvName: "SHIFT_JIS",
        kind: .bytes)
    /// Microsoft's Shift_JIS (code page 932): 0x8160 is U+FF5E FULLWIDTH TILDE, with the NEC and IBM extensions.
    public static let windows31J = Charset(
        name: "windows-31j", aliases: ["MS932", "CP932", "windows-932", "csWindows31J"], iconvName: "CP932", kind: .bytes)
    public static let eucJP = Charset(
        name: "EUC-JP", aliases: ["EUCJP", "x-euc-jp", "eucjis", "csEUCPkdFmtjapanese"], iconvName: "EUC-JP", kind: .bytes)
    public static let iso8859_1 = Charset(
        name: "ISO-8859-1",
        aliases: ["Latin1", "Latin-1", "L1", "ISO8859-1", "ISO_8859-1", "8859_1", "CP819", "IBM819", "csISOLatin1"],
        iconvName: "ISO-8859-1", kind: .bytes)
    /// Windows-1252; the five bytes it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) are invalid.
    public static let windows1252 = Charset(
        name: "windows-1252", aliases: ["CP1252", "cp5348"], iconvName: "CP1252", kind: .bytes)
    public static let usASCII = Charset(
        name: "US-ASCII", aliases: ["ASCII", "ISO646-US", "ANSI_X3.4-1968", "csASCII", "IBM367", "cp367"],
        iconvName: "ASCII", kind: .bytes)

    /// Every supported charset.
    public static let all: [Charset] = [
        .utf8, .utf16, .utf16LE, .utf16BE, .shiftJIS, .windows31J, .eucJP, .iso8859_1, .windows1252, .usASCII,
    ]

    /// The canonical names of the supported charsets, for messages.
    public static var supportedNames: String { all.map(\.name).joined(separator: ", ") }

    /// The charset called `name` or one of its aliases; case, `-`, `_` and spaces do not matter.
    public init?(named name: String) {
        let key = Charset.normalize(name)
        guard let found = Charset.all.first(where: { cs in ([cs.name] + cs.aliases).contains { Charset.normalize($0) == key } })
        else { return nil }
        self = found
    }

    init(name: String, aliases: [String], iconvName: String, kind: Kind) {
        self.name = name
        self.aliases = aliases
        self.iconvName = iconvName
        self.kind = kind
    }

    static func normalize(_ s: String) -> String {
        String(s.uppercased().filter { $0 != "-" && $0 != "_" && $0 != " " })
    }

    /// The config error for an unknown charset name, with a suggestion and the supported names.
    public static func unknownNameMessage(_ name: String) -> (message: String, fix: String) {
        let names = all.flatMap { [$0.name] + $0.aliases }
        let guess = nearest(name, in: names).flatMap { Charset(named: $0)?.name }
        return (
            "charset '\(name)' is not supported",
            (guess.map { "did you mean '\($0)'? " } ?? "") + "supported charsets: \(supportedNames)"
        )
    }

    /// Whether this system can convert the charset (glibc's iconv needs its converter modules).
    public var isAvailable: Bool {
        switch kind {
        case .utf8: return true
        case .utf16Detect: return Charset.utf16LE.isAvailable && Charset.utf16BE.isAvailable
        case .bytes, .utf16:
            let cd = iconv_open("UTF-8", iconvName)
            if Int(bitPattern: cd) == -1 { return false }
            iconv_close(cd)
            return true
        }
    }
}

extension Charset {
    /// Decodes a parser's `charset` option and its invalid-byte policy (`invalid_utf8` for UTF-8, `invalid_bytes` for
    /// other charsets), with errors at the right keys.
    public static func decodeOptions<K: CodingKey>(
        _ c: KeyedDecodingContainer<K>, _ path: [CodingKey], charset charsetKey: K, utf8 utf8Key: K, other otherKey: K
    ) throws -> (Charset, InvalidBytePolicy) {
        let name = try c.decodeIfPresent(String.self, forKey: charsetKey) ?? "UTF-8"
        guard let charset = Charset(named: name) else {
            let (message, fix) = Charset.unknownNameMessage(name)
            throw ConfigError(at: path, charsetKey, message, fix: fix)
        }
        guard charset.isAvailable else {
            throw ConfigError(
                at: path, charsetKey, "charset '\(name)' cannot be converted on this system (iconv has no converter for it)",
                fix: "install the system's iconv converter modules (glibc gconv), or convert the file to UTF-8 first")
        }
        let forUTF8 = try c.decodeIfPresent(InvalidBytePolicy.self, forKey: utf8Key)
        let forOther = try c.decodeIfPresent(InvalidBytePolicy.self, forKey: otherKey)
        if charset.isUTF8, forOther != nil {
            throw ConfigError(
                at: path, otherKey, "invalid_bytes applies to charsets other than UTF-8", fix: "use invalid_utf8 for UTF-8 input")
        }
        if !charset.isUTF8, forUTF8 != nil {
            throw ConfigError(
                at: path, utf8Key, "invalid_utf8 applies to UTF-8 input, but charset is \(charset.name)",
                fix: "use invalid_bytes for \(charset.name) input")
        }
        return (charset, (charset.isUTF8 ? forUTF8 : forOther) ?? .reject)
    }
}

/// What a parser does with bytes that are not valid in the input's charset.
public enum InvalidBytePolicy: String, ConfigEnum, Sendable {
    /// The record holding them is rejected with `INVALID_ENCODING`.
    case reject
    /// They become U+FFFD REPLACEMENT CHARACTER and the record loads.
    case replace
}

/// A byte sequence that is not valid in its charset, which the decoder replaced with U+FFFD.
public struct InvalidSequence: Hashable, Sendable {
    /// Offset of the U+FFFD in the decoded (UTF-8) stream.
    public var decodedOffset: Int64
    /// Offset of the invalid bytes in the original stream.
    public var originalOffset: Int64
    /// How many original bytes were replaced.
    public var length: Int

    public init(decodedOffset: Int64, originalOffset: Int64, length: Int) {
        self.decodedOffset = decodedOffset
        self.originalOffset = originalOffset
        self.length = length
    }
}

/// The invalid sequences a parser has not yet passed, in stream order.
public struct InvalidSequenceQueue: Sendable {
    private var items: [InvalidSequence] = []
    private var head = 0
    /// The decoded offset of the first pending sequence (`Int64.max` when none), for a cheap check per record.
    public private(set) var nextOffset: Int64 = .max

    public init() {}

    /// Adds sequences found later in the stream.
    public mutating func append(_ more: [InvalidSequence]) {
        if more.isEmpty { return }
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        items.append(contentsOf: more)
        nextOffset = items[head].decodedOffset
    }

    /// Removes the sequences that start before the decoded offset `end`; returns the first of them, if any.
    public mutating func take(before end: Int64) -> InvalidSequence? {
        guard nextOffset < end else { return nil }
        let first = items[head]
        while head < items.count && items[head].decodedOffset < end { head += 1 }
        nextOffset = head < items.count ? items[head].decodedOffset : .max
        return first
    }
}

/// Converts a byte stream in some charset to UTF-8 incrementally, with glibc's iconv.
///
/// `decode` takes chunks split anywhere: an incomplete multi-byte sequence at the end of a chunk is kept for the
/// next one. An invalid sequence never stops the conversion and is never dropped silently: it becomes U+FFFD and is
/// reported in `takeInvalid()` with its offsets in both streams, so a parser can reject the record holding it. A
/// UTF-16 byte order mark at the start is dropped.
///
/// The decoder also keeps a map from decoded offsets to original offsets, exact after every line break and every
/// invalid sequence (so at every record start); `originalOffset(ofDecoded:)` reads it.
///
/// For `UTF-8` it only validates (for a parser that replaces invalid bytes): valid input passes through uncopied.
public final class CharsetDecoder {
    public let charset: Charset
    private var cd: iconv_t? = nil
    /// Bytes of an incomplete sequence (or an undecided UTF-16 byte order mark) kept for the next chunk.
    private var carry: [UInt8] = []
    private var work: [UInt8] = []
    private var out: UnsafeMutablePointer<UInt8>
    private var outCapacity: Int
    private var started = false
    /// Bytes of the original stream converted so far (not counting `carry`).
    public private(set) var originalCount: Int64 = 0
    /// Bytes of UTF-8 produced so far.
    public private(set) var decodedCount: Int64 = 0
    private var invalid: [InvalidSequence] = []
    /// Decoded and original offsets of exact points (line starts, after invalid sequences).
    private var marksDecoded: [Int64] = [0]
    private var marksOriginal: [Int64] = [0]
    private var marksHead = 0
    /// 1 for byte charsets, 2 for UTF-16.
    private var unit = 1
    private var bigEndian = false
    /// Shift_JIS: glibc maps 0x5C and 0x7E to ¥ and ‾; Java (and kura) read them as ASCII.
    private let asciiInJISRoman: Bool

    /// Creates a decoder; throws a `SystemError` when iconv has no converter for the charset.
    public init(charset: Charset) throws {
        self.charset = charset
        asciiInJISRoman = charset == .shiftJIS
        outCapacity = 1 << 16
        out = .allocate(capacity: outCapacity)
        switch charset.kind {
        case .utf8: break
        case .bytes: try open(charset.iconvName)
        case .utf16(let be):
            unit = 2
            bigEndian = be
            try open(charset.iconvName)
        case .utf16Detect:
            unit = 2
        }
    }

    deinit {
        if let cd { iconv_close(cd) }
        out.deallocate()
    }

    private func open(_ name: String) throws {
        let d = iconv_open("UTF-8", name)
        if Int(bitPattern: d) == -1 {
            throw SystemError("cannot convert from \(charset.name): iconv has no converter for '\(name)' on this system")
        }
        cd = d
    }

    /// Converts the next bytes of the stream; hands the UTF-8 produced (if any) to `sink`, valid during the call.
    public func decode(_ input: UnsafeRawBufferPointer, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if input.isEmpty { return }
        if carry.isEmpty {
            try convert(input, final: false, sink)
        } else {
            work.removeAll(keepingCapacity: true)
            work.append(contentsOf: carry)
            work.append(contentsOf: input)
            carry.removeAll(keepingCapacity: true)
            let w = work
            try w.withUnsafeBytes { try convert($0, final: false, sink) }
        }
    }

    /// Converts what is left at the end of the stream: an incomplete sequence there is invalid.
    public func finish(to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let rest = carry
        carry.removeAll()
        try rest.withUnsafeBytes { try convert($0, final: true, sink) }
    }

    /// The invalid sequences found since the last call, in stream order.
    public func takeInvalid() -> [InvalidSequence] {
        defer { invalid.removeAll(keepingCapacity: true) }
        return invalid
    }

    /// The original offset of the decoded offset `x`: exact at line starts and after invalid sequences; elsewhere
    /// the last such point plus the decoded distance from it.
    public func originalOffset(ofDecoded x: Int64) -> Int64 {
        var lo = marksHead, hi = marksDecoded.count - 1
        if hi < lo || x < marksDecoded[lo] { return x }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if marksDecoded[mid] <= x { lo = mid } else { hi = mid - 1 }
        }
        return marksOriginal[lo] + (x - marksDecoded[lo])
    }

    /// Forgets the offset map before the decoded offset `x` (offsets from `x` on stay exact).
    public func forgetOffsets(before x: Int64) {
        while marksHead + 1 < marksDecoded.count && marksDecoded[marksHead + 1] <= x { marksHead += 1 }
        if marksHead > 4096 && marksHead * 2 > marksDecoded.count {
            marksDecoded.removeFirst(marksHead)
            marksOriginal.removeFirst(marksHead)
            marksHead = 0
        }
    }

    // MARK: - Conversion

    private func mark(decoded: Int64, original: Int64) {
        if let last = marksDecoded.last, last == decoded {
            marksOriginal[marksOriginal.count - 1] = original
        } else {
            marksDecoded.append(decoded)
            marksOriginal.append(original)
        }
    }

    /// Grows the output buffer to at least `n` bytes, keeping the first `keeping` bytes.
    private func reserve(_ n: Int, keeping: Int = 0) {
        if n <= outCapacity { return }
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(n, outCapacity * 2))
        if keeping > 0 { p.initialize(from: out, count: keeping) }
        out.deallocate()
        out = p
        outCapacity = max(n, outCapacity * 2)
    }

    /// Converts `src`, which starts at the original offset `originalCount`.
    private func convert(_ src: UnsafeRawBufferPointer, final: Bool, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var start = 0
        let n = src.count
        if !started {
            if unit == 2 {
                if n < 2 && !final {
                    carry.append(contentsOf: src)
                    return
                }
                let b0: UInt8 = n > 0 ? src[0] : 0, b1: UInt8 = n > 1 ? src[1] : 0
                if case .utf16Detect = charset.kind {
                    bigEndian = !(b0 == 0xFF && b1 == 0xFE)
                    try open(bigEndian ? "UTF-16BE" : "UTF-16LE")
                }
                if n >= 2 && (bigEndian ? (b0 == 0xFE && b1 == 0xFF) : (b0 == 0xFF && b1 == 0xFE)) {
                    start = 2
                    originalCount = 2
                    mark(decoded: 0, original: 2)
                }
            }
            started = true
        }
        if charset.kind == .utf8 {
            return try validateUTF8(UnsafeRawBufferPointer(rebasing: src[start...]), final: final, sink)
        }
        guard let base = src.baseAddress, start < n else { return }
        reserve(3 * (n - start) + 16)
        var i = start
        var o = 0
        while i < n {
            var inPtr = UnsafeMutablePointer(mutating: (base + i).assumingMemoryBound(to: CChar.self)) as UnsafeMutablePointer<CChar>?
            var inLeft = n - i
            var outPtr = UnsafeMutableRawPointer(out + o).assumingMemoryBound(to: CChar.self) as UnsafeMutablePointer<CChar>?
            var outLeft = outCapacity - o
            let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
            let err = r == -1 ? errno : 0
            let consumed = (n - i) - inLeft
            var produced = (outCapacity - o) - outLeft
            if asciiInJISRoman && produced > 0 { produced = fixJISRoman(o, produced) }
            markLineStarts(base + i, consumed, originalAt: originalCount + Int64(i - start), o, produced)
            i += consumed
            o += produced
            if r != -1 { break }
            if err == E2BIG {
                reserve(outCapacity * 2, keeping: o)
                continue
            }
            if err == EINVAL && !final {
                // An incomplete sequence at the end: wait for the rest.
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: src[i..<n]))
                return try emit(o, consumedOriginal: i - start, sink)
            }
            // EILSEQ (or an incomplete sequence at the very end): replace it.
            let bad = err == EINVAL ? n - i : min(unit, n - i)
            reserve(o + 3 * (n - i) + 16, keeping: o)
            invalid.append(
                InvalidSequence(
                    decodedOffset: decodedCount + Int64(o), originalOffset: originalCount + Int64(i - start), length: bad))
            out[o] = 0xEF
            out[o + 1] = 0xBF
            out[o + 2] = 0xBD
            o += 3
            i += bad
            mark(decoded: decodedCount + Int64(o), original: originalCount + Int64(i - start))
        }
        try emit(o, consumedOriginal: i - start, sink)
    }


    private func emit(_ o: Int, consumedOriginal: Int, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        originalCount += Int64(consumedOriginal)
        decodedCount += Int64(o)
        if o > 0 { try sink(UnsafeRawBufferPointer(start: out, count: o)) }
    }

    /// Turns glibc's U+00A5 (from 0x5C) and U+203E (from 0x7E) back into `\` and `~` in `out[o..<o+n]`; returns
    /// the new length. Shift_JIS has no other byte sequence for either character.
    private func fixJISRoman(_ o: Int, _ n: Int) -> Int {
        let out = self.out  // a local, so the loop does no exclusivity checks
        var r = o, w = o
        let end = o + n
        while r < end {
            let c = out[r]
            if c == 0xC2 && r + 1 < end && out[r + 1] == 0xA5 {
                out[w] = 0x5C
                r += 2
            } else if c == 0xE2 && r + 2 < end && out[r + 1] == 0x80 && out[r + 2] == 0xBE {
                out[w] = 0x7E
                r += 3
            } else {
                out[w] = c
                r += 1
            }
            w += 1
        }
        return w - o
    }

    /// Records a mark after each line break of a converted span: the input's CR and LF units pair one to one with
    /// the output's CR and LF bytes.
    private func markLineStarts(_ input: UnsafeRawPointer, _ inCount: Int, originalAt: Int64, _ o: Int, _ outCount: Int) {
        if inCount == 0 { return }
        let ip = input.assumingMemoryBound(to: UInt8.self)
        let out = UnsafePointer(self.out), unit = self.unit, bigEndian = self.bigEndian
        var ii = 0, oi = o
        let oEnd = o + outCount
        while true {
            // Next line break in the input.
            if unit == 1 {
                ii = CharsetDecoder.lineBreak(ip, ii, inCount)
                if ii >= inCount { return }
                ii += 1
            } else {
                while ii + 1 < inCount {
                    let lo = bigEndian ? ip[ii + 1] : ip[ii], hi = bigEndian ? ip[ii] : ip[ii + 1]
                    if hi == 0 && (lo == 10 || lo == 13) { break }
                    ii += 2
                }
                if ii + 1 >= inCount { return }
                ii += 2
            }
            oi = CharsetDecoder.lineBreak(out, oi, oEnd)
            if oi >= oEnd { return }
            oi += 1
            mark(decoded: decodedCount + Int64(oi), original: originalAt + Int64(ii))
        }
    }

    /// The index of the first CR or LF in `p[from..<end]`, or `end`; eight bytes at a time.
    @inline(__always)
    static func lineBreak(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> Int {
        var i = from
        let raw = UnsafeRawPointer(p)
        while i + 8 <= end {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let lf = w ^ 0x0A0A_0A0A_0A0A_0A0A, cr = w ^ 0x0D0D_0D0D_0D0D_0D0D
            let z = ((lf &- 0x0101_0101_0101_0101) & ~lf | (cr &- 0x0101_0101_0101_0101) & ~cr) & 0x8080_8080_8080_8080
            if z != 0 { return i + (z.trailingZeroBitCount >> 3) }
            i += 8
        }
        while i < end && p[i] != 10 && p[i] != 13 { i += 1 }
        return i
    }

    /// UTF-8 input: passes valid bytes through and replaces each maximal invalid subpart with U+FFFD.
    private func validateUTF8(_ src: UnsafeRawBufferPointer, final: Bool, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let n = src.count
        guard n > 0 else { return }
        if UTF8Validation.isValid(src) {
            originalCount += Int64(n)
            decodedCount += Int64(n)
            return try sink(src)
        }
        reserve(3 * n + 16)
        var i = 0, copyFrom = 0, o = 0
        var end = n
        while let bad = UTF8Validation.firstInvalidOffset(src, from: i) {
            let (length, truncated) = UTF8Validation.invalidSubpart(src, at: bad)
            if truncated && !final {
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: src[bad..<n]))
                end = bad
                break
            }
            let k = bad - copyFrom
            if k > 0 { UnsafeMutableRawPointer(out + o).copyMemory(from: src.baseAddress! + copyFrom, byteCount: k) }
            o += k
            invalid.append(
                InvalidSequence(decodedOffset: decodedCount + Int64(o), originalOffset: originalCount + Int64(bad), length: length))
            out[o] = 0xEF
            out[o + 1] = 0xBF
            out[o + 2] = 0xBD
            o += 3
            i = bad + length
            copyFrom = i
            mark(decoded: decodedCount + Int64(o), original: originalCount + Int64(i))
            if i >= n { break }
        }
        if end > copyFrom {
            UnsafeMutableRawPointer(out + o).copyMemory(from: src.baseAddress! + copyFrom, byteCount: end - copyFrom)
            o += end - copyFrom
        }
        try emit(o, consumedOriginal: end, sink)
    }
}
