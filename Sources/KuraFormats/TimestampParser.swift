import KuraCore
/// Parses timestamp text with a strptime-style format into an instant (nanoseconds since the epoch).
///
/// The format is compiled once; `parse(_:)` allocates nothing for the usual inputs (only error messages and zone
/// names written as IANA identifiers in the data allocate). Directives follow Ruby's / Embulk's `strptime`:
///
/// | Directive | Meaning |
/// |---|---|
/// | `%Y` | year, optionally signed; 4 digits when a numeric directive follows, else up to 9 |
/// | `%C`, `%y` | century; year of the century (69–99 → 19xx, 00–68 → 20xx) |
/// | `%m`, `%d`, `%e`, `%j` | month 1–12, day (one leading space allowed), day of the year 1–366 |
/// | `%H`, `%k`, `%I`, `%l`, `%p`, `%P` | hour 0–23 (24 is refused), hour 1–12, `AM`/`PM` in any case, `a.m.` |
/// | `%M`, `%S` | minute; second 0–60 |
/// | `%N`, `%3N`, `%6N`, `%9N`, `%L` | fraction digits (`5` is half a second), up to 9 kept, the rest dropped |
/// | `%z`, `%Z` | `+09:00`, `+0900`, `+09`, `Z`, `UTC`, `GMT+9`, an abbreviation, an IANA name like `Asia/Tokyo` |
/// | `%s`, `%Q` | seconds / milliseconds since the epoch, optionally negative (`%s.%N` adds a fraction) |
/// | `%b`, `%h`, `%B`, `%a`, `%A` | month and weekday names, full or abbreviated, any case |
/// | `%T`, `%R`, `%F`, `%D` | `%H:%M:%S`, `%H:%M`, `%Y-%m-%d`, `%m/%d/%y` |
/// | `%%`, `%n`, `%t`, a space | a percent sign; any run of whitespace, including none |
///
/// Rules, decided once:
/// - A second of `60` (a leap second) carries into the next minute, as Ruby's `Time.strptime` does:
///   `23:59:60` is midnight of the next day.
/// - Missing date parts: the parts above the most significant one written come from `defaultDate`, the ones
///   below it are 1 (`%H:%M` uses the default date; `%Y` alone is January 1st). A missing time is midnight.
/// - A zone in the text wins over `defaultZone`; `%s`/`%Q` ignore zones. Weekday names are read but not checked.
/// - `%s.%N` with a negative count reads `-1.5` as one and a half seconds before the epoch (as Ruby does).
/// - Every field is read, then checked: a month of 13, February 30 or an hour of 25 is an error naming the field.
/// - Steps come from Ruby: `%Y` and an unsized `%N` read digits greedily unless a numeric directive follows
///   (`%Y%m%d` reads 4 + 2 + 2 digits); `%m`, `%d`, `%H`, `%M`, `%S` read one or two digits.
/// - An IANA name in the data (`%Z` = `Asia/Tokyo`) is looked up in a shared, locked table per value; offsets and
///   abbreviations cost nothing extra.
/// - `epoch`, `epoch_millis`, `epoch_micros`, `epoch_nanos` as the whole format read a (possibly negative) integer.
/// - When the format is exactly `defaultFormat`, the fraction and the zone may be left out and `T` may separate
///   the date and the time, so RFC 3339 / ISO 8601 text and `2024-01-01 00:00:00` parse too.
public final class TimestampParser: Sendable {
    /// The format as given.
    public let format: String
    /// The zone for text without one.
    public let zone: ZoneRule
    /// How skipped or repeated local times are resolved.
    public let policy: DSTPolicy
    let mode: Mode
    let fast: FastShape?
    let defaultYear: Int64
    let defaultMonth: Int
    let defaultDay: Int

    enum Mode: Sendable {
        /// One or more alternative step lists; the first that matches wins.
        case steps([[ParseOp]])
        /// An integer count of units since the epoch; the value is nanoseconds per unit.
        case epoch(Int64)
    }

