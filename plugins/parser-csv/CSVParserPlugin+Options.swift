import KuraCore
import KuraFormats

/// A column of the `csv` parser: name, type, and how to read its text.
public struct CSVColumnOptions: Decodable, Sendable {
    /// Column name (required).
    public var name: String
    /// Column type (required): boolean, long, double, string, timestamp or json.
    public var type: ColumnType
    /// Timestamp format for a timestamp column (default: the parser's `default_timestamp_format`).
    public var format: String?
    /// Zone of a timestamp column's text when the text has none (default: the parser's `default_timezone`).
    public var timezone: String?
    /// Date used when a timestamp format has no date part (default: the parser's `default_date`).
    public var date: String?

    enum CodingKeys: String, CodingKey { case name, type, format, timezone, date }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        type = try ColumnType.named(try c.decode(String.self, forKey: .type), at: decoder.codingPath, CodingKeys.type)
        format = try c.decodeIfPresent(String.self, forKey: .format)
        timezone = try c.decodeIfPresent(String.self, forKey: .timezone)
        date = try c.decodeIfPresent(String.self, forKey: .date)
    }
}

/// How quotes inside a quoted field are read.
public enum QuotesInQuotedFields: String, ConfigEnum, Sendable {
    /// Only a doubled quote (`""`) stands for a quote inside a quoted field (RFC 4180).
    case acceptOnlyRFC4180Escaped = "ACCEPT_ONLY_RFC4180_ESCAPED"
    /// A quote not followed by the delimiter or a line end is kept as a character (for files that never put a
    /// delimiter inside quotes).
    case acceptStrayQuotes = "ACCEPT_STRAY_QUOTES_ASSUMING_NO_DELIMITERS_IN_FIELDS"
}

/// A line break style.
public enum Newline: String, ConfigEnum, Sendable {
    case CRLF, LF, CR
    /// The bytes of the line break.
    public var bytes: [UInt8] {
        switch self {
        case .CRLF: return [13, 10]
        case .LF: return [10]
        case .CR: return [13]
        }
    }
}

extension CSVParserPlugin {
    /// Options of the `csv` parser, with Embulk's names and defaults.
    public struct Options: Decodable, Sendable {
        /// The columns, in file order (required; `kura guess` writes them).
        public var columns: [CSVColumnOptions]
        /// Field delimiter, one or more characters (default `,`). `\t` may be written as `"\t"`.
        public var delimiter: [UInt8]
        /// Quote character, or null for none (default `"`).
        public var quote: UInt8?
        /// Escape character inside quoted fields, or null for none (default `\`).
        public var escape: UInt8?
        /// Text that stands for null; when unset, an empty unquoted field is null (default: unset).
        public var nullString: [UInt8]?
        /// Physical lines to skip at the start of each file (default 0; `header_line: true` means 1).
        public var skipHeaderLines: Int
        /// Strip spaces around unquoted fields (default false).
        public var trimIfNotQuoted: Bool
        /// How quotes inside quoted fields are read (default `ACCEPT_ONLY_RFC4180_ESCAPED`).
        public var quotesInQuotedFields: QuotesInQuotedFields
        /// Lines starting with this text are skipped (default: none).
        public var commentLineMarker: [UInt8]?
        /// Missing trailing fields become null instead of rejecting the record (default false).
        public var allowOptionalColumns: Bool
        /// Extra trailing fields are ignored instead of rejecting the record (default false).
        public var allowExtraColumns: Bool
        /// Largest quoted field in bytes; a longer one rejects its first line (default 131072).
        public var maxQuotedSizeLimit: Int
        /// Largest record in bytes, its line break included (default 16777216, 16 MiB). A longer record is rejected
        /// with `RECORD_TOO_LARGE` once this many bytes are read, and the rest of its line is skipped unread.
        public var maxRecordSize: Int
        /// Fail the run on the first invalid record instead of rejecting it (default false).
        public var stopOnInvalidRecord: Bool
        /// Character set of the input, by Embulk's (Java's) name or alias: UTF-8, UTF-16, UTF-16LE, UTF-16BE,
        /// Shift_JIS, windows-31j (MS932, CP932), EUC-JP, ISO-8859-1 (Latin-1), windows-1252 (CP1252) or US-ASCII
        /// (default `UTF-8`). Other charsets are converted to UTF-8 with iconv before tokenizing.
        public var charset: Charset
        /// What to do with bytes that are invalid in `charset`: `reject` the record holding them with
        /// `INVALID_ENCODING`, or `replace` them with U+FFFD and load it (default `reject`). Set as `invalid_utf8`
        /// for UTF-8 and as `invalid_bytes` for other charsets.
        public var invalidBytes: InvalidBytePolicy
        /// Line break written for a line break inside a quoted field (default `CRLF`, as Embulk).
        public var newline: Newline
        /// Which line breaks end a line: `CRLF`, `LF` or `CR`; unset means all three (default: unset).
        public var lineDelimiterRecognized: Newline?
        /// `default_timezone`, `default_timestamp_format`, `default_date` and `dst_policy` (see `TimestampDefaults`).
        public var timestamps: TimestampDefaults

