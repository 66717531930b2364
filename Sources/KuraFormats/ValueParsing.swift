import KuraCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-level converters from field text to column values, with Embulk's rules.
///
/// They take raw UTF-8 bytes and allocate nothing on the common paths.
public enum ValueParsing {
    /// Parses a boolean as Embulk does: `true`, `yes`, `t`, `y`, `on`, `1` and `false`, `no`, `f`, `n`, `off`, `0`,
    /// in any letter case. Anything else, including surrounding spaces, is `nil`.
    @inlinable
    public static func parseBoolean(_ b: UnsafeRawBufferPointer) -> Bool? {
        @inline(__always) func lower(_ c: UInt8) -> UInt8 { (c >= 65 && c <= 90) ? c | 0x20 : c }
        switch b.count {
        case 1:
            switch lower(b[0]) {
            case UInt8(ascii: "t"), UInt8(ascii: "y"), UInt8(ascii: "1"): return true
            case UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "0"): return false
            default: return nil
            }
        case 2:
            let a = lower(b[0]), c = lower(b[1])
            if a == UInt8(ascii: "o") && c == UInt8(ascii: "n") { return true }
            if a == UInt8(ascii: "n") && c == UInt8(ascii: "o") { return false }
            return nil
        case 3:
            let w = (lower(b[0]), lower(b[1]), lower(b[2]))
            if w == (UInt8(ascii: "y"), UInt8(ascii: "e"), UInt8(ascii: "s")) { return true }
            if w == (UInt8(ascii: "o"), UInt8(ascii: "f"), UInt8(ascii: "f")) { return false }
            return nil
        case 4:
            if lower(b[0]) == UInt8(ascii: "t") && lower(b[1]) == UInt8(ascii: "r") && lower(b[2]) == UInt8(ascii: "u")
                && lower(b[3]) == UInt8(ascii: "e")
            { return true }
            return nil
        case 5:
            if lower(b[0]) == UInt8(ascii: "f") && lower(b[1]) == UInt8(ascii: "a") && lower(b[2]) == UInt8(ascii: "l")
                && lower(b[3]) == UInt8(ascii: "s") && lower(b[4]) == UInt8(ascii: "e")
            { return false }
            return nil
        default:
            return nil
        }
    }

    /// Parses a base-10 signed 64-bit integer: an optional `+` or `-`, then ASCII digits only.
    /// Overflow is `nil`, never a wrap.
    @inlinable
    public static func parseLong(_ b: UnsafeRawBufferPointer) -> Int64? {
        let n = b.count
        if n == 0 { return nil }
        var i = 0
        var negative = false
        if b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") {
            negative = b[0] == UInt8(ascii: "-")
            i = 1
            if n == 1 { return nil }
        }
        // Up to 18 digits cannot overflow.
        if n - i <= 18 {
            var v: Int64 = 0
            while i < n {
                let d = b[i] &- 48
                if d > 9 { return nil }
                v = v &* 10 &+ Int64(d)
                i += 1
            }
            return negative ? -v : v
        }
        var v: UInt64 = 0
        while i < n {
            let d = b[i] &- 48
            if d > 9 { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            v = s
            i += 1
        }
        if negative {
            if v > UInt64(Int64.max) + 1 { return nil }
            return v == UInt64(Int64.max) + 1 ? Int64.min : -Int64(v)
        }
        return v > UInt64(Int64.max) ? nil : Int64(v)
    }

    @usableFromInline static let exactPowers: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ]

    /// Parses a double like Java's `Double.parseDouble` (which Embulk uses): surrounding ASCII whitespace allowed,
    /// decimal digits with optional fraction and exponent, an optional `f`/`d` suffix, `NaN`, `Infinity`.
    /// The result is the correctly rounded nearest double.
    @inlinable
    public static func parseDouble(_ input: UnsafeRawBufferPointer) -> Double? {
        var lo = 0, hi = input.count
        while lo < hi && input[lo] <= 32 { lo += 1 }
        while hi > lo && input[hi - 1] <= 32 { hi -= 1 }
        if lo == hi { return nil }
        let last = input[hi - 1] | 0x20
        if (last == UInt8(ascii: "f") || last == UInt8(ascii: "d")) && hi - lo > 1
            && (input[hi - 2] == UInt8(ascii: ".") || (input[hi - 2] >= 48 && input[hi - 2] <= 57))
        { hi -= 1 }
        // Fast path (Clinger): at most 15 significant digits and a small exponent are exact.
        var i = lo
        var negative = false
        if input[i] == UInt8(ascii: "-") || input[i] == UInt8(ascii: "+") {
            negative = input[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var sawDigit = false
        var scale = 0
        while i < hi, input[i] &- 48 <= 9 {
            sawDigit = true
            if digits > 0 || input[i] != 48 { digits += 1 }
            if digits <= 19 { mantissa = mantissa &* 10 &+ UInt64(input[i] &- 48) } else { scale += 1 }
            i += 1
        }
        if i < hi && input[i] == UInt8(ascii: ".") {
            i += 1
            while i < hi, input[i] &- 48 <= 9 {
                sawDigit = true
                if digits > 0 || input[i] != 48 { digits += 1 }
                if digits <= 19 {
                    mantissa = mantissa &* 10 &+ UInt64(input[i] &- 48)
                    scale -= 1
                }
                i += 1
            }
        }
        if !sawDigit { return parseSpecial(input, lo, hi) }
        var exp = 0
        if i < hi && (input[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            var eneg = false
            if i < hi && (input[i] == UInt8(ascii: "-") || input[i] == UInt8(ascii: "+")) {
                eneg = input[i] == UInt8(ascii: "-")
                i += 1
            }
            var sawExp = false
            while i < hi, input[i] &- 48 <= 9 {
                sawExp = true
                if exp < 100_000 { exp = exp * 10 + Int(input[i] &- 48) }
                i += 1
            }
            if !sawExp { return nil }
            if eneg { exp = -exp }
        }
        if i != hi { return nil }
        let e10 = scale + exp
        if digits <= 15 && mantissa < (1 << 53) {
            let m = Double(mantissa)
            if e10 == 0 { return negative ? -m : m }
            if e10 > 0 && e10 <= 22 { return negative ? -(m * exactPowers[e10]) : m * exactPowers[e10] }
            if e10 < 0 && e10 >= -22 { return negative ? -(m / exactPowers[-e10]) : m / exactPowers[-e10] }
        }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        return slowParseDouble(input, lo, hi)
    }

    @usableFromInline
    static func parseSpecial(_ b: UnsafeRawBufferPointer, _ lo: Int, _ hi: Int) -> Double? {
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
        switch s {
        case "NaN", "+NaN", "-NaN": return .nan
        case "Infinity", "+Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return nil
        }
    }

    @usableFromInline
    static func slowParseDouble(_ b: UnsafeRawBufferPointer, _ lo: Int, _ hi: Int) -> Double? {
        let n = hi - lo
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf -> Double? in
            for k in 0..<n { buf[k] = CChar(bitPattern: b[lo + k]) }
            buf[n] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(buf.baseAddress!, &end)
            guard let end, end == buf.baseAddress! + n else { return nil }
            return v
        }
    }
}

extension Double {
    /// The shortest text that reads back as exactly this double (`1.5`, `100.0`, `1e+20`, `NaN`, `Infinity`).
    public var shortestText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return description
    }
}
