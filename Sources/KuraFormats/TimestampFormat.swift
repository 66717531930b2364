import KuraCore
/// Why a timestamp text or format was not accepted.
public struct TimestampError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, as a sentence.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One step of a compiled strptime-style format.
enum ParseOp: Equatable, Sendable {
    /// Exactly this byte.
    case literal(UInt8)
    /// Any run of whitespace, including none.
    case whitespace
    /// `%Y`: an optionally signed year of 1 to `maxDigits` digits.
    case year(maxDigits: Int)
    /// `%C`: an optionally signed century of 1 or 2 digits.
    case century
    /// `%y`: a year of the century, 1 or 2 digits (69–99 are 19xx, 00–68 are 20xx).
    case yearOfCentury
    /// `%m`: month 1–12.
    case month
    /// `%d`, `%e`: day of the month, one leading space allowed.
    case day
    /// `%j`: day of the year, 1 to 3 digits.
    case dayOfYear
    /// `%H`, `%k`: hour 0–23, one leading space allowed.
    case hour24
    /// `%I`, `%l`: hour 1–12, one leading space allowed.
    case hour12
    /// `%p`, `%P`: `AM` / `PM` in any case, with optional dots (`a.m.`).
    case meridian
    /// `%M`: minute 0–59.
    case minute
    /// `%S`: second 0–60.
    case second
    /// `%N`, `%L`: fraction-of-second digits, 1 to `maxDigits` of them.
    case fraction(maxDigits: Int)
    /// `%z`, `%Z`: an offset, `Z`, an abbreviation or an IANA name.
    case zone
    /// `%s`: seconds since the epoch, optionally negative.
    case epochSeconds
    /// `%Q`: milliseconds since the epoch, optionally negative.
    case epochMillis
    /// `%b`, `%h`, `%B`: a month name, full or abbreviated, any case.
    case monthName
    /// `%a`, `%A`: a weekday name, full or abbreviated, any case (not checked against the date).
    case weekdayName

    /// Placeholder widths resolved after the whole format is read.
    static let autoYear = -1
    static let autoNanos = -9
    static let autoMillis = -3

    /// Whether the step starts with a digit in the text (Ruby's rule for bounding the width of `%Y` and `%N`).
    var isNumeric: Bool {
        switch self {
        case .literal(let c): return c &- 48 <= 9
        case .year, .century, .yearOfCentury, .month, .day, .dayOfYear, .hour24, .hour12, .minute, .second,
            .fraction, .epochSeconds, .epochMillis:
            return true
        case .whitespace, .meridian, .zone, .monthName, .weekdayName: return false
        }
    }
}

/// The directives a parse format may use, for messages.
let parseDirectiveList = "%Y %C %y %m %d %e %j %H %k %I %l %p %P %M %S %N %3N %6N %9N %L %z %Z %s %Q %b %h %B %a %A "
    + "%T %R %F %D %n %t %%"

@inline(__always) func isWhitespace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }
@inline(__always) func isASCIILetter(_ c: UInt8) -> Bool { (c | 0x20) >= 97 && (c | 0x20) <= 122 }

