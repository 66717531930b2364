/// A position in a config file: 1-based line and column.
public struct SourceMark: Hashable, Codable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// A mistake in the user's config: which key, where in the file, what is wrong and how to fix it.
///
/// Raised before any side effect. The message never contains passwords (option values of secret keys are never
/// quoted in it).
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    /// Dotted key path, such as `in.parser.columns[2].type`; empty for the whole document.
    public var path: String
    /// The config file, when known.
    public var file: String?
    /// Position of the offending key or value, when known.
    public var mark: SourceMark?
    /// What is wrong, as a full sentence.
    public var message: String
    /// How to fix it, as a full sentence, when there is a clear fix.
    public var fix: String?

    public init(path: String, mark: SourceMark? = nil, file: String? = nil, _ message: String, fix: String? = nil) {
        self.path = path
        self.mark = mark
        self.file = file
        self.message = message
        self.fix = fix
    }

    public var description: String {
        var where_ = file ?? ""
        if let mark { where_ += (where_.isEmpty ? "" : ":") + "\(mark.line):\(mark.column)" }
        var s = "config error"
        if !where_.isEmpty { s += " at \(where_)" }
        if !path.isEmpty { s += " (\(path))" }
        s += ": " + message
        if let fix { s += "; " + fix }
        return s
    }
}

/// Several config errors found in one validation pass.
public struct ConfigErrors: Error, CustomStringConvertible, Sendable {
    public var errors: [ConfigError]
    public init(_ errors: [ConfigError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// The class of a data error: a stable, machine-readable reason code such as `CAST` or `TOO_FEW_COLUMNS`.
public struct DataErrorCode: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// A field could not be converted to its column's type.
    public static let cast = DataErrorCode(rawValue: "CAST")
    /// A record has fewer fields than the schema has columns.
    public static let tooFewColumns = DataErrorCode(rawValue: "TOO_FEW_COLUMNS")
    /// A record has more fields than the schema has columns.
    public static let tooManyColumns = DataErrorCode(rawValue: "TOO_MANY_COLUMNS")
    /// A quoted field is not closed before the end of the input.
    public static let unterminatedQuote = DataErrorCode(rawValue: "UNTERMINATED_QUOTE")
    /// Text follows the closing quote of a quoted field.
    public static let invalidQuote = DataErrorCode(rawValue: "INVALID_QUOTE")
    /// A field or line exceeds the configured size limit.
    public static let lineTooLong = DataErrorCode(rawValue: "LINE_TOO_LONG")
    /// A record is larger than the parser's `max_record_size`; it was skipped without being read whole.
    public static let recordTooLarge = DataErrorCode(rawValue: "RECORD_TOO_LARGE")
    /// The bytes are not valid in the configured charset.
    public static let invalidEncoding = DataErrorCode(rawValue: "INVALID_ENCODING")
    /// A JSON value is malformed.
    public static let invalidJSON = DataErrorCode(rawValue: "INVALID_JSON")
    /// A JSON value has an unexpected shape (for example not an object where one is needed).
    public static let unexpectedJSON = DataErrorCode(rawValue: "UNEXPECTED_JSON")
    /// A compressed stream is corrupt, truncated or followed by garbage.
    public static let corruptInput = DataErrorCode(rawValue: "CORRUPT_INPUT")
    /// The output refused the record (an out-of-process output plugin said why).
    public static let refusedByOutput = DataErrorCode(rawValue: "REFUSED_BY_OUTPUT")
}

/// A problem with the user's data: what, where (file, line, byte offset, column) and the raw text.
public struct DataError: Error, CustomStringConvertible, Sendable {
    /// The reason code.
    public var code: DataErrorCode
    /// The input file (or task name).
    public var file: String
    /// The 1-based line where the record starts, when known.
    public var line: Int?
    /// The 0-based byte offset of the record in the input, when known: in the bytes the parser was given (after
    /// decompression), before any charset conversion, so it points into the original file even for Shift_JIS or
    /// UTF-16 input.
    public var byteOffset: Int64?
    /// The column involved, when one is.
    public var column: String?
    /// What is wrong and how to fix it, as a sentence.
    public var message: String
    /// The raw bytes of the record, at most `DataError.rawLimit` of them (a longer record keeps its first bytes).
    public var raw: [UInt8]
    /// The record's whole length in bytes, when known: more than `raw.count` when `raw` is a prefix.
    public var length: Int64?

    /// The most raw bytes a reject keeps: 64 KiB.
    public static let rawLimit = 65_536

    public init(
        _ code: DataErrorCode, file: String, line: Int? = nil, byteOffset: Int64? = nil, column: String? = nil,
        message: String, raw: [UInt8] = [], length: Int64? = nil
    ) {
        self.code = code
        self.file = file
        self.line = line
        self.byteOffset = byteOffset
        self.column = column
        self.message = message
        self.raw = raw
        self.length = length
    }

    /// Cuts `raw` to `DataError.rawLimit` bytes, keeping the record's whole length in `length`.
    public mutating func capRaw() {
        guard raw.count > DataError.rawLimit else { return }
        if length == nil { length = Int64(raw.count) }
        raw.removeLast(raw.count - DataError.rawLimit)
    }

    /// `file:line`, or the file alone.
    public var location: String { line.map { "\(file):\($0)" } ?? file }

    /// The raw record as text, with invalid UTF-8 replaced.
    public var rawText: String { String(decoding: raw, as: UTF8.self) }

    public var description: String {
        var s = "\(location)"
        if let column { s += " column '\(column)'" }
        s += ": " + message + " [\(code)]"
        return s
    }
}

/// A failure of the system rather than of the config or the data: I/O, a database, a signal.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    /// What failed, as a sentence without secrets.
    public var message: String
    /// Whether retrying the same operation may succeed.
    public var isRetryable: Bool

    public init(_ message: String, retryable: Bool = false) {
        self.message = message
        self.isRetryable = retryable
    }

    public var description: String { message }
}

/// Levenshtein distance between two short strings, for "did you mean" suggestions.
public func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8), y = Array(b.utf8)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count)
    var cur = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}

/// The candidate closest to `word`, when it is close enough to be a plausible typo.
public func nearest(_ word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    let limit = Swift.max(2, word.count / 3)
    if best.1 <= limit { return best.0 }
    if let c = candidates.first(where: { $0.contains(word) || word.contains($0) }), word.count >= 3 { return c }
    return nil
}