    /// Embulk's default timestamp format.
    public static let defaultFormat = "%Y-%m-%d %H:%M:%S.%N %z"

    /// Creates a parser; throws a `TimestampError` when the format has an unknown directive, or the zone name or
    /// default date is unknown.
    ///
    /// - Parameters:
    ///   - format: a strptime-style format, or `epoch` / `epoch_millis` / `epoch_micros` / `epoch_nanos`.
    ///   - defaultZone: the zone of text without one: an IANA name, an offset or an abbreviation.
    ///   - defaultDate: `YYYY-MM-DD`, supplying the date parts the format does not have.
    ///   - dstPolicy: how local times skipped or repeated by a daylight-saving change are resolved.
    public init(
        format: String, defaultZone: String = "UTC", defaultDate: String = "1970-01-01",
        dstPolicy: DSTPolicy = .earlier
    ) throws {
        self.format = format
        self.zone = try ZoneRule.resolve(defaultZone)
        self.policy = dstPolicy
        let parts = defaultDate.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let y = Int64(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), d >= 1, d <= daysInMonth(y, m)
        else { throw TimestampError("default date '\(defaultDate)' is not a valid date written as YYYY-MM-DD") }
        (defaultYear, defaultMonth, defaultDay) = (y, m, d)
        switch format {
        case "epoch": mode = .epoch(1_000_000_000)
        case "epoch_millis": mode = .epoch(1_000_000)
        case "epoch_micros": mode = .epoch(1_000)
        case "epoch_nanos": mode = .epoch(1)
        case Self.defaultFormat:
            var alternatives: [[ParseOp]] = []
            for sep in [" ", "T"] {
                for tail in [".%N %z", " %z", ".%N", ""] {
                    alternatives.append(try compileParseFormat("%Y-%m-%d\(sep)%H:%M:%S\(tail)"))
                }
            }
            mode = .steps(alternatives)
        default:
            mode = .steps([try compileParseFormat(format)])
        }
        if format == Self.defaultFormat {
            fast = FastShape(separators: .both, fraction: .optional, zone: .optional, spaceBeforeZone: true)
        } else if case .steps(let alts) = mode {
            fast = FastShape(alts[0])
        } else {
            fast = nil
        }
    }

    /// Parses `text` into nanoseconds since the epoch; throws a `TimestampError` saying what is wrong.
    public func parse(_ text: UnsafeRawBufferPointer) throws -> Int64 {
        if let fast, let v = parseFast(text, fast) { return v }
        return try parseGeneral(text)
    }

    /// Parses `text` into nanoseconds since the epoch.
    public func parse(_ text: String) throws -> Int64 {
        var t = text
        return try t.withUTF8 { try parse(UnsafeRawBufferPointer($0)) }
    }

    /// Parses `text` into a `Timestamp`.
    public func timestamp(_ text: String) throws -> Timestamp { Timestamp(nanos: try parse(text)) }

    /// Parses without the fast path (for tests that compare the two).
    func parseGeneral(_ text: UnsafeRawBufferPointer) throws -> Int64 {
        switch mode {
        case .epoch(let scale):
            guard let v = ValueParsing.parseLong(text) else {
                throw TimestampError(
                    "cannot parse '\(Self.quoted(text))' with format '\(format)': expected an integer, optionally "
                        + "negative")
            }
            let (r, o) = v.multipliedReportingOverflow(by: scale)
            guard !o else {
                throw TimestampError(
                    "cannot parse '\(Self.quoted(text))' with format '\(format)': the timestamp is out of range "
                        + "(years 1677 to 2262)")
            }
            return r
        case .steps(let alternatives):
            var best: ParseFailure? = nil
            for steps in alternatives {
                switch run(steps, text) {
                case .success(let v): return v
                case .failure(let f): if best == nil || f.position > best!.position { best = f }
                }
            }
            var message = "cannot parse '\(Self.quoted(text))' with format '\(format)': \(best!.message(text))"
            if format == Self.defaultFormat {
                message += " (the default format also accepts the text without the fraction or the zone, and 'T' "
                    + "between the date and the time)"
            }
            throw TimestampError(message)
        }
    }

