import KuraCore
/// The parser-wide timestamp options of the `csv` and `json` parsers, and how a timestamp column combines its own
/// `format` / `timezone` / `date` with them.
///
/// Read from the parser's section: `default_timezone` (default `UTC`), `default_timestamp_format` (default
/// `%Y-%m-%d %H:%M:%S.%N %z`), `default_date` (default `1970-01-01`) and `dst_policy`, what to do with local times
/// in a daylight-saving gap or overlap (default `earlier`).
public struct TimestampDefaults: Decodable, Sendable {
    /// Zone of timestamp text without one (default `UTC`).
    public var timezone: String
    /// Timestamp format of timestamp columns without `format` (default `%Y-%m-%d %H:%M:%S.%N %z`).
    public var format: String
    /// Date for timestamp formats without a date part (default `1970-01-01`).
    public var date: String
    /// What to do with local times in a daylight-saving gap or overlap (default `earlier`).
    public var dstPolicy: DSTPolicy

    enum CodingKeys: String, CodingKey {
        case timezone = "default_timezone"
        case format = "default_timestamp_format"
        case date = "default_date"
        case dstPolicy = "dst_policy"
    }

    /// Reads the four options from the parser's own section (they sit beside its other options).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timezone = try c.decodeIfPresent(String.self, forKey: .timezone) ?? "UTC"
        format = try c.decodeIfPresent(String.self, forKey: .format) ?? TimestampParser.defaultFormat
        date = try c.decodeIfPresent(String.self, forKey: .date) ?? "1970-01-01"
        dstPolicy = try c.decodeIfPresent(DSTPolicy.self, forKey: .dstPolicy) ?? .earlier
    }

    /// The parser for a timestamp column whose own `format`, `timezone` and `date` (each optional) override these
    /// defaults; throws when the format, zone or date is invalid.
    public func parser(format: String?, timezone: String?, date: String?) throws -> TimestampParser {
        try TimestampParser(
            format: format ?? self.format, defaultZone: timezone ?? self.timezone, defaultDate: date ?? self.date,
            dstPolicy: dstPolicy)
    }
}
