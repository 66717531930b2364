import KuraCore
import KuraFormats

/// Calendar units of `date_trunc`, `date_add` and `INTERVAL`.
enum TimeUnit: String, CaseIterable {
    case nanosecond, microsecond, millisecond, second, minute, hour, day, week, month, quarter, year

    /// The unit named `text` (case-insensitive, plural or singular).
    init?(name text: String) {
        var t = text.lowercased()
        if t.hasSuffix("s"), TimeUnit(rawValue: String(t.dropLast())) != nil { t.removeLast() }
        self.init(rawValue: t)
    }

    /// The unit's length in nanoseconds when it is fixed (`week` and shorter).
    var fixedNanos: Int64? {
        switch self {
        case .nanosecond: return 1
        case .microsecond: return 1_000
        case .millisecond: return 1_000_000
        case .second: return 1_000_000_000
        case .minute: return 60_000_000_000
        case .hour: return 3_600_000_000_000
        case .day: return 86_400_000_000_000
        case .week: return 604_800_000_000_000
        default: return nil
        }
    }
}

/// Local wall-clock arithmetic in a zone: instant → local seconds → instant.
struct ZoneClock {
    let zone: ZoneRule

    @inline(__always) func localSeconds(_ nanos: Int64) -> (seconds: Int64, fraction: Int64) {
        let s = nanos >= 0 ? nanos / 1_000_000_000 : (nanos + 1) / 1_000_000_000 - 1
        let f = nanos - s * 1_000_000_000
        return (s + Int64(zone.offset(atUTC: s)), f)
    }

    /// The instant of local seconds `local` (a skipped time moves forward past the gap; a repeated one is the first).
    @inline(__always) func instant(local: Int64, fraction: Int64) -> Int64 {
        let utc = (try? zone.utc(fromLocal: local, policy: .earlier)) ?? local - Int64(zone.offset(atUTC: local))
        return utc * 1_000_000_000 + fraction
    }
}

/// `date_trunc('unit', ts[, 'zone'])`: the start of the unit that holds `ts`, on the zone's wall clock (weeks start
/// on Monday).
final class DateTruncNode: Node {
    let arg: Node
    let unit: TimeUnit
    let clock: ZoneClock
    init(_ arg: Node, unit: TimeUnit, zone: ZoneRule) {
        self.arg = arg
        self.unit = unit
        self.clock = ZoneClock(zone: zone)
        super.init(.timestamp)
    }

    override func eval(_ page: Page) throws -> Vec {
        let a = try arg.eval(page)
        out.reset(a.count)
        out.valid = a.valid
        for r in 0..<a.count where a.valid[r] { out.ints[r] = truncate(a.ints[r]) }
        return out
    }

    @inline(__always) func floorDiv(_ x: Int64, _ d: Int64) -> Int64 { x >= 0 ? x / d : -((-x + d - 1) / d) }

    func truncate(_ nanos: Int64) -> Int64 {
        switch unit {
        case .nanosecond: return nanos
        case .microsecond, .millisecond:
            let u = unit.fixedNanos!
            return floorDiv(nanos, u) * u
        default: break
        }
        let (local, fraction) = clock.localSeconds(nanos)
        _ = fraction
        let days = floorDiv(local, 86_400)
        let secondOfDay = local - days * 86_400
        let truncated: Int64
        switch unit {
        case .second: truncated = local
        case .minute: truncated = days * 86_400 + secondOfDay / 60 * 60
        case .hour: truncated = days * 86_400 + secondOfDay / 3600 * 3600
        case .day: truncated = days * 86_400
        case .week: truncated = (days - (days + 3) %% 7) * 86_400
        default:
            let (y, m, _) = civilFromDays(days)
            let month = unit == .month ? m : unit == .quarter ? (m - 1) / 3 * 3 + 1 : 1
            truncated = daysFromCivil(y, month, 1) * 86_400
        }
        return clock.instant(local: truncated, fraction: 0)
    }
}

infix operator %%: MultiplicationPrecedence
/// The remainder with the sign of the divisor.
@inline(__always) func %% (x: Int64, d: Int64) -> Int64 {
    let r = x % d
    return r < 0 ? r + d : r
}

/// Fields of `extract('field', ts[, 'zone'])`.
enum TimeField: String, CaseIterable {
    case year, quarter, month, week, day, dow, isodow, doy, hour, minute, second, millisecond, microsecond, nanosecond, epoch
}

/// `extract('field', ts[, 'zone'])`: a field of `ts` on the zone's wall clock, as a long.
final class ExtractNode: Node {
    let arg: Node
    let field: TimeField
    let clock: ZoneClock
    init(_ arg: Node, field: TimeField, zone: ZoneRule) {
        self.arg = arg
        self.field = field
        self.clock = ZoneClock(zone: zone)
        super.init(.long)
    }

