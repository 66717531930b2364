import KuraCore
/// A byte-level JSON scanner (RFC 8259): validates one value, optionally compacts it and finds the members a
/// `JSONPointerTree` asks for, in one pass and without allocating per value.
///
/// The scanner is incremental in the simplest way: when the bytes end inside a value and `isFinal` is false it
/// answers `.needMoreData`, and the caller scans again from the value's start once more bytes arrived. Errors
/// depend only on the bytes, never on where a buffer happened to end. Strings must be UTF-8 without unescaped
/// control characters; numbers and strings are kept exactly as written when compacting.
public final class JSONScanner {
    /// The result of scanning one value.
    public enum Outcome: Equatable {
        /// A whole value was read; `end` is the offset just after it.
        case complete(end: Int)
        /// The bytes end inside the value and more may come.
        case needMoreData
        /// The bytes are not valid JSON.
        case invalid(JSONError)
    }

    enum Stop: Error {
        case needMore
        case invalid(JSONError)
    }

    /// The deepest nesting of containers accepted (default 1000).
    public let maxDepth: Int
    /// What to do with undefined escapes and lone surrogates (default `PASSTHROUGH`).
    public let invalidEscapes: JSONInvalidEscapes
    /// Line feeds seen in whitespace by the last `scan` (strings cannot hold raw line feeds).
    public private(set) var newlines = 0
    /// Whether the last `scan` skipped whitespace inside the value (so its compact form differs from its text).
    public private(set) var sawWhitespace = false
    // Per target of the tree given to the last `scan`: start and end offset of the value found, or -1.
    @usableFromInline var spanStarts: UnsafeMutablePointer<Int> = .allocate(capacity: 1)
    @usableFromInline var spanEnds: UnsafeMutablePointer<Int> = .allocate(capacity: 1)
    var spanCapacity = 1

    /// The span of target `t` of the tree given to the last `scan`, or `nil` when the member was missing.
    @inlinable @inline(__always)
    public func span(_ t: Int) -> Range<Int>? {
        let s = spanStarts[t]
        return s < 0 ? nil : s..<spanEnds[t]
    }

    /// The start offset of target `t`'s value, or -1 when it was missing (see `span(_:)`).
    @inlinable @inline(__always) public func spanStart(_ t: Int) -> Int { spanStarts[t] }
    /// The end offset of target `t`'s value (meaningful when `spanStart(t) >= 0`).
    @inlinable @inline(__always) public func spanEnd(_ t: Int) -> Int { spanEnds[t] }

    let kinds: UnsafeMutablePointer<UInt8>
    let nodes: UnsafeMutablePointer<Int32>
    let counters: UnsafeMutablePointer<Int>
    let hints: UnsafeMutablePointer<Int32>
    let starts: UnsafeMutablePointer<Int>
    var keyScratch: [UInt8] = []

    /// Creates a scanner; `maxDepth` limits nesting (default 1000).
    public init(maxDepth: Int = JSON.defaultMaxDepth, invalidEscapes: JSONInvalidEscapes = .passthrough) {
        self.maxDepth = max(1, maxDepth)
        self.invalidEscapes = invalidEscapes
        let cap = self.maxDepth + 2
        kinds = .allocate(capacity: cap)
        nodes = .allocate(capacity: cap)
        counters = .allocate(capacity: cap)
        hints = .allocate(capacity: cap)
        starts = .allocate(capacity: cap)
        hints.initialize(repeating: 0, count: cap)
    }

    deinit {
        kinds.deallocate()
        nodes.deallocate()
        counters.deallocate()
        hints.deallocate()
        starts.deallocate()
        spanStarts.deallocate()
        spanEnds.deallocate()
    }

    /// The span of the value at `pointer` in the single JSON value `document`, or `nil` when there is no such
    /// member; throws when the document is not valid JSON.
    public func locate(_ pointer: JSONPointer, in document: UnsafeRawBufferPointer) throws(JSONError) -> Range<Int>? {
        let tree = JSONPointerTree([pointer])
        var sink: [UInt8] = []
        var i = 0
        while i < document.count, JSON.isWhitespace(document[i]) { i += 1 }
        switch scan(document, from: i, isFinal: true, tree: tree, compactInto: &sink, compacting: false) {
        case .complete:
            return span(0)
        case .needMoreData: throw JSONError(.syntax, offset: document.count, "unexpected end of the input")
        case .invalid(let e): throw e
        }
    }

