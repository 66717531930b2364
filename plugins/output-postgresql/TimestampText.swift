import Foundation
import KuraCore

/// A strftime-style timestamp format compiled once, that writes instants as UTF-8 bytes in a given zone.
///
/// Supports `%Y %y %m %d %e %j %H %M %S %L %N %3N %6N %9N %s %z %:z %Z %F %T %%`; any other directive is rejected
/// when the format is compiled. The same as formatter-csv's, until the core gains a full timestamp formatter.
struct TimestampText: @unchecked Sendable {
    enum Token: Equatable {
        case literal([UInt8])
        case year, shortYear, month, day, spaceDay, dayOfYear, hour, minute, second
        case fraction(Int)
        case epochSeconds
        case offset(colon: Bool)
        case zoneName
    }

    /// The format as given.
    let format: String
    let tokens: [Token]
    let zone: ZoneRule
    /// The zone's offset in seconds when it never changes (UTC and `+09:00`-style zones).
    let fixedOffset: Int?
    let foundationZone: TimeZone?

    /// Compiles `format` for `zoneName`; throws a `TimestampError` naming an unsupported directive or zone.
    init(format: String, zoneName: String) throws {
        self.format = format
        guard let zone = ZoneRule(name: zoneName) else {
            throw TimestampError("unknown time zone '\(zoneName)'")
        }
        self.zone = zone
        let upper = zoneName.uppercased()
        if ["UTC", "Z", "GMT", "UT"].contains(upper) {
            fixedOffset = 0
        } else {
            fixedOffset = ZoneRule.parseOffset(zoneName)
        }
        foundationZone = fixedOffset == nil ? TimeZone(identifier: zoneName) : nil
        tokens = try TimestampText.compile(format)
    }

