import KuraCore

extension JSONLFormatterPlugin {
    /// A line break style.
    public enum Newline: String, ConfigEnum, Sendable {
        case LF, CRLF, CR
        /// The bytes of the line break.
        public var bytes: [UInt8] {
            switch self {
            case .LF: return [10]
            case .CRLF: return [13, 10]
            case .CR: return [13]
            }
        }
    }

    /// Options of the `jsonl` formatter.
    ///
    /// Timestamps are always written as ISO 8601 in UTC (`2024-01-02T03:04:05Z`); a `timestamp_format` /
    /// `timezone` pair will come with a timestamp formatter in the core.
    public struct Options: Decodable, Sendable {
        /// Line break after each record (default `LF`).
        public var newline: Newline

        enum CodingKeys: String, CodingKey {
            case newline
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            newline = try c.decodeIfPresent(Newline.self, forKey: .newline) ?? .LF
        }
    }
}
