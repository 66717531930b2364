import KuraCore
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
    let literals: [UInt8]
    let zoneNameBytes: [UInt8]
    /// The most bytes one value can take.
    let maxLength: Int

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
        (self.ops, self.literals) = try compileFormatFormat(format)
        if let id = self.zone.identifier {
            zoneNameBytes = Array(id.utf8)
        } else if self.zone.fixedOffset == 0 {
            zoneNameBytes = Array("UTC".utf8)
        } else {
            zoneNameBytes = Array(self.zone.name.utf8)
        }
        var length = 0
        for op in ops {
            switch op {
            case .literal(let start, let end): length += end - start
            case .year, .century, .epochSeconds, .epochMillis: length += 20
            case .fraction(let digits): length += digits
            case .offset: length += 10
            case .zoneName: length += zoneNameBytes.count
            case .monthFull, .weekdayFull: length += 9
            case .monthAbbreviation, .weekdayAbbreviation, .dayOfYear: length += 3
            default: length += 2
            }
        }
        maxLength = length
    }

    /// Appends the text of the instant `nanos` (nanoseconds since the epoch) to `out`.
    public func format(nanos: Int64, into out: inout [UInt8]) {
        let t = Timestamp(nanos: nanos)
        let utc = t.epochSeconds
        let nanosecond = Int(t.nanosecond)
        let offset = zone.offset(atUTC: utc)
        let c = CivilTime(epochSeconds: utc + Int64(offset))
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: maxLength))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int in
            var w = DigitWriter(buffer.baseAddress! + start)
            ops.withUnsafeBufferPointer { ops in
                literals.withUnsafeBufferPointer { literals in
                    zoneNameBytes.withUnsafeBufferPointer { zoneName in
                        for op in ops {
                            write(op, c, nanos, utc, nanosecond, offset, literals, zoneName, &w)
                        }
                    }
                }
            }
            return w.count
        }
        out.removeLast(maxLength - written)
    }

    @inline(__always)
    func write(
        _ op: FormatOp, _ c: CivilTime, _ nanos: Int64, _ utc: Int64, _ nanosecond: Int, _ offset: Int,
        _ literals: UnsafeBufferPointer<UInt8>, _ zoneName: UnsafeBufferPointer<UInt8>, _ w: inout DigitWriter
    ) {
        switch op {
        case .literal(let start, let end):
            for k in start..<end { w.put(literals[k]) }
        case .year:
            if c.year >= 1000 && c.year <= 9999 {
                w.putTwo(Int(c.year / 100))
                w.putTwo(Int(c.year % 100))
            } else {
                if c.year < 0 { w.put(UInt8(ascii: "-")) }
                w.putDecimal(c.year.magnitude, width: 4)
            }
        case .century:
            let century = c.year >= 0 ? c.year / 100 : -((-c.year + 99) / 100)
            if century < 0 { w.put(UInt8(ascii: "-")) }
            w.putDecimal(century.magnitude, width: 2)
        case .yearOfCentury: w.putTwo(Int(((c.year % 100) + 100) % 100))
        case .month: w.putTwo(c.month)
        case .day: w.putTwo(c.day)
        case .daySpacePadded: w.putSpacePadded(c.day)
        case .dayOfYear: w.putDecimal(UInt64(c.dayOfYear), width: 3)
        case .hour24: w.putTwo(c.hour)
        case .hour24SpacePadded: w.putSpacePadded(c.hour)
        case .hour12: w.putTwo(c.hour % 12 == 0 ? 12 : c.hour % 12)
        case .hour12SpacePadded: w.putSpacePadded(c.hour % 12 == 0 ? 12 : c.hour % 12)
        case .meridianUpper:
            w.put(c.hour < 12 ? UInt8(ascii: "A") : UInt8(ascii: "P"))
            w.put(UInt8(ascii: "M"))
        case .meridianLower:
            w.put(c.hour < 12 ? UInt8(ascii: "a") : UInt8(ascii: "p"))
            w.put(UInt8(ascii: "m"))
        case .minute: w.putTwo(c.minute)
        case .second: w.putTwo(c.second)
        case .fraction(let digits):
            // Constant divisors compile to multiplications.
            switch digits {
            case 9: w.putDecimal(UInt64(nanosecond), width: 9)
            case 6: w.putDecimal(UInt64(nanosecond / 1_000), width: 6)
            case 3: w.putDecimal(UInt64(nanosecond / 1_000_000), width: 3)
            default:
                var v = nanosecond
                for _ in digits..<9 { v /= 10 }
                w.putDecimal(UInt64(v), width: digits)
            }
        case .offset(let colon):
            w.put(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let v = abs(offset)
            w.putTwo(v / 3600)
            if colon { w.put(UInt8(ascii: ":")) }
            w.putTwo(v % 3600 / 60)
            if v % 60 != 0 {
                if colon { w.put(UInt8(ascii: ":")) }
                w.putTwo(v % 60)
            }
        case .zoneName:
            for b in zoneName { w.put(b) }
        case .epochSeconds:
            if utc < 0 { w.put(UInt8(ascii: "-")) }
            w.putDecimal(utc.magnitude, width: 1)
        case .epochMillis:
            let millis = nanos >= 0 ? nanos / 1_000_000 : -((-(nanos + 1)) / 1_000_000) - 1
            if millis < 0 { w.put(UInt8(ascii: "-")) }
            w.putDecimal(millis.magnitude, width: 1)
        case .monthAbbreviation: w.putName(CalendarNames.months[c.month - 1], full: false)
        case .monthFull: w.putName(CalendarNames.months[c.month - 1], full: true)
        case .weekdayAbbreviation: w.putName(CalendarNames.weekdays[c.weekday], full: false)
        case .weekdayFull: w.putName(CalendarNames.weekdays[c.weekday], full: true)
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

/// Writes bytes into memory reserved in advance (no capacity or uniqueness checks per byte).
struct DigitWriter {
    let base: UnsafeMutablePointer<UInt8>
    var count = 0

    init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

    @inline(__always) mutating func put(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    /// Two digits of `v` (0...99).
    @inline(__always) mutating func putTwo(_ v: Int) {
        base[count] = UInt8(truncatingIfNeeded: 48 + v / 10)
        base[count + 1] = UInt8(truncatingIfNeeded: 48 + v % 10)
        count += 2
    }

    /// `v` (0...99) with a leading space below 10.
    @inline(__always) mutating func putSpacePadded(_ v: Int) {
        base[count] = v < 10 ? 32 : UInt8(truncatingIfNeeded: 48 + v / 10)
        base[count + 1] = UInt8(truncatingIfNeeded: 48 + v % 10)
        count += 2
    }

    /// The decimal digits of `v`, zero-padded to at least `width`.
    @inline(__always) mutating func putDecimal(_ v: UInt64, width: Int) {
        var n = 1
        var t = v
        while t >= 10 {
            t /= 10
            n += 1
        }
        let len = max(n, width)
        var rest = v
        var k = count + len - 1
        while k >= count {
            base[k] = UInt8(truncatingIfNeeded: 48 + rest % 10)
            rest /= 10
            k -= 1
        }
        count += len
    }

    /// `January` / `Jan` from a lower-case name.
    @inline(__always) mutating func putName(_ name: [UInt8], full: Bool) {
        put(name[0] - 32)
        for k in 1..<(full ? name.count : 3) { put(name[k]) }
    }
}
