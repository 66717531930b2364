/// SHA-256 and MD5 digests of byte strings, written as lowercase hex, with no allocation per value.
///
/// `Digests` keeps its block buffer, so one instance hashes value after value; it is not shared between threads.
struct Digests {
    private var block = [UInt8](repeating: 0, count: 64)
    private var words = [UInt32](repeating: 0, count: 64)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    static let sha256K: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static let md5S: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]
    /// floor(abs(sin(i + 1)) * 2^32), the MD5 round constants (RFC 1321).
    static let md5K: [UInt32] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
        0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
        0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
        0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
        0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
        0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
        0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
    ]

    @inline(__always) static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    @inline(__always) static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }

    /// Feeds `message` padded (big- or little-endian length) block by block to `compress`.
    private mutating func blocks(_ message: UnsafeRawBufferPointer, bigEndian: Bool, _ compress: (inout Digests) -> Void) {
        let n = message.count
        var offset = 0
        while offset + 64 <= n {
            for i in 0..<64 { block[i] = message[offset + i] }
            compress(&self)
            offset += 64
        }
        let rest = n - offset
        for i in 0..<64 { block[i] = i < rest ? message[offset + i] : 0 }
        block[rest] = 0x80
        if rest >= 56 {
            compress(&self)
            for i in 0..<64 { block[i] = 0 }
        }
        let bits = UInt64(n) &* 8
        for i in 0..<8 {
            let byte = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))
            block[bigEndian ? 63 - i : 56 + i] = byte
        }
        compress(&self)
    }

    /// Appends the SHA-256 of `message` as 64 hex digits.
    mutating func sha256(_ message: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
        )
        blocks(message, bigEndian: true) { d in
            for i in 0..<16 {
                d.words[i] = UInt32(d.block[4 * i]) << 24 | UInt32(d.block[4 * i + 1]) << 16 | UInt32(d.block[4 * i + 2]) << 8
                    | UInt32(d.block[4 * i + 3])
            }
            for i in 16..<64 {
                let w15 = d.words[i - 15], w2 = d.words[i - 2]
                let s0 = Digests.rotr(w15, 7) ^ Digests.rotr(w15, 18) ^ (w15 >> 3)
                let s1 = Digests.rotr(w2, 17) ^ Digests.rotr(w2, 19) ^ (w2 >> 10)
                d.words[i] = d.words[i - 16] &+ s0 &+ d.words[i - 7] &+ s1
            }
            var (a, b, c, e4, e, f, g, hh) = h
            for i in 0..<64 {
                let s1 = Digests.rotr(e, 6) ^ Digests.rotr(e, 11) ^ Digests.rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ Digests.sha256K[i] &+ d.words[i]
                let s0 = Digests.rotr(a, 2) ^ Digests.rotr(a, 13) ^ Digests.rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                hh = g
                g = f
                f = e
                e = e4 &+ t1
                e4 = c
                c = b
                b = a
                a = t1 &+ t2
            }
            h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ e4, h.4 &+ e, h.5 &+ f, h.6 &+ g, h.7 &+ hh)
        }
        Self.appendHex(h.0, bigEndian: true, &out)
        Self.appendHex(h.1, bigEndian: true, &out)
        Self.appendHex(h.2, bigEndian: true, &out)
        Self.appendHex(h.3, bigEndian: true, &out)
        Self.appendHex(h.4, bigEndian: true, &out)
        Self.appendHex(h.5, bigEndian: true, &out)
        Self.appendHex(h.6, bigEndian: true, &out)
        Self.appendHex(h.7, bigEndian: true, &out)
    }

    /// Appends the MD5 of `message` as 32 hex digits.
    mutating func md5(_ message: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var h: (UInt32, UInt32, UInt32, UInt32) = (0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476)
        blocks(message, bigEndian: false) { d in
            for i in 0..<16 {
                d.words[i] = UInt32(d.block[4 * i]) | UInt32(d.block[4 * i + 1]) << 8 | UInt32(d.block[4 * i + 2]) << 16
                    | UInt32(d.block[4 * i + 3]) << 24
            }
            var (a, b, c, dd) = h
            for i in 0..<64 {
                var f: UInt32
                let g: Int
                switch i {
                case 0..<16: (f, g) = ((b & c) | (~b & dd), i)
                case 16..<32: (f, g) = ((dd & b) | (~dd & c), (5 * i + 1) % 16)
                case 32..<48: (f, g) = (b ^ c ^ dd, (3 * i + 5) % 16)
                default: (f, g) = (c ^ (b | ~dd), (7 * i) % 16)
                }
                f = f &+ a &+ Digests.md5K[i] &+ d.words[g]
                a = dd
                dd = c
                c = b
                b = b &+ Digests.rotl(f, Digests.md5S[i])
            }
            h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ dd)
        }
        Self.appendHex(h.0, bigEndian: false, &out)
        Self.appendHex(h.1, bigEndian: false, &out)
        Self.appendHex(h.2, bigEndian: false, &out)
        Self.appendHex(h.3, bigEndian: false, &out)
    }

    @inline(__always) static func appendHex(_ word: UInt32, bigEndian: Bool, _ out: inout [UInt8]) {
        for k in 0..<4 {
            let shift = bigEndian ? UInt32(24 - 8 * k) : UInt32(8 * k)
            let byte = Int((word >> shift) & 0xff)
            out.append(hexDigits[byte >> 4])
            out.append(hexDigits[byte & 15])
        }
    }
}
