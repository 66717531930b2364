import KuraCore
import KuraFormats

/// A column of the `json` parser: its name and type, and where in each record its value is.
public struct JSONColumnOptions: Decodable, Sendable {
    /// Column name (required).
    public var name: String
    /// Column type (required): boolean, long, double, string, timestamp or json.
    public var type: ColumnType
    /// JSON Pointer to the value inside the record, such as `/user/id` or `/tags/0` (default `/` + `name`, with `~`
    /// and `/` in the name escaped).
    public var elementAt: JSONPointer
    /// Timestamp format for a timestamp column's strings (default: the parser's `default_timestamp_format`).
    public var format: String?
    /// Zone of a timestamp column's text when the text has none (default: the parser's `default_timezone`).
    public var timezone: String?
    /// Date used when a timestamp format has no date part (default: the parser's `default_date`).
    public var date: String?

    enum CodingKeys: String, CodingKey {
        case name, type, format, timezone, date
        case elementAt = "element_at"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        type = try ColumnType.named(try c.decode(String.self, forKey: .type), at: decoder.codingPath, CodingKeys.type)
        if let text = try c.decodeIfPresent(String.self, forKey: .elementAt) {
            do {
                elementAt = try JSONPointer(text)
            } catch {
                throw ConfigError(
                    at: decoder.codingPath, CodingKeys.elementAt, error.message,
                    fix: "write a JSON Pointer such as '/\(name)' or '/a/b/0'")
            }
        } else {
            elementAt = JSONPointer(tokens: [Array(name.utf8)])
        }
        format = try c.decodeIfPresent(String.self, forKey: .format)
        timezone = try c.decodeIfPresent(String.self, forKey: .timezone)
        date = try c.decodeIfPresent(String.self, forKey: .date)
    }
}

extension JSONParserPlugin {
    /// Options of the `json` parser, with Embulk's names and defaults.
    public struct Options: Decodable, Sendable {
        /// Fail the run on the first invalid record instead of rejecting it (default false).
        public var stopOnInvalidRecord: Bool
        /// What to do with undefined escapes such as `\a` and lone surrogates (default `PASSTHROUGH`: invalid).
        public var invalidStringEscapes: JSONInvalidEscapes
        /// JSON Pointer to the record inside each value, such as `/data` (default: none, the value itself).
        public var root: JSONPointer?
        /// Make each element of an array (the value, or the one at `root`) a record (default false).
        public var flattenJSONArray: Bool
        /// The typed columns (default: none, which gives one json column `record` holding each object).
        public var columns: [JSONColumnOptions]
        /// `default_timezone`, `default_timestamp_format`, `default_date` and `dst_policy` (see `TimestampDefaults`).
        public var timestamps: TimestampDefaults
        /// Character set of the input, by Embulk's (Java's) name or alias: UTF-8, UTF-16, UTF-16LE, UTF-16BE,
        /// Shift_JIS, windows-31j (MS932, CP932), EUC-JP, ISO-8859-1 (Latin-1), windows-1252 (CP1252) or US-ASCII
        /// (default `UTF-8`). Other charsets are converted to UTF-8 with iconv before parsing.
        public var charset: Charset
        /// What to do with bytes that are invalid in `charset`: `reject` the record holding them with
        /// `INVALID_ENCODING`, or `replace` them with U+FFFD and load it (default `reject`). Set as `invalid_utf8`
        /// for UTF-8 and as `invalid_bytes` for other charsets.
        public var invalidBytes: InvalidBytePolicy
        /// Largest top-level value in bytes (default 16777216, 16 MiB; with `flatten_json_array`, the whole array). A
        /// larger one is rejected with `RECORD_TOO_LARGE` once this many bytes are read, and the rest of its line
        /// is skipped unread.
        public var maxRecordSize: Int
        /// Line break style (`CRLF`, `LF`, `CR`); accepted for compatibility and ignored, since JSON needs none
        /// (default `CRLF`).
        public var newline: String

        enum CodingKeys: String, CodingKey {
            case root, columns, charset, newline
            case invalidUTF8 = "invalid_utf8"
            case invalidBytes = "invalid_bytes"
            case stopOnInvalidRecord = "stop_on_invalid_record"
            case invalidStringEscapes = "invalid_string_escapes"
            case flattenJSONArray = "flatten_json_array"
            case maxRecordSize = "max_record_size"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            stopOnInvalidRecord = try c.decodeIfPresent(Bool.self, forKey: .stopOnInvalidRecord) ?? false
            invalidStringEscapes =
                try c.decodeIfPresent(JSONInvalidEscapes.self, forKey: .invalidStringEscapes) ?? .passthrough
            if let text = try c.decodeIfPresent(String.self, forKey: .root) {
                do {
                    root = try JSONPointer(text)
                } catch {
                    throw ConfigError(
                        at: decoder.codingPath, CodingKeys.root, error.message, fix: "write a JSON Pointer such as '/data'")
                }
            } else {
                root = nil
            }
            flattenJSONArray = try c.decodeIfPresent(Bool.self, forKey: .flattenJSONArray) ?? false
            columns = try c.decodeIfPresent([JSONColumnOptions].self, forKey: .columns) ?? []
            timestamps = try TimestampDefaults(from: decoder)
            (charset, invalidBytes) = try Charset.decodeOptions(
                c, decoder.codingPath, charset: .charset, utf8: .invalidUTF8, other: .invalidBytes)
            maxRecordSize = try c.decodeIfPresent(Int.self, forKey: .maxRecordSize) ?? 16 * 1024 * 1024
            if maxRecordSize < 16 {
                throw ConfigError(at: decoder.codingPath, CodingKeys.maxRecordSize, "must be at least 16 (bytes)")
            }
            newline = try c.decodeIfPresent(String.self, forKey: .newline) ?? "CRLF"
            guard ["CRLF", "LF", "CR"].contains(newline.uppercased()) else {
                throw ConfigError(
                    at: decoder.codingPath, CodingKeys.newline, "'\(newline)' is not a valid value",
                    fix: "valid values: CRLF, LF, CR")
            }
            var seen = Set<String>()
            for (i, col) in columns.enumerated() where !seen.insert(col.name).inserted {
                throw ConfigError(
                    at: decoder.codingPath + [CodingKeys.columns], nil,
                    "columns[\(i)]: duplicate column name '\(col.name)'", fix: "give each column a distinct name")
            }
        }
    }
}
