import KuraCore
/// What a JSON reader does with a backslash escape that RFC 8259 does not define (`\a`, `\u12xY`) and with an
/// escaped lone UTF-16 surrogate (`\uD800` without its pair), with Embulk's names.
public enum JSONInvalidEscapes: String, ConfigEnum, Codable, Sendable {
    /// Invalid escapes make the value invalid; a lone surrogate is kept as written in JSON text and is an error when
    /// the string is decoded.
    case passthrough = "PASSTHROUGH"
    /// Invalid escapes are dropped (`\a` and `\u` of `\u12xY`), and so are lone surrogates.
    case skip = "SKIP"
    /// The backslash of an invalid escape is dropped (`\a` becomes `a`); a lone surrogate becomes U+FFFD.
    case unescape = "UNESCAPE"
}

/// Why bytes are not a valid JSON value: what was expected, where, and of which kind.
public struct JSONError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The class of problem.
    public enum Kind: Sendable, Equatable {
        /// The text does not follow the JSON grammar.
        case syntax
        /// A string holds bytes that are not UTF-8.
        case encoding
        /// Containers are nested deeper than the limit.
        case depth
    }

    /// The class of problem.
    public var kind: Kind
    /// The 0-based byte offset of the problem in the scanned bytes.
    public var offset: Int
    /// What is wrong, without the position (for example `expected ',' or '}' after an object member, found 'x'`).
    public var message: String

    public init(_ kind: Kind, offset: Int, _ message: String) {
        self.kind = kind
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(message) at byte \(offset)" }
}

/// A value could not be converted to a column type (for example a fraction read as `long`).
public struct JSONCastError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and how to fix it, as a sentence.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A parsed JSON Pointer (RFC 6901), such as `/a/b/0`; the empty pointer `""` is the whole value.
public struct JSONPointer: Hashable, Sendable, CustomStringConvertible {
    /// The reference tokens, unescaped (`~1` is `/`, `~0` is `~`).
    public let tokens: [[UInt8]]
    /// The pointer as written.
    public let text: String

    /// Parses `text`; throws a message when it is neither empty nor starts with `/`, or has a bad `~` escape.
    public init(_ text: String) throws(JSONCastError) {
        self.text = text
        if text.isEmpty {
            tokens = []
            return
        }
        let bytes = Array(text.utf8)
        guard bytes[0] == UInt8(ascii: "/") else {
            throw JSONCastError("a JSON Pointer must be empty or start with '/', got '\(text)'")
        }
        var result: [[UInt8]] = []
        var current: [UInt8] = []
        var i = 1
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "/") {
                result.append(current)
                current = []
            } else if b == UInt8(ascii: "~") {
                guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "0") || bytes[i + 1] == UInt8(ascii: "1") else {
                    throw JSONCastError("'~' in a JSON Pointer must be followed by 0 or 1 (~0 is '~', ~1 is '/') in '\(text)'")
                }
                current.append(bytes[i + 1] == UInt8(ascii: "0") ? UInt8(ascii: "~") : UInt8(ascii: "/"))
                i += 1
            } else {
                current.append(b)
            }
            i += 1
        }
        result.append(current)
        tokens = result
    }

    /// A pointer from tokens (not escaped).
    public init(tokens: [[UInt8]]) {
        self.tokens = tokens
        var s = ""
        for t in tokens {
            s += "/"
            for ch in String(decoding: t, as: UTF8.self) {
                switch ch {
                case "~": s += "~0"
                case "/": s += "~1"
                default: s.append(ch)
                }
            }
        }
        text = s
    }

    /// The pointer that applies `other` to the value this one refers to.
    public func appending(_ other: JSONPointer) -> JSONPointer { JSONPointer(tokens: tokens + other.tokens) }

    public var description: String { text }
}

/// A set of JSON Pointers merged into a tree, so one pass over a document finds them all.
///
/// Target `t` is the `t`-th pointer given; several targets may share a pointer. The tree is immutable and kept in
/// flat buffers, so the scanner's lookups neither allocate nor retain.
public final class JSONPointerTree: @unchecked Sendable {
    /// The number of targets.
    public let targetCount: Int
    let nodeCount: Int
    // Per node: its children in [childStart, childStart + childCount), its targets likewise.
    let childStart: UnsafeMutablePointer<Int>
    let childCount: UnsafeMutablePointer<Int>
    let targetStart: UnsafeMutablePointer<Int>
    let targetCountOf: UnsafeMutablePointer<Int>
    // Per child slot: the key bytes, the array index the key names (or -1), and the child node.
    let keyOffset: UnsafeMutablePointer<Int>
    let keyLength: UnsafeMutablePointer<Int>
    let keyIndex: UnsafeMutablePointer<Int>
    let childNode: UnsafeMutablePointer<Int32>
    let keyBytes: UnsafeMutablePointer<UInt8>
    let targets: UnsafeMutablePointer<Int>

