import KuraCore
import KuraFormats

extension CSVFormatterPlugin {
    /// When a field is put between quotes.
    public enum QuotePolicy: String, ConfigEnum, Codable, Sendable {
        /// Every value is quoted (nulls are written as `null_string`, unquoted).
        case all = "ALL"
        /// Only values that contain the delimiter, the quote, CR or LF, or that equal `null_string`, are quoted.
        case minimal = "MINIMAL"
        /// Nothing is quoted; the delimiter, the quote, line breaks and the escape character itself get the
        /// escape character before them.
        case none = "NONE"
    }

    /// A line break.
    public enum Newline: String, ConfigEnum, Codable, Sendable {
        /// A line feed, as on Unix.
        case lf = "LF"
        /// A carriage return and a line feed, as on Windows.
        case crlf = "CRLF"
        /// A carriage return alone, as on classic Mac OS.
        case cr = "CR"

        /// The bytes of the line break.
        public var bytes: [UInt8] {
            switch self {
            case .lf: return [10]
            case .crlf: return [13, 10]
            case .cr: return [13]
            }
        }
    }

    /// How one timestamp column is written.
    public struct ColumnOption: Codable, Sendable, Equatable {
        /// The strftime-style format (default: `default_timestamp_format`).
        public var format: String?
        /// The time zone (default: `default_timezone`).
        public var timezone: String?

        enum CodingKeys: String, CodingKey {
            case format, timezone
        }

        public init(format: String? = nil, timezone: String? = nil) {
            self.format = format
            self.timezone = timezone
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            format = try c.decodeIfPresent(String.self, forKey: .format)
            timezone = try c.decodeIfPresent(String.self, forKey: .timezone)
            try validateTimestampOptions(format: format, timezone: timezone, at: c.codingPath, CodingKeys.format, CodingKeys.timezone)
        }
    }

    /// The options of the `csv` formatter, as in Embulk's `CsvFormatterPlugin`.
    public struct Options: Codable, Sendable, Equatable {
        /// The text between fields; may be several characters (default: `,`).
        public var delimiter: String
        /// The character put around quoted fields (default: `"`).
        public var quote: String
        /// When fields are quoted: `ALL`, `MINIMAL` or `NONE` (default: `MINIMAL`).
        public var quotePolicy: QuotePolicy
        /// The character put before a quote inside a field (default: the quote itself, so quotes are doubled; `\`
        /// with `quote_policy: NONE`).
        public var escape: String?
        /// Whether the first line holds the column names (default: true).
        public var headerLine: Bool
        /// The line break after each record: `LF`, `CRLF` or `CR` (default: `CRLF`).
        public var newline: Newline
        /// What a line break inside a value becomes: `LF`, `CRLF` or `CR` (default: `LF`).
        public var newlineInField: Newline
        /// The output character set; only `UTF-8` for now (default: `UTF-8`).
        public var charset: String
        /// The text written for a null value (default: empty).
        public var nullString: String
        /// The time zone timestamps are written in (default: `UTC`).
        public var defaultTimezone: String
        /// The strftime-style format of timestamps (default: `%Y-%m-%d %H:%M:%S.%6N %z`).
        public var defaultTimestampFormat: String
        /// Per-column `format` and `timezone` for timestamp columns, by column name (default: none).
        public var columnOptions: [(name: String, option: ColumnOption)]

        enum CodingKeys: String, CodingKey {
            case delimiter, quote
            case quotePolicy = "quote_policy"
            case escape
            case headerLine = "header_line"
            case newline
            case newlineInField = "newline_in_field"
            case charset
            case nullString = "null_string"
            case defaultTimezone = "default_timezone"
            case defaultTimestampFormat = "default_timestamp_format"
            case columnOptions = "column_options"
        }

        /// Embulk's default timestamp format for the CSV formatter.
        public static let defaultFormat = "%Y-%m-%d %H:%M:%S.%6N %z"

