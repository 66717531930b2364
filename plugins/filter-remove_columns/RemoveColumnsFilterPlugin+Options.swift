import KuraCore

extension RemoveColumnsFilterPlugin {
    /// The options of the `remove_columns` filter, as in Embulk's `remove_columns`: exactly one of `remove` and
    /// `keep`.
    public struct Options: Codable, Sendable, Equatable {
        /// Names of the columns to drop; the others stay in order (default: none; exclusive with `keep`).
        public var remove: [String]?
        /// Names of the columns to keep, in the input's order; the others are dropped (default: none; exclusive
        /// with `remove`).
        public var keep: [String]?
        /// Whether names that are not in the input schema are ignored instead of being an error (default: false).
        public var acceptUnmatchedColumns: Bool

        enum CodingKeys: String, CodingKey {
            case remove, keep
            case acceptUnmatchedColumns = "accept_unmatched_columns"
        }

        public init(remove: [String]? = nil, keep: [String]? = nil, acceptUnmatchedColumns: Bool = false) {
            self.remove = remove
            self.keep = keep
            self.acceptUnmatchedColumns = acceptUnmatchedColumns
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            remove = try c.decodeIfPresent([String].self, forKey: .remove)
            keep = try c.decodeIfPresent([String].self, forKey: .keep)
            acceptUnmatchedColumns = try c.decodeIfPresent(Bool.self, forKey: .acceptUnmatchedColumns) ?? false
            switch (remove, keep) {
            case (nil, nil):
                throw ConfigError(
                    at: c.codingPath, nil, "the filter needs 'remove' or 'keep'",
                    fix: "add 'remove: [names…]' to drop columns, or 'keep: [names…]' to keep only some")
            case (.some, .some):
                throw ConfigError(
                    at: c.codingPath, CodingKeys.keep, "'remove' and 'keep' cannot be used together",
                    fix: "keep only one of them")
            default: break
            }
        }
    }
}