    /// Builds the tree of `pointers`; target `t` is `pointers[t]`.
    public init(_ pointers: [JSONPointer]) {
        struct Node {
            var keys: [[UInt8]] = []
            var children: [Int] = []
            var targets: [Int] = []
        }
        var nodes = [Node()]
        for (t, p) in pointers.enumerated() {
            var n = 0
            for token in p.tokens {
                if let k = nodes[n].keys.firstIndex(of: token) {
                    n = nodes[n].children[k]
                } else {
                    nodes.append(Node())
                    nodes[n].keys.append(token)
                    nodes[n].children.append(nodes.count - 1)
                    n = nodes.count - 1
                }
            }
            nodes[n].targets.append(t)
        }
        targetCount = pointers.count
        nodeCount = nodes.count
        let slots = max(1, nodes.reduce(0) { $0 + $1.keys.count })
        let bytes = max(1, nodes.reduce(0) { $0 + $1.keys.reduce(0) { $0 + $1.count } })
        childStart = .allocate(capacity: nodeCount)
        childCount = .allocate(capacity: nodeCount)
        targetStart = .allocate(capacity: nodeCount)
        targetCountOf = .allocate(capacity: nodeCount)
        keyOffset = .allocate(capacity: slots)
        keyLength = .allocate(capacity: slots)
        keyIndex = .allocate(capacity: slots)
        childNode = .allocate(capacity: slots)
        keyBytes = .allocate(capacity: bytes)
        targets = .allocate(capacity: max(1, pointers.count))
        var slot = 0, byte = 0, tpos = 0
        for (n, node) in nodes.enumerated() {
            childStart[n] = slot
            childCount[n] = node.keys.count
            for (k, key) in node.keys.enumerated() {
                keyOffset[slot] = byte
                keyLength[slot] = key.count
                keyIndex[slot] = JSONPointerTree.arrayIndex(key)
                childNode[slot] = Int32(node.children[k])
                for b in key {
                    keyBytes[byte] = b
                    byte += 1
                }
                slot += 1
            }
            targetStart[n] = tpos
            targetCountOf[n] = node.targets.count
            for t in node.targets {
                targets[tpos] = t
                tpos += 1
            }
        }
    }

    deinit {
        childStart.deallocate()
        childCount.deallocate()
        targetStart.deallocate()
        targetCountOf.deallocate()
        keyOffset.deallocate()
        keyLength.deallocate()
        keyIndex.deallocate()
        childNode.deallocate()
        keyBytes.deallocate()
        targets.deallocate()
    }

    /// The array index a token names (`0`, `17`; no leading zeros), or -1.
    static func arrayIndex(_ token: [UInt8]) -> Int {
        guard !token.isEmpty, token.count <= 9, token.allSatisfy({ $0 &- 48 <= 9 }) else { return -1 }
        if token.count > 1 && token[0] == 48 { return -1 }
        return token.reduce(0) { $0 * 10 + Int($1 - 48) }
    }

    @inline(__always) func hasChildren(_ n: Int32) -> Bool { n >= 0 && childCount[Int(n)] > 0 }

    /// The child of node `n` for object key `key`, or -1. `hint` is where to start looking (members usually come in
    /// the same order record after record) and is updated on a hit.
    @inline(__always)
    func child(_ n: Int32, key: UnsafeRawBufferPointer, hint: inout Int32) -> Int32 {
        if n < 0 { return -1 }
        let count = childCount[Int(n)]
        if count == 0 { return -1 }
        let first = childStart[Int(n)]
        var k = Int(hint) < count ? Int(hint) : 0
        for _ in 0..<count {
            let slot = first + k
            if keyLength[slot] == key.count
                && (key.count == 0 || memcmpBytes(keyBytes + keyOffset[slot], key.baseAddress!, key.count))
            {
                hint = Int32(k + 1)
                return childNode[slot]
            }
            k += 1
            if k == count { k = 0 }
        }
        return -1
    }

    /// The child of node `n` for array element `index`, or -1.
    @inline(__always)
    func child(_ n: Int32, index: Int) -> Int32 {
        if n < 0 { return -1 }
        let first = childStart[Int(n)]
        for slot in first..<(first + childCount[Int(n)]) where keyIndex[slot] == index { return childNode[slot] }
        return -1
    }
}

/// Whether the `n` bytes at `a` and `b` are equal, comparing whole words (overlapping at the tail).
@inline(__always)
func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    if n >= 8 {
        var i = 0
        while i + 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                return false
            }
            i += 8
        }
        return i == n
            || a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }
    if n >= 4 {
        return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
            && a.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
    }
    for i in 0..<n where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
        return false
    }
    return true
}

/// JSON helpers over raw UTF-8 bytes: validation and compaction of whole documents, and escaping of strings.
public enum JSON {
    /// The default limit on nested containers.
    public static let defaultMaxDepth = 1000

