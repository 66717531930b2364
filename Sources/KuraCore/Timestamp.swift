/// An instant on the UTC time line, in nanoseconds since 1970-01-01T00:00:00Z.
///
/// The range is about 1677 to 2262. Zones matter only when parsing and formatting.
public struct Timestamp: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the Unix epoch.
    public var nanos: Int64

    public init(nanos: Int64) { self.nanos = nanos }

    /// Creates a timestamp from whole seconds and a nanosecond fraction (0 ..< 1e9).
    public init(seconds: Int64, nanosecond: Int64 = 0) { self.nanos = seconds &* 1_000_000_000 &+ nanosecond }

    /// Whole seconds since the epoch (rounded toward negative infinity).
    public var epochSeconds: Int64 {
        let q = nanos / 1_000_000_000
        return nanos % 1_000_000_000 < 0 ? q - 1 : q
    }

    /// The nanosecond within the second, 0 ..< 1_000_000_000.
    public var nanosecond: Int64 {
        let r = nanos % 1_000_000_000
        return r < 0 ? r + 1_000_000_000 : r
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanos < b.nanos }

    /// ISO 8601 in UTC, `2024-01-02T03:04:05Z`, with a fraction (trailing zeros dropped) only when non-zero.
    public var iso8601: String {
        var out = [UInt8]()
        out.reserveCapacity(32)
        appendISO8601(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `iso8601` as UTF-8 to `out`.
    public func appendISO8601(to out: inout [UInt8]) {
        let secs = epochSeconds
        let c = CivilTime(epochSeconds: secs)
        c.appendDate(to: &out)
        out.append(UInt8(ascii: "T"))
        c.appendTime(to: &out)
        appendFraction(nanosecond, trim: true, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    public var description: String { iso8601 }
}

/// Appends `.ddddddddd` for a non-zero nanosecond value; with `trim`, trailing zeros are dropped.
public func appendFraction(_ nanos: Int64, trim: Bool, digits: Int = 9, to out: inout [UInt8]) {
    if nanos == 0 && trim { return }
    var d = [UInt8](repeating: 48, count: 9)
    var v = nanos
    for i in stride(from: 8, through: 0, by: -1) {
        d[i] = UInt8(48 + v % 10)
        v /= 10
    }
    var n = trim ? 9 : digits
    if trim { while n > 0 && d[n - 1] == 48 { n -= 1 } }
    out.append(UInt8(ascii: "."))
    out.append(contentsOf: d[0..<n])
}

/// A proleptic-Gregorian date and time of day, without a zone.
public struct CivilTime: Hashable, Sendable {
    public var year: Int64
    public var month: Int  // 1...12
    public var day: Int  // 1...31
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int64, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The civil time in UTC of `epochSeconds`.
    public init(epochSeconds: Int64) {
        var days = epochSeconds / 86_400
        var rem = epochSeconds % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = civilFromDays(days)
        self.init(year: y, month: m, day: d, hour: Int(rem / 3600), minute: Int(rem % 3600 / 60), second: Int(rem % 60))
    }

    /// Seconds since the epoch if this civil time were UTC.
    public var epochSeconds: Int64 {
        daysFromCivil(year, month, day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Day of the week, 0 = Sunday.
    public var weekday: Int {
        let d = daysFromCivil(year, month, day)
        return Int(((d % 7) + 11) % 7)  // 1970-01-01 was a Thursday (4)
    }

    /// Day of the year, 1...366.
    public var dayOfYear: Int { Int(daysFromCivil(year, month, day) - daysFromCivil(year, 1, 1)) + 1 }

    public func appendDate(to out: inout [UInt8]) {
        var y = year
        if y < 0 {
            out.append(UInt8(ascii: "-"))
            y = -y
        }
        appendPadded(y, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(Int64(month), width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(Int64(day), width: 2, to: &out)
    }

    public func appendTime(to out: inout [UInt8]) {
        appendPadded(Int64(hour), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int64(minute), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int64(second), width: 2, to: &out)
    }
}

/// Appends the decimal digits of a non-negative `value`, left-padded with zeros to `width`.
public func appendPadded(_ value: Int64, width: Int, to out: inout [UInt8]) {
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    var v = value.magnitude
    withUnsafeMutableBytes(of: &digits) { buf in
        repeat {
            buf[n] = UInt8(48 + v % 10)
            v /= 10
            n += 1
        } while v > 0
        if width > n { for _ in 0..<(width - n) { out.append(48) } }
        for i in stride(from: n - 1, through: 0, by: -1) { out.append(buf[i]) }
    }
}

/// Days since 1970-01-01 of a proleptic-Gregorian date (month 1...12).
@inlinable
public func daysFromCivil(_ year: Int64, _ month: Int, _ day: Int) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let m = Int64(month)
    let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

/// The proleptic-Gregorian date of a day number (days since 1970-01-01).
@inlinable
public func civilFromDays(_ days: Int64) -> (year: Int64, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, Int(m), Int(d))
}

/// Whether `year` is a Gregorian leap year.
@inlinable public func isLeapYear(_ year: Int64) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

/// The number of days in `month` of `year`.
@inlinable public func daysInMonth(_ year: Int64, _ month: Int) -> Int {
    switch month {
    case 2: return isLeapYear(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
}
