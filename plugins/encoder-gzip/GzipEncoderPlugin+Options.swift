import KuraCore

extension GzipEncoderPlugin {
    /// Options of the `gzip` encoder.
    public struct Options: Decodable, Sendable {
        /// Compression level, from 0 (store only) to 9 (smallest output, slowest); default 6.
        public var level: Int

        /// Creates options; `level` must be within 0…9.
        public init(level: Int = 6) {
            self.level = level
        }

        enum CodingKeys: String, CodingKey {
            case level
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            level = try c.decodeIfPresent(Int.self, forKey: .level) ?? 6
            guard (0...9).contains(level) else {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.level, "compression level \(level) is out of range",
                    fix: "use a level from 0 (no compression) to 9 (best compression); the default is 6")
            }
        }
    }
}