/// Compiles a strptime-style format into parse steps, or throws naming the unknown directive.
func compileParseFormat(_ format: String) throws -> [ParseOp] {
    let f = Array(format.utf8)
    var ops: [ParseOp] = []
    func add(_ op: ParseOp) {
        if op == .whitespace, ops.last == .whitespace { return }
        ops.append(op)
    }
    var i = 0
    while i < f.count {
        let c = f[i]
        if c != UInt8(ascii: "%") {
            add(isWhitespace(c) ? .whitespace : .literal(c))
            i += 1
            continue
        }
        let start = i
        i += 1
        // Flags (`%-d`, `%_m`, `%0e`, `%^b`, `%#p`) and `:` (as in `%:z`) change nothing when parsing.
        while i < f.count, [UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "0"), UInt8(ascii: "^"),
            UInt8(ascii: "#"), UInt8(ascii: ":")].contains(f[i])
        { i += 1 }
        let (width, d) = try readDirective(f, at: &i, start: start, format: format)
        switch d {
        case UInt8(ascii: "Y"): add(.year(maxDigits: width ?? ParseOp.autoYear))
        case UInt8(ascii: "C"): add(.century)
        case UInt8(ascii: "y"): add(.yearOfCentury)
        case UInt8(ascii: "m"): add(.month)
        case UInt8(ascii: "d"), UInt8(ascii: "e"): add(.day)
        case UInt8(ascii: "j"): add(.dayOfYear)
        case UInt8(ascii: "H"), UInt8(ascii: "k"): add(.hour24)
        case UInt8(ascii: "I"), UInt8(ascii: "l"): add(.hour12)
        case UInt8(ascii: "p"), UInt8(ascii: "P"): add(.meridian)
        case UInt8(ascii: "M"): add(.minute)
        case UInt8(ascii: "S"): add(.second)
        case UInt8(ascii: "N"): add(.fraction(maxDigits: width ?? ParseOp.autoNanos))
        case UInt8(ascii: "L"): add(.fraction(maxDigits: width ?? ParseOp.autoMillis))
        case UInt8(ascii: "z"), UInt8(ascii: "Z"): add(.zone)
        case UInt8(ascii: "s"): add(.epochSeconds)
        case UInt8(ascii: "Q"): add(.epochMillis)
        case UInt8(ascii: "b"), UInt8(ascii: "h"), UInt8(ascii: "B"): add(.monthName)
        case UInt8(ascii: "a"), UInt8(ascii: "A"): add(.weekdayName)
        case UInt8(ascii: "T"):
            for op in [ParseOp.hour24, .literal(58), .minute, .literal(58), .second] { add(op) }
        case UInt8(ascii: "R"):
            for op in [ParseOp.hour24, .literal(58), .minute] { add(op) }
        case UInt8(ascii: "F"):
            for op in [ParseOp.year(maxDigits: ParseOp.autoYear), .literal(45), .month, .literal(45), .day] { add(op) }
        case UInt8(ascii: "D"):
            for op in [ParseOp.month, .literal(47), .day, .literal(47), .yearOfCentury] { add(op) }
        case UInt8(ascii: "%"): add(.literal(UInt8(ascii: "%")))
        case UInt8(ascii: "n"), UInt8(ascii: "t"): add(.whitespace)
        default:
            throw TimestampError(
                "format '\(format)' has an unknown directive '\(String(decoding: f[start..<i], as: UTF8.self))'; "
                    + "supported directives: \(parseDirectiveList)")
        }
    }
    // Like Ruby, `%Y` and an unsized `%N` / `%L` read digits greedily unless a numeric step follows.
    for k in ops.indices {
        let nextNumeric = k + 1 < ops.count && ops[k + 1].isNumeric
        switch ops[k] {
        case .year(let w) where w == ParseOp.autoYear: ops[k] = .year(maxDigits: nextNumeric ? 4 : 9)
        case .year(let w): ops[k] = .year(maxDigits: min(max(w, 1), 9))
        case .fraction(let w) where w == ParseOp.autoNanos: ops[k] = .fraction(maxDigits: nextNumeric ? 9 : Int.max)
        case .fraction(let w) where w == ParseOp.autoMillis: ops[k] = .fraction(maxDigits: nextNumeric ? 3 : Int.max)
        case .fraction(let w) where w == 0: ops[k] = .fraction(maxDigits: Int.max)
        default: break
        }
    }
    return ops
}

/// One step of a compiled strftime-style format.
enum FormatOp: Equatable, Sendable {
    /// Bytes `start ..< end` of the compiled format's literal pool (kept out of the enum so steps are trivial
    /// values that cost no reference counting).
    case literal(start: Int, end: Int)
    case year, yearOfCentury, century, month, day, daySpacePadded, dayOfYear
    case hour24, hour24SpacePadded, hour12, hour12SpacePadded, meridianUpper, meridianLower
    case minute, second
    case fraction(digits: Int)
    case offset(colon: Bool)
    case zoneName
    case epochSeconds, epochMillis
    case monthAbbreviation, monthFull, weekdayAbbreviation, weekdayFull
}

/// The directives a formatter format may use, for messages.
let formatDirectiveList = "%Y %C %y %m %d %e %j %H %k %I %l %p %P %M %S %N %3N %6N %9N %L %z %:z %Z %s %Q %b %h %B "
    + "%a %A %T %R %F %D %n %t %%"

