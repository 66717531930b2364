import KuraCore
/// Finds the first byte equal to any of a few targets, eight bytes at a time (SWAR), for parsers' hot loops.
public enum ByteScan {
    @inlinable @inline(__always)
    public static func splat(_ b: UInt8) -> UInt64 { UInt64(b) &* 0x0101_0101_0101_0101 }

    /// Nonzero where a byte of `x` is zero: the lowest set 0x80 bit marks the first zero byte exactly.
    @inlinable @inline(__always)
    public static func zeroBytes(_ x: UInt64) -> UInt64 { (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 }

    /// The index of the first byte in `p[from..<end]` equal to `a`, or `end`.
    @inlinable @inline(__always)
    public static func first(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int, _ a: UInt8) -> Int {
        var i = from
        let ma = splat(a)
        let raw = UnsafeRawPointer(p)
        while i + 8 <= end {
            let z = zeroBytes(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ ma)
            if z != 0 { return i + (z.trailingZeroBitCount >> 3) }
            i += 8
        }
        while i < end && p[i] != a { i += 1 }
        return i
    }

    /// The index of the first byte in `p[from..<end]` equal to `a`, `b` or `c`, or `end`.
    @inlinable @inline(__always)
    public static func firstOf3(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int, _ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        var i = from
        let ma = splat(a), mb = splat(b), mc = splat(c)
        let raw = UnsafeRawPointer(p)
        while i + 8 <= end {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let z = zeroBytes(w ^ ma) | zeroBytes(w ^ mb) | zeroBytes(w ^ mc)
            if z != 0 { return i + (z.trailingZeroBitCount >> 3) }
            i += 8
        }
        while i < end {
            let x = p[i]
            if x == a || x == b || x == c { return i }
            i += 1
        }
        return end
    }

    /// The index of the first byte in `p[from..<end]` equal to `a`, `b`, `c` or `d`, or `end`.
    @inlinable @inline(__always)
    public static func firstOf4(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int, _ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8)
        -> Int
    {
        var i = from
        let ma = splat(a), mb = splat(b), mc = splat(c), md = splat(d)
        let raw = UnsafeRawPointer(p)
        while i + 8 <= end {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let z = zeroBytes(w ^ ma) | zeroBytes(w ^ mb) | zeroBytes(w ^ mc) | zeroBytes(w ^ md)
            if z != 0 { return i + (z.trailingZeroBitCount >> 3) }
            i += 8
        }
        while i < end {
            let x = p[i]
            if x == a || x == b || x == c || x == d { return i }
            i += 1
        }
        return end
    }
}
