import KuraCore
import KuraFormats

extension JSONLFormatterPlugin {
    /// What follows each record, as embulk-formatter-jsonl's `newline`.
    public enum Newline: String, ConfigEnum, Sendable {
        case LF, CRLF, CR
        /// A NUL byte, for `xargs -0` and the like.
        case NUL
        /// Nothing: the objects follow each other on one line.
        case NO
        /// The bytes written after each record.
        public var bytes: [UInt8] {
            switch self {
            case .LF: return [10]
            case .CRLF: return [13, 10]
            case .CR: return [13]
            case .NUL: return [0]
            case .NO: return []
            }
        }
    }

    /// The character encoding of the output, as embulk-formatter-jsonl's `encoding`.
    public enum Encoding: String, ConfigEnum, Sendable {
        case utf8 = "UTF-8"
        case utf16LE = "UTF-16LE"
        case utf16BE = "UTF-16BE"
        case utf32LE = "UTF-32LE"
        case utf32BE = "UTF-32BE"
    }

    /// Options of the `jsonl` formatter, those of embulk-formatter-jsonl.
    public struct Options: Decodable, Sendable {
        /// The output's encoding: `UTF-8`, `UTF-16LE`, `UTF-16BE`, `UTF-32LE` or `UTF-32BE`, without a byte order
        /// mark (default `UTF-8`).
        public var encoding: Encoding
        /// What follows each record: `LF`, `CRLF`, `CR`, `NUL` or `NO` (nothing) (default `LF`).
        public var newline: Newline
        /// How timestamps are written: a Java `SimpleDateFormat` pattern such as `yyyy-MM-dd'T'HH:mm:ss.SSSZ`
        /// (letters y M d H h m s S a E D Z X z and quoted text), or a strftime format when it contains `%`
        /// (default: none, ISO 8601 in UTC such as `2024-01-02T03:04:05Z`, a fraction only when non-zero).
        public var dateFormat: String?
        /// The time zone `date_format` writes in: an IANA name, an offset such as `+09:00`, or an abbreviation
        /// such as `JST`; needs `date_format` (default `UTC`).
        public var timezone: String?
        /// String columns whose text is JSON, written as nested JSON values instead of strings; json columns
        /// are always nested (default: none).
        public var jsonColumns: [String]
        /// `date_format` as a strftime format, for the timestamp formatter.
        public let strftimeFormat: String?

        enum CodingKeys: String, CodingKey {
            case encoding, newline, timezone
            case dateFormat = "date_format"
            case jsonColumns = "json_columns"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            encoding = try c.decodeIfPresent(Encoding.self, forKey: .encoding) ?? .utf8
            newline = try c.decodeIfPresent(Newline.self, forKey: .newline) ?? .LF
            dateFormat = try c.decodeIfPresent(String.self, forKey: .dateFormat)
            timezone = try c.decodeIfPresent(String.self, forKey: .timezone)
            jsonColumns = try c.decodeIfPresent([String].self, forKey: .jsonColumns) ?? []
            if timezone != nil && dateFormat == nil {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.timezone, "timezone applies to date_format, which is not set",
                    fix: "set date_format too, e.g. date_format: \"yyyy-MM-dd'T'HH:mm:ssXXX\", or remove timezone")
            }
            if let dateFormat {
                do {
                    let format = dateFormat.contains("%") ? dateFormat : try JavaDateFormat.strftime(dateFormat)
                    _ = try TimestampFormatter(format: format, zone: timezone ?? "UTC")
                    strftimeFormat = format
                } catch let e as TimestampError {
                    let key = e.message.contains("zone") ? CodingKeys.timezone : CodingKeys.dateFormat
                    throw ConfigError(at: c.codingPath, key, e.message, fix: "fix \(key.stringValue)")
                }
            } else {
                strftimeFormat = nil
            }
        }
    }
}

/// Translates Java `SimpleDateFormat` patterns (what embulk-formatter-jsonl's `date_format` takes) into strftime
/// formats.
enum JavaDateFormat {
    /// The strftime format for `pattern`; throws a `TimestampError` naming a letter or width it cannot write.
    static func strftime(_ pattern: String) throws -> String {
        let chars = Array(pattern)
        var out = ""
        var i = 0
        while i < chars.count {
            let ch = chars[i]
            if ch == "'" {
                i = literal(chars, from: i + 1, into: &out)
                continue
            }
            guard ch.isASCII && ch.isLetter else {
                out += ch == "%" ? "%%" : String(ch)
                i += 1
                continue
            }
            var run = 1
            while i + run < chars.count && chars[i + run] == ch { run += 1 }
            guard let directive = directive(ch, run) else {
                throw TimestampError(
                    "date_format '\(pattern)': '\(String(repeating: ch, count: run))' is not supported; use yyyy, yy, MM, MMM, MMMM, dd, DDD, HH, hh, mm, ss, SSS, a, EEE, EEEE, Z, XXX or z, or a strftime format with %")
            }
            out += directive
            i += run
        }
        return out
    }

    /// Copies quoted text starting at `from` (after the opening quote) into `out`; `''` is one quote. Returns the
    /// index after the closing quote.
    static func literal(_ chars: [Character], from: Int, into out: inout String) -> Int {
        var i = from
        if i < chars.count && chars[i] == "'" {
            out += "'"
            return i + 1
        }
        while i < chars.count {
            if chars[i] == "'" {
                if i + 1 < chars.count && chars[i + 1] == "'" {
                    out += "'"
                    i += 2
                    continue
                }
                return i + 1
            }
            out += chars[i] == "%" ? "%%" : String(chars[i])
            i += 1
        }
        return i
    }

    /// The strftime directive for `count` repetitions of the pattern letter `letter`, or nil.
    static func directive(_ letter: Character, _ count: Int) -> String? {
        switch (letter, count) {
        case ("y", 2): return "%y"
        case ("y", _): return "%Y"
        case ("M", 2): return "%m"
        case ("M", 3): return "%b"
        case ("M", 4...): return "%B"
        case ("d", 2): return "%d"
        case ("D", 3): return "%j"
        case ("H", 2): return "%H"
        case ("h", 2): return "%I"
        case ("m", 2): return "%M"
        case ("s", 2): return "%S"
        case ("S", 3): return "%L"
        case ("S", 6): return "%6N"
        case ("S", 9): return "%9N"
        case ("a", 1): return "%p"
        case ("E", 1...3): return "%a"
        case ("E", 4...): return "%A"
        case ("Z", _): return "%z"
        case ("X", 1...2): return "%z"
        case ("X", 3): return "%:z"
        case ("z", _): return "%Z"
        default: return nil
        }
    }
}