/// Compiles a strftime-style format into output steps and their literal bytes, or throws naming the unknown
/// directive.
func compileFormatFormat(_ format: String) throws -> (ops: [FormatOp], literals: [UInt8]) {
    let f = Array(format.utf8)
    var ops: [FormatOp] = []
    var literals: [UInt8] = []
    func add(_ op: FormatOp) { ops.append(op) }
    func add(_ bytes: [UInt8]) {
        if case .literal(let start, let end)? = ops.last, end == literals.count {
            ops[ops.count - 1] = .literal(start: start, end: end + bytes.count)
        } else {
            ops.append(.literal(start: literals.count, end: literals.count + bytes.count))
        }
        literals.append(contentsOf: bytes)
    }
    var i = 0
    while i < f.count {
        let c = f[i]
        if c != UInt8(ascii: "%") {
            add([c])
            i += 1
            continue
        }
        let start = i
        i += 1
        var colons = 0
        while i < f.count, f[i] == UInt8(ascii: ":") {
            colons += 1
            i += 1
        }
        let (width, d) = try readDirective(f, at: &i, start: start, format: format)
        func unknown() -> TimestampError {
            TimestampError(
                "format '\(format)' has an unknown directive '\(String(decoding: f[start..<i], as: UTF8.self))'; "
                    + "supported directives: \(formatDirectiveList)")
        }
        if colons > 0 && d != UInt8(ascii: "z") || colons > 1 { throw unknown() }
        if width != nil && d != UInt8(ascii: "N") { throw unknown() }
        switch d {
        case UInt8(ascii: "Y"): add(.year)
        case UInt8(ascii: "C"): add(.century)
        case UInt8(ascii: "y"): add(.yearOfCentury)
        case UInt8(ascii: "m"): add(.month)
        case UInt8(ascii: "d"): add(.day)
        case UInt8(ascii: "e"): add(.daySpacePadded)
        case UInt8(ascii: "j"): add(.dayOfYear)
        case UInt8(ascii: "H"): add(.hour24)
        case UInt8(ascii: "k"): add(.hour24SpacePadded)
        case UInt8(ascii: "I"): add(.hour12)
        case UInt8(ascii: "l"): add(.hour12SpacePadded)
        case UInt8(ascii: "p"): add(.meridianUpper)
        case UInt8(ascii: "P"): add(.meridianLower)
        case UInt8(ascii: "M"): add(.minute)
        case UInt8(ascii: "S"): add(.second)
        case UInt8(ascii: "N"):
            let w = width ?? 9
            guard (1...9).contains(w) else { throw unknown() }
            add(.fraction(digits: w))
        case UInt8(ascii: "L"): add(.fraction(digits: 3))
        case UInt8(ascii: "z"): add(.offset(colon: colons == 1))
        case UInt8(ascii: "Z"): add(.zoneName)
        case UInt8(ascii: "s"): add(.epochSeconds)
        case UInt8(ascii: "Q"): add(.epochMillis)
        case UInt8(ascii: "b"), UInt8(ascii: "h"): add(.monthAbbreviation)
        case UInt8(ascii: "B"): add(.monthFull)
        case UInt8(ascii: "a"): add(.weekdayAbbreviation)
        case UInt8(ascii: "A"): add(.weekdayFull)
        case UInt8(ascii: "T"):
            add(.hour24)
            add([58])
            add(.minute)
            add([58])
            add(.second)
        case UInt8(ascii: "R"):
            add(.hour24)
            add([58])
            add(.minute)
        case UInt8(ascii: "F"):
            add(.year)
            add([45])
            add(.month)
            add([45])
            add(.day)
        case UInt8(ascii: "D"):
            add(.month)
            add([47])
            add(.day)
            add([47])
            add(.yearOfCentury)
        case UInt8(ascii: "%"): add([UInt8(ascii: "%")])
        case UInt8(ascii: "n"): add([10])
        case UInt8(ascii: "t"): add([9])
        default: throw unknown()
        }
    }
    return (ops, literals)
}

/// English month and weekday names, lower case.
enum CalendarNames {
    static let months: [[UInt8]] = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december",
    ].map { Array($0.utf8) }
    static let weekdays: [[UInt8]] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
        .map { Array($0.utf8) }

    /// Matches a full or three-letter name at `i` (any case); returns the index in `names` and the end position.
    static func match(_ names: [[UInt8]], _ b: UnsafeRawBufferPointer, _ i: Int) -> (Int, Int)? {
        for (k, name) in names.enumerated() {
            if matches(name, b, i, count: name.count) { return (k, i + name.count) }
        }
        for (k, name) in names.enumerated() {
            if matches(name, b, i, count: 3) { return (k, i + 3) }
        }
        return nil
    }

    @inline(__always)
    static func matches(_ name: [UInt8], _ b: UnsafeRawBufferPointer, _ i: Int, count: Int) -> Bool {
        guard i + count <= b.count else { return false }
        for j in 0..<count where b[i + j] | 0x20 != name[j] { return false }
        return true
    }
}

/// Reads a directive's optional width (at most 99) and its letter, from `i` on; `start` is where the directive's
/// `%` is. Shared by the parse and output format compilers.
func readDirective(_ f: [UInt8], at i: inout Int, start: Int, format: String) throws -> (width: Int?, letter: UInt8) {
    var width: Int? = nil
    while i < f.count, f[i] &- 48 <= 9 {
        width = (width ?? 0) * 10 + Int(f[i] - 48)
        i += 1
        if width! > 99 {
            throw TimestampError(
                "format '\(format)' has a directive width over 99 at '\(String(decoding: f[start..<i], as: UTF8.self))'; "
                    + "write a width of at most 99 (such as %9N)")
        }
    }
    guard i < f.count else {
        throw TimestampError(
            "format '\(format)' ends with an incomplete directive '\(String(decoding: f[start...], as: UTF8.self))'; "
                + "write '%%' for a literal percent sign")
    }
    defer { i += 1 }
    return (width, f[i])
}
