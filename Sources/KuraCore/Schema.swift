/// One of the six column types a record can carry, the same set as Embulk's.
///
/// `timestamp` is an instant (nanoseconds since the Unix epoch, UTC); zones matter only when text is parsed or
/// formatted. `json` is a JSON value kept as compact, valid JSON text with numbers exactly as written.
public enum ColumnType: String, Codable, CaseIterable, Sendable, CustomStringConvertible {
    case boolean, long, double, string, timestamp, json

    public var description: String { rawValue }
}

/// A named, typed column at a fixed position in a `Schema`.
public struct Column: Hashable, Codable, Sendable {
    /// Position of the column in its schema, from 0.
    public let index: Int
    /// Column name as it appears in configs and outputs.
    public let name: String
    /// Value type of the column.
    public let type: ColumnType

    public init(index: Int, name: String, type: ColumnType) {
        self.index = index
        self.name = name
        self.type = type
    }
}

/// An immutable, ordered list of columns: the shape of every record in a `Page`.
public struct Schema: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The columns, with `columns[i].index == i`.
    public let columns: [Column]

    /// Creates a schema from names and types in order.
    public init(_ columns: [(name: String, type: ColumnType)]) {
        self.columns = columns.enumerated().map { Column(index: $0.offset, name: $0.element.name, type: $0.element.type) }
    }

    /// Creates a schema from columns, renumbering them by position.
    public init(columns: [Column]) {
        self.columns = columns.enumerated().map { Column(index: $0.offset, name: $0.element.name, type: $0.element.type) }
    }

    /// The number of columns.
    public var count: Int { columns.count }

    /// The column at `index`.
    public subscript(index: Int) -> Column { columns[index] }

    /// The column names in order.
    public var names: [String] { columns.map(\.name) }

    /// The position of the first column called `name`, or `nil` when there is none.
    public func index(of name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }

    public var description: String {
        "(" + columns.map { "\($0.name) \($0.type)" }.joined(separator: ", ") + ")"
    }
}