    static func compile(_ format: String) throws -> [Token] {
        var tokens: [Token] = []
        var literal: [UInt8] = []
        func flush() {
            if !literal.isEmpty { tokens.append(.literal(literal)) }
            literal = []
        }
        let b = Array(format.utf8)
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "%") else {
                literal.append(b[i])
                i += 1
                continue
            }
            i += 1
            guard i < b.count else { throw TimestampError("the format ends with a lone '%'; write '%%' for a percent sign") }
            var width: Int? = nil
            var colon = false
            while i < b.count, b[i] &- 48 <= 9 {
                width = (width ?? 0) * 10 + Int(b[i] - 48)
                i += 1
            }
            if i < b.count, b[i] == UInt8(ascii: ":") {
                colon = true
                i += 1
            }
            guard i < b.count else { throw TimestampError("the format ends inside a directive") }
            let d = b[i]
            i += 1
            if width != nil && d != UInt8(ascii: "N") || colon && d != UInt8(ascii: "z") {
                throw TimestampError("'%\(Character(UnicodeScalar(d)))' does not take a width or ':' in this formatter")
            }
            let token: Token
            switch d {
            case UInt8(ascii: "%"):
                literal.append(d)
                continue
            case UInt8(ascii: "Y"): token = .year
            case UInt8(ascii: "y"): token = .shortYear
            case UInt8(ascii: "m"): token = .month
            case UInt8(ascii: "d"): token = .day
            case UInt8(ascii: "e"): token = .spaceDay
            case UInt8(ascii: "j"): token = .dayOfYear
            case UInt8(ascii: "H"): token = .hour
            case UInt8(ascii: "M"): token = .minute
            case UInt8(ascii: "S"): token = .second
            case UInt8(ascii: "L"): token = .fraction(3)
            case UInt8(ascii: "N"):
                let w = width ?? 9
                guard (1...9).contains(w) else { throw TimestampError("'%\(w)N' is out of range; use 1 to 9 digits") }
                token = .fraction(w)
            case UInt8(ascii: "s"): token = .epochSeconds
            case UInt8(ascii: "z"): token = .offset(colon: colon)
            case UInt8(ascii: "Z"): token = .zoneName
            case UInt8(ascii: "F"):
                flush()
                tokens += [.year, .literal([45]), .month, .literal([45]), .day]
                continue
            case UInt8(ascii: "T"):
                flush()
                tokens += [.hour, .literal([58]), .minute, .literal([58]), .second]
                continue
            default:
                throw TimestampError(
                    "'%\(Character(UnicodeScalar(d)))' is not supported; use %Y %y %m %d %e %j %H %M %S %L %N %3N %6N %9N %s %z %:z %Z %F %T or %%")
            }
            flush()
            tokens.append(token)
        }
        flush()
        return tokens
    }

    /// Seconds east of UTC at `utcSeconds`.
    func offset(at utcSeconds: Int64) -> Int {
        fixedOffset ?? zone.offset(atUTC: utcSeconds)
    }

    /// Appends the text of the instant `nanos` (nanoseconds since the epoch) to `out`.
    func append(nanos: Int64, to out: inout [UInt8]) {
        let t = Timestamp(nanos: nanos)
        let secs = t.epochSeconds
        let off = offset(at: secs)
        let civil = CivilTime(epochSeconds: secs + Int64(off))
        for token in tokens {
            switch token {
            case .literal(let bytes): out.append(contentsOf: bytes)
            case .year:
                if civil.year < 0 { out.append(UInt8(ascii: "-")) }
                appendPadded(civil.year, width: 4, to: &out)
            case .shortYear: appendPadded(((civil.year % 100) + 100) % 100, width: 2, to: &out)
            case .month: appendPadded(Int64(civil.month), width: 2, to: &out)
            case .day: appendPadded(Int64(civil.day), width: 2, to: &out)
            case .spaceDay:
                if civil.day < 10 { out.append(UInt8(ascii: " ")) }
                appendPadded(Int64(civil.day), width: 1, to: &out)
            case .dayOfYear: appendPadded(Int64(civil.dayOfYear), width: 3, to: &out)
            case .hour: appendPadded(Int64(civil.hour), width: 2, to: &out)
            case .minute: appendPadded(Int64(civil.minute), width: 2, to: &out)
            case .second: appendPadded(Int64(civil.second), width: 2, to: &out)
            case .fraction(let digits):
                var divisor: Int64 = 1
                for _ in digits..<9 { divisor *= 10 }
                appendPadded(t.nanosecond / divisor, width: digits, to: &out)
            case .epochSeconds:
                if secs < 0 { out.append(UInt8(ascii: "-")) }
                appendPadded(secs, width: 1, to: &out)
            case .offset(let colon): appendOffset(off, colon: colon, to: &out)
            case .zoneName: appendZoneName(utcSeconds: secs, offset: off, to: &out)
            }
        }
    }

    func appendOffset(_ off: Int, colon: Bool, to out: inout [UInt8]) {
        out.append(off < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let m = abs(off) / 60
        appendPadded(Int64(m / 60), width: 2, to: &out)
        if colon { out.append(UInt8(ascii: ":")) }
        appendPadded(Int64(m % 60), width: 2, to: &out)
    }

    /// `UTC` for UTC, the zone's abbreviation for a named zone, else the offset as `+09:00`.
    func appendZoneName(utcSeconds: Int64, offset off: Int, to out: inout [UInt8]) {
        if fixedOffset == 0 {
            out.append(contentsOf: "UTC".utf8)
        } else if let foundationZone,
            let abbreviation = foundationZone.abbreviation(for: Date(timeIntervalSince1970: Double(utcSeconds)))
        {
            out.append(contentsOf: abbreviation.utf8)
        } else {
            appendOffset(off, colon: true, to: &out)
        }
    }

    /// The text of the instant `nanos`, as a `String` (for tests and messages).
    func string(nanos: Int64) -> String {
        var out: [UInt8] = []
        append(nanos: nanos, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