    static func quoted(_ text: UnsafeRawBufferPointer) -> String {
        let capped = UnsafeRawBufferPointer(rebasing: text[0..<min(text.count, 128)])
        return String(decoding: capped, as: UTF8.self) + (text.count > 128 ? "…" : "")
    }

    // MARK: - The general interpreter

    /// The fields read from the text; `Int.min` marks a field that was not present.
    struct Fields {
        static let absent = Int.min
        var year: Int64 = Int64.min
        var century = absent, yearOfCentury = absent
        var month = absent, day = absent, dayOfYear = absent
        var hour24 = absent, hour12 = absent, pm = absent
        var minute = absent, second = absent
        var fraction: Int64 = 0
        var zone = TextZone.none
        var epochSeconds: Int64 = Int64.min
        var epochNegative = false
        var epochNanos: Int64 = Int64.min
    }

    /// A zone found in the text.
    enum TextZone {
        case none
        case fixed(Int)
        case rule(ZoneRule)
    }

    /// Interprets `steps` over the text `b`; every step must match and the text must end with the last one.
    func run(_ steps: [ParseOp], _ b: UnsafeRawBufferPointer) -> Result<Int64, ParseFailure> {
        var f = Fields()
        var c = TextCursor(b)
        for step in steps {
            if let failure = apply(step, &c, &f) { return .failure(failure) }
        }
        guard c.i == b.count else { return .failure(ParseFailure(c.i, .trailingText)) }
        return resolve(f)
    }

    /// Reads what `step` matches at the cursor into `f`; returns why it does not match, or nil.
    @inline(__always)
    func apply(_ step: ParseOp, _ c: inout TextCursor, _ f: inout Fields) -> ParseFailure? {
        let at = c.i
        /// Reads a number of at most `width` digits (signed when asked) into `field`, or fails naming `what`.
        func number(_ width: Int, _ what: StaticString, signed: Bool = false, into field: inout Int) -> ParseFailure? {
            guard let v = signed ? c.signed(width) : c.digits(width) else { return ParseFailure(at, .expectedNumber(what)) }
            field = Int(v)
            return nil
        }
        switch step {
        case .literal(let ch):
            guard c.take(ch) else { return ParseFailure(at, .expectedLiteral(ch)) }
        case .whitespace:
            while c.i < c.b.count, isWhitespace(c.b[c.i]) { c.i += 1 }
        case .year(let w):
            guard let v = c.signed(w) else { return ParseFailure(at, .expectedNumber("a year")) }
            f.year = v
        case .century: return number(2, "a century", signed: true, into: &f.century)
        case .yearOfCentury: return number(2, "a two-digit year", into: &f.yearOfCentury)
        case .month: return number(2, "a month", into: &f.month)
        case .day:
            c.skipOneSpace()
            return number(2, "a day", into: &f.day)
        case .dayOfYear: return number(3, "a day of the year", into: &f.dayOfYear)
        case .hour24:
            c.skipOneSpace()
            return number(2, "an hour", into: &f.hour24)
        case .hour12:
            c.skipOneSpace()
            return number(2, "an hour", into: &f.hour12)
        case .meridian: return readMeridian(&c, &f)
        case .minute: return number(2, "a minute", into: &f.minute)
        case .second: return number(2, "a second", into: &f.second)
        case .fraction(let w): return readFraction(w, &c, &f)
        case .zone:
            switch scanZone(c.b, c.i) {
            case .success(let (z, end)):
                f.zone = z
                c.i = end
            case .failure(let e): return e
            }
        case .epochSeconds, .epochMillis: return readEpoch(seconds: step == .epochSeconds, &c, &f)
        case .monthName:
            guard let (k, end) = CalendarNames.match(CalendarNames.months, c.b, c.i) else {
                return ParseFailure(at, .expectedWord("a month name"))
            }
            f.month = k + 1
            c.i = end
        case .weekdayName:
            guard let (_, end) = CalendarNames.match(CalendarNames.weekdays, c.b, c.i) else {
                return ParseFailure(at, .expectedWord("a weekday name"))
            }
            c.i = end
        }
        return nil
    }

