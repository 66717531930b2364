import KuraCore
import KuraFormats

extension ColumnFilterPlugin {
    /// The options of the `column` filter, as in Embulk's `embulk-filter-column`, plus `expr` for derived columns.
    ///
    /// `columns` keeps and orders columns (exclusive with `drop_columns`); `add_columns` appends columns after
    /// them; `drop_columns` removes columns. Without `columns` and `drop_columns` every input column stays. A
    /// JSONPath `name` (`$.payload.key`, `$['payload']['a.b']`, `$.payload.items[0]`, `$.payload.items[*].id`)
    /// edits the members inside json column `payload` the same three ways.
    public struct Options: Decodable, Sendable {
        /// The columns to keep, in the output's order (default: none, meaning every input column).
        public var columns: [ColumnSpec]
        /// Columns appended at the end (default: none).
        public var addColumns: [ColumnSpec]
        /// Columns to remove by name (default: none; exclusive with `columns`).
        public var dropColumns: [DropSpec]
        /// The format of timestamp `default` values without `format` (default `%Y-%m-%d %H:%M:%S.%N %z`).
        public var defaultTimestampFormat: String
        /// The zone of timestamp `default` values without `timezone`, and of expressions' time functions (default
        /// `UTC`).
        public var defaultTimezone: String

        enum CodingKeys: String, CodingKey {
            case columns
            case addColumns = "add_columns"
            case dropColumns = "drop_columns"
            case defaultTimestampFormat = "default_timestamp_format"
            case defaultTimezone = "default_timezone"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            columns = try c.decodeIfPresent([ColumnSpec].self, forKey: .columns) ?? []
            addColumns = try c.decodeIfPresent([ColumnSpec].self, forKey: .addColumns) ?? []
            dropColumns = try c.decodeIfPresent([DropSpec].self, forKey: .dropColumns) ?? []
            defaultTimestampFormat = try c.decodeIfPresent(String.self, forKey: .defaultTimestampFormat) ?? TimestampParser.defaultFormat
            defaultTimezone = try c.decodeIfPresent(String.self, forKey: .defaultTimezone) ?? "UTC"
            if !columns.isEmpty, !dropColumns.isEmpty {
                throw ConfigError(at: c.codingPath, CodingKeys.dropColumns, "'columns' and 'drop_columns' cannot be used together",
                    fix: "list the columns to keep in 'columns', or the ones to remove in 'drop_columns'")
            }
        }
    }

    /// One entry of `columns` or `add_columns`.
    public struct ColumnSpec: Decodable, Sendable {
        /// The output column's name (required); a JSONPath such as `$.payload.key` names a member that `columns`
        /// keeps (only the listed members of that object stay, in order) or `add_columns` adds (when absent) inside
        /// the output json column `payload`, whose missing parents are made empty.
        public var name: String
        /// The input column copied (default: `name`); a JSONPath such as `$.payload.user.id` lifts that member out
        /// of json column `payload`; for a JSONPath `name`, the member copied, in the same object or array.
        public var src: String?
        /// The value used where the source is null, or of a new column (default: none); for a JSONPath `name`,
        /// the member's value where the source member is missing (a member that is null stays null).
        public var `default`: ConfigNode?
        /// The type of a new column, or of a value lifted by a JSONPath (required for a new column; default: the
        /// source's type, `json` for a JSONPath, the expression's type for `expr`); for a JSONPath `name`, the
        /// type `default` is read as (required with `default`; not `timestamp`), the member itself is not changed.
        public var type: ColumnType?
        /// The format of a timestamp `default` (default: `default_timestamp_format`).
        public var format: String?
        /// The zone of a timestamp `default` without an offset (default: `default_timezone`).
        public var timezone: String?
        /// A typed expression computing the column from the input columns (default: none). See docs/expressions.md.
        public var expr: String?

        enum CodingKeys: String, CodingKey {
            case name, src, `default`, type, format, timezone, expr
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            src = try c.decodeIfPresent(String.self, forKey: .src)
            `default` = try c.decodeIfPresent(ConfigNode.self, forKey: .default)
            if let t = try c.decodeIfPresent(String.self, forKey: .type) { type = try ColumnType.named(t, at: decoder.codingPath, CodingKeys.type) }
            format = try c.decodeIfPresent(String.self, forKey: .format)
            timezone = try c.decodeIfPresent(String.self, forKey: .timezone)
            expr = try c.decodeIfPresent(String.self, forKey: .expr)
            if expr != nil, src != nil {
                throw ConfigError(at: c.codingPath, CodingKeys.expr, "'expr' and 'src' cannot be used together",
                    fix: "name the source column inside the expression")
            }
        }
    }

    /// One entry of `drop_columns`.
    public struct DropSpec: Decodable, Sendable {
        /// The name of the column to remove (required); a JSONPath such as `$.payload.key` or
        /// `$.payload.items[*]` removes that member, or those elements, inside json column `payload`.
        public var name: String

        enum CodingKeys: String, CodingKey { case name }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
        }
    }
}