    /// Validates that `bytes` hold exactly one JSON value (surrounding whitespace allowed) and appends its compact
    /// form to `out`: insignificant whitespace dropped, strings and numbers byte for byte as written.
    ///
    /// Each call sets up a scanner; to read many values, keep one `JSONScanner` and call `scan` instead.
    public static func compact(
        _ bytes: UnsafeRawBufferPointer, into out: inout [UInt8], maxDepth: Int = defaultMaxDepth,
        invalidEscapes: JSONInvalidEscapes = .passthrough
    ) throws(JSONError) {
        let scanner = JSONScanner(maxDepth: maxDepth, invalidEscapes: invalidEscapes)
        let mark = out.count
        var i = 0
        while i < bytes.count, isWhitespace(bytes[i]) { i += 1 }
        if i == bytes.count {
            throw JSONError(.syntax, offset: i, "expected a JSON value, found the end of the input")
        }
        switch scanner.scan(bytes, from: i, isFinal: true, tree: nil, compactInto: &out) {
        case .complete(let end):
            var j = end
            while j < bytes.count, isWhitespace(bytes[j]) { j += 1 }
            if j != bytes.count {
                out.removeLast(out.count - mark)
                throw JSONError(.syntax, offset: j, "expected the end of the input after the value, found \(describeByte(bytes[j]))")
            }
        case .needMoreData:
            out.removeLast(out.count - mark)
            throw JSONError(.syntax, offset: bytes.count, "unexpected end of the input")
        case .invalid(let e):
            out.removeLast(out.count - mark)
            throw e
        }
    }

    /// Validates and compacts `text` (see `compact(_:into:maxDepth:invalidEscapes:)`).
    public static func compact(_ text: String, maxDepth: Int = defaultMaxDepth, invalidEscapes: JSONInvalidEscapes = .passthrough)
        throws(JSONError) -> String
    {
        var out: [UInt8] = []
        var s = text
        let r: Result<Void, JSONError> = s.withUTF8 { buf in
            Result { () throws(JSONError) in
                try compact(UnsafeRawBufferPointer(buf), into: &out, maxDepth: maxDepth, invalidEscapes: invalidEscapes)
            }
        }
        try r.get()
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `b` is JSON whitespace (space, tab, line feed, carriage return).
    @inline(__always) public static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }

    /// A byte as a message shows it: `'x'` for printable ASCII, `byte 0xC3` otherwise.
    public static func describeByte(_ b: UInt8) -> String {
        if b >= 0x21 && b < 0x7F { return "'\(Character(UnicodeScalar(b)))'" }
        if b == 0x20 { return "a space" }
        if b == 0x0A { return "a line break" }
        return "byte 0x" + hex2(b)
    }

    static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    /// Appends `bytes` as a quoted JSON string: `"` and `\` escaped, `\n` `\t` `\r` `\b` `\f` for those controls,
    /// other controls as `\u00XX`; other characters, non-ASCII included, are kept as UTF-8. Bytes that are not
    /// UTF-8 become U+FFFD, so the output is always valid JSON.
    public static func appendQuoted(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(0x22)
        let n = bytes.count
        guard n > 0, let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            out.append(0x22)
            return
        }
        var run = 0
        var i = 0
        while i < n {
            let b = base[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C && b < 0x80 {
                i += 1
                continue
            }
            if b >= 0x80 {
                let len = utf8SequenceLength(base, i, n)
                if len > 0 {
                    i += len
                    continue
                }
                if run < i { out.append(contentsOf: UnsafeBufferPointer(start: base + run, count: i - run)) }
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                i += 1
                run = i
                continue
            }
            if run < i { out.append(contentsOf: UnsafeBufferPointer(start: base + run, count: i - run)) }
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            default:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                out.append(contentsOf: hex2(b).utf8)
            }
            i += 1
            run = i
        }
        if run < n { out.append(contentsOf: UnsafeBufferPointer(start: base + run, count: n - run)) }
        out.append(0x22)
    }

    /// Appends `text` as a quoted JSON string (see `appendQuoted(_:to:)`).
    public static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        var s = text
        s.withUTF8 { appendQuoted(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// The length of the valid UTF-8 sequence of 2 to 4 bytes at `i`, or 0 when the bytes there are not one.
    @inline(__always)
    static func utf8SequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        let b = p[i]
        @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            i + k < n && p[i + k] >= lo && p[i + k] <= hi
        }
        if b < 0xC2 { return 0 }
        if b < 0xE0 { return cont(1) ? 2 : 0 }
        if b < 0xF0 {
            let lo: UInt8 = b == 0xE0 ? 0xA0 : 0x80
            let hi: UInt8 = b == 0xED ? 0x9F : 0xBF
            return cont(1, lo, hi) && cont(2) ? 3 : 0
        }
        if b < 0xF5 {
            let lo: UInt8 = b == 0xF0 ? 0x90 : 0x80
            let hi: UInt8 = b == 0xF4 ? 0x8F : 0xBF
            return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0
        }
        return 0
    }
}
