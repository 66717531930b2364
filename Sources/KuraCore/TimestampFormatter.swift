/// Writes instants as text with a strftime-style format in a zone.
///
/// The format is compiled once; `format(nanos:into:)` appends to a byte buffer and allocates nothing beyond the
/// buffer's growth. Directives:
///
/// | Directive | Output |
/// |---|---|
/// | `%Y` | year, at least 4 digits, `-` for years before 1 (`-0001`) |
/// | `%C`, `%y` | century, year of the century (2 digits) |
/// | `%m`, `%d`, `%e`, `%j` | month, day (`%e` space-padded), day of the year (3 digits) |
/// | `%H`, `%k`, `%I`, `%l`, `%p`, `%P` | hour 00–23 (`%k` space-padded), hour 01–12 (`%l` space-padded), `AM`/`am` |
/// | `%M`, `%S` | minute, second |
/// | `%N`, `%3N`, `%6N`, `%9N`, `%L` | fraction digits, truncated (`%N` is 9 digits, `%L` 3) |
/// | `%z`, `%:z` | offset `+0900`, `+09:00` |
/// | `%Z` | the zone's name: the IANA identifier, `UTC`, or the offset as given |
/// | `%s`, `%Q` | seconds / milliseconds since the epoch (rounded toward negative infinity) |
/// | `%b`, `%h`, `%B`, `%a`, `%A` | `Jan`, `January`, `Mon`, `Monday` |
/// | `%T`, `%R`, `%F`, `%D` | `%H:%M:%S`, `%H:%M`, `%Y-%m-%d`, `%m/%d/%y` |
/// | `%%`, `%n`, `%t` | `%`, a newline, a tab |
public final class TimestampFormatter: Sendable {
    /// The format as given.
    public let format: String
    /// The zone the wall-clock fields are written in.
    public let zone: ZoneRule
    let ops: [FormatOp]
    let zoneNameBytes: [UInt8]

    /// Embulk's default output format: `2024-01-02 03:04:05.000000 +0000`.
    public static let defaultFormat = "%Y-%m-%d %H:%M:%S.%6N %z"

    /// Creates a formatter; throws a `TimestampError` for an unknown directive or zone.
    ///
    /// - Parameters:
    ///   - format: a strftime-style format (default `defaultFormat`).
    ///   - zone: an IANA name such as `Asia/Tokyo`, an offset such as `+09:00`, or `UTC` (the default).
    public init(format: String = TimestampFormatter.defaultFormat, zone: String = "UTC") throws {
        self.format = format
        self.zone = try ZoneRule.resolve(zone)
        self.ops = try compileFormatFormat(format)
        if let id = self.zone.identifier {
            zoneNameBytes = Array(id.utf8)
        } else if self.zone.fixedOffset == 0 {
            zoneNameBytes = Array("UTC".utf8)
        } else {
            zoneNameBytes = Array(self.zone.name.utf8)
        }
    }

    /// Appends the text of the instant `nanos` (nanoseconds since the epoch) to `out`.
    public func format(nanos: Int64, into out: inout [UInt8]) {
        let t = Timestamp(nanos: nanos)
        let utc = t.epochSeconds
        let nanosecond = t.nanosecond
        let offset = zone.offset(atUTC: utc)
        let c = CivilTime(epochSeconds: utc + Int64(offset))
        for op in ops {
            switch op {
            case .literal(let bytes): out.append(contentsOf: bytes)
            case .year:
                if c.year < 0 { out.append(UInt8(ascii: "-")) }
                appendPadded(Int64(c.year.magnitude), width: 4, to: &out)
            case .century:
                let century = c.year >= 0 ? c.year / 100 : -((-c.year + 99) / 100)
                if century < 0 { out.append(UInt8(ascii: "-")) }
                appendPadded(Int64(century.magnitude), width: 2, to: &out)
            case .yearOfCentury: appendPadded(((c.year % 100) + 100) % 100, width: 2, to: &out)
            case .month: appendPadded(Int64(c.month), width: 2, to: &out)
            case .day: appendPadded(Int64(c.day), width: 2, to: &out)
            case .daySpacePadded: appendSpacePadded(c.day, to: &out)
            case .dayOfYear: appendPadded(Int64(c.dayOfYear), width: 3, to: &out)
            case .hour24: appendPadded(Int64(c.hour), width: 2, to: &out)
            case .hour24SpacePadded: appendSpacePadded(c.hour, to: &out)
            case .hour12: appendPadded(Int64(c.hour % 12 == 0 ? 12 : c.hour % 12), width: 2, to: &out)
            case .hour12SpacePadded: appendSpacePadded(c.hour % 12 == 0 ? 12 : c.hour % 12, to: &out)
            case .meridianUpper:
                out.append(c.hour < 12 ? UInt8(ascii: "A") : UInt8(ascii: "P"))
                out.append(UInt8(ascii: "M"))
            case .meridianLower:
                out.append(c.hour < 12 ? UInt8(ascii: "a") : UInt8(ascii: "p"))
                out.append(UInt8(ascii: "m"))
            case .minute: appendPadded(Int64(c.minute), width: 2, to: &out)
            case .second: appendPadded(Int64(c.second), width: 2, to: &out)
            case .fraction(let digits):
                var v = nanosecond
                for _ in digits..<9 { v /= 10 }
                appendPadded(v, width: digits, to: &out)
            case .offset(let colon): appendOffset(offset, colon: colon, to: &out)
            case .zoneName: out.append(contentsOf: zoneNameBytes)
            case .epochSeconds: appendSigned(utc, to: &out)
            case .epochMillis:
                appendSigned(nanos >= 0 ? nanos / 1_000_000 : -((-(nanos + 1)) / 1_000_000) - 1, to: &out)
            case .monthAbbreviation: CalendarNames.append(CalendarNames.months, c.month - 1, full: false, to: &out)
            case .monthFull: CalendarNames.append(CalendarNames.months, c.month - 1, full: true, to: &out)
            case .weekdayAbbreviation: CalendarNames.append(CalendarNames.weekdays, c.weekday, full: false, to: &out)
            case .weekdayFull: CalendarNames.append(CalendarNames.weekdays, c.weekday, full: true, to: &out)
            }
        }
    }

    /// The text of the instant `nanos`.
    public func string(nanos: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(40)
        format(nanos: nanos, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The text of `timestamp`.
    public func string(_ timestamp: Timestamp) -> String { string(nanos: timestamp.nanos) }
}

@inline(__always)
func appendSpacePadded(_ v: Int, to out: inout [UInt8]) {
    if v < 10 { out.append(32) }
    appendPadded(Int64(v), width: 1, to: &out)
}

@inline(__always)
func appendSigned(_ v: Int64, to out: inout [UInt8]) {
    if v < 0 { out.append(UInt8(ascii: "-")) }
    appendMagnitude(v.magnitude, to: &out)
}

/// Appends the decimal digits of `v` (any `UInt64`, including `Int64.min.magnitude`).
func appendMagnitude(_ v: UInt64, to out: inout [UInt8]) {
    var divisor: UInt64 = 1
    while v / divisor >= 10 { divisor *= 10 }
    var rest = v
    while divisor > 0 {
        out.append(UInt8(48 + rest / divisor))
        rest %= divisor
        divisor /= 10
    }
}
