import KuraCore
import Foundation

/// What to do with a local wall-clock time that a zone's offset change skips (a gap) or repeats (an overlap).
///
/// Both choices are defined by which offset is applied to the local time:
/// - `earlier` applies the offset in force *before* the transition.
///   In an overlap that is the first of the two instants (for America/New_York, `2024-11-03 01:30` becomes
///   `05:30Z`, 01:30 EDT). In a gap the local time is read with the pre-transition offset, which lands just after the
///   transition, shifted forward by the gap's length (`2024-03-10 02:30` becomes `07:30Z`, that is 03:30 EDT).
/// - `later` applies the offset in force *after* the transition.
///   In an overlap that is the second instant (`2024-11-03 01:30` becomes `06:30Z`, 01:30 EST). In a gap it lands
///   before the transition, shifted back by the gap's length (`2024-03-10 02:30` becomes `06:30Z`, 01:30 EST).
/// - `error` rejects the value.
public enum DSTPolicy: String, ConfigEnum, Codable, Sendable {
    /// Reject a local time that is skipped or repeated.
    case error
    /// Apply the offset in force before the transition (the first instant of an overlap).
    case earlier
    /// Apply the offset in force after the transition (the second instant of an overlap).
    case later
}

/// A time zone resolved once: a fixed offset, or an IANA zone's transition table.
///
/// Resolving an IANA zone asks Foundation's `TimeZone` for every offset change between the years 1677 and 2262
/// (the range of `Timestamp`) once per process and zone; lookups afterwards are a binary search over that immutable
/// table, so parsing a million values in one zone never calls Foundation. The value is immutable and safe to share
/// between threads.
public struct ZoneRule: Sendable {
    /// The offset in seconds east of UTC, for a fixed zone.
    let fixedOffset: Int?
    /// The transition table, for an IANA zone.
    let table: ZoneTransitions?
    /// The zone's name as given.
    public let name: String

    /// A fixed offset of `seconds` east of UTC.
    public init(offsetSeconds seconds: Int, name: String? = nil) {
        self.fixedOffset = seconds
        self.table = nil
        self.name = name ?? ZoneRule.offsetText(seconds, colon: true)
    }

    init(table: ZoneTransitions, name: String) {
        self.fixedOffset = nil
        self.table = table
        self.name = name
    }

    /// The UTC zone.
    public static let utc = ZoneRule(offsetSeconds: 0, name: "UTC")

    /// Resolves `name`: `UTC`, `Z`, an offset like `+09:00` / `+0900` / `+09`, an IANA name like `Asia/Tokyo`, or an
    /// unambiguous abbreviation from `ZoneAbbreviations` (as a fixed offset). Returns `nil` when unknown or
    /// ambiguous; `resolve(_:)` says why.
    public init?(name: String) {
        guard let z = try? ZoneRule.resolve(name) else { return nil }
        self = z
    }

    /// Resolves `name` like `init?(name:)`, throwing a `TimestampError` that says why a name is refused.
    public static func resolve(_ name: String) throws -> ZoneRule {
        if let off = parseOffset(name) { return ZoneRule(offsetSeconds: off, name: name) }
        let bytes = Array(name.utf8)
        switch ZoneAbbreviations.lookup(bytes[...]) {
        case .offset(let o): return ZoneRule(offsetSeconds: o, name: name)
        case .ambiguous(let meanings):
            throw TimestampError(
                "time zone abbreviation '\(name)' is ambiguous (\(meanings)); use an IANA name such as "
                    + "'America/Chicago' or an offset such as '-06:00'")
        case .unknown: break
        }
        if let table = ZoneTransitions.shared(name) { return ZoneRule(table: table, name: name) }
        throw TimestampError(
            "unknown time zone '\(name)'; use an IANA name such as 'Asia/Tokyo' or 'America/New_York', an offset "
                + "such as '+09:00', or one of the abbreviations \(ZoneAbbreviations.knownNames)")
    }

    /// Whether the zone is a fixed offset (no daylight-saving rules).
    public var isFixed: Bool { fixedOffset != nil }

    /// The IANA identifier, for a rule-based zone.
    public var identifier: String? { table?.identifier }

    /// Parses `+09:00`, `+0900`, `+09`, `-05:30`, `+05:30:15` into seconds east of UTC.
    public static func parseOffset(_ s: String) -> Int? {
        let b = Array(s.utf8)
        return b.withUnsafeBytes { p -> Int? in
            guard let (off, end) = scanOffset(p, 0), end == p.count else { return nil }
            return off
        }
    }

