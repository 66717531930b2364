import KuraCore
import KuraFormats

/// Which sessions a backfill runs: every fire time of a job's schedule whose session date (in the job's zone)
/// lies in an inclusive range of dates.
public enum BackfillPlanner {
    /// The session times, ascending, of `schedule` on the local dates `from` through `to` (`YYYY-MM-DD`, both
    /// included); nil when a date cannot be read or `to` is before `from`.
    public static func sessions(_ schedule: CronSchedule, from: String, to: String) -> [Timestamp]? {
        guard let first = localDay(from), let last = localDay(to), first <= last else { return nil }
        var out: [Timestamp] = []
        for day in first...last {
            out += schedule.fireTimes(onLocalDay: day).map { Timestamp(seconds: $0) }
        }
        // A fixed-time job moved out of a gap still belongs to its own day; times stay ascending across days.
        return out
    }

    /// Days since 1970-01-01 of `YYYY-MM-DD`.
    static func localDay(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, let y = Int64(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), d >= 1, d <= daysInMonth(y, m)
        else { return nil }
        return daysFromCivil(y, m, d)
    }
}
