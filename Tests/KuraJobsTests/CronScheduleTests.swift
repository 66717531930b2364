import KuraCore
import KuraFormats
import Testing

@testable import KuraJobs

/// Cron fire times: fields, day semantics, macros, errors, and daylight-saving changes as ISC cron handles them.
@Suite struct CronScheduleTests {
    func next(_ expr: String, from: String, tz: String = "UTC", count: Int = 3) throws -> [String] {
        let zone = try ZoneRule.resolve(tz)
        let start = try #require(TimeText.instant(from, zone: .utc))
        return try CronSchedule(CronExpression(expr), zone: zone).next(after: start, count: count).map(\.iso8601)
    }

    @Test(arguments: [
        ("*/15 * * * *", "2024-01-01T00:07:00Z", ["2024-01-01T00:15:00Z", "2024-01-01T00:30:00Z", "2024-01-01T00:45:00Z"]),
        ("0 9-17/4 * * mon-fri", "2024-01-05T12:00:00Z", ["2024-01-05T13:00:00Z", "2024-01-05T17:00:00Z", "2024-01-08T09:00:00Z"]),
        ("30 2 1,15 * *", "2024-01-01T03:00:00Z", ["2024-01-15T02:30:00Z", "2024-02-01T02:30:00Z", "2024-02-15T02:30:00Z"]),
        // Both day fields restricted: the 13th or any Friday.
        ("0 0 13 * 5", "2024-09-01T00:00:00Z", ["2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z"]),
        // A day-of-week field starting with '*' leaves the day of month alone in charge: the 1st, if its weekday is even.
        ("0 0 1 * */2", "2024-01-01T00:00:00Z", ["2024-02-01T00:00:00Z", "2024-06-01T00:00:00Z", "2024-08-01T00:00:00Z"]),
        ("0 12 * * 7", "2024-01-01T00:00:00Z", ["2024-01-07T12:00:00Z", "2024-01-14T12:00:00Z", "2024-01-21T12:00:00Z"]),
        ("0 0 29 2 *", "2024-03-01T00:00:00Z", ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"]),
        ("5/20 0 * * *", "2024-01-01T00:00:00Z", ["2024-01-01T00:05:00Z", "2024-01-01T00:25:00Z", "2024-01-01T00:45:00Z"]),
        ("0 0 * JAN,jul SUN", "2024-06-01T00:00:00Z", ["2024-07-07T00:00:00Z", "2024-07-14T00:00:00Z", "2024-07-21T00:00:00Z"]),
        ("@weekly", "2024-01-01T00:00:00Z", ["2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z", "2024-01-21T00:00:00Z"]),
        ("@monthly", "2024-01-31T23:59:59Z", ["2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z"]),
        ("@yearly", "2024-01-01T00:00:00Z", ["2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"]),
        ("@hourly", "2024-01-01T00:00:00.5Z", ["2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z", "2024-01-01T03:00:00Z"]),
    ])
    func fireTimesInUTC(_ expr: String, _ from: String, _ expected: [String]) throws {
        #expect(try next(expr, from: from) == expected)
    }

    @Test func fireTimesAreStrictlyAfterTheStart() throws {
        #expect(try next("0 * * * *", from: "2024-01-01T05:00:00Z", count: 1) == ["2024-01-01T06:00:00Z"])
        #expect(try next("0 0 30 2 *", from: "2024-01-01T00:00:00Z") == [])
    }

    @Test func fixedTimeJobsMoveOutOfGapsAndRunOnceInOverlaps() throws {
        let ny = "America/New_York"  // 2024-03-10 02:00 → 03:00 at 07:00Z; 2024-11-03 02:00 → 01:00 at 06:00Z
        #expect(try next("30 2 * * *", from: "2024-03-09T00:00:00Z", tz: ny) ==
            ["2024-03-09T07:30:00Z", "2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z"])
        #expect(try next("0,30 2 * * *", from: "2024-03-10T00:00:00Z", tz: ny) ==
            ["2024-03-10T07:00:00Z", "2024-03-11T06:00:00Z", "2024-03-11T06:30:00Z"])
        #expect(try next("30 1 * * *", from: "2024-11-02T12:00:00Z", tz: ny) ==
            ["2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z", "2024-11-05T06:30:00Z"])
        // A 30-minute change: Lord Howe Island goes from +10:30 to +11:00 at 02:00 on 2024-10-06.
        #expect(try next("15 2 * * *", from: "2024-10-05T00:00:00Z", tz: "Australia/Lord_Howe", count: 2) ==
            ["2024-10-05T15:30:00Z", "2024-10-06T15:15:00Z"])
    }

    @Test func wildcardJobsFireAtEveryRealMatchingInstant() throws {
        let ny = "America/New_York"
        #expect(try next("*/30 1-2 * * *", from: "2024-11-03T04:00:00Z", tz: ny, count: 6) == [
            "2024-11-03T05:00:00Z", "2024-11-03T05:30:00Z", "2024-11-03T06:00:00Z", "2024-11-03T06:30:00Z",
            "2024-11-03T07:00:00Z", "2024-11-03T07:30:00Z",
        ])
        #expect(try next("30 * * * *", from: "2024-03-10T05:00:00Z", tz: ny, count: 3) ==
            ["2024-03-10T05:30:00Z", "2024-03-10T06:30:00Z", "2024-03-10T07:30:00Z"])
    }

    /// For wildcard jobs the rule is "every instant whose wall-clock time matches": checked minute by minute
    /// against the zone's offsets, an independent computation of the same thing.
    @Test(arguments: ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Tokyo", "America/Santiago"])
    func wildcardJobsAgreeWithAMinuteByMinuteScan(tz: String) throws {
        let zone = try ZoneRule.resolve(tz)
        let expressions = ["*/7 * * * *", "* 0-3 * * *", "*/20 */2 * * 0,6", "*/5 1,2 1-10 3,4,9,10,11 *"]
        for year: Int64 in [2024] {
            for month in [3, 4, 9, 10, 11] {
                let start = daysFromCivil(year, month, 1) * 86_400
                for expr in expressions {
                    let e = try CronExpression(expr)
                    let got = CronSchedule(e, zone: zone).next(after: Timestamp(seconds: start - 1), count: 50_000)
                        .map { $0.nanos / 1_000_000_000 }.filter { $0 < start + 31 * 86_400 }
                    let (hours, minutes) = (Set(e.hourList), Set(e.minuteList))
                    var want: [Int64] = []
                    for t in stride(from: start, to: start + 31 * 86_400, by: 60) {
                        let local = CivilTime(epochSeconds: t + Int64(zone.offset(atUTC: t)))
                        let day = daysFromCivil(local.year, local.month, local.day)
                        if e.matchesDay(month: local.month, day: local.day, weekday: Int(((day % 7) + 11) % 7)),
                            hours.contains(local.hour), minutes.contains(local.minute), local.second == 0
                        {
                            want.append(t)
                        }
                    }
                    #expect(got == want, "\(expr) in \(tz), \(year)-\(month)")
                }
            }
        }
    }

    @Test func previousIsTheLatestFireTimeAtOrBefore() throws {
        let s = try CronSchedule("30 2 * * *", zone: "Asia/Tokyo")
        let at = try #require(TimeText.instant("2024-05-01T17:30:00Z", zone: .utc))  // 02:30 JST on May 2
        #expect(s.previous(atOrBefore: at)?.iso8601 == "2024-05-01T17:30:00Z")
        #expect(s.previous(atOrBefore: Timestamp(nanos: at.nanos - 1))?.iso8601 == "2024-04-30T17:30:00Z")
    }

    @Test(arguments: [
        ("61 * * * *", "minute field (1 of 5)", "out of range 0-59"),
        ("0 24 * * *", "hour field (2 of 5)", "out of range 0-23"),
        ("0 0 0 * *", "day-of-month field (3 of 5)", "out of range 1-31"),
        ("0 0 * 13 *", "month field (4 of 5)", "out of range 1-12"),
        ("0 0 * * 8", "day-of-week field (5 of 5)", "out of range 0-7"),
        ("0 0 * * fry", "day-of-week field", "'fry' is not a value"),
        ("5-1 * * * *", "minute field", "runs backwards"),
        ("*/0 * * * *", "minute field", "not a positive number"),
        ("1,,2 * * * *", "minute field", "empty list item"),
        ("* * * *", "expected 5 fields", "got 4"),
        ("@reboot", "unknown macro", "@daily"),
    ])
    func invalidExpressionsPointAtTheField(_ expr: String, _ place: String, _ what: String) {
        #expect {
            _ = try CronExpression(expr)
        } throws: { error in
            let text = "\(error)"
            return text.contains(place) && text.contains(what) && text.contains(expr)
        }
    }

    @Test func fixedTimeMeansNeitherMinuteNorHourStartsWithAStar() throws {
        #expect(try CronExpression("0 2 * * *").isFixedTime)
        #expect(try CronExpression("0-59 2 * * *").isFixedTime)
        #expect(try !CronExpression("*/5 2 * * *").isFixedTime)
        #expect(try !CronExpression("0 * * * *").isFixedTime)
        #expect(try !CronExpression("@hourly").isFixedTime)
        #expect(try CronExpression("@daily").isFixedTime)
    }

    @Test func timesWithoutAZoneAreWallClockTimeInTheZone() throws {
        let tokyo = try ZoneRule.resolve("Asia/Tokyo")
        #expect(TimeText.instant("2024-05-01", zone: tokyo)?.iso8601 == "2024-04-30T15:00:00Z")
        #expect(TimeText.instant("2024-05-01 09:30", zone: tokyo)?.iso8601 == "2024-05-01T00:30:00Z")
        #expect(TimeText.instant("2024-05-01T09:30:00+09:00", zone: .utc)?.iso8601 == "2024-05-01T00:30:00Z")
        #expect(TimeText.instant("yesterday", zone: .utc) == nil)
    }
}
