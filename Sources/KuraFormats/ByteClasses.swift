import CKuraSIMD

/// Vectorized byte classification and quote collapsing for tokenizers (the Swift side of the `CKuraSIMD` kernels).
///
/// The kernels pick AVX-512, AVX2 or SSE2 at run time from one cached CPU-feature probe, and fall back to
/// portable code on other processors; the results are the same whichever runs.
public enum ByteClasses {
    /// Writes the byte-class bitmaps of `bytes` into `masks`: per 64-byte block `k`, `masks[4k]` marks the bytes
    /// equal to `a`, `masks[4k+1]` to `b`, `masks[4k+2]` to `c` and `masks[4k+3]` to `d` (bit `i` is byte
    /// `64k + i`; bits past the end are zero). `masks` must hold `4 * ((bytes.count + 63) / 64)` words.
    @inline(__always)
    public static func classify(
        _ bytes: UnsafeBufferPointer<UInt8>, _ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8,
        into masks: UnsafeMutablePointer<UInt64>
    ) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        kura_classify4(base, bytes.count, a, b, c, d, masks)
    }

    /// Copies `count` bytes from `source` to `destination`, collapsing each doubled `quote` into one; returns the
    /// bytes written, or nil when a quote is not doubled. `destination` needs room for `count + 64` bytes.
    @inline(__always)
    public static func collapseDoubled(
        _ source: UnsafePointer<UInt8>, count: Int, quote: UInt8, into destination: UnsafeMutablePointer<UInt8>
    ) -> Int? {
        let written = kura_collapse_doubled(source, count, quote, destination)
        return written < 0 ? nil : written
    }
}
