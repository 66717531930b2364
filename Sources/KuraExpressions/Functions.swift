import KuraCore
import KuraFormats

/// Appends the text of row `r` of `v` (of any type) to `out`: a string or json as is, a long in decimal, a double
/// in its shortest exact form, a boolean as `true`/`false`, a timestamp in ISO 8601 UTC.
@inline(__always)
func appendText(_ v: Vec, _ r: Int, _ strings: Strings?, to out: inout [UInt8]) {
    switch v.type {
    case .string, .json: out.append(contentsOf: strings![r])
    case .long: appendDecimal(v.ints[r], to: &out)
    case .double: out.append(contentsOf: v.doubles[r].shortestText.utf8)
    case .boolean: out.append(contentsOf: v.bools[r] ? [116, 114, 117, 101] : [102, 97, 108, 115, 101])
    case .timestamp: Timestamp(nanos: v.ints[r]).appendISO8601(to: &out)
    }
}

@inline(__always)
func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
    if value < 0 { out.append(UInt8(ascii: "-")) }
    var m = value.magnitude
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &digits) { d in
        repeat {
            d[n] = UInt8(m % 10) + 48
            m /= 10
            n += 1
        } while m > 0
        while n > 0 {
            n -= 1
            out.append(d[n])
        }
    }
}

/// A function whose result is text: lower, upper, trim, substr, concat (and `||`), regex_replace, sha256, md5,
/// format, and the text of any value.
final class TextFunctionNode: Node {
    enum Kind {
        case lower, upper, trim, substr, text, sha256, md5
        /// `concat` skips null arguments; `||` (strict) is null when either side is.
        case concat(strict: Bool)
        case regexReplace(RegexProgram, [UInt8])
        case format(TimestampFormatter)
    }

    let kind: Kind
    let args: [Node]
    var vecs: [Vec] = []
    var digests = Digests()
    var scratch: [UInt8] = []

    init(_ kind: Kind, _ args: [Node]) {
        self.kind = kind
        self.args = args
        super.init(.string)
    }

    override func eval(_ page: Page) throws -> Vec {
        vecs.removeAll(keepingCapacity: true)
        for a in args { vecs.append(try a.eval(page)) }
        let n = page.rowCount
        out.reset(n)
        switch kind {
        case .concat(let strict): concat(n, strict: strict)
        case .substr: substr(n)
        case .format(let formatter):
            let a = vecs[0]
            for r in 0..<n {
                if a.valid[r] {
                    formatter.format(nanos: a.ints[r], into: &out.bytes)
                    out.endString()
                } else {
                    out.endNull(r)
                }
            }
        default: unary(n)
        }
        return out
    }

    func unary(_ n: Int) {
        let a = vecs[0]
        let isText = a.type == .string || a.type == .json
        a.withStrings { s in
            for r in 0..<n {
                guard a.valid[r] else {
                    out.endNull(r)
                    continue
                }
                let text: UnsafeRawBufferPointer
                if isText {
                    text = s[r]
                } else {
                    scratch.removeAll(keepingCapacity: true)
                    appendText(a, r, nil, to: &scratch)
                    apply(scratch)
                    out.endString()
                    continue
                }
                apply(text)
                out.endString()
            }
        }
    }

    func apply(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { apply($0) }
    }

    func apply(_ text: UnsafeRawBufferPointer) {
        switch kind {
        case .lower, .upper: changeCase(text, upper: { if case .upper = kind { return true } else { return false } }())
        case .trim:
            var s = 0, e = text.count
            while s < e, isSpace(text[s]) { s += 1 }
            while e > s, isSpace(text[e - 1]) { e -= 1 }
            out.bytes.append(contentsOf: text[s..<e])
        case .sha256: digests.sha256(text, into: &out.bytes)
        case .md5: digests.md5(text, into: &out.bytes)
        case .regexReplace(let re, let replacement): re.replaceAll(text, with: replacement, into: &out.bytes)
        case .text, .concat, .substr, .format: out.bytes.append(contentsOf: text)
        }
    }