    /// Reads `%p`: `AM`/`PM` in any letter case, each letter optionally followed by a dot (`a.m.`).
    func readMeridian(_ c: inout TextCursor, _ f: inout Fields) -> ParseFailure? {
        let at = c.i
        guard c.i < c.b.count, c.b[c.i] | 0x20 == UInt8(ascii: "a") || c.b[c.i] | 0x20 == UInt8(ascii: "p") else {
            return ParseFailure(at, .expectedWord("AM or PM"))
        }
        let pm = c.b[c.i] | 0x20 == UInt8(ascii: "p")
        c.i += 1
        _ = c.take(UInt8(ascii: "."))
        guard c.i < c.b.count, c.b[c.i] | 0x20 == UInt8(ascii: "m") else { return ParseFailure(at, .expectedWord("AM or PM")) }
        c.i += 1
        _ = c.take(UInt8(ascii: "."))
        f.pm = pm ? 1 : 0
        return nil
    }

    /// Reads `%N`-style fraction digits (at most `width`; digits past the ninth are read and dropped).
    func readFraction(_ width: Int, _ c: inout TextCursor, _ f: inout Fields) -> ParseFailure? {
        let at = c.i
        var v: Int64 = 0
        var k = 0
        while k < width, c.i < c.b.count, c.b[c.i] &- 48 <= 9 {
            if k < 9 { v = v * 10 + Int64(c.b[c.i] &- 48) }
            c.i += 1
            k += 1
        }
        guard k > 0 else { return ParseFailure(at, .expectedNumber("fraction-of-second digits")) }
        for _ in min(k, 9)..<9 { v *= 10 }
        f.fraction = v
        return nil
    }

    /// Reads `%s` (seconds) or `%Q` (milliseconds) since the epoch: a signed integer that must fit 64 bits.
    func readEpoch(seconds: Bool, _ c: inout TextCursor, _ f: inout Fields) -> ParseFailure? {
        let at = c.i
        let negative = c.i < c.b.count && c.b[c.i] == UInt8(ascii: "-")
        if !c.take(UInt8(ascii: "-")) { _ = c.take(UInt8(ascii: "+")) }
        let digitStart = c.i
        while c.i < c.b.count, c.b[c.i] &- 48 <= 9 { c.i += 1 }
        guard c.i > digitStart else { return ParseFailure(at, .expectedNumber("a count since the epoch")) }
        guard let v = ValueParsing.parseLong(UnsafeRawBufferPointer(rebasing: c.b[at..<c.i])) else {
            return ParseFailure(Int.max, .outOfRangeTimestamp)
        }
        if seconds {
            f.epochSeconds = v
            f.epochNegative = negative
        } else {
            f.epochNanos = v
        }
        return nil
    }

