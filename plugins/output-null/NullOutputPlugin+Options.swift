import KuraCore

extension NullOutputPlugin {
    /// The options of the `null` output: it has none, so any key is reported as unknown.
    public struct Options: Codable, Sendable, Equatable {
        public init() {}

        public init(from decoder: Decoder) throws {
            _ = try decoder.container(keyedBy: CodingKeys.self)
        }

        enum CodingKeys: CodingKey {}
    }
}
