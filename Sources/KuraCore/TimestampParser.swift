import Foundation

/// What to do with a local time that a zone's daylight-saving change skips (a gap) or repeats (an overlap).
public enum DSTPolicy: String, ConfigEnum, Codable, Sendable {
    /// Reject the value.
    case error
    /// Take the earlier of the two instants (for a gap: the instant before the change, shifted forward).
    case earlier
    /// Take the later of the two instants.
    case later
}

/// Why a timestamp text or format was not accepted.
public struct TimestampError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A time zone resolved once: a fixed offset, or an IANA zone's rules.
public struct ZoneRule: @unchecked Sendable {
    let fixedOffset: Int?
    let zone: TimeZone?
    /// The zone's name as given.
    public let name: String

    /// Resolves `name`: `UTC`, `Z`, an offset like `+09:00` / `+0900`, or an IANA name like `Asia/Tokyo`.
    public init?(name: String) {
        self.name = name
        if let off = ZoneRule.parseOffset(name) {
            fixedOffset = off
            zone = nil
            return
        }
        let upper = name.uppercased()
        if upper == "UTC" || upper == "Z" || upper == "GMT" || upper == "UT" {
            fixedOffset = 0
            zone = nil
            return
        }
        guard name.contains("/") || ["EST", "MST", "HST", "EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT"].contains(name),
            let tz = TimeZone(identifier: name)
        else { return nil }
        fixedOffset = nil
        zone = tz
    }

    /// Parses `+09:00`, `+0900`, `+09`, `-05:30` into seconds east of UTC.
    public static func parseOffset(_ s: String) -> Int? {
        let b = Array(s.utf8)
        guard b.count >= 3, b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-") else { return nil }
        let sign = b[0] == UInt8(ascii: "-") ? -1 : 1
        let digits = b[1...].filter { $0 != UInt8(ascii: ":") }
        guard digits.count == 2 || digits.count == 4, digits.allSatisfy({ $0 &- 48 <= 9 }) else { return nil }
        let d = digits.map { Int($0 - 48) }
        let h = d[0] * 10 + d[1]
        let m = d.count == 4 ? d[2] * 10 + d[3] : 0
        guard h <= 23 || (h <= 99 && m == 0), m < 60 else { return nil }
        return sign * (h * 3600 + m * 60)
    }

    /// Seconds east of UTC in force at the instant `utcSeconds`.
    public func offset(atUTC utcSeconds: Int64) -> Int {
        if let fixedOffset { return fixedOffset }
        return zone!.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utcSeconds)))
    }

    /// The UTC seconds of the local wall-clock time `localSeconds` (seconds since the epoch as if local were UTC).
    public func utc(fromLocal localSeconds: Int64, policy: DSTPolicy) throws -> Int64 {
        if let fixedOffset { return localSeconds - Int64(fixedOffset) }
        // Candidate offsets: those in force a day before and a day after.
        let o1 = Int64(offset(atUTC: localSeconds - 86_400))
        let o2 = Int64(offset(atUTC: localSeconds + 86_400))
        var candidates: [Int64] = []
        for o in Set([o1, o2]) {
            let u = localSeconds - o
            if Int64(offset(atUTC: u)) == o { candidates.append(u) }
        }
        candidates.sort()
        if candidates.count == 1 { return candidates[0] }
        if candidates.count > 1 {
            switch policy {
            case .error:
                throw TimestampError("local time is ambiguous in \(name) (daylight-saving overlap); set dst_policy: earlier or later")
            case .earlier: return candidates.first!
            case .later: return candidates.last!
            }
        }
        // A gap: the local time does not exist.
        switch policy {
        case .error:
            throw TimestampError("local time does not exist in \(name) (daylight-saving gap); set dst_policy: earlier or later")
        case .earlier: return localSeconds - max(o1, o2)
        case .later: return localSeconds - min(o1, o2)
        }
    }
}