    override func eval(_ page: Page) throws -> Vec {
        let a = try arg.eval(page)
        out.reset(a.count)
        out.valid = a.valid
        for r in 0..<a.count where a.valid[r] { out.ints[r] = extract(a.ints[r]) }
        return out
    }

    func extract(_ nanos: Int64) -> Int64 {
        let (local, fraction) = clock.localSeconds(nanos)
        let days = local >= 0 ? local / 86_400 : -((-local + 86_399) / 86_400)
        let secondOfDay = local - days * 86_400
        switch field {
        case .epoch: return nanos >= 0 ? nanos / 1_000_000_000 : (nanos + 1) / 1_000_000_000 - 1
        case .hour: return secondOfDay / 3600
        case .minute: return secondOfDay / 60 % 60
        case .second: return secondOfDay % 60
        case .millisecond: return fraction / 1_000_000
        case .microsecond: return fraction / 1_000
        case .nanosecond: return fraction
        case .dow: return (days + 4) %% 7
        case .isodow: return (days + 3) %% 7 + 1
        default: break
        }
        let (y, m, d) = civilFromDays(days)
        switch field {
        case .year: return y
        case .quarter: return Int64((m - 1) / 3 + 1)
        case .month: return Int64(m)
        case .day: return Int64(d)
        case .doy: return days - daysFromCivil(y, 1, 1) + 1
        default: return isoWeek(days: days, year: y)
        }
    }

    /// The ISO 8601 week number (1…53) of the day `days` since the epoch.
    func isoWeek(days: Int64, year: Int64) -> Int64 {
        let isodow = (days + 3) %% 7  // 0 = Monday
        let thursday = days - isodow + 3
        let (ty, _, _) = civilFromDays(thursday)
        return (thursday - daysFromCivil(ty, 1, 1)) / 7 + 1
    }
}

/// `date_add(ts, n, 'unit'[, 'zone'])`, `ts + INTERVAL '…'`, `ts - INTERVAL '…'`: moves `ts` by `n` units. Units
/// up to weeks are exact durations; days and longer move the zone's wall clock (a month from January 31st is the
/// last day of February), so they keep the local time across an offset change.
final class DateAddNode: Node {
    let arg: Node, amount: Node
    let unit: TimeUnit
    let sign: Int64
    let clock: ZoneClock
    let text: String

    init(_ arg: Node, amount: Node, unit: TimeUnit, sign: Int64, zone: ZoneRule, text: String) {
        self.arg = arg
        self.amount = amount
        self.unit = unit
        self.sign = sign
        self.clock = ZoneClock(zone: zone)
        self.text = text
        super.init(.timestamp)
    }

    override func eval(_ page: Page) throws -> Vec {
        let a = try arg.eval(page), k = try amount.eval(page)
        out.reset(a.count)
        combineValidity(out, a, k)
        for r in 0..<a.count where out.valid[r] {
            guard let v = add(a.ints[r], k.ints[r] &* sign) else {
                throw EvaluationError(message: "\(text): moving \(Timestamp(nanos: a.ints[r])) by \(k.ints[r]) \(unit) leaves the timestamp range")
            }
            out.ints[r] = v
        }
        return out
    }

    func add(_ nanos: Int64, _ n: Int64) -> Int64? {
        if let u = unit.fixedNanos, unit != .day, unit != .week {
            let (d, o1) = n.multipliedReportingOverflow(by: u)
            let (v, o2) = nanos.addingReportingOverflow(d)
            return o1 || o2 ? nil : v
        }
        let (local, fraction) = clock.localSeconds(nanos)
        guard abs(n) < 3_000_000 else { return nil }
        let days = local >= 0 ? local / 86_400 : -((-local + 86_399) / 86_400)
        let secondOfDay = local - days * 86_400
        var newDays: Int64
        switch unit {
        case .day: newDays = days + n
        case .week: newDays = days + 7 * n
        default:
            let (y, m, d) = civilFromDays(days)
            let months = unit == .month ? n : unit == .quarter ? 3 * n : 12 * n
            let total = y * 12 + Int64(m - 1) + months
            let ny = total >= 0 ? total / 12 : (total - 11) / 12
            let nm = Int(total - ny * 12) + 1
            newDays = daysFromCivil(ny, nm, min(d, daysInMonth(ny, nm)))
        }
        guard abs(newDays) < 106_000 else { return nil }
        return clock.instant(local: newDays * 86_400 + secondOfDay, fraction: fraction)
    }
}
