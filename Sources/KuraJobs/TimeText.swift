import KuraCore
import KuraFormats

/// Reads the times users type on the command line (`--from`, `--session`, backfill ranges).
public enum TimeText {
    /// Formats with a zone, tried in order.
    static let zoned = ["%Y-%m-%dT%H:%M:%S.%N%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M:%S%z"]
    /// Formats without a zone, read as wall-clock time in the given zone.
    static let local = ["%Y-%m-%dT%H:%M:%S.%N", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]

    /// The instant `text` names: ISO 8601 with `Z` or an offset (`2024-03-10T07:00:00Z`,
    /// `2024-03-10T02:00:00-05:00`), or a date or date and time without one (`2024-03-10`, `2024-03-10 02:00`),
    /// which is wall-clock time in `zone` (a repeated time means its first pass; a skipped one, the time after the
    /// gap). Nil when the text is none of these.
    public static func instant(_ text: String, zone: ZoneRule) -> Timestamp? {
        for format in zoned {
            if let p = try? TimestampParser(format: format), let nanos = try? p.parse(text) { return Timestamp(nanos: nanos) }
        }
        for format in local {
            if let p = try? TimestampParser(format: format), let nanos = try? p.parse(text) {
                let utc = Timestamp(nanos: nanos)
                let seconds = utc.nanos >= 0 ? utc.nanos / 1_000_000_000 : (utc.nanos - 999_999_999) / 1_000_000_000
                let fraction = utc.nanos - seconds * 1_000_000_000
                guard let resolved = try? zone.utc(fromLocal: seconds, policy: .earlier) else { return nil }
                return Timestamp(seconds: resolved, nanosecond: fraction)
            }
        }
        return nil
    }
}
