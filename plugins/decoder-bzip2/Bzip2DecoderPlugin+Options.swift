import KuraCore

extension Bzip2DecoderPlugin {
    /// Options of the `bzip2` decoder: it has none, but a section with unknown keys is still rejected.
    public struct Options: Decodable, Sendable {
        /// Creates the (empty) options.
        public init() {}

        public init(from decoder: Decoder) throws {
            // Asking for a keyed container makes every key in the section count as unknown.
            _ = try decoder.container(keyedBy: CodingKeys.self)
        }

        enum CodingKeys: String, CodingKey {
            case unused = "_"
        }
    }
}
