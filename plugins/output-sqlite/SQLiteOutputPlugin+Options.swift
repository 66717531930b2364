import KuraCore

extension SQLiteOutputPlugin {
    /// How a load treats the rows already in the target table.
    public enum Mode: String, ConfigEnum, Sendable {
        /// Appends the rows to the table (created when absent).
        case insert
        /// Deletes every row of the table, then appends, in the same transaction.
        case truncateInsert = "truncate_insert"
        /// Loads into a new table and swaps it in for the old one at commit, in the same transaction.
        case replace
    }

    /// Per-column settings of the target table.
    public struct ColumnOption: Decodable, Sendable, Equatable {
        /// The SQL type to declare for the column when the table is created, such as `BIGINT` or `VARCHAR(20)`
        /// (default: derived from the column's kind: INTEGER, REAL or TEXT).
        public var type: String?

        enum CodingKeys: String, CodingKey {
            case type
        }

        public init(type: String? = nil) {
            self.type = type
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try c.decodeIfPresent(String.self, forKey: .type)
            if let type, !Self.isPlainTypeName(type) {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.type, "'\(type)' is not an SQL type name",
                    fix: "use a name such as INTEGER, BIGINT, REAL, TEXT or VARCHAR(20): letters, digits, spaces "
                        + "and an optional (size) or (precision, scale)")
            }
        }
    }

    /// The options of output `sqlite`.
    public struct Options: Decodable, Sendable {
        /// The database file, relative to the working directory unless absolute; parent directories are created
        /// (required).
        public var path: String
        /// The target table; any text is a valid name, because it is always quoted (required).
        public var table: String
        /// How the load treats existing rows: `insert`, `truncate_insert` or `replace` (default `insert`).
        public var mode: Mode
        /// Per-column settings by column name, such as `{price: {type: NUMERIC}}` (default: none).
        public var columnOptions: [String: ColumnOption]

        enum CodingKeys: String, CodingKey {
            case path
            case table
            case mode
            case columnOptions = "column_options"
        }

        public init(path: String, table: String, mode: Mode = .insert, columnOptions: [String: ColumnOption] = [:]) {
            self.path = path
            self.table = table
            self.mode = mode
            self.columnOptions = columnOptions
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decode(String.self, forKey: .path)
            table = try c.decode(String.self, forKey: .table)
            mode = try c.decodeIfPresent(Mode.self, forKey: .mode) ?? .insert
            columnOptions = try c.decodeIfPresent([String: ColumnOption].self, forKey: .columnOptions) ?? [:]
            if path.isEmpty {
                throw ConfigError(at: c.codingPath, CodingKeys.path, "the path is empty", fix: "set it to a file such as 'warehouse.db'")
            }
            if path.utf8.contains(0) {
                throw ConfigError(at: c.codingPath, CodingKeys.path, "the path contains a NUL character", fix: "remove it")
            }
            if table.isEmpty {
                throw ConfigError(at: c.codingPath, CodingKeys.table, "the table name is empty", fix: "set it to a name such as 'events'")
            }
            if table.utf8.contains(0) {
                throw ConfigError(at: c.codingPath, CodingKeys.table, "the table name contains a NUL character", fix: "remove it")
            }
        }
    }
}

extension SQLiteOutputPlugin.ColumnOption {
    /// Whether `text` is a plain SQL type name: words of letters, digits and underscores, then at most one
    /// parenthesised list of one or two signed numbers, as in `VARCHAR(20)` or `DECIMAL(10, 2)`.
    public static func isPlainTypeName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var i = 0
        func isWordByte(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
        }
        func skipSpaces() { while i < bytes.count && bytes[i] == 0x20 { i += 1 } }
        func number() -> Bool {
            skipSpaces()
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            let start = i
            while i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
            skipSpaces()
            return i > start
        }
        skipSpaces()
        guard i < bytes.count, isWordByte(bytes[i]), !(bytes[i] >= 0x30 && bytes[i] <= 0x39) else { return false }
        while i < bytes.count && (isWordByte(bytes[i]) || bytes[i] == 0x20) { i += 1 }
        if i < bytes.count && bytes[i] == UInt8(ascii: "(") {
            i += 1
            guard number() else { return false }
            if i < bytes.count && bytes[i] == UInt8(ascii: ",") {
                i += 1
                guard number() else { return false }
            }
            guard i < bytes.count && bytes[i] == UInt8(ascii: ")") else { return false }
            i += 1
            skipSpaces()
        }
        return i == bytes.count
    }
}
