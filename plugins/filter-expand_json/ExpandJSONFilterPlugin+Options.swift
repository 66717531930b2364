import KuraCore
import KuraFormats

extension ExpandJSONFilterPlugin {
    /// The options of the `expand_json` filter, as in Embulk's `embulk-filter-expand_json`.
    public struct Options: Decodable, Sendable {
        /// The string or json column holding the JSON to expand (required).
        public var jsonColumnName: String
        /// The JSONPath that each expanded column's name is appended to (default `$.`).
        public var root: String
        /// The columns to expand, in order; they take the json column's place (required).
        public var expandedColumns: [ExpandedColumn]
        /// Whether the json column stays, before the expanded columns (default false).
        public var keepExpandingJsonColumn: Bool
        /// The zone of timestamp text without an offset, for columns without `timezone` (default `UTC`).
        public var defaultTimezone: String
        /// The format of timestamp columns without `format` (default `%Y-%m-%d %H:%M:%S.%N %z`).
        public var defaultTimestampFormat: String
        /// The date of timestamp formats without a date part (default `1970-01-01`).
        public var defaultDate: String
        /// Whether a record whose JSON is invalid, or whose value does not fit its column, fails the run instead of
        /// being rejected: a rejected record goes to the reject store with its reason (`INVALID_JSON` or `CAST`),
        /// the json column and its value, and counts as rejected, within `exec.max_errors` (default false).
        public var stopOnInvalidRecord: Bool
        /// `LRU` or `NOOP`, accepted for compatibility; kura compiles the paths once and caches nothing (default
        /// none).
        public var cacheProvider: String?

        enum CodingKeys: String, CodingKey {
            case jsonColumnName = "json_column_name", root
            case expandedColumns = "expanded_columns"
            case keepExpandingJsonColumn = "keep_expanding_json_column"
            case defaultTimezone = "default_timezone"
            case defaultTimestampFormat = "default_timestamp_format"
            case defaultDate = "default_date"
            case stopOnInvalidRecord = "stop_on_invalid_record"
            case cacheProvider = "cache_provider"
            case timeZone = "time_zone"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if c.contains(.timeZone) {
                throw ConfigError(at: c.codingPath, CodingKeys.timeZone, "'time_zone' is no longer an option of expand_json",
                    fix: "use 'default_timezone' (or 'timezone' on a column)")
            }
            jsonColumnName = try c.decode(String.self, forKey: .jsonColumnName)
            root = try c.decodeIfPresent(String.self, forKey: .root) ?? "$."
            expandedColumns = try c.decode([ExpandedColumn].self, forKey: .expandedColumns)
            keepExpandingJsonColumn = try c.decodeIfPresent(Bool.self, forKey: .keepExpandingJsonColumn) ?? false
            defaultTimezone = try c.decodeIfPresent(String.self, forKey: .defaultTimezone) ?? "UTC"
            defaultTimestampFormat = try c.decodeIfPresent(String.self, forKey: .defaultTimestampFormat) ?? TimestampParser.defaultFormat
            defaultDate = try c.decodeIfPresent(String.self, forKey: .defaultDate) ?? "1970-01-01"
            stopOnInvalidRecord = try c.decodeIfPresent(Bool.self, forKey: .stopOnInvalidRecord) ?? false
            cacheProvider = try c.decodeIfPresent(String.self, forKey: .cacheProvider)
            if let p = cacheProvider, !["LRU", "NOOP"].contains(p.uppercased()) {
                throw ConfigError(at: c.codingPath, CodingKeys.cacheProvider, "cache provider '\(p)' is not supported",
                    fix: "use LRU or NOOP, or leave it out (kura needs no cache)")
            }
        }
    }

    /// One column of `expanded_columns`.
    public struct ExpandedColumn: Decodable, Sendable {
        /// The column's name, which is also its JSONPath below `root` (`user.name`, `items[0]`) (required).
        public var name: String
        /// The column's type (required).
        public var type: ColumnType
        /// The timestamp format (default: `default_timestamp_format`).
        public var format: String?
        /// The zone of timestamp text without an offset (default: `default_timezone`).
        public var timezone: String?
        /// The date of a timestamp format without a date part (default: `default_date`).
        public var date: String?

        enum CodingKeys: String, CodingKey {
            case name, type, format, timezone, date
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            type = try ColumnType.named(try c.decode(String.self, forKey: .type), at: decoder.codingPath, CodingKeys.type)
            format = try c.decodeIfPresent(String.self, forKey: .format)
            timezone = try c.decodeIfPresent(String.self, forKey: .timezone)
            date = try c.decodeIfPresent(String.self, forKey: .date)
        }
    }
}
