import KuraCore
/// Fast UTF-8 validation of byte ranges (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
public enum UTF8Validation {
    /// Whether `bytes` is well-formed UTF-8.
    @inlinable
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // ASCII fast path, eight bytes at a time.
        let n = bytes.count
        var i = 0
        if let base = bytes.baseAddress {
            while i + 8 <= n {
                if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
        }
        while i < n && bytes[i] < 0x80 { i += 1 }
        if i == n { return true }
        return firstInvalidOffset(bytes, from: i) == nil
    }

    /// The offset of the first byte that starts an invalid sequence, or nil when all of `bytes` is valid.
    public static func firstInvalidOffset(_ b: UnsafeRawBufferPointer, from start: Int = 0) -> Int? {
        var i = start
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            var need = 0
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0:
                need = 2
                lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED:
                need = 2
                hi = 0x9F
            case 0xF0:
                need = 3
                lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4:
                need = 3
                hi = 0x8F
            default: return i
            }
            if i + need >= n { return i }
            let b1 = b[i + 1]
            if b1 < lo || b1 > hi { return i }
            var k = 2
            while k <= need {
                if b[i + k] & 0xC0 != 0x80 { return i }
                k += 1
            }
            i += need + 1
        }
        return nil
    }

    /// The length of the maximal ill-formed subpart at `i` (a lead byte and the continuation bytes that fit it, or
    /// one byte), replaced by one U+FFFD; `truncated` when it is a valid sequence cut short by the end of `b`.
    public static func invalidSubpart(_ b: UnsafeRawBufferPointer, at i: Int) -> (length: Int, truncated: Bool) {
        let n = b.count
        var need = 0
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        switch b[i] {
        case 0xC2...0xDF: need = 1
        case 0xE0: (need, lo) = (2, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: (need, hi) = (2, 0x9F)
        case 0xF0: (need, lo) = (3, 0x90)
        case 0xF1...0xF3: need = 3
        case 0xF4: (need, hi) = (3, 0x8F)
        default: return (1, false)
        }
        var k = 0
        while k < need && i + 1 + k < n {
            let c = b[i + 1 + k]
            if k == 0 ? (c < lo || c > hi) : (c & 0xC0 != 0x80) { return (1 + k, false) }
            k += 1
        }
        return (1 + k, k < need)
    }
}
