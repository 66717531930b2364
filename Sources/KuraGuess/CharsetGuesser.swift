import KuraFormats

/// Decides `charset` from the sample's bytes: byte order marks, UTF-8 validity, UTF-16's zero bytes, then the
/// Japanese multi-byte charsets by how plausible their text is, then the Latin single-byte ones.
enum CharsetGuesser {
    /// The charset of `bytes` (the start of a file; `whole` when it is the whole file) and the decision.
    static func guess(_ bytes: [UInt8], whole: Bool) -> (Charset, GuessDecision) {
        let candidates = ["UTF-8", "UTF-16LE", "UTF-16BE", "MS932", "EUC-JP", "windows-1252", "ISO-8859-1"]
        func decided(_ c: Charset, _ name: String, _ evidence: String) -> (Charset, GuessDecision) {
            (c, GuessDecision(key: "in.parser.charset", candidates: candidates, winner: name, evidence: [evidence]))
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return decided(.utf8, "UTF-8", "the file starts with the UTF-8 byte order mark EF BB BF") }
        if bytes.starts(with: [0xFF, 0xFE]) { return decided(.utf16LE, "UTF-16LE", "the file starts with the byte order mark FF FE") }
        if bytes.starts(with: [0xFE, 0xFF]) { return decided(.utf16BE, "UTF-16BE", "the file starts with the byte order mark FE FF") }
        if let be = utf16WithoutBOM(bytes) {
            return be
                ? decided(.utf16BE, "UTF-16BE", "every other byte is zero, at even offsets (ASCII text in UTF-16BE)")
                : decided(.utf16LE, "UTF-16LE", "every other byte is zero, at odd offsets (ASCII text in UTF-16LE)")
        }
        let body = whole ? bytes[...] : trimmedIncompleteUTF8(bytes)
        let isUTF8 = body.withUnsafeBytes { UTF8Validation.isValid($0) }
        if isUTF8 {
            let nonASCII = bytes.contains { $0 >= 0x80 }
            return decided(.utf8, "UTF-8", nonASCII ? "every non-ASCII byte sequence is valid UTF-8" : "the sample is ASCII")
        }
        let bad = body.withUnsafeBytes { UTF8Validation.firstInvalidOffset($0) } ?? 0
        let why = "not UTF-8: invalid sequence at byte \(bad) (\(hex(bytes, at: bad)))"
        var best: (Charset, String, Int)? = nil
        for (c, name) in [(Charset.windows31J, "MS932"), (Charset.eucJP, "EUC-JP")] where c.isAvailable {
            guard let text = decode(bytes, as: c, whole: whole) else { continue }
            let score = japaneseScore(text, latinLike: latinLike(bytes))
            if score > 0 && score > (best?.2 ?? 0) { best = (c, name, score) }
        }
        if let (c, name, score) = best {
            return decided(c, name, why + "; valid \(name) whose text reads as Japanese (\(score) kana, kanji or full-width characters)")
        }
        let c1 = bytes.contains { (0x80...0x9F).contains($0) }
        let undefined1252: Set<UInt8> = [0x81, 0x8D, 0x8F, 0x90, 0x9D]
        if c1 && !bytes.contains(where: { undefined1252.contains($0) }) {
            return decided(.windows1252, "windows-1252", why + "; bytes 80-9F are windows-1252 punctuation (such as curly quotes)")
        }
        return decided(.iso8859_1, "ISO-8859-1", why + "; no multi-byte charset fits, so single-byte Latin-1")
    }

    static func hex(_ b: [UInt8], at i: Int) -> String {
        b[i..<min(b.count, i + 3)].map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
    }

    /// Whether the bytes look like ASCII text in UTF-16 without a byte order mark: true for big-endian.
    static func utf16WithoutBOM(_ b: [UInt8]) -> Bool? {
        let n = min(b.count, 4096) & ~1
        guard n >= 4 else { return nil }
        var evenZero = 0, oddZero = 0
        for i in stride(from: 0, to: n, by: 2) {
            if b[i] == 0 { evenZero += 1 }
            if b[i + 1] == 0 { oddZero += 1 }
        }
        let pairs = n / 2
        if oddZero * 10 >= pairs * 7 && evenZero * 10 < pairs { return false }
        if evenZero * 10 >= pairs * 7 && oddZero * 10 < pairs { return true }
        return nil
    }

    /// `b` without an incomplete UTF-8 sequence at its very end (where a sample may cut a character).
    static func trimmedIncompleteUTF8(_ b: [UInt8]) -> ArraySlice<UInt8> {
        var end = b.count
        var k = 0
        while end > 0 && k < 3 && b[end - 1] & 0xC0 == 0x80 {
            end -= 1
            k += 1
        }
        if end > 0 && b[end - 1] >= 0xC0 { end -= 1 } else { end = b.count }
        return b[..<end]
    }

    /// The UTF-8 text of `b` in charset `c`, or nil when a sequence is invalid.
    static func decode(_ b: [UInt8], as c: Charset, whole: Bool) -> [UInt8]? {
        guard let decoder = try? CharsetDecoder(charset: c) else { return nil }
        var out: [UInt8] = []
        do {
            try b.withUnsafeBytes { try decoder.decode($0) { out.append(contentsOf: $0) } }
            if whole { try decoder.finish { out.append(contentsOf: $0) } }
        } catch { return nil }
        return decoder.takeInvalid().isEmpty ? out : nil
    }

    /// Characters of `utf8` typical of Japanese text (kana, common kanji, full-width forms, CJK punctuation);
    /// 0 when half-width katakana outnumber them (how Shift_JIS looks when read as EUC-JP or the reverse).
    /// Without kana, Latin-looking bytes (`latinLike`) win: accented letters inside words read as kanji too.
    static func japaneseScore(_ utf8: [UInt8], latinLike: Bool) -> Int {
        var good = 0, halfWidth = 0, other = 0, kana = 0
        for u in String(decoding: utf8, as: UTF8.self).unicodeScalars where u.value >= 0x80 {
            switch u.value {
            case 0x3040...0x30FF:
                good += 1
                kana += 1
            case 0x3000...0x303F, 0x4E00...0x9FFF, 0xFF01...0xFF60: good += 1
            case 0xFF61...0xFF9F: halfWidth += 1
            default: other += 1
            }
        }
        if kana == 0 && latinLike { return 0 }
        return halfWidth > good || other > good ? 0 : good
    }

    /// Whether most bytes above 0x7F sit next to an ASCII letter, as accented letters in Latin-1 words do.
    static func latinLike(_ b: [UInt8]) -> Bool {
        func letter(_ x: UInt8) -> Bool { (x | 0x20) >= 0x61 && (x | 0x20) <= 0x7A }
        var high = 0, inWord = 0
        for (i, x) in b.enumerated() where x >= 0xC0 {
            high += 1
            if (i > 0 && letter(b[i - 1])) || (i + 1 < b.count && letter(b[i + 1])) { inWord += 1 }
        }
        return high > 0 && inWord * 2 >= high
    }
}
