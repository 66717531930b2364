import KuraCore
/// Typed reads of single, already validated JSON values (the spans a `JSONScanner` finds), with Embulk's rules.
extension JSON {
    /// The kind of a JSON value, told by its first byte.
    public enum ValueKind: Sendable, Equatable {
        case object, array, string, number, boolean, null
    }

    /// The kind of the validated value `v`.
    @inline(__always)
    public static func kind(of v: UnsafeRawBufferPointer) -> ValueKind {
        switch v[0] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .boolean
        case UInt8(ascii: "n"): return .null
        default: return .number
        }
    }

    /// The bytes between the quotes of the validated string value `v`.
    @inline(__always)
    static func stringContent(_ v: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: v[1..<(v.count - 1)])
    }

    /// Whether `b` holds a backslash.
    @inline(__always)
    static func hasBackslash(_ b: UnsafeRawBufferPointer) -> Bool {
        for x in b where x == 0x5C { return true }
        return false
    }

    /// A short, printable excerpt of a value for messages (at most 40 bytes).
    public static func excerpt(_ v: UnsafeRawBufferPointer) -> String {
        if v.count <= 40 { return String(decoding: v, as: UTF8.self) }
        return String(decoding: UnsafeRawBufferPointer(rebasing: v[0..<40]), as: UTF8.self) + "…"
    }

    /// Appends the text of a string's content (between the quotes, escapes as written) to `out` with every escape
    /// decoded, surrogate pairs combined; undefined escapes and lone surrogates follow `invalidEscapes` (with
    /// `PASSTHROUGH` a lone surrogate is an error, since it has no UTF-8 form).
    public static func appendUnescaped(
        _ content: UnsafeRawBufferPointer, invalidEscapes: JSONInvalidEscapes, to out: inout [UInt8]
    ) throws(JSONCastError) {
        let n = content.count
        guard n > 0, let p = content.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var i = 0
        var run = 0
        @inline(__always) func hex4(_ at: Int) -> Int {
            guard at + 4 <= n else { return -1 }
            var v = 0
            for k in 0..<4 {
                let h = JSONScanner.hexValue(p[at + k])
                if h < 0 { return -1 }
                v = v << 4 | h
            }
            return v
        }
        while i < n {
            if p[i] != 0x5C {
                i += 1
                continue
            }
            if run < i { out.append(contentsOf: UnsafeBufferPointer(start: p + run, count: i - run)) }
            guard i + 1 < n else {
                if invalidEscapes == .passthrough { throw JSONCastError("a string ends with a lone backslash") }
                i += 1
                run = i
                continue
            }
            let e = p[i + 1]
            var consumed = 2
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let v = hex4(i + 2)
                if v < 0 {
                    switch invalidEscapes {
                    case .passthrough: throw JSONCastError("'\\u' must be followed by four hex digits")
                    case .skip: consumed = 2
                    case .unescape: consumed = 1
                    }
                    break
                }
                consumed = 6
                var scalar = v
                if v >= 0xD800 && v <= 0xDBFF, i + 7 < n, p[i + 6] == 0x5C, p[i + 7] == UInt8(ascii: "u") {
                    let low = hex4(i + 8)
                    if low >= 0xDC00 && low <= 0xDFFF {
                        scalar = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                        consumed = 12
                    }
                }
                if scalar >= 0xD800 && scalar <= 0xDFFF {
                    switch invalidEscapes {
                    case .passthrough:
                        throw JSONCastError(
                            "the string holds a lone UTF-16 surrogate escape \\u\(String(v, radix: 16, uppercase: true)); "
                                + "set invalid_string_escapes: UNESCAPE to read it as U+FFFD, or SKIP to drop it")
                    case .skip: break
                    case .unescape: appendScalar(0xFFFD, to: &out)
                    }
                } else {
                    appendScalar(scalar, to: &out)
                }
            default:
                switch invalidEscapes {
                case .passthrough:
                    throw JSONCastError("invalid escape '\\\(String(decoding: [e], as: UTF8.self))' in a string")
                case .unescape: consumed = 1
                case .skip:
                    let l = e >= 0x80 ? utf8SequenceLength(p, i + 1, n) : 1
                    consumed = 1 + Swift.max(1, l)
                }
            }
            i += consumed
            run = i
        }
        if run < n { out.append(contentsOf: UnsafeBufferPointer(start: p + run, count: n - run)) }
    }

    /// Appends the UTF-8 form of a Unicode scalar value.
    @inline(__always)
    static func appendScalar(_ v: Int, to out: inout [UInt8]) {
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    /// Calls `body` with the decoded text of the string value `v`, decoding into `scratch` only when the string
    /// holds escapes.
    @inline(__always)
    public static func withStringText<R>(
        _ v: UnsafeRawBufferPointer, invalidEscapes: JSONInvalidEscapes, scratch: inout [UInt8],
        _ body: (UnsafeRawBufferPointer) throws(JSONCastError) -> R
    ) throws(JSONCastError) -> R {
        let content = stringContent(v)
        if !hasBackslash(content) { return try body(content) }
        scratch.removeAll(keepingCapacity: true)
        try appendUnescaped(content, invalidEscapes: invalidEscapes, to: &scratch)
        let r: Result<R, JSONCastError> = scratch.withUnsafeBytes { b in Result { () throws(JSONCastError) in try body(b) } }
        return try r.get()
    }

    /// Reads the validated value `v` as a 64-bit integer: an integer literal exactly, or a string holding one (as
    /// Embulk does). A fraction, an exponent, a value beyond the 64-bit range or another kind is an error.
    public static func int64(_ v: UnsafeRawBufferPointer, invalidEscapes: JSONInvalidEscapes, scratch: inout [UInt8])
        throws(JSONCastError) -> Int64
    {
        switch kind(of: v) {
        case .number:
            if let x = ValueParsing.parseLong(v) { return x }
            for b in v where b == UInt8(ascii: ".") || b | 0x20 == UInt8(ascii: "e") {
                throw JSONCastError("\(excerpt(v)) is not an integer (it has a fraction or an exponent); use type double")
            }
            throw JSONCastError("\(excerpt(v)) is out of the 64-bit integer range; use type double, string or json")
        case .string:
            return try withStringText(v, invalidEscapes: invalidEscapes, scratch: &scratch) { (t) throws(JSONCastError) in
                guard let x = ValueParsing.parseLong(t) else {
                    throw JSONCastError("the string \(excerpt(v)) does not hold a 64-bit integer; use type string or double")
                }
                return x
            }
        default:
            throw JSONCastError("a JSON \(kindName(v)) cannot be read as long; use type \(suggestedType(v))")
        }
    }

    /// Reads the validated value `v` as a double, correctly rounded: a number, or a string holding one.
    public static func double(_ v: UnsafeRawBufferPointer, invalidEscapes: JSONInvalidEscapes, scratch: inout [UInt8])
        throws(JSONCastError) -> Double
    {
        switch kind(of: v) {
        case .number:
            guard let d = ValueParsing.parseDouble(v) else { throw JSONCastError("\(excerpt(v)) is not a number") }
            return d
        case .string:
            return try withStringText(v, invalidEscapes: invalidEscapes, scratch: &scratch) { (t) throws(JSONCastError) in
                guard let d = ValueParsing.parseDouble(t) else {
                    throw JSONCastError("the string \(excerpt(v)) does not hold a number; use type string")
                }
                return d
            }
        default:
            throw JSONCastError("a JSON \(kindName(v)) cannot be read as double; use type \(suggestedType(v))")
        }
    }

    /// Reads the validated value `v` as a boolean: `true` / `false`, or a string or number Embulk reads as one
    /// (`yes`, `on`, `1`, …).
    public static func boolean(_ v: UnsafeRawBufferPointer, invalidEscapes: JSONInvalidEscapes, scratch: inout [UInt8])
        throws(JSONCastError) -> Bool
    {
        switch kind(of: v) {
        case .boolean: return v[0] == UInt8(ascii: "t")
        case .number:
            guard let b = ValueParsing.parseBoolean(v) else {
                throw JSONCastError("the number \(excerpt(v)) is not a boolean (only 1 and 0 are); use type long or double")
            }
            return b
        case .string:
            return try withStringText(v, invalidEscapes: invalidEscapes, scratch: &scratch) { (t) throws(JSONCastError) in
                guard let b = ValueParsing.parseBoolean(t) else {
                    throw JSONCastError(
                        "the string \(excerpt(v)) is not a boolean (true/false, yes/no, on/off, t/f, y/n, 1/0); use type string")
                }
                return b
            }
        default:
            throw JSONCastError("a JSON \(kindName(v)) cannot be read as boolean; use type json")
        }
    }

    /// Reads the validated value `v` as a timestamp in nanoseconds: a string through `parser`, or a number as
    /// seconds since the epoch (a fraction down to nanoseconds).
    public static func timestampNanos(
        _ v: UnsafeRawBufferPointer, parser: TimestampParser, invalidEscapes: JSONInvalidEscapes, scratch: inout [UInt8]
    ) throws(JSONCastError) -> Int64 {
        switch kind(of: v) {
        case .string:
            return try withStringText(v, invalidEscapes: invalidEscapes, scratch: &scratch) { (t) throws(JSONCastError) in
                do {
                    return try parser.parse(t)
                } catch let e as TimestampError {
                    throw JSONCastError(
                        "\(e.message); fix the value or the column's format")
                } catch {
                    throw JSONCastError("cannot parse \(excerpt(v)) as a timestamp: \(error)")
                }
            }
        case .number:
            guard let n = epochNanos(v) else {
                throw JSONCastError("\(excerpt(v)) seconds since the epoch is out of the timestamp range")
            }
            return n
        default:
            throw JSONCastError("a JSON \(kindName(v)) cannot be read as timestamp; use type json")
        }
    }

    /// Seconds since the epoch, written as a JSON number, in nanoseconds (digits past nanoseconds truncated).
    static func epochNanos(_ v: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        let negative = v[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        var seconds: Int64 = 0
        while i < v.count, v[i] &- 48 <= 9 {
            let (m, o1) = seconds.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(v[i] - 48))
            if o1 || o2 || s > 9_223_372_035 { return nil }
            seconds = s
            i += 1
        }
        var frac: Int64 = 0
        var digits = 0
        if i < v.count && v[i] == UInt8(ascii: ".") {
            i += 1
            while i < v.count, v[i] &- 48 <= 9 {
                if digits < 9 {
                    frac = frac * 10 + Int64(v[i] - 48)
                    digits += 1
                }
                i += 1
            }
        }
        if i < v.count {
            // An exponent: go through the double value.
            guard let d = ValueParsing.parseDouble(v), d.isFinite, abs(d) < 9_223_372_035 else { return nil }
            return Int64((d * 1e9).rounded())
        }
        while digits < 9 {
            frac *= 10
            digits += 1
        }
        let total = seconds * 1_000_000_000 + frac
        return negative ? -total : total
    }

    /// Appends the validated value `v` as text for a string column: a string decoded, a number or `true`/`false`
    /// as written, a container as compact JSON (through `scanner`).
    public static func appendText(
        _ v: UnsafeRawBufferPointer, scanner: JSONScanner, to out: inout [UInt8]
    ) throws(JSONCastError) {
        switch kind(of: v) {
        case .string:
            let content = stringContent(v)
            if !hasBackslash(content) {
                out.append(contentsOf: content)
            } else {
                try appendUnescaped(content, invalidEscapes: scanner.invalidEscapes, to: &out)
            }
        case .number, .boolean, .null:
            out.append(contentsOf: v)
        case .object, .array:
            appendCompact(v, scanner: scanner, to: &out)
        }
    }

    /// Appends the compact form of the validated value `v`.
    public static func appendCompact(_ v: UnsafeRawBufferPointer, scanner: JSONScanner, to out: inout [UInt8]) {
        if case .invalid = scanner.scan(v, from: 0, isFinal: true, tree: nil, compactInto: &out) {
            // Validated already, so this does not happen; keep the text as is rather than lose it.
            out.append(contentsOf: v)
        }
    }

    static func kindName(_ v: UnsafeRawBufferPointer) -> String {
        switch kind(of: v) {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .number: return "number"
        case .boolean: return "boolean"
        case .null: return "null"
        }
    }

    static func suggestedType(_ v: UnsafeRawBufferPointer) -> String {
        switch kind(of: v) {
        case .object, .array: return "json"
        case .boolean: return "boolean"
        default: return "string"
        }
    }
}
