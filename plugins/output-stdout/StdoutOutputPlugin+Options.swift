import KuraCore
import KuraFormats

extension StdoutOutputPlugin {
    /// The options of the `stdout` output.
    public struct Options: Codable, Sendable, Equatable {
        /// The time zone timestamps are printed in (default: `UTC`).
        public var timezone: String

        enum CodingKeys: String, CodingKey {
            case timezone
        }

        public init(timezone: String = "UTC") { self.timezone = timezone }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            timezone = try c.decodeIfPresent(String.self, forKey: .timezone) ?? "UTC"
            guard ZoneRule(name: timezone) != nil else {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.timezone, "unknown time zone '\(timezone)'",
                    fix: "use UTC, an offset such as '+09:00', or a zone name such as 'Asia/Tokyo'")
            }
        }
    }
}