    /// Scans `%z` / `%Z` text at `i`.
    func scanZone(_ b: UnsafeRawBufferPointer, _ i: Int) -> Result<(TextZone, Int), ParseFailure> {
        let n = b.count
        if i < n, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let (o, end) = ZoneRule.scanOffset(b, i) else { return .failure(ParseFailure(i, .badOffset)) }
            return .success((.fixed(o), end))
        }
        var j = i
        while j < n, isASCIILetter(b[j]) { j += 1 }
        guard j > i else { return .failure(ParseFailure(i, .expectedZone)) }
        if j < n, b[j] == UInt8(ascii: "/") {
            while j < n,
                isASCIILetter(b[j]) || b[j] &- 48 <= 9 || b[j] == UInt8(ascii: "/") || b[j] == UInt8(ascii: "_")
                    || b[j] == UInt8(ascii: "-") || b[j] == UInt8(ascii: "+")
            { j += 1 }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: b[i..<j]), as: UTF8.self)
            guard let table = ZoneTransitions.shared(name) else {
                return .failure(ParseFailure(i, .unknownZone(name)))
            }
            return .success((.rule(ZoneRule(table: table, name: name)), j))
        }
        let word = b[i..<j]
        if let base = ZoneAbbreviations.offset(of: word) {
            // `UTC+9`, `GMT-05:00`
            if base == 0, j < n, b[j] == UInt8(ascii: "+") || b[j] == UInt8(ascii: "-"), word.count >= 2 {
                if let (o, end) = ZoneRule.scanOffset(b, j) { return .success((.fixed(o), end)) }
                if j + 1 < n, b[j + 1] &- 48 <= 9, j + 2 == n || b[j + 2] &- 48 > 9 {
                    let h = Int(b[j + 1] - 48) * 3600
                    return .success((.fixed(b[j] == UInt8(ascii: "-") ? -h : h), j + 2))
                }
            }
            return .success((.fixed(base), j))
        }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: word), as: UTF8.self)
        for (n, meanings) in ZoneAbbreviations.ambiguous where n == name.uppercased() {
            return .failure(ParseFailure(i, .ambiguousZone(name, meanings)))
        }
        return .failure(ParseFailure(i, .unknownZone(name)))
    }

    /// Turns the fields into an instant.
    func resolve(_ f: Fields) -> Result<Int64, ParseFailure> {
        let absent = Fields.absent
        if f.epochNanos != Int64.min || f.epochSeconds != Int64.min {
            var total: Int64
            var overflow = false
            if f.epochSeconds != Int64.min {
                // Like Ruby, `-1.5` is one and a half seconds before the epoch.
                if f.epochNegative && f.fraction > 0 {
                    let (s, o) = f.epochSeconds.subtractingReportingOverflow(1)
                    let t = o ? nil : combine(s, 1_000_000_000 - f.fraction)
                    (total, overflow) = (t ?? 0, t == nil)
                } else {
                    let t = combine(f.epochSeconds, f.fraction)
                    (total, overflow) = (t ?? 0, t == nil)
                }
            } else {
                (total, overflow) = f.epochNanos.multipliedReportingOverflow(by: 1_000_000)
            }
            return overflow ? .failure(ParseFailure(Int.max, .outOfRangeTimestamp)) : .success(total)
        }
        // The date.
        var year: Int64
        var given = 0  // 3 = year written, 2 = month, 1 = day
        if f.year != Int64.min {
            year = f.year
            given = 3
        } else if f.century != absent {
            year = Int64(f.century) * 100 + Int64(f.yearOfCentury == absent ? 0 : f.yearOfCentury)
            given = 3
        } else if f.yearOfCentury != absent {
            year = Int64(f.yearOfCentury + (f.yearOfCentury >= 69 ? 1900 : 2000))
            given = 3
        } else {
            year = defaultYear
        }
        var days: Int64
        if f.dayOfYear != absent && f.month == absent && f.day == absent {
            let length = isLeapYear(year) ? 366 : 365
            guard f.dayOfYear >= 1 && f.dayOfYear <= length else {
                return .failure(ParseFailure(Int.max, .dayOfYearOutOfRange(f.dayOfYear, year)))
            }
            days = daysFromCivil(year, 1, 1) + Int64(f.dayOfYear - 1)
        } else {
            if given == 0 && f.month != absent { given = 2 }
            if given == 0 && f.day != absent { given = 1 }
            let month = f.month != absent ? f.month : (given > 2 ? 1 : defaultMonth)
            let day = f.day != absent ? f.day : (given > 1 ? 1 : defaultDay)
            guard month >= 1 && month <= 12 else {
                return .failure(ParseFailure(Int.max, .outOfRange("month", month, "1–12")))
            }
            guard day >= 1 && day <= daysInMonth(year, month) else {
                return .failure(ParseFailure(Int.max, .dayOutOfRange(day, year, month)))
            }
            days = daysFromCivil(year, month, day)
        }
        // The time of day.
        var hour = 0
        if f.hour24 != absent {
            guard f.hour24 <= 23 else { return .failure(ParseFailure(Int.max, .outOfRange("hour", f.hour24, "0–23"))) }
            hour = f.hour24
        } else if f.hour12 != absent {
            guard f.hour12 >= 1 && f.hour12 <= 12 else {
                return .failure(ParseFailure(Int.max, .outOfRange("hour (12-hour clock)", f.hour12, "1–12")))
            }
            hour = f.hour12
        }
        if f.pm != absent { hour = hour % 12 + (f.pm == 1 ? 12 : 0) }
        let minute = f.minute == absent ? 0 : f.minute
        guard minute <= 59 else { return .failure(ParseFailure(Int.max, .outOfRange("minute", minute, "0–59"))) }
        let second = f.second == absent ? 0 : f.second
        guard second <= 60 else { return .failure(ParseFailure(Int.max, .outOfRange("second", second, "0–60"))) }
        // Years beyond ±1e9 overflow below; anything outside 1677–2262 is caught by the multiplication.
        guard days > -400_000_000_000 && days < 400_000_000_000 else {
            return .failure(ParseFailure(Int.max, .outOfRangeTimestamp))
        }
        let local = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let utc: Int64
        switch f.zone {
        case .fixed(let o): utc = local - Int64(o)
        case .rule(let rule):
            do { utc = try rule.utc(fromLocal: local, policy: policy) } catch {
                return .failure(ParseFailure(Int.max, .dst("\(error)")))
            }
        case .none:
            do { utc = try zone.utc(fromLocal: local, policy: policy) } catch {
                return .failure(ParseFailure(Int.max, .dst("\(error)")))
            }
        }
        guard let total = combine(utc, f.fraction) else { return .failure(ParseFailure(Int.max, .outOfRangeTimestamp)) }
        return .success(total)
    }

    // MARK: - The fast path

    /// The shape of `%Y-%m-%d[ T]%H:%M:%S[.%N][ ][%z]` formats, parsed without the interpreter.
    struct FastShape: Sendable {
        enum Separators: Sendable { case space, letterT, both }
        enum Presence: Sendable { case forbidden, required, optional }
        var separators: Separators
        var fraction: Presence
        var zone: Presence
        var spaceBeforeZone: Bool

        init(separators: Separators, fraction: Presence, zone: Presence, spaceBeforeZone: Bool) {
            self.separators = separators
            self.fraction = fraction
            self.zone = zone
            self.spaceBeforeZone = spaceBeforeZone
        }

        /// Recognizes the shape in compiled steps, or returns `nil`.
        init?(_ s: [ParseOp]) {
            guard s.count >= 11, case .year(let w) = s[0], w >= 4, s[1] == .literal(45), s[2] == .month,
                s[3] == .literal(45), s[4] == .day, s[6] == .hour24, s[7] == .literal(58), s[8] == .minute,
                s[9] == .literal(58), s[10] == .second
            else { return nil }
            switch s[5] {
            case .whitespace: separators = .space
            case .literal(UInt8(ascii: "T")): separators = .letterT
            default: return nil
            }
            var rest = s[11...]
            fraction = .forbidden
            if rest.first == .literal(46), rest.dropFirst().first == .fraction(maxDigits: Int.max) {
                fraction = .required
                rest = rest.dropFirst(2)
            }
            spaceBeforeZone = false
            if rest.first == .whitespace, rest.count == 2 {
                spaceBeforeZone = true
                rest = rest.dropFirst()
            }
            zone = .forbidden
            if rest.first == .zone {
                zone = .required
                rest = rest.dropFirst()
            }
            guard rest.isEmpty else { return nil }
        }
    }

    /// Parses the common fixed-width shapes; `nil` sends the text to the general interpreter (which accepts
    /// everything this accepts, with the same result, and explains failures).
    @inline(__always)
    func parseFast(_ b: UnsafeRawBufferPointer, _ shape: FastShape) -> Int64? {
        let n = b.count
        guard n >= 19 else { return nil }
        @inline(__always) func two(_ i: Int) -> Int {
            let a = b[i] &- 48, c = b[i + 1] &- 48
            return a <= 9 && c <= 9 ? Int(a) * 10 + Int(c) : -1
        }
        let y1 = two(0), y2 = two(2), month = two(5), day = two(8), hour = two(11), minute = two(14), second = two(17)
        guard y1 >= 0, y2 >= 0, month >= 1, month <= 12, day >= 1, hour >= 0, hour <= 23, minute >= 0, minute <= 59,
            second >= 0, second <= 60, b[4] == 45, b[7] == 45, b[13] == 58, b[16] == 58
        else { return nil }
        switch shape.separators {
        case .space: guard b[10] == 32 else { return nil }
        case .letterT: guard b[10] == UInt8(ascii: "T") else { return nil }
        case .both: guard b[10] == 32 || b[10] == UInt8(ascii: "T") else { return nil }
        }
        let year = Int64(y1 * 100 + y2)
        guard day <= 28 || day <= daysInMonth(year, month) else { return nil }
        var i = 19
        var fraction: Int64 = 0
        if i < n, b[i] == 46 {
            guard shape.fraction != .forbidden else { return nil }
            i += 1
            var k = 0
            while i < n, b[i] &- 48 <= 9 {
                if k < 9 { fraction = fraction * 10 + Int64(b[i] &- 48) }
                i += 1
                k += 1
            }
            guard k > 0 else { return nil }
            var scale = k
            while scale < 9 {
                fraction *= 10
                scale += 1
            }
        } else if shape.fraction == .required {
            return nil
        }
        let local = daysFromCivil(year, month, day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        var utc: Int64
        if i == n {
            guard shape.zone != .required else { return nil }
            if let fixed = zone.fixedOffset {
                utc = local - Int64(fixed)
            } else {
                guard let u = try? zone.utc(fromLocal: local, policy: policy) else { return nil }
                utc = u
            }
        } else {
            guard shape.zone != .forbidden else { return nil }
            if shape.spaceBeforeZone { while i < n, b[i] == 32 { i += 1 } }
            guard i < n else { return nil }
            if b[i] == UInt8(ascii: "Z") && i + 1 == n {
                utc = local
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                guard let (o, end) = ZoneRule.scanOffset(b, i), end == n else { return nil }
                utc = local - Int64(o)
            } else {
                guard case .success(let (z, end)) = scanZone(b, i), end == n else { return nil }
                switch z {
                case .fixed(let o): utc = local - Int64(o)
                case .rule(let r):
                    guard let u = try? r.utc(fromLocal: local, policy: policy) else { return nil }
                    utc = u
                case .none: return nil
                }
            }
        }
        return combine(utc, fraction)
    }
}