        public init(
            delimiter: String = ",", quote: String = "\"", quotePolicy: QuotePolicy = .minimal, escape: String? = nil,
            headerLine: Bool = true, newline: Newline = .crlf, newlineInField: Newline = .lf, charset: String = "UTF-8",
            nullString: String = "", defaultTimezone: String = "UTC", defaultTimestampFormat: String = Options.defaultFormat,
            columnOptions: [(name: String, option: ColumnOption)] = []
        ) {
            self.delimiter = delimiter
            self.quote = quote
            self.quotePolicy = quotePolicy
            self.escape = escape
            self.headerLine = headerLine
            self.newline = newline
            self.newlineInField = newlineInField
            self.charset = charset
            self.nullString = nullString
            self.defaultTimezone = defaultTimezone
            self.defaultTimestampFormat = defaultTimestampFormat
            self.columnOptions = columnOptions
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                delimiter: try c.decodeIfPresent(String.self, forKey: .delimiter) ?? ",",
                quote: try c.decodeIfPresent(String.self, forKey: .quote) ?? "\"",
                quotePolicy: try c.decodeIfPresent(QuotePolicy.self, forKey: .quotePolicy) ?? .minimal,
                escape: try c.decodeIfPresent(String.self, forKey: .escape),
                headerLine: try c.decodeIfPresent(Bool.self, forKey: .headerLine) ?? true,
                newline: try c.decodeIfPresent(Newline.self, forKey: .newline) ?? .crlf,
                newlineInField: try c.decodeIfPresent(Newline.self, forKey: .newlineInField) ?? .lf,
                charset: try c.decodeIfPresent(String.self, forKey: .charset) ?? "UTF-8",
                nullString: try c.decodeIfPresent(String.self, forKey: .nullString) ?? "",
                defaultTimezone: try c.decodeIfPresent(String.self, forKey: .defaultTimezone) ?? "UTC",
                defaultTimestampFormat: try c.decodeIfPresent(String.self, forKey: .defaultTimestampFormat)
                    ?? Options.defaultFormat,
                columnOptions: try c.decodeIfPresent(ColumnOptionMap.self, forKey: .columnOptions)?.entries ?? [])
            let path = c.codingPath
            guard !delimiter.isEmpty else {
                throw ConfigError(at: path, CodingKeys.delimiter, "delimiter must not be empty", fix: "use ',' or \"\\t\"")
            }
            guard quote.count == 1 else {
                throw ConfigError(
                    at: path, CodingKeys.quote, "quote must be exactly one character, got '\(quote)'", fix: "use '\"' or \"'\"")
            }
            guard delimiter != quote else {
                throw ConfigError(
                    at: path, CodingKeys.delimiter, "delimiter and quote are both '\(quote)'", fix: "choose different characters")
            }
            if let escape, escape.count != 1 {
                throw ConfigError(
                    at: path, CodingKeys.escape, "escape must be exactly one character, got '\(escape)'",
                    fix: "use '\\\\' or '\"', or remove it to double quotes")
            }
            let normalized = charset.uppercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
            guard normalized == "UTF8" else {
                throw ConfigError(
                    at: path, CodingKeys.charset, "charset '\(charset)' is not supported yet: the csv formatter writes UTF-8 only",
                    fix: "remove 'charset' or set it to UTF-8")
            }
            try validateTimestampOptions(
                format: defaultTimestampFormat, timezone: defaultTimezone, at: path,
                CodingKeys.defaultTimestampFormat, CodingKeys.defaultTimezone)
        }

        /// The escape character in effect: `escape`, or the quote (`\` with `quote_policy: NONE`), as Embulk.
        public var effectiveEscape: String { escape ?? (quotePolicy == .none ? "\\" : quote) }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(delimiter, forKey: .delimiter)
            try c.encode(quote, forKey: .quote)
            try c.encode(quotePolicy, forKey: .quotePolicy)
            try c.encodeIfPresent(escape, forKey: .escape)
            try c.encode(headerLine, forKey: .headerLine)
            try c.encode(newline, forKey: .newline)
            try c.encode(newlineInField, forKey: .newlineInField)
            try c.encode(charset, forKey: .charset)
            try c.encode(nullString, forKey: .nullString)
            try c.encode(defaultTimezone, forKey: .defaultTimezone)
            try c.encode(defaultTimestampFormat, forKey: .defaultTimestampFormat)
            try c.encode(ColumnOptionMap(entries: columnOptions), forKey: .columnOptions)
        }

        public static func == (a: Options, b: Options) -> Bool {
            a.delimiter == b.delimiter && a.quote == b.quote && a.quotePolicy == b.quotePolicy && a.escape == b.escape
                && a.headerLine == b.headerLine && a.newline == b.newline && a.newlineInField == b.newlineInField
                && a.charset == b.charset && a.nullString == b.nullString && a.defaultTimezone == b.defaultTimezone
                && a.defaultTimestampFormat == b.defaultTimestampFormat
                && a.columnOptions.map(\.name) == b.columnOptions.map(\.name)
                && a.columnOptions.map(\.option) == b.columnOptions.map(\.option)
        }
    }
}

/// Throws a `ConfigError` when `format` or `timezone` cannot be used to write timestamps.
func validateTimestampOptions(
    format: String?, timezone: String?, at path: [CodingKey], _ formatKey: CodingKey, _ zoneKey: CodingKey
) throws {
    if let timezone, ZoneRule(name: timezone) == nil {
        throw ConfigError(
            at: path, zoneKey, "unknown time zone '\(timezone)'",
            fix: "use UTC, an offset such as '+09:00', or a zone name such as 'Asia/Tokyo'")
    }
    if let format {
        do {
            _ = try TimestampFormatter(format: format)
        } catch let e as TimestampError {
            throw ConfigError(at: path, formatKey, "timestamp format '\(format)': \(e.message)")
        }
    }
}

/// `column_options`: a mapping of column names to options, kept in the order written.
struct ColumnOptionMap: Codable {
    var entries: [(name: String, option: CSVFormatterPlugin.ColumnOption)]

    init(entries: [(name: String, option: CSVFormatterPlugin.ColumnOption)]) { self.entries = entries }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: NameKey.self)
        entries = try c.allKeys.map { ($0.stringValue, try c.decode(CSVFormatterPlugin.ColumnOption.self, forKey: $0)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: NameKey.self)
        for (name, option) in entries { try c.encode(option, forKey: NameKey(stringValue: name)) }
    }
}

/// A coding key for names chosen by the user (column names).
struct NameKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
