#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A compiled regular expression (POSIX extended syntax plus the shorthand classes `\d \w \s \D \W \S`),
/// matched against UTF-8 bytes without allocating per match.
///
/// Compiled once at plan time; a match copies the subject into a reused, NUL-terminated buffer, so a value holding a
/// NUL byte is matched up to it.
final class RegexProgram {
    private let regex: UnsafeMutablePointer<regex_t>
    private var buffer: [CChar] = []
    private var matches = [regmatch_t](repeating: regmatch_t(), count: 10)
    let pattern: String

    /// Compiles `pattern`; throws a message when it is invalid.
    init(_ pattern: String) throws(EvaluationError) {
        let r = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        let rc = regcomp(r, Self.translate(pattern), REG_EXTENDED)
        if rc != 0 {
            var message = [CChar](repeating: 0, count: 256)
            regerror(rc, r, &message, message.count)
            r.deallocate()
            throw EvaluationError(message: "invalid regular expression '\(pattern)': \(String(cString: message))")
        }
        regex = r
        self.pattern = pattern
    }

    deinit {
        regfree(regex)
        regex.deallocate()
    }

    /// Rewrites the Perl shorthand classes into POSIX bracket expressions.
    static func translate(_ p: String) -> String {
        var out = ""
        var it = Array(p).makeIterator()
        var inBracket = false
        while let c = it.next() {
            if c == "\\", let n = it.next() {
                let classes: [Character: (String, String)] = [
                    "d": ("[0-9]", "0-9"), "w": ("[[:alnum:]_]", "[:alnum:]_"), "s": ("[[:space:]]", "[:space:]"),
                    "D": ("[^0-9]", ""), "W": ("[^[:alnum:]_]", ""), "S": ("[^[:space:]]", ""),
                ]
                if let (outside, inside) = classes[n], !(inBracket && inside.isEmpty) {
                    out += inBracket ? inside : outside
                } else {
                    out.append("\\")
                    out.append(n)
                }
                continue
            }
            if c == "[" { inBracket = true } else if c == "]" { inBracket = false }
            out.append(c)
        }
        return out
    }

    /// Loads `subject` into the buffer.
    private func load(_ subject: UnsafeRawBufferPointer) {
        buffer.removeAll(keepingCapacity: true)
        for b in subject {
            if b == 0 { break }
            buffer.append(CChar(bitPattern: b))
        }
        buffer.append(0)
    }

    /// Whether the pattern matches somewhere in `subject`.
    func matches(_ subject: UnsafeRawBufferPointer) -> Bool {
        load(subject)
        return buffer.withUnsafeBufferPointer { regexec(regex, $0.baseAddress!, 0, nil, 0) == 0 }
    }

    /// Appends `subject` with every match replaced by `replacement` (`\0`…`\9` or `$0`…`$9` name groups).
    func replaceAll(_ subject: UnsafeRawBufferPointer, with replacement: [UInt8], into out: inout [UInt8]) {
        load(subject)
        let n = buffer.count - 1
        var start = 0
        buffer.withUnsafeBufferPointer { b in
            let base = b.baseAddress!
            while start <= n {
                let flags: Int32 = start > 0 ? REG_NOTBOL : 0
                guard regexec(regex, base + start, matches.count, &matches, flags) == 0 else { break }
                let ms = start + Int(matches[0].rm_so), me = start + Int(matches[0].rm_eo)
                appendRaw(base, start, ms, &out)
                expand(replacement, base: base, offset: start, into: &out)
                if me == ms {
                    if ms < n { out.append(UInt8(bitPattern: base[ms])) }
                    start = me + 1
                } else {
                    start = me
                }
            }
            if start <= n { appendRaw(base, start, n, &out) }
        }
    }

    private func appendRaw(_ base: UnsafePointer<CChar>, _ from: Int, _ to: Int, _ out: inout [UInt8]) {
        guard to > from else { return }
        UnsafeRawPointer(base + from).withMemoryRebound(to: UInt8.self, capacity: to - from) {
            out.append(contentsOf: UnsafeBufferPointer(start: $0, count: to - from))
        }
    }

    private func expand(_ replacement: [UInt8], base: UnsafePointer<CChar>, offset: Int, into out: inout [UInt8]) {
        var i = 0
        while i < replacement.count {
            let c = replacement[i]
            if (c == UInt8(ascii: "\\") || c == UInt8(ascii: "$")), i + 1 < replacement.count,
                replacement[i + 1] >= UInt8(ascii: "0"), replacement[i + 1] <= UInt8(ascii: "9")
            {
                let g = Int(replacement[i + 1] - UInt8(ascii: "0"))
                let m = matches[g]
                if m.rm_so >= 0 { appendRaw(base, offset + Int(m.rm_so), offset + Int(m.rm_eo), &out) }
                i += 2
                continue
            }
            if c == UInt8(ascii: "\\"), i + 1 < replacement.count {
                out.append(replacement[i + 1])
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
    }
}