    /// Scans the value that starts at `start` (which must not be whitespace).
    ///
    /// - Parameters:
    ///   - isFinal: whether the bytes end the stream (so a number may end at the last byte, and an unfinished
    ///     value is an error rather than `.needMoreData`).
    ///   - tree: pointers (relative to the value) whose spans to record in `spanStarts` / `spanEnds`.
    ///   - out: where the compact form is appended when `compacting` is true; on anything but `.complete` the
    ///     bytes appended are removed again.
    public func scan(
        _ input: UnsafeRawBufferPointer, from start: Int, isFinal: Bool, tree: JSONPointerTree?,
        compactInto out: inout [UInt8], compacting: Bool = true
    ) -> Outcome {
        newlines = 0
        sawWhitespace = false
        // (Reading the count through the optional borrows the tree; binding it with `if let` would retain it.)
        let targets = tree?.targetCount ?? 0
        if targets > 0 {
            if spanCapacity < targets {
                spanStarts.deallocate()
                spanEnds.deallocate()
                spanCapacity = targets
                spanStarts = .allocate(capacity: spanCapacity)
                spanEnds = .allocate(capacity: spanCapacity)
            }
            let starts = spanStarts
            for t in 0..<targets { starts[t] = -1 }
        }
        let mark = out.count
        guard let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self), start < input.count else {
            return isFinal
                ? .invalid(JSONError(.syntax, offset: start, "expected a JSON value, found the end of the input"))
                : .needMoreData
        }
        var lineFeeds = 0
        do {
            let end = try run(base, input.count, start, isFinal, tree, &out, compacting, &lineFeeds)
            newlines = lineFeeds
            return .complete(end: end)
        } catch {
            newlines = lineFeeds
            if out.count > mark { out.removeLast(out.count - mark) }
            switch error {
            case .needMore: return .needMoreData
            case .invalid(let e): return .invalid(e)
            }
        }
    }

    // MARK: - The state machine

    @inline(__always)
    func endOfInput(_ n: Int, _ isFinal: Bool, _ expected: String) -> Stop {
        isFinal ? .invalid(JSONError(.syntax, offset: n, "unexpected end of the input, expected \(expected)")) : .needMore
    }

    @inline(__always)
    func syntax(_ offset: Int, _ message: String) -> Stop { .invalid(JSONError(.syntax, offset: offset, message)) }

    @inline(__always)
    func record(_ tree: JSONPointerTree?, _ node: Int32, _ s: Int, _ e: Int, _ starts: UnsafeMutablePointer<Int>, _ ends: UnsafeMutablePointer<Int>) {
        guard let tree, node >= 0 else { return }
        let count = tree.targetCountOf[Int(node)]
        if count == 0 { return }
        let first = tree.targetStart[Int(node)]
        for k in first..<(first + count) {
            starts[tree.targets[k]] = s
            ends[tree.targets[k]] = e
        }
    }

    private func run(
        _ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int, _ isFinal: Bool, _ tree: JSONPointerTree?,
        _ out: inout [UInt8], _ compacting: Bool, _ newlines: inout Int
    ) throws(Stop) -> Int {
        var i = start
        var runStart = start
        var depth = 0
        let spanS = spanStarts, spanE = spanEnds
        var node: Int32 = tree == nil ? -1 : 0  // the tree node of the value about to be read

        valueLoop: while true {
            // Read one value at i; `node` is its tree node.
            guard i < n else { throw endOfInput(n, isFinal, "a value") }
            let valueStart = i
            let c = p[i]
            var containerOpened = false
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth >= maxDepth {
                    throw .invalid(
                        JSONError(
                            .depth, offset: i,
                            "JSON nesting is deeper than \(maxDepth) levels; flatten the data or split the value"))
                }
                depth += 1
                kinds[depth] = c
                nodes[depth] = node
                starts[depth] = valueStart
                counters[depth] = 0
                if tree != nil { hints[depth] = 0 }
                i += 1
                skipWhitespace(p, n, &i, &out, compacting, &runStart, &newlines)
                guard i < n else { throw endOfInput(n, isFinal, c == UInt8(ascii: "{") ? "a member name or '}'" : "a value or ']'") }
                if c == UInt8(ascii: "{") {
                    if p[i] == UInt8(ascii: "}") {
                        i += 1
                        depth -= 1
                        record(tree, node, valueStart, i, spanS, spanE)
                    } else {
                        node = try readKey(p, n, &i, isFinal, tree, node, &out, compacting, &runStart, depth, &newlines)
                        containerOpened = true
                    }
                } else {
                    if p[i] == UInt8(ascii: "]") {
                        i += 1
                        depth -= 1
                        record(tree, node, valueStart, i, spanS, spanE)
                    } else {
                        node = tree?.child(node, index: 0) ?? -1
                        containerOpened = true
                    }
                }
                if containerOpened { continue valueLoop }
            case UInt8(ascii: "\""):
                try scanString(p, n, &i, isFinal, &out, compacting, &runStart)
                record(tree, node, valueStart, i, spanS, spanE)
            case UInt8(ascii: "t"):
                try literal(p, n, &i, isFinal, "true")
                record(tree, node, valueStart, i, spanS, spanE)
            case UInt8(ascii: "f"):
                try literal(p, n, &i, isFinal, "false")
                record(tree, node, valueStart, i, spanS, spanE)
            case UInt8(ascii: "n"):
                try literal(p, n, &i, isFinal, "null")
                record(tree, node, valueStart, i, spanS, spanE)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try scanNumber(p, n, &i, isFinal)
                record(tree, node, valueStart, i, spanS, spanE)
            default:
                throw syntax(i, "expected a JSON value, found \(JSON.describeByte(c))")
            }

            // After a value: close containers or move to the next member / element.
            while true {
                if depth == 0 {
                    if compacting && i > runStart {
                        out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
                    }
                    return i
                }
                skipWhitespace(p, n, &i, &out, compacting, &runStart, &newlines)
                guard i < n else {
                    throw endOfInput(n, isFinal, kinds[depth] == UInt8(ascii: "{") ? "',' or '}'" : "',' or ']'")
                }
                let b = p[i]
                if kinds[depth] == UInt8(ascii: "{") {
                    if b == UInt8(ascii: ",") {
                        i += 1
                        skipWhitespace(p, n, &i, &out, compacting, &runStart, &newlines)
                        guard i < n else { throw endOfInput(n, isFinal, "a member name") }
                        node = try readKey(p, n, &i, isFinal, tree, nodes[depth], &out, compacting, &runStart, depth, &newlines)
                        continue valueLoop
                    }
                    if b == UInt8(ascii: "}") {
                        i += 1
                        record(tree, nodes[depth], starts[depth], i, spanS, spanE)
                        depth -= 1
                        continue
                    }
                    throw syntax(i, "expected ',' or '}' after an object member, found \(JSON.describeByte(b))")
                } else {
                    if b == UInt8(ascii: ",") {
                        i += 1
                        skipWhitespace(p, n, &i, &out, compacting, &runStart, &newlines)
                        counters[depth] += 1
                        node = tree == nil ? -1 : tree!.child(nodes[depth], index: counters[depth])
                        continue valueLoop
                    }
                    if b == UInt8(ascii: "]") {
                        i += 1
                        record(tree, nodes[depth], starts[depth], i, spanS, spanE)
                        depth -= 1
                        continue
                    }
                    throw syntax(i, "expected ',' or ']' after an array element, found \(JSON.describeByte(b))")
                }
            }
        }
    }

    @inline(__always)
    private func skipWhitespace(
        _ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ out: inout [UInt8], _ compacting: Bool,
        _ runStart: inout Int, _ newlines: inout Int
    ) {
        if i < n && p[i] > 0x20 { return }
        let from = i
        while i < n {
            let b = p[i]
            if b == 0x20 || b == 0x09 || b == 0x0D {
                i += 1
            } else if b == 0x0A {
                newlines += 1
                i += 1
            } else {
                break
            }
        }
        if i > from {
            sawWhitespace = true
            if compacting {
                if from > runStart { out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: from - runStart)) }
                runStart = i
            }
        }
    }

    /// Reads `"key"` `:` and the whitespace after it; returns the tree node of the member's value.
    @inline(__always)
    private func readKey(
        _ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ isFinal: Bool, _ tree: JSONPointerTree?, _ parent: Int32,
        _ out: inout [UInt8], _ compacting: Bool, _ runStart: inout Int, _ depth: Int, _ newlines: inout Int
    ) throws(Stop) -> Int32 {
        guard p[i] == UInt8(ascii: "\"") else {
            throw syntax(i, "expected a member name in double quotes, found \(JSON.describeByte(p[i]))")
        }
        let keyStart = i + 1
        let escaped = try scanString(p, n, &i, isFinal, &out, compacting, &runStart)
        var child: Int32 = -1
        if let tree, tree.hasChildren(parent) {
            if !escaped {
                child = tree.child(parent, key: UnsafeRawBufferPointer(start: p + keyStart, count: i - 1 - keyStart), hint: &hints[depth])
            } else {
                keyScratch.removeAll(keepingCapacity: true)
                let raw = UnsafeRawBufferPointer(start: p + keyStart, count: i - 1 - keyStart)
                if (try? JSON.appendUnescaped(raw, invalidEscapes: invalidEscapes == .passthrough ? .unescape : invalidEscapes, to: &keyScratch)) != nil {
                    child = keyScratch.withUnsafeBytes { tree.child(parent, key: $0, hint: &hints[depth]) }
                }
            }
        }
        // whitespace, ':', whitespace
        let from = i
        while i < n, JSON.isWhitespace(p[i]) {
            if p[i] == 0x0A { newlines += 1 }
            i += 1
        }
        guard i < n else { throw endOfInput(n, isFinal, "':' after a member name") }
        guard p[i] == UInt8(ascii: ":") else {
            throw syntax(i, "expected ':' after a member name, found \(JSON.describeByte(p[i]))")
        }
        if i > from {
            sawWhitespace = true
            if compacting {
                if from > runStart { out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: from - runStart)) }
                runStart = i
            }
        }
        i += 1
        let from2 = i
        while i < n, JSON.isWhitespace(p[i]) {
            if p[i] == 0x0A { newlines += 1 }
            i += 1
        }
        if i > from2 {
            sawWhitespace = true
            if compacting {
                out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: from2 - runStart))
                runStart = i
            }
        }
        return child
    }

    @inline(__always)
    private func literal(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ isFinal: Bool, _ word: StaticString) throws(Stop) {
        let w = word.utf8Start
        let len = word.utf8CodeUnitCount
        for k in 0..<len {
            guard i + k < n else { throw endOfInput(n, isFinal, "'\(word)'") }
            if p[i + k] != w[k] {
                throw syntax(i + k, "invalid literal: expected '\(word)', found \(JSON.describeByte(p[i + k]))")
            }
        }
        i += len
    }

    @inline(__always)
    private func scanNumber(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ isFinal: Bool) throws(Stop) {
        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- 48 <= 9 }
        if p[i] == UInt8(ascii: "-") {
            i += 1
            guard i < n else { throw endOfInput(n, isFinal, "a digit after '-'") }
        }
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if i >= n { if isFinal { return }; throw .needMore }
            if isDigit(p[i]) { throw syntax(i, "a number must not have leading zeros") }
        } else if isDigit(p[i]) {
            i += 1
            while i < n && isDigit(p[i]) { i += 1 }
            if i >= n { if isFinal { return }; throw .needMore }
        } else {
            throw syntax(i, "expected a digit in a number, found \(JSON.describeByte(p[i]))")
        }
        if p[i] == UInt8(ascii: ".") {
            i += 1
            guard i < n else { throw endOfInput(n, isFinal, "a digit after the decimal point") }
            guard isDigit(p[i]) else { throw syntax(i, "expected a digit after the decimal point, found \(JSON.describeByte(p[i]))") }
            while i < n && isDigit(p[i]) { i += 1 }
            if i >= n { if isFinal { return }; throw .needMore }
        }
        if p[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            guard i < n else { throw endOfInput(n, isFinal, "an exponent") }
            if p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
                i += 1
                guard i < n else { throw endOfInput(n, isFinal, "an exponent digit") }
            }
            guard isDigit(p[i]) else { throw syntax(i, "expected a digit in the exponent, found \(JSON.describeByte(p[i]))") }
            while i < n && isDigit(p[i]) { i += 1 }
            if i >= n { if isFinal { return }; throw .needMore }
        }
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> Int {
        switch b {
        case 48...57: return Int(b - 48)
        case 65...70: return Int(b - 55)
        case 97...102: return Int(b - 87)
        default: return -1
        }
    }

    /// Reads the string at `i` (the opening quote) up to and including its closing quote; returns whether it
    /// holds a backslash. With a non-passthrough policy, invalid escapes and lone surrogates are rewritten in `out`.
    @discardableResult
    private func scanString(
        _ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ isFinal: Bool, _ out: inout [UInt8], _ compacting: Bool,
        _ runStart: inout Int
    ) throws(Stop) -> Bool {
        i += 1
        var escaped = false
        while true {
            // Eight bytes at a time: flag quotes, backslashes, controls and non-ASCII. A flag can be spurious only
            // above a real one (borrows run upward), so the lowest flag is the first byte that needs a look.
            while i + 8 <= n {
                let w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                let high = w & 0x8080_8080_8080_8080
                let control = (w &- 0x2020_2020_2020_2020) & ~w & 0x8080_8080_8080_8080
                let q = w ^ 0x2222_2222_2222_2222
                let quote = (q &- 0x0101_0101_0101_0101) & ~q & 0x8080_8080_8080_8080
                let s = w ^ 0x5C5C_5C5C_5C5C_5C5C
                let slash = (s &- 0x0101_0101_0101_0101) & ~s & 0x8080_8080_8080_8080
                let flags = high | control | quote | slash
                if flags != 0 {
                    i += flags.trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
            while i < n {
                let b = p[i]
                if b >= 0x20 && b != 0x22 && b != 0x5C && b < 0x80 { i += 1 } else { break }
            }
            guard i < n else { throw endOfInput(n, isFinal, "'\"' to close the string") }
            let b = p[i]
            if b == 0x22 {
                i += 1
                return escaped
            }
            if b == 0x5C {
                escaped = true
                try scanEscape(p, n, &i, isFinal, &out, compacting, &runStart)
                continue
            }
            if b < 0x20 {
                throw syntax(i, "unescaped control character 0x\(JSON.hex2(b)) in a string; write it as \\u00\(JSON.hex2(b))")
            }
            // Non-ASCII: one whole UTF-8 sequence.
            let need = b < 0xC2 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : b < 0xF5 ? 3 : 0
            if need == 0 { throw encoding(i, b) }
            for k in 1...need {
                guard i + k < n else { throw endOfInput(n, isFinal, "the rest of a UTF-8 character") }
                let c = p[i + k]
                var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
                if k == 1 {
                    if b == 0xE0 { lo = 0xA0 } else if b == 0xED { hi = 0x9F } else if b == 0xF0 { lo = 0x90 } else if b == 0xF4 { hi = 0x8F }
                }
                if c < lo || c > hi { throw encoding(i, b) }
            }
            i += need + 1
        }
    }

    func encoding(_ offset: Int, _ b: UInt8) -> Stop {
        .invalid(JSONError(.encoding, offset: offset, "invalid UTF-8 sequence starting with byte 0x\(JSON.hex2(b)) in a string; the input must be UTF-8"))
    }

    /// Reads the escape at `i` (the backslash).
    @inline(__always)
    private func scanEscape(
        _ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ isFinal: Bool, _ out: inout [UInt8], _ compacting: Bool,
        _ runStart: inout Int
    ) throws(Stop) {
        guard i + 1 < n else { throw endOfInput(n, isFinal, "an escape character after '\\'") }
        let e = p[i + 1]
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            i += 2
            return
        case UInt8(ascii: "u"):
            var v = 0
            for k in 2..<6 {
                guard i + k < n else { throw endOfInput(n, isFinal, "four hex digits after '\\u'") }
                let h = JSONScanner.hexValue(p[i + k])
                if h < 0 {
                    try invalidEscape(p, n, &i, isFinal, &out, compacting, &runStart, isUnicode: true)
                    return
                }
                v = v << 4 | h
            }
            if v >= 0xD800 && v <= 0xDBFF {
                // A high surrogate needs a low one right after it.
                var paired = true
                let expect: [UInt8] = [0x5C, UInt8(ascii: "u")]
                for k in 0..<6 {
                    guard i + 6 + k < n else {
                        if isFinal {
                            paired = false
                            break
                        }
                        throw .needMore
                    }
                    let c = p[i + 6 + k]
                    if k < 2 {
                        if c != expect[k] {
                            paired = false
                            break
                        }
                    } else if JSONScanner.hexValue(c) < 0 {
                        paired = false
                        break
                    }
                }
                if paired {
                    var low = 0
                    for k in 8..<12 { low = low << 4 | JSONScanner.hexValue(p[i + k]) }
                    if low >= 0xDC00 && low <= 0xDFFF {
                        i += 12
                        return
                    }
                }
                loneSurrogate(p, &i, &out, compacting, &runStart)
                return
            }
            if v >= 0xDC00 && v <= 0xDFFF {
                loneSurrogate(p, &i, &out, compacting, &runStart)
                return
            }
            i += 6
        default:
            try invalidEscape(p, n, &i, isFinal, &out, compacting, &runStart, isUnicode: false)
        }
    }

    private func loneSurrogate(
        _ p: UnsafePointer<UInt8>, _ i: inout Int, _ out: inout [UInt8], _ compacting: Bool, _ runStart: inout Int
    ) {
        switch invalidEscapes {
        case .passthrough:
            break
        case .skip:
            if compacting {
                out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
                runStart = i + 6
            }
        case .unescape:
            if compacting {
                out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x46, 0x46, 0x46, 0x44])  // \uFFFD
                runStart = i + 6
            }
        }
        i += 6
    }

    private func invalidEscape(
        _ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ isFinal: Bool, _ out: inout [UInt8], _ compacting: Bool,
        _ runStart: inout Int, isUnicode: Bool
    ) throws(Stop) {
        let e = p[i + 1]
        switch invalidEscapes {
        case .passthrough:
            let what = isUnicode ? "'\\u' must be followed by four hex digits" : "invalid escape '\\\(e >= 0x21 && e < 0x7F ? String(UnicodeScalar(e)) : "0x" + JSON.hex2(e))'"
            throw syntax(
                i,
                "\(what) in a string; valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX (or set invalid_string_escapes: SKIP or UNESCAPE)"
            )
        case .unescape:
            // Drop the backslash; what follows is read as ordinary characters.
            if compacting {
                out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
                runStart = i + 1
            }
            i += 1
        case .skip:
            // Drop the backslash and the character after it (only `\u` for a bad \u escape).
            var len = 1
            if !isUnicode && e >= 0x80 {
                let need = e < 0xC2 ? 0 : e < 0xE0 ? 1 : e < 0xF0 ? 2 : e < 0xF5 ? 3 : 0
                if need == 0 { throw encoding(i + 1, e) }
                guard i + 1 + need < n || isFinal else { throw .needMore }
                let l = JSON.utf8SequenceLength(p, i + 1, n)
                if l == 0 {
                    if i + 1 + need >= n { throw endOfInput(n, isFinal, "the rest of a UTF-8 character") }
                    throw encoding(i + 1, e)
                }
                len = l
            }
            if compacting {
                out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
                runStart = i + 1 + len
            }
            i += 1 + len
        }
    }
}
