import KuraCore
import KuraFormats

/// The offset of a zone that never changes (UTC, `Z`, `GMT`, `+09:00`…), in seconds, or `nil` for a named zone.
func fixedOffset(of zone: ZoneRule) -> Int? {
    if let offset = ZoneRule.parseOffset(zone.name) { return offset }
    return ["UTC", "Z", "GMT", "UT"].contains(zone.name.uppercased()) ? 0 : nil
}

/// Appends `YYYY-MM-DD` for a day number (days since 1970-01-01; the years of Int64 nanoseconds have four digits).
func appendDate(days: Int64, to out: inout [UInt8]) {
    let (y, m, d) = civilFromDays(days)
    appendPadded(y, width: 4, to: &out)
    out.append(UInt8(ascii: "-"))
    appendPadded(Int64(m), width: 2, to: &out)
    out.append(UInt8(ascii: "-"))
    appendPadded(Int64(d), width: 2, to: &out)
}

extension Float {
    /// The shortest text that reads back as exactly this float, as PostgreSQL writes special values.
    var shortestFloatText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return description
    }
}