    @inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 32 || (b >= 9 && b <= 13) }

    func changeCase(_ text: UnsafeRawBufferPointer, upper: Bool) {
        var ascii = true
        for b in text where b >= 0x80 {
            ascii = false
            break
        }
        if ascii {
            let start = out.bytes.count
            out.bytes.append(contentsOf: text)
            out.bytes.withUnsafeMutableBufferPointer { b in
                if upper {
                    for i in start..<b.count where b[i] &- 97 < 26 { b[i] &-= 32 }
                } else {
                    for i in start..<b.count where b[i] &- 65 < 26 { b[i] &+= 32 }
                }
            }
            return
        }
        // Letters beyond ASCII follow Unicode's case mappings (the only path that builds a String).
        let s = String(decoding: text, as: UTF8.self)
        out.bytes.append(contentsOf: (upper ? s.uppercased() : s.lowercased()).utf8)
    }

    func concat(_ n: Int, strict: Bool) {
        for r in 0..<n {
            var isNull = strict
            if strict { isNull = vecs.contains { !$0.valid[r] } }
            if isNull {
                out.endNull(r)
                continue
            }
            for v in vecs where v.valid[r] {
                if v.type == .string || v.type == .json {
                    v.withStrings { out.bytes.append(contentsOf: $0[r]) }
                } else {
                    appendText(v, r, nil, to: &out.bytes)
                }
            }
            out.endString()
        }
    }

    /// `substr(s, start[, length])`: code points from the 1-based `start` (which may be 0 or negative, as in SQL),
    /// `length` of them (default: to the end; a negative length gives the empty text).
    func substr(_ n: Int) {
        let s = vecs[0], start = vecs[1], length = vecs.count > 2 ? vecs[2] : nil
        s.withStrings { text in
            for r in 0..<n {
                guard s.valid[r], start.valid[r], length?.valid[r] ?? true else {
                    out.endNull(r)
                    continue
                }
                let from = start.ints[r]
                let (to, over) = length.map { from.addingReportingOverflow(max(0, $0.ints[r])) } ?? (.max, false)
                let end = over ? Int64.max : to
                var position: Int64 = 1
                for b in text[r] {
                    if b & 0xC0 != 0x80 { position += 1 }
                    let p = position - 1
                    if p >= from && p < end && p >= 1 { out.bytes.append(b) }
                }
                out.endString()
            }
        }
    }
}

/// `length(s)`: the number of code points.
final class LengthNode: Node {
    let arg: Node
    init(_ arg: Node) {
        self.arg = arg
        super.init(.long)
    }
    override func eval(_ page: Page) throws -> Vec {
        let a = try arg.eval(page)
        out.reset(a.count)
        out.valid = a.valid
        a.withStrings { s in
            for r in 0..<a.count where a.valid[r] {
                var k: Int64 = 0
                for b in s[r] where b & 0xC0 != 0x80 { k += 1 }
                out.ints[r] = k
            }
        }
        return out
    }
}

/// `regex_match(s, 'pattern')` and `s REGEXP 'pattern'`: whether the pattern occurs in `s`; false for null.
final class RegexMatchNode: Node {
    let arg: Node
    let regex: RegexProgram
    init(_ arg: Node, _ regex: RegexProgram) {
        self.arg = arg
        self.regex = regex
        super.init(.boolean)
    }
    override func eval(_ page: Page) throws -> Vec {
        let a = try arg.eval(page)
        out.reset(a.count)
        a.withStrings { s in
            for r in 0..<a.count where a.valid[r] { out.bools[r] = regex.matches(s[r]) }
        }
        return out
    }
}

/// `coalesce(a, b, …)`: the first argument that is not null.
final class CoalesceNode: Node {
    let args: [Node]
    var vecs: [Vec] = []
    init(_ args: [Node], type: ColumnType) {
        self.args = args
        super.init(type)
    }
    override func eval(_ page: Page) throws -> Vec {
        vecs.removeAll(keepingCapacity: true)
        for a in args { vecs.append(try a.eval(page)) }
        let n = page.rowCount
        out.reset(n)
        for r in 0..<n {
            guard let v = vecs.first(where: { $0.valid[r] }) else {
                out.valid[r] = false
                if type == .string || type == .json { out.endString() }
                continue
            }
            copyValue(from: v, r, into: out)
        }
        return out
    }
}

/// `if(condition, then, else)`: `then` where the condition is true, `else` where it is false or null.
final class IfNode: Node {
    let condition: Node, then: Node, otherwise: Node
    init(_ condition: Node, _ then: Node, _ otherwise: Node, type: ColumnType) {
        self.condition = condition
        self.then = then
        self.otherwise = otherwise
        super.init(type)
    }
    override func eval(_ page: Page) throws -> Vec {
        let c = try condition.eval(page), a = try then.eval(page), b = try otherwise.eval(page)
        out.reset(c.count)
        for r in 0..<c.count {
            let v = c.valid[r] && c.bools[r] ? a : b
            if v.valid[r] {
                copyValue(from: v, r, into: out)
            } else {
                out.valid[r] = false
                if type == .string || type == .json { out.endString() }
            }
        }
        return out
    }
}

/// Sets row `r` of `out` (which is being filled in row order for text) from row `r` of `v`, of the same type.
@inline(__always)
func copyValue(from v: Vec, _ r: Int, into out: Vec) {
    switch out.type {
    case .boolean: out.bools[r] = v.bools[r]
    case .long, .timestamp: out.ints[r] = v.ints[r]
    case .double: out.doubles[r] = v.doubles[r]
    case .string, .json:
        v.withStrings { out.bytes.append(contentsOf: $0[r]) }
        out.endString()
    }
}
