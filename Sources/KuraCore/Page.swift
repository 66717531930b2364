/// Storage for one column of a `Page`: a typed buffer plus a validity flag per row.
///
/// Only the buffer that matches `type` is used: `booleans` for boolean, `integers` for long and timestamp
/// (nanoseconds since the epoch), `doubles` for double, and `bytes` with `offsets` for string and json
/// (row `r` spans `bytes[offsets[r] ..< offsets[r + 1]]`; a null row spans zero bytes).
public struct ColumnVector: Sendable {
    /// The column's value type.
    public let type: ColumnType
    /// `true` where the row holds a value, `false` where it is null.
    public var validity: [Bool] = []
    /// Values of a boolean column.
    public var booleans: [Bool] = []
    /// Values of a long column, or nanoseconds since the epoch of a timestamp column.
    public var integers: [Int64] = []
    /// Values of a double column.
    public var doubles: [Double] = []
    /// Concatenated UTF-8 bytes of a string or json column.
    public var bytes: [UInt8] = []
    /// Start offset of each row in `bytes`, plus one final end offset (so `offsets.count == rows + 1`).
    public var offsets: [Int] = [0]

    public init(type: ColumnType, capacity: Int = 0) {
        self.type = type
        validity.reserveCapacity(capacity)
        switch type {
        case .boolean: booleans.reserveCapacity(capacity)
        case .long, .timestamp: integers.reserveCapacity(capacity)
        case .double: doubles.reserveCapacity(capacity)
        case .string, .json: offsets.reserveCapacity(capacity + 1)
        }
    }

    /// The number of rows held.
    @inlinable public var count: Int { validity.count }
}

/// A columnar batch of records that share one `Schema`.
///
/// Pages exist so that the hot path never allocates per field: a parser appends typed values straight into
/// per-column buffers (strings as bytes plus offsets), filters and outputs read them back by index, and a whole
/// batch moves between threads as one value. A page typically holds a few thousand records.
public struct Page: Sendable {
    /// The shape of every record in the page.
    public let schema: Schema
    /// One vector per schema column.
    public internal(set) var columns: [ColumnVector]
    /// The number of records.
    public let rowCount: Int

    /// Creates a page from column vectors that each hold `rowCount` rows.
    public init(schema: Schema, columns: [ColumnVector], rowCount: Int) {
        precondition(columns.count == schema.count, "a page needs one vector per column")
        self.schema = schema
        self.columns = columns
        self.rowCount = rowCount
    }

    /// An empty page of `schema`.
    public static func empty(_ schema: Schema) -> Page {
        Page(schema: schema, columns: schema.columns.map { ColumnVector(type: $0.type) }, rowCount: 0)
    }

    /// Whether the value at (`row`, `column`) is null.
    @inlinable public func isNull(row: Int, column: Int) -> Bool { !columns[column].validity[row] }

    /// The boolean at (`row`, `column`); meaningful only when not null.
    @inlinable public func boolean(row: Int, column: Int) -> Bool { columns[column].booleans[row] }

    /// The long at (`row`, `column`); meaningful only when not null.
    @inlinable public func long(row: Int, column: Int) -> Int64 { columns[column].integers[row] }

    /// The double at (`row`, `column`); meaningful only when not null.
    @inlinable public func double(row: Int, column: Int) -> Double { columns[column].doubles[row] }

    /// The timestamp at (`row`, `column`) in nanoseconds since the epoch; meaningful only when not null.
    @inlinable public func timestampNanos(row: Int, column: Int) -> Int64 { columns[column].integers[row] }

    /// Calls `body` with the UTF-8 bytes of the string or json value at (`row`, `column`).
    @inlinable
    public func withBytes<R>(row: Int, column: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let v = columns[column]
        let start = v.offsets[row], end = v.offsets[row + 1]
        return try v.bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }

    /// The string (or json text) at (`row`, `column`) as a Swift `String`; allocates, so keep it off hot paths.
    public func string(row: Int, column: Int) -> String {
        withBytes(row: row, column: column) { String(decoding: $0, as: UTF8.self) }
    }

    /// The value at (`row`, `column`) as a boxed `Value`; allocates, so keep it off hot paths.
    public func value(row: Int, column: Int) -> Value {
        if isNull(row: row, column: column) { return .null }
        switch columns[column].type {
        case .boolean: return .boolean(boolean(row: row, column: column))
        case .long: return .long(long(row: row, column: column))
        case .double: return .double(double(row: row, column: column))
        case .timestamp: return .timestamp(Timestamp(nanos: timestampNanos(row: row, column: column)))
        case .string: return .string(string(row: row, column: column))
        case .json: return .json(string(row: row, column: column))
        }
    }

    /// Returns a page with only the rows for which `keep` is true, in order.
    public func selecting(rows keep: [Bool]) -> Page {
        var builder = PageBuilder(schema: schema, capacity: rowCount)
        for r in 0..<rowCount where keep[r] {
            builder.copyRow(r, of: self)
        }
        return builder.build()
    }

    /// Returns a page whose columns are this page's columns picked by `indices` under `schema`.
    public func projecting(_ indices: [Int], as schema: Schema) -> Page {
        Page(schema: schema, columns: indices.map { columns[$0] }, rowCount: rowCount)
    }
}

/// A single value, boxed: used for previews, tests and small outputs, never on hot paths.
public enum Value: Hashable, Sendable {
    case null
    case boolean(Bool)
    case long(Int64)
    case double(Double)
    case string(String)
    case timestamp(Timestamp)
    /// Compact JSON text.
    case json(String)
}
