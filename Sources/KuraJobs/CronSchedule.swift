import KuraCore
import KuraFormats

/// A cron expression in a time zone: the instants at which it fires.
///
/// The expression is matched against wall-clock time in `zone`. Daylight-saving changes follow ISC cron:
/// - a job with `*` at the start of its minute or hour field fires at every real instant whose wall-clock time
///   matches: not at all for times the clocks skip, twice for times they repeat;
/// - a fixed-time job (neither field starts with `*`) fires once for each matching time: a time the clocks skip
///   fires when the gap ends (at the instant of the change), a repeated time fires on its first pass only.
public struct CronSchedule: Sendable {
    public let expression: CronExpression
    public let zone: ZoneRule

    /// How far `next` and `previous` search before they give up (400 years: one whole Gregorian cycle).
    static let searchDays = 146_097

    public init(_ expression: CronExpression, zone: ZoneRule = .utc) {
        self.expression = expression
        self.zone = zone
    }

    /// Parses `expression` in the zone named `zone` (an IANA name, `UTC` or an offset).
    public init(_ expression: String, zone: String = "UTC") throws {
        self.init(try CronExpression(expression), zone: try ZoneRule.resolve(zone))
    }

    /// The first `count` fire times strictly after `after`, ascending (fewer when the expression stops matching
    /// within 400 years, as `0 0 30 2 *` does at once).
    public func next(after: Timestamp, count: Int = 1) -> [Timestamp] {
        var last = floorSeconds(after)
        var day = localDay(of: last) - 1
        var out: [Timestamp] = []
        var searched = 0
        while out.count < count && searched < Self.searchDays && day < maxDay {
            // Days follow each other in time, so every fire time of a later day is later than this day's.
            for t in fireTimes(onLocalDay: day) where t > last && out.count < count {
                out.append(Timestamp(seconds: t))
                last = t
            }
            day += 1
            searched += 1
        }
        return out
    }

    /// The latest fire time at or before `atOrBefore`, or nil when there is none within 400 years.
    public func previous(atOrBefore: Timestamp) -> Timestamp? {
        let seconds = floorSeconds(atOrBefore)
        var day = localDay(of: seconds) + 1
        for _ in 0..<Self.searchDays where day > minDay {
            if let t = fireTimes(onLocalDay: day).last(where: { $0 <= seconds }) { return Timestamp(seconds: t) }
            day -= 1
        }
        return nil
    }

    /// The fire times (UTC seconds, ascending, no repeats) of the local calendar day `day` (days since
    /// 1970-01-01 in the zone's wall-clock time).
    func fireTimes(onLocalDay day: Int64) -> [Int64] {
        let (_, m, d) = civilFromDays(day)
        let weekday = Int(((day % 7) + 11) % 7)
        guard expression.matchesDay(month: m, day: d, weekday: weekday) else { return [] }
        var times: [Int64] = []
        for hour in expression.hourList {
            for minute in expression.minuteList {
                let local = day * 86_400 + Int64(hour * 3600 + minute * 60)
                switch zone.instants(atLocal: local) {
                case .unique(let t): times.append(t)
                case .repeated(let first, let second):
                    times.append(first)
                    if !expression.isFixedTime { times.append(second) }
                case .skipped(let gapEnd):
                    if expression.isFixedTime { times.append(gapEnd) }
                }
            }
        }
        times.sort()
        var unique: [Int64] = []
        for t in times where unique.last != t { unique.append(t) }
        return unique
    }

    /// The local calendar day (days since 1970-01-01) of the instant `seconds`.
    func localDay(of seconds: Int64) -> Int64 {
        let local = seconds + Int64(zone.offset(atUTC: seconds))
        return local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
    }

    /// The instant in whole seconds, rounded down.
    func floorSeconds(_ t: Timestamp) -> Int64 {
        t.nanos >= 0 ? t.nanos / 1_000_000_000 : (t.nanos - 999_999_999) / 1_000_000_000
    }

    /// The range of days a `Timestamp` can name (1678 to 2261), kept clear of its limits.
    var minDay: Int64 { -106_000 }
    var maxDay: Int64 { 106_000 }
}
