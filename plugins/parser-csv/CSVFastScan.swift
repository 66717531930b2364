import KuraCore
import KuraFormats

extension CSVEngine {
    /// Whether `options` allow the fast tokenizer: a one-byte delimiter (a space too: both tokenizers take a
    /// space after a closing quote as the delimiter), no trimming and no stray-quote mode.
    static func allowsFastScan(_ options: CSVParserPlugin.Options) -> Bool {
        options.delimiter.count == 1 && !options.trimIfNotQuoted
            && options.quotesInQuotedFields != .acceptStrayQuotes
    }

    /// Computes the byte-class bitmaps of `p` for `scanRecordFast`: per 64-byte block, the quotes, delimiters,
    /// line feeds and carriage returns (four masks, one bit per byte).
    mutating func classify(_ p: UnsafeBufferPointer<UInt8>) {
        let blocks = (p.count + 63) >> 6
        masks.removeAll()
        let out = masks.reserve(blocks * 4)
        ByteClasses.classify(p, quoteByte, delim0, 10, 13, into: out)
        masks.count = blocks * 4
    }

    /// Whether any byte of `from..<to` is a quote (by the quote bitmap).
    @inline(__always)
    func anyQuote(_ from: Int, _ to: Int) -> Bool {
        if from >= to { return false }
        let m = masks.base
        var k = from >> 6
        let last = (to - 1) >> 6
        var word = m[k << 2] & (~0 << UInt64(from & 63))
        while k < last {
            if word != 0 { return true }
            k += 1
            word = m[k << 2]
        }
        let bits = ((to - 1) & 63) + 1
        return word & (bits == 64 ? ~0 : (1 << UInt64(bits)) &- 1) != 0
    }

    /// Tokenizes the one-line record at `start` the fast way, or returns -1 to leave it to `scanRecord`.
    ///
    /// Works on the bitmaps `classify` made of `p`: it turns the quotes into an "inside quotes" mask with a prefix
    /// XOR (a doubled quote flips it twice) and visits only the delimiters and line feeds outside quotes, so a
    /// field costs a few instructions however many quotes it holds. It takes one-line records of plain fields and
    /// of whole quoted fields (doubled quotes included); anything else — an empty or comment line, a line break
    /// or an escape character inside quotes, a quote inside an unquoted field, text after a closing quote, a lone
    /// CR, an overlong quoted field, a record the bytes do not finish — goes to `scanRecord`, which also produces
    /// every error, so both paths give the same fields.
    @inline(__always)
    mutating func scanRecordFast(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let base = p.baseAddress!
        let first = base[start]
        if first == 10 || first == 13 { return -1 }
        if let comment, first == comment[0] { return -1 }
        fieldStart.removeAll()
        fieldEnd.removeAll()
        fieldFlags.removeAll()
        scratch.removeAll()
        let q = quoteByte
        let m = masks.base
        let blocks = masks.count >> 2
        var k = start >> 6
        var valid: UInt64 = ~0 << UInt64(start & 63)  // bits of this block at or after `start`
        var inside: UInt64 = 0  // all ones when the block starts inside quotes
        var fs = start  // start of the current field
        while k < blocks {
            let quotes = m[k << 2] & quoteOn & valid
            let lfs = m[k << 2 | 2]
            var x = quotes
            x ^= x << 1
            x ^= x << 2
            x ^= x << 4
            x ^= x << 8
            x ^= x << 16
            x ^= x << 32
            let quoted = x ^ inside
            if lfs & quoted & valid != 0 { return -1 }  // a line break inside quotes
            if crSpecial {
                // A CR can break lines here: only the CR of a CRLF is taken (its field ends before it).
                if m[k << 2 | 3] & valid & ~(lfs >> 1) != 0 { return -1 }
            }
            var marks = (m[k << 2 | 1] | lfs) & ~quoted & valid
            while marks != 0 {
                let at = k << 6 | marks.trailingZeroBitCount
                marks &= marks &- 1
                let isLF = base[at] == 10
                var fe = at
                if isLF && crSpecial && fe > fs && base[fe - 1] == 13 { fe -= 1 }
                if base[fs] == q && quoteOn != 0 {
                    // A quoted field: it must end with the closing quote, and any quote inside must be doubled.
                    if fe - fs < 2 || base[fe - 1] != q || fe - fs - 2 > options.maxQuotedSizeLimit { return -1 }
                    if escape >= 0 && escape != quote {
                        // An escape character (e.g. a backslash) inside quotes: left to the general tokenizer.
                        if ByteScan.first(base, fs + 1, fe - 1, UInt8(escape)) < fe - 1 { return -1 }
                    }
                    if !anyQuote(fs + 1, fe - 1) {
                        addField(fs + 1, fe - 1, 1)
                    } else if !unescapeQuoted(base, fs + 1, fe - 1) {
                        return -1
                    }
                } else {
                    if quoteOn != 0 && anyQuote(fs, fe) { return -1 }
                    addField(fs, fe, 0)
                }
                if isLF { return at + 1 }
                fs = at + 1
            }
            inside = (quoted & valid) >> 63 != 0 ? ~0 : 0
            valid = ~0
            k += 1
        }
        return -1
    }

    /// Records the quoted field whose text is `base[from..<to]` with its doubled quotes collapsed, in `scratch`;
    /// returns false (recording nothing) when a quote in it is not doubled.
    @inline(__always)
    mutating func unescapeQuoted(_ base: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        let begin = scratch.count
        let out = scratch.reserve(to - from + 64)
        guard let written = ByteClasses.collapseDoubled(base + from, count: to - from, quote: quoteByte, into: out)
        else { return false }
        scratch.count += written
        addField(begin, begin + written, 3)
        return true
    }
}
