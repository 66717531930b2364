import KuraCore

extension LocalFileOutputPlugin {
    /// Options of the `file` output (Embulk's `LocalFileOutputPlugin`).
    ///
    /// A file's path is `path_prefix` + `sequence_format` (filled with the task index and the file index within
    /// the task) + `file_ext`, with one `.` between the sequence and the extension.
    public struct Options: Decodable, Sendable {
        /// Start of the output paths (required), such as `out/sales_`; relative paths resolve against the working
        /// directory, and missing directories are created.
        public var pathPrefix: String
        /// File name extension (required), such as `csv` or `csv.gz`; a leading `.` is optional.
        public var fileExt: String
        /// Sequence part of the name, a printf format taking the task index and the file index within the task
        /// (`%d`, `%0Nd`, `%Nd` and `%%` are supported); default `%03d.%02d.`.
        public var sequenceFormat: String

        /// Creates options.
        public init(pathPrefix: String, fileExt: String, sequenceFormat: String = "%03d.%02d.") {
            self.pathPrefix = pathPrefix
            self.fileExt = fileExt
            self.sequenceFormat = sequenceFormat
        }

        enum CodingKeys: String, CodingKey {
            case pathPrefix = "path_prefix"
            case fileExt = "file_ext"
            case sequenceFormat = "sequence_format"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            pathPrefix = try c.decode(String.self, forKey: .pathPrefix)
            fileExt = try c.decode(String.self, forKey: .fileExt)
            sequenceFormat = try c.decodeIfPresent(String.self, forKey: .sequenceFormat) ?? "%03d.%02d."
            if pathPrefix.isEmpty {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.pathPrefix, "path_prefix '\(pathPrefix)' does not name any file",
                    fix: "set it to the start of the output paths, such as 'out/sales_'")
            }
            do {
                _ = try SequenceFormat(sequenceFormat)
            } catch let error as SequenceFormat.Problem {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.sequenceFormat, error.message,
                    fix: "use %d or %0Nd for the task index and then the file index, and %% for a percent sign; "
                        + "the default is '%03d.%02d.'")
            }
        }
    }
}

/// A parsed `sequence_format`: the printf subset `%d`, `%Nd`, `%0Nd` and `%%`, with at most two numbers.
struct SequenceFormat: Sendable {
    /// A problem with the format, as a sentence.
    struct Problem: Error {
        var message: String
    }

    enum Piece: Sendable {
        case text(String)
        case number(width: Int, zeroPadded: Bool)
    }

    let pieces: [Piece]

    init(_ format: String) throws {
        var pieces: [Piece] = []
        var text = ""
        var numbers = 0
        var chars = Array(format)[...]
        while let c = chars.popFirst() {
            guard c == "%" else {
                text.append(c)
                continue
            }
            if chars.first == "%" {
                chars.removeFirst()
                text.append("%")
                continue
            }
            var zero = false
            if chars.first == "0" {
                zero = true
                chars.removeFirst()
            }
            var digits = ""
            while let d = chars.first, d.isASCII, d.isNumber {
                digits.append(d)
                chars.removeFirst()
            }
            guard chars.popFirst() == "d" else {
                throw Problem(message: "sequence_format '\(format)' has an unsupported conversion (only %d, %0Nd and %% are)")
            }
            guard let width = digits.isEmpty ? 0 : Int(digits), width <= 64 else {
                throw Problem(message: "sequence_format '\(format)' has a field width that is too large")
            }
            numbers += 1
            if numbers > 2 {
                throw Problem(
                    message: "sequence_format '\(format)' has more than two numbers (it gets the task index and the file index)")
            }
            if !text.isEmpty { pieces.append(.text(text)) }
            text = ""
            pieces.append(.number(width: width, zeroPadded: zero))
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        self.pieces = pieces
    }

    /// Whether the format uses the task index (its first number).
    var hasTaskIndex: Bool { pieces.contains { if case .number = $0 { return true } else { return false } } }

    /// The format filled with `task` and then `file`.
    func format(task: Int, file: Int) -> String {
        var values = [task, file][...]
        var s = ""
        for piece in pieces {
            switch piece {
            case .text(let t): s += t
            case .number(let width, let zero):
                let v = values.popFirst() ?? 0
                let digits = String(v.magnitude)
                let sign = v < 0 ? "-" : ""
                let pad = max(0, width - digits.count - sign.count)
                s += zero ? sign + String(repeating: "0", count: pad) + digits : String(repeating: " ", count: pad) + sign + digits
            }
        }
        return s
    }
}