/// Parses timestamp text with a strptime-style format into an instant.
public final class TimestampParser: @unchecked Sendable {
    /// The format as given.
    public let format: String
    let zone: ZoneRule
    let policy: DSTPolicy
    let defaultDate: (Int64, Int, Int)

    /// Embulk's default timestamp format.
    public static let defaultFormat = "%Y-%m-%d %H:%M:%S.%N %z"

    /// Creates a parser; throws when the zone name or default date is unknown.
    public init(format: String, defaultZone: String = "UTC", defaultDate: String = "1970-01-01", dstPolicy: DSTPolicy = .earlier) throws {
        self.format = format
        guard let z = ZoneRule(name: defaultZone) else { throw TimestampError("unknown time zone '\(defaultZone)'") }
        self.zone = z
        self.policy = dstPolicy
        let parts = defaultDate.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { throw TimestampError("default date '\(defaultDate)' is not YYYY-MM-DD") }
        self.defaultDate = (Int64(parts[0]), parts[1], parts[2])
    }

    /// Parses `text` into nanoseconds since the epoch.
    public func parse(_ text: UnsafeRawBufferPointer) throws -> Int64 {
        try parseISO(text)
    }

    func parseISO(_ b: UnsafeRawBufferPointer) throws -> Int64 {
        var i = 0
        let n = b.count
        func num(_ width: Int) throws -> Int {
            guard i + width <= n else { throw TimestampError("expected \(width) digits at position \(i + 1)") }
            var v = 0
            for _ in 0..<width {
                let d = b[i] &- 48
                guard d <= 9 else { throw TimestampError("expected a digit at position \(i + 1)") }
                v = v * 10 + Int(d)
                i += 1
            }
            return v
        }
        func expect(_ c: UInt8) throws {
            guard i < n, b[i] == c else { throw TimestampError("expected '\(Character(UnicodeScalar(c)))' at position \(i + 1)") }
            i += 1
        }
        let y = try num(4)
        try expect(UInt8(ascii: "-"))
        let mo = try num(2)
        try expect(UInt8(ascii: "-"))
        let d = try num(2)
        guard (1...12).contains(mo), d >= 1, d <= daysInMonth(Int64(y), mo) else { throw TimestampError("date out of range") }
        var h = 0, mi = 0, s = 0, frac: Int64 = 0
        var offset: Int? = nil
        if i < n && (b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "T")) {
            i += 1
            h = try num(2)
            try expect(UInt8(ascii: ":"))
            mi = try num(2)
            if i < n && b[i] == UInt8(ascii: ":") {
                i += 1
                s = try num(2)
            }
            guard h < 24, mi < 60, s < 61 else { throw TimestampError("time out of range") }
            if i < n && b[i] == UInt8(ascii: ".") {
                i += 1
                var digits = 0
                while i < n, b[i] &- 48 <= 9 {
                    if digits < 9 { frac = frac * 10 + Int64(b[i] - 48) }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { throw TimestampError("expected fraction digits") }
                for _ in min(digits, 9)..<9 { frac *= 10 }
            }
            if i < n && b[i] == UInt8(ascii: " ") { i += 1 }
            if i < n {
                let rest = String(decoding: UnsafeRawBufferPointer(rebasing: b[i..<n]), as: UTF8.self)
                guard let z = ZoneRule(name: rest) else { throw TimestampError("unknown zone '\(rest)'") }
                offset = z.fixedOffset ?? z.offset(atUTC: 0)
                i = n
            }
        }
        guard i == n else { throw TimestampError("unexpected text at position \(i + 1)") }
        let local = CivilTime(year: Int64(y), month: mo, day: d, hour: h, minute: mi, second: min(s, 59)).epochSeconds
        let utc = try offset.map { local - Int64($0) } ?? zone.utc(fromLocal: local, policy: policy)
        let (r, o) = utc.multipliedReportingOverflow(by: 1_000_000_000)
        guard !o else { throw TimestampError("timestamp out of range") }
        return r + frac
    }
}