    /// Scans a numeric offset at `i`: a sign, then `hh`, `hhmm`, `hh:mm`, `hhmmss` or `hh:mm:ss`.
    /// Returns the seconds east of UTC and the index after it.
    static func scanOffset(_ b: UnsafeRawBufferPointer, _ start: Int) -> (Int, Int)? {
        var i = start
        let n = b.count
        guard i < n, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else { return nil }
        let negative = b[i] == UInt8(ascii: "-")
        i += 1
        @inline(__always) func two(_ at: Int) -> Int? {
            guard at + 1 < n else { return nil }
            let a = b[at] &- 48, c = b[at + 1] &- 48
            guard a <= 9, c <= 9 else { return nil }
            return Int(a) * 10 + Int(c)
        }
        guard let h = two(i) else { return nil }
        i += 2
        var m = 0, s = 0
        if i < n, b[i] == UInt8(ascii: ":") {
            guard let mm = two(i + 1) else { return nil }
            m = mm
            i += 3
            if i < n, b[i] == UInt8(ascii: ":"), let ss = two(i + 1) {
                s = ss
                i += 3
            }
        } else if let mm = two(i) {
            m = mm
            i += 2
            if let ss = two(i) {
                s = ss
                i += 2
            }
        }
        guard h <= 23, m < 60, s < 60 else { return nil }
        let v = h * 3600 + m * 60 + s
        return (negative ? -v : v, i)
    }