/// `seconds * 1e9 + fraction` (fraction in 0 ..< 1e9), or `nil` outside the range of `Int64`.
@inline(__always)
func combine(_ seconds: Int64, _ fraction: Int64) -> Int64? {
    if seconds < 0 && fraction > 0 {
        // Int64.min is -9223372037 s + 145224192 ns: multiply the next second up to stay in range.
        let (r, o) = (seconds + 1).multipliedReportingOverflow(by: 1_000_000_000)
        return o ? nil : r + (fraction - 1_000_000_000)
    }
    let (r, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    let (t, o2) = r.addingReportingOverflow(fraction)
    return o1 || o2 ? nil : t
}

/// Why the general interpreter stopped; the message is built only when it is reported.
struct ParseFailure: Error {
    /// How far the text matched (`Int.max` for a failure after a full match), to pick the most telling failure.
    var position: Int
    var kind: Kind

    enum Kind {
        case expectedLiteral(UInt8)
        case expectedNumber(StaticString)
        case expectedWord(StaticString)
        case expectedZone
        case badOffset
        case unknownZone(String)
        case ambiguousZone(String, String)
        case trailingText
        case outOfRange(StaticString, Int, StaticString)
        case dayOutOfRange(Int, Int64, Int)
        case dayOfYearOutOfRange(Int, Int64)
        case outOfRangeTimestamp
        case dst(String)
    }

    init(_ position: Int, _ kind: Kind) {
        self.position = position
        self.kind = kind
    }

    /// Up to `limit` bytes of `text` from `position`, as text.
    func snippet(_ text: UnsafeRawBufferPointer, _ limit: Int) -> String {
        let end = min(text.count, position + limit)
        return String(decoding: UnsafeRawBufferPointer(rebasing: text[position..<end]), as: UTF8.self)
    }

    /// The failure as a sentence about `text`.
    func message(_ text: UnsafeRawBufferPointer) -> String {
        let at = position == Int.max ? "" : " at position \(position + 1)"
        let found: String
        if position < text.count {
            found = " but found '\(snippet(text, 16))'"
        } else {
            found = " but the text ended"
        }
        switch kind {
        case .expectedLiteral(let c):
            return "expected '\(Character(UnicodeScalar(c)))'\(at)\(found)"
        case .expectedNumber(let what): return "expected \(what)\(at)\(found)"
        case .expectedWord(let what): return "expected \(what)\(at)\(found)"
        case .expectedZone:
            return "expected a time zone (an offset such as +09:00, Z, or a name such as UTC or Asia/Tokyo)\(at)\(found)"
        case .badOffset: return "the UTC offset\(at) is not valid; write it as +09:00, +0900 or +09"
        case .unknownZone(let name):
            return "unknown time zone '\(name)'; write an offset such as +09:00 or an IANA name such as "
                + "America/New_York in the data, or remove %z/%Z from the format and set the timezone option. "
                + "Known abbreviations: \(ZoneAbbreviations.knownNames)"
        case .ambiguousZone(let name, let meanings):
            return "time zone abbreviation '\(name)' is ambiguous (\(meanings)); remove %z/%Z from the format and "
                + "set the timezone option to an IANA name"
        case .trailingText:
            return "unexpected text '\(snippet(text, 32))' after the end of the format"
        case .outOfRange(let field, let value, let range):
            return "\(field) \(value) is out of range (\(range))"
        case .dayOutOfRange(let day, let year, let month):
            let yearMonth = "\(year)-\(month < 10 ? "0" : "")\(month)"
            return "day \(day) is out of range for \(yearMonth) (1–\(daysInMonth(year, month)))"
        case .dayOfYearOutOfRange(let d, let year):
            return "day of the year \(d) is out of range for \(year) (1–\(isLeapYear(year) ? 366 : 365))"
        case .outOfRangeTimestamp: return "the timestamp is out of range (years 1677 to 2262)"
        case .dst(let m): return m
        }
    }
}

/// A read position in a timestamp's text, with the small readers the interpreter's steps share.
struct TextCursor {
    /// The text.
    let b: UnsafeRawBufferPointer
    /// The next byte to read.
    var i = 0

    init(_ b: UnsafeRawBufferPointer) { self.b = b }

    /// Reads up to `maxDigits` decimal digits; nil when there is none.
    @inline(__always) mutating func digits(_ maxDigits: Int) -> Int64? {
        var v: Int64 = 0
        var k = 0
        while k < maxDigits, i < b.count, b[i] &- 48 <= 9 {
            v = v * 10 + Int64(b[i] &- 48)
            i += 1
            k += 1
        }
        return k == 0 ? nil : v
    }

    /// Reads an optional `+`/`-` sign and up to `maxDigits` digits; nil when there is no digit.
    @inline(__always) mutating func signed(_ maxDigits: Int) -> Int64? {
        var negative = false
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        guard let v = digits(maxDigits) else { return nil }
        return negative ? -v : v
    }

    /// Skips one space, when there is one (`%e`-style space padding).
    @inline(__always) mutating func skipOneSpace() { _ = take(32) }

    /// Consumes `byte` when it is next; returns whether it was.
    @inline(__always) mutating func take(_ byte: UInt8) -> Bool {
        guard i < b.count, b[i] == byte else { return false }
        i += 1
        return true
    }
}
