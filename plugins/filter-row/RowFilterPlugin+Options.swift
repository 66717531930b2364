import KuraCore

extension RowFilterPlugin {
    /// The options of the `row` filter, as in Embulk's `embulk-filter-row`: either `where` (the SQL-like syntax,
    /// or any boolean kura expression) or `conditions` combined by `condition`.
    public struct Options: Decodable, Sendable {
        /// A boolean expression; rows for which it is false or null are dropped (default: none; exclusive with
        /// `conditions`). See docs/expressions.md.
        public var `where`: String?
        /// How `conditions` combine: `AND` (every one holds) or `OR` (at least one does) (default `AND`).
        public var condition: Combination
        /// Conditions on single columns (default: none; exclusive with `where`).
        public var conditions: [Condition]?
        /// The zone of `TIMESTAMP '…'` text without an offset in `where`, and of its time functions (default `UTC`).
        public var defaultTimezone: String

        enum CodingKeys: String, CodingKey {
            case `where`, condition, conditions
            case defaultTimezone = "default_timezone"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            `where` = try c.decodeIfPresent(String.self, forKey: .where)
            condition = try c.decodeIfPresent(Combination.self, forKey: .condition) ?? .and
            conditions = try c.decodeIfPresent([Condition].self, forKey: .conditions)
            defaultTimezone = try c.decodeIfPresent(String.self, forKey: .defaultTimezone) ?? "UTC"
            switch (`where`, conditions) {
            case (nil, nil):
                throw ConfigError(at: c.codingPath, nil, "the row filter needs 'where' or 'conditions'",
                    fix: "add, for example, where: \"status = 'ok' AND amount > 0\"")
            case (.some, .some):
                throw ConfigError(at: c.codingPath, CodingKeys.conditions, "'where' and 'conditions' cannot be used together",
                    fix: "write the conditions into 'where' (joined with AND or OR)")
            default: break
            }
        }
    }

    /// How `conditions` combine.
    public enum Combination: String, ConfigEnum, Sendable {
        case and = "AND", or = "OR"
    }

    /// One condition of `conditions`: `column operator argument`, optionally negated.
    public struct Condition: Decodable, Sendable {
        /// The column the condition reads (required).
        public var column: String
        /// `==`, `!=`, `>`, `>=`, `<`, `<=`, `start_with`, `end_with`, `include`, `IS NULL`, `IS NOT NULL`
        /// (any letter case; `startsWith`, `endsWith` and `contains` too) (default `==`).
        public var `operator`: String
        /// The value compared with, read as the column's type (required unless the operator is `IS NULL` or
        /// `IS NOT NULL`): a boolean, a number, a text, or a timestamp written in `format`.
        public var argument: ConfigNode?
        /// Whether the condition is negated (default false).
        public var not: Bool
        /// The format of a timestamp argument (default `%Y-%m-%d %H:%M:%S.%N %z`).
        public var format: String
        /// The zone of a timestamp argument without an offset (default `UTC`).
        public var timezone: String

        enum CodingKeys: String, CodingKey {
            case column, `operator`, argument, not, format, timezone
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            column = try c.decode(String.self, forKey: .column)
            `operator` = try c.decodeIfPresent(String.self, forKey: .operator) ?? "=="
            argument = try c.decodeIfPresent(ConfigNode.self, forKey: .argument)
            not = try c.decodeIfPresent(Bool.self, forKey: .not) ?? false
            format = try c.decodeIfPresent(String.self, forKey: .format) ?? "%Y-%m-%d %H:%M:%S.%N %z"
            timezone = try c.decodeIfPresent(String.self, forKey: .timezone) ?? "UTC"
        }
    }
}