    /// Formats an offset as `+09:00` (with `colon`) or `+0900`; seconds are appended only when non-zero.
    public static func offsetText(_ seconds: Int, colon: Bool) -> String {
        var out: [UInt8] = []
        appendOffset(seconds, colon: colon, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Seconds east of UTC in force at the instant `utcSeconds`.
    public func offset(atUTC utcSeconds: Int64) -> Int {
        if let fixedOffset { return fixedOffset }
        return table!.offset(atUTC: utcSeconds)
    }

    /// The UTC seconds of the local wall-clock time `localSeconds` (seconds since the epoch as if local were UTC).
    ///
    /// A local time skipped or repeated by an offset change is resolved by `policy`, as described on `DSTPolicy`.
    public func utc(fromLocal localSeconds: Int64, policy: DSTPolicy) throws -> Int64 {
        if let fixedOffset { return localSeconds - Int64(fixedOffset) }
        return try table!.utc(fromLocal: localSeconds, policy: policy)
    }
}

/// The instants that a local wall-clock time names in a zone.
public enum LocalTimeInstants: Equatable, Sendable {
    /// The local time happens once, at this instant (UTC seconds).
    case unique(Int64)
    /// The clocks go back over the local time: it happens twice, first with the earlier offset.
    case repeated(first: Int64, second: Int64)
    /// The clocks go forward over the local time: it never happens; the gap ends at `gapEnd` (UTC seconds).
    case skipped(gapEnd: Int64)
}

extension ZoneRule {
    /// Every instant whose wall-clock time in this zone is `localSeconds` (seconds since the epoch as if local
    /// were UTC): none in a gap, two in an overlap.
    public func instants(atLocal localSeconds: Int64) -> LocalTimeInstants {
        if let fixedOffset { return .unique(localSeconds - Int64(fixedOffset)) }
        return table!.instants(atLocal: localSeconds)
    }
}

extension ZoneTransitions {
    func instants(atLocal local: Int64) -> LocalTimeInstants {
        let n = transitions.count
        if n == 0 { return .unique(local - Int64(offsets[0])) }
        let guess = interval(atUTC: local)
        var found: [Int64] = []
        for m in max(0, guess - 2)...min(n, guess + 2) {
            let u = local - Int64(offsets[m])
            if (m == 0 || u >= transitions[m - 1]) && (m == n || u < transitions[m]) && !found.contains(u) {
                found.append(u)
            }
        }
        found.sort()
        if found.count == 1 { return .unique(found[0]) }
        if found.count >= 2 { return .repeated(first: found[0], second: found[found.count - 1]) }
        for k in max(0, guess - 3)..<min(n, guess + 3) {
            let before = Int64(offsets[k]), after = Int64(offsets[k + 1])
            let t = transitions[k]
            if after > before && local >= t + before && local < t + after { return .skipped(gapEnd: t) }
        }
        return .unique(local - Int64(offsets[guess]))
    }
}

/// Appends `+hh:mm` (with `colon`) or `+hhmm`, and `:ss` / `ss` when the offset has seconds.
func appendOffset(_ seconds: Int, colon: Bool, to out: inout [UInt8]) {
    out.append(seconds < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
    let v = abs(seconds)
    appendPadded(Int64(v / 3600), width: 2, to: &out)
    if colon { out.append(UInt8(ascii: ":")) }
    appendPadded(Int64(v % 3600 / 60), width: 2, to: &out)
    if v % 60 != 0 {
        if colon { out.append(UInt8(ascii: ":")) }
        appendPadded(Int64(v % 60), width: 2, to: &out)
    }
}

/// The offset changes of one IANA zone, from Foundation's rules, as an immutable table.
public final class ZoneTransitions: Sendable {
    /// The IANA identifier.
    public let identifier: String
    /// The instants (UTC seconds, ascending) at which the offset changes.
    let transitions: [Int64]
    /// `offsets[k]` is in force from `transitions[k - 1]` (or the beginning of time) until `transitions[k]`.
    let offsets: [Int32]

    /// The earliest and latest instants covered by the table; outside, the nearest interval's offset applies.
    static let rangeStart: Double = -9_300_000_000
    static let rangeEnd: Double = 9_300_000_000

    init?(identifier: String) {
        guard let tz = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        var transitions: [Int64] = []
        var offsets: [Int32] = [Int32(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Self.rangeStart)))]
        var t = Date(timeIntervalSince1970: Self.rangeStart)
        while let next = tz.nextDaylightSavingTimeTransition(after: t), next.timeIntervalSince1970 < Self.rangeEnd,
            next > t
        {
            let off = Int32(tz.secondsFromGMT(for: next))
            if off != offsets[offsets.count - 1] {
                transitions.append(Int64(next.timeIntervalSince1970.rounded(.down)))
                offsets.append(off)
            }
            t = next
        }
        self.transitions = transitions
        self.offsets = offsets
        // For each bucket of 2^22 seconds (about 48 days), the interval in force at its start.
        let bucketCount = Int((Int64(Self.rangeEnd) - Int64(Self.rangeStart)) >> Self.bucketShift) + 1
        var buckets = [Int32](repeating: 0, count: bucketCount)
        var k = 0
        for b in 0..<bucketCount {
            let start = Int64(Self.rangeStart) + Int64(b) << Self.bucketShift
            while k < transitions.count && transitions[k] <= start { k += 1 }
            buckets[b] = Int32(k)
        }
        self.buckets = buckets
    }

    /// `buckets[b]` is the interval in force at `rangeStart + b << bucketShift`, so a lookup scans at most the few
    /// transitions inside one bucket instead of searching the whole table.
    let buckets: [Int32]
    static let bucketShift: Int64 = 22

    nonisolated(unsafe) private static var cache: [String: ZoneTransitions] = [:]
    private static let lock = NSLock()

    /// The table for `identifier`, built once per process; `nil` when Foundation does not know the zone.
    static func shared(_ identifier: String) -> ZoneTransitions? {
        lock.lock()
        defer { lock.unlock() }
        if let t = cache[identifier] { return t }
        // Foundation also knows some abbreviations (`JST`); only IANA-style names and the POSIX-style US rules
        // are accepted here, so every abbreviation goes through the explicit table.
        guard identifier.contains("/") || ["EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT"].contains(identifier),
            let t = ZoneTransitions(identifier: identifier)
        else { return nil }
        cache[identifier] = t
        return t
    }

    /// The index of the interval containing `utc`: the number of transitions at or before it.
    @inline(__always)
    func interval(atUTC utc: Int64) -> Int {
        let start = Int64(Self.rangeStart)
        if utc < start { return transitions.withUnsafeBufferPointer { t in t.isEmpty || utc < t[0] ? 0 : 1 } }
        let b = Int((utc - start) >> Self.bucketShift)
        if b >= buckets.count { return transitions.count }
        return transitions.withUnsafeBufferPointer { t in
            var k = Int(buckets[b])
            while k < t.count && t[k] <= utc { k += 1 }
            return k
        }
    }

    /// Seconds east of UTC in force at `utc`.
    func offset(atUTC utc: Int64) -> Int { Int(offsets[interval(atUTC: utc)]) }

    func utc(fromLocal local: Int64, policy: DSTPolicy) throws -> Int64 {
        let n = transitions.count
        if n == 0 { return local - Int64(offsets[0]) }
        // The instant is within a day of `local`, so its interval is next to `local`'s (zones never change offset
        // three times in a day).
        let guess = interval(atUTC: local)
        // The common case: one interval fits and its neighbours do not.
        let u = local - Int64(offsets[guess])
        if (guess == 0 || u >= transitions[guess - 1]) && (guess == n || u < transitions[guess])
            && (guess == 0 || local - Int64(offsets[guess - 1]) >= transitions[guess - 1])
            && (guess == n || local - Int64(offsets[guess + 1]) < transitions[guess])
        {
            return u
        }
        var first: Int64? = nil
        var last: Int64? = nil
        var lastInterval = 0
        for m in max(0, guess - 2)...min(n, guess + 2) {
            let u = local - Int64(offsets[m])
            if (m == 0 || u >= transitions[m - 1]) && (m == n || u < transitions[m]) {
                if first == nil { first = u }
                last = u
                lastInterval = m
            }
        }
        if let first, let last {
            if first == last { return first }
            switch policy {
            case .earlier: return first
            case .later: return last
            case .error:
                throw TimestampError(
                    "local time \(Self.describe(local)) occurs twice in \(identifier) (the clocks go back at "
                        + "\(Timestamp(seconds: transitions[lastInterval - 1]).iso8601)); set dst_policy: earlier or later, "
                        + "or include the offset in the data")
            }
        }
        // A gap: find the transition that skips `local`.
        for k in max(0, guess - 3)..<min(n, guess + 3) {
            let before = Int64(offsets[k]), after = Int64(offsets[k + 1])
            let t = transitions[k]
            if after > before && local >= t + before && local < t + after {
                switch policy {
                case .earlier: return local - before
                case .later: return local - after
                case .error:
                    throw TimestampError(
                        "local time \(Self.describe(local)) does not exist in \(identifier) (the clocks go forward at "
                            + "\(Timestamp(seconds: t).iso8601)); set dst_policy: earlier or later, or include the "
                            + "offset in the data")
                }
            }
        }
        return local - Int64(offsets[guess])
    }

    static func describe(_ local: Int64) -> String {
        let c = CivilTime(epochSeconds: local)
        var out: [UInt8] = []
        c.appendDate(to: &out)
        out.append(UInt8(ascii: " "))
        c.appendTime(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// The time zone abbreviations accepted in data and in `default_timezone`, each as a fixed offset.
///
/// An abbreviation always means its offset, whatever the date (`PST` is `-08:00` even in July), as in Ruby's
/// `Date._strptime`. Abbreviations with several common meanings (`CST`, `IST`, `BST`, `AST`) are refused.
public enum ZoneAbbreviations {
    /// The result of looking a name up.
    enum Match {
        case offset(Int)
        case ambiguous(String)
        case unknown
    }

    /// Unambiguous abbreviations and their offsets in seconds east of UTC.
    public static let offsets: [(name: String, seconds: Int)] = [
        ("UTC", 0), ("GMT", 0), ("UT", 0), ("Z", 0), ("WET", 0), ("WEST", 3600),
        ("CET", 3600), ("CEST", 7200), ("MET", 3600), ("MEST", 7200), ("EET", 7200), ("EEST", 10800),
        ("MSK", 10800), ("PKT", 18000), ("ICT", 25200), ("WIB", 25200), ("HKT", 28800), ("SGT", 28800),
        ("AWST", 28800), ("PHT", 28800), ("JST", 32400), ("KST", 32400), ("ACST", 34200), ("ACDT", 37800),
        ("AEST", 36000), ("AEDT", 39600), ("NZST", 43200), ("NZDT", 46800),
        ("HST", -36000), ("AKST", -32400), ("AKDT", -28800), ("PST", -28800), ("PDT", -25200),
        ("MST", -25200), ("MDT", -21600), ("CDT", -18000), ("EST", -18000), ("EDT", -14400),
        ("NST", -12600), ("NDT", -9000),
    ]

    /// Abbreviations refused because they have several meanings.
    public static let ambiguous: [(name: String, meanings: String)] = [
        ("CST", "US Central Standard Time -06:00, China Standard Time +08:00 or Cuba Standard Time -05:00"),
        ("IST", "India Standard Time +05:30, Israel Standard Time +02:00 or Irish Standard Time +01:00"),
        ("BST", "British Summer Time +01:00 or Bangladesh Standard Time +06:00"),
        ("AST", "Atlantic Standard Time -04:00 or Arabia Standard Time +03:00"),
    ]

    static let offsetBytes: [([UInt8], Int)] = offsets.map { (Array($0.name.utf8), $0.seconds) }
    static let ambiguousBytes: [([UInt8], String)] = ambiguous.map { (Array($0.name.utf8), $0.meanings) }

    /// The accepted abbreviations, for messages.
    static let knownNames = offsets.map(\.name).joined(separator: ", ")

    /// Looks `name` up, ignoring letter case.
    static func lookup(_ name: ArraySlice<UInt8>) -> Match {
        if let o = offset(of: name) { return .offset(o) }
        for (n, meanings) in ambiguousBytes where equalsUppercased(name, n) { return .ambiguous(meanings) }
        return .unknown
    }

    /// The offset of an unambiguous abbreviation (any letter case), or `nil`.
    @inline(__always)
    static func offset<C: Collection>(of name: C) -> Int? where C.Element == UInt8 {
        if name.count > 4 { return nil }
        for (n, seconds) in offsetBytes where equalsUppercased(name, n) { return seconds }
        return nil
    }

    @inline(__always)
    static func equalsUppercased<C: Collection>(_ a: C, _ upper: [UInt8]) -> Bool where C.Element == UInt8 {
        guard a.count == upper.count else { return false }
        var j = 0
        for c in a {
            let u = (c >= 97 && c <= 122) ? c - 32 : c
            if u != upper[j] { return false }
            j += 1
        }
        return true
    }
}