        enum CodingKeys: String, CodingKey {
            case columns, delimiter, quote, escape
            case nullString = "null_string"
            case skipHeaderLines = "skip_header_lines"
            case headerLine = "header_line"
            case trimIfNotQuoted = "trim_if_not_quoted"
            case quotesInQuotedFields = "quotes_in_quoted_fields"
            case commentLineMarker = "comment_line_marker"
            case allowOptionalColumns = "allow_optional_columns"
            case allowExtraColumns = "allow_extra_columns"
            case maxQuotedSizeLimit = "max_quoted_size_limit"
            case maxRecordSize = "max_record_size"
            case stopOnInvalidRecord = "stop_on_invalid_record"
            case charset, newline
            case invalidUTF8 = "invalid_utf8"
            case invalidBytes = "invalid_bytes"
            case lineDelimiterRecognized = "line_delimiter_recognized"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            guard c.contains(.columns) else {
                throw ConfigError(
                    at: decoder.codingPath, nil, "the csv parser needs 'columns'",
                    fix: "list the columns (name and type), or run 'kura guess' to write them")
            }
            columns = try c.decode([CSVColumnOptions].self, forKey: .columns)
            if columns.isEmpty {
                throw ConfigError(at: decoder.codingPath, CodingKeys.columns, "'columns' is empty", fix: "list at least one column")
            }
            var seen = Set<String>()
            for (i, col) in columns.enumerated() where !seen.insert(col.name).inserted {
                throw ConfigError(
                    at: decoder.codingPath + [CodingKeys.columns], IndexKey(i),
                    "column name '\(col.name)' appears twice", fix: "give each column its own name")
            }
            let delim = try c.decodeIfPresent(String.self, forKey: .delimiter) ?? ","
            if delim.isEmpty {
                throw ConfigError(at: decoder.codingPath, CodingKeys.delimiter, "the delimiter is empty", fix: "set delimiter: ','")
            }
            delimiter = Array(delim.utf8)
            func singleByte(_ key: CodingKeys, default d: UInt8) throws -> UInt8? {
                guard c.contains(key) else { return d }
                if try c.decodeNil(forKey: key) { return nil }
                let s = try c.decode(String.self, forKey: key)
                if s.isEmpty { return nil }
                let b = Array(s.utf8)
                guard b.count == 1 else {
                    throw ConfigError(
                        at: decoder.codingPath, key, "'\(s)' must be a single ASCII character",
                        fix: "use one character, or null for none")
                }
                return b[0]
            }
            quote = try singleByte(.quote, default: UInt8(ascii: "\""))
            escape = try singleByte(.escape, default: UInt8(ascii: "\\"))
            nullString = try c.decodeIfPresent(String.self, forKey: .nullString).map { Array($0.utf8) }
            let header = try c.decodeIfPresent(Bool.self, forKey: .headerLine)
            skipHeaderLines = try c.decodeIfPresent(Int.self, forKey: .skipHeaderLines) ?? (header == true ? 1 : 0)
            if skipHeaderLines < 0 {
                throw ConfigError(at: decoder.codingPath, CodingKeys.skipHeaderLines, "must not be negative")
            }
            trimIfNotQuoted = try c.decodeIfPresent(Bool.self, forKey: .trimIfNotQuoted) ?? false
            quotesInQuotedFields =
                try c.decodeIfPresent(QuotesInQuotedFields.self, forKey: .quotesInQuotedFields) ?? .acceptOnlyRFC4180Escaped
            if trimIfNotQuoted && quotesInQuotedFields != .acceptOnlyRFC4180Escaped {
                throw ConfigError(
                    at: decoder.codingPath, CodingKeys.quotesInQuotedFields,
                    "ACCEPT_STRAY_QUOTES_ASSUMING_NO_DELIMITERS_IN_FIELDS cannot be combined with trim_if_not_quoted: true",
                    fix: "drop one of the two options")
            }
            commentLineMarker = try c.decodeIfPresent(String.self, forKey: .commentLineMarker).flatMap {
                $0.isEmpty ? nil : Array($0.utf8)
            }
            allowOptionalColumns = try c.decodeIfPresent(Bool.self, forKey: .allowOptionalColumns) ?? false
            allowExtraColumns = try c.decodeIfPresent(Bool.self, forKey: .allowExtraColumns) ?? false
            (maxQuotedSizeLimit, maxRecordSize) = try Self.decodeSizeLimits(c, decoder.codingPath, commentLineMarker)
            stopOnInvalidRecord = try c.decodeIfPresent(Bool.self, forKey: .stopOnInvalidRecord) ?? false
            (charset, invalidBytes) = try Charset.decodeOptions(c, decoder.codingPath, charset: .charset, utf8: .invalidUTF8, other: .invalidBytes)
            newline = try c.decodeIfPresent(Newline.self, forKey: .newline) ?? .CRLF
            lineDelimiterRecognized = try c.decodeIfPresent(Newline.self, forKey: .lineDelimiterRecognized)
            timestamps = try TimestampDefaults(from: decoder)
            if let q = quote, delimiter.first == q {
                throw ConfigError(
                    at: decoder.codingPath, CodingKeys.quote, "the quote character is also the delimiter",
                    fix: "choose a different quote or delimiter")
            }
        }

        /// `max_quoted_size_limit` and `max_record_size`, checked (a comment marker must fit in a record).
        static func decodeSizeLimits(
            _ c: KeyedDecodingContainer<CodingKeys>, _ path: [CodingKey], _ commentLineMarker: [UInt8]?
        ) throws -> (quoted: Int, record: Int) {
            let quoted = try c.decodeIfPresent(Int.self, forKey: .maxQuotedSizeLimit) ?? 131_072
            if quoted <= 0 {
                throw ConfigError(at: path, CodingKeys.maxQuotedSizeLimit, "must be positive")
            }
            let record = try c.decodeIfPresent(Int.self, forKey: .maxRecordSize) ?? 16 * 1024 * 1024
            if record < 16 {
                throw ConfigError(at: path, CodingKeys.maxRecordSize, "must be at least 16 (bytes)")
            }
            if let marker = commentLineMarker, marker.count > record {
                throw ConfigError(
                    at: path, CodingKeys.commentLineMarker, "is longer than max_record_size",
                    fix: "shorten the marker or raise max_record_size")
            }
            return (quoted, record)
        }
    }
}
