/// Appends records column by column and cuts them into `Page`s.
///
/// Set each column of the current record at most once (`setLong`, `setString`, `setNull`, …), in any order, then
/// call `finishRecord()`; columns left unset become null. `discardRecord()` drops a half-built record, so a parser
/// can reject a record after converting some of its fields. `build()` returns the page and starts a new one.
public struct PageBuilder {
    /// The schema of the pages built.
    public let schema: Schema
    /// The number of records after which `isFull` becomes true (default 4096).
    public let capacity: Int
    @usableFromInline internal var vectors: [ColumnVector]
    /// The number of finished records in the current page.
    @usableFromInline var _rows = 0
    public var rowCount: Int { _rows }

    /// Creates a builder for `schema` cutting pages of `capacity` records (default 4096).
    public init(schema: Schema, capacity: Int = 4096) {
        self.schema = schema
        self.capacity = max(1, capacity)
        self.vectors = schema.columns.map { ColumnVector(type: $0.type, capacity: capacity) }
    }

    /// Whether the current page has reached `capacity` records.
    @inlinable public var isFull: Bool { rowCount >= capacity }

    /// Marks column `c` of the current record as null.
    @inlinable public mutating func setNull(_ c: Int) {
        vectors[c].validity.append(false)
        switch vectors[c].type {
        case .boolean: vectors[c].booleans.append(false)
        case .long, .timestamp: vectors[c].integers.append(0)
        case .double: vectors[c].doubles.append(0)
        case .string, .json: vectors[c].offsets.append(vectors[c].bytes.count)
        }
    }

    /// Sets boolean column `c` of the current record.
    @inlinable public mutating func setBoolean(_ c: Int, _ value: Bool) {
        vectors[c].validity.append(true)
        vectors[c].booleans.append(value)
    }

    /// Sets long column `c` of the current record.
    @inlinable public mutating func setLong(_ c: Int, _ value: Int64) {
        vectors[c].validity.append(true)
        vectors[c].integers.append(value)
    }

    /// Sets double column `c` of the current record.
    @inlinable public mutating func setDouble(_ c: Int, _ value: Double) {
        vectors[c].validity.append(true)
        vectors[c].doubles.append(value)
    }

    /// Sets timestamp column `c` of the current record, in nanoseconds since the epoch.
    @inlinable public mutating func setTimestamp(_ c: Int, nanos: Int64) {
        vectors[c].validity.append(true)
        vectors[c].integers.append(nanos)
    }

    /// Sets string (or json) column `c` of the current record from UTF-8 bytes.
    @inlinable public mutating func setBytes(_ c: Int, _ bytes: UnsafeRawBufferPointer) {
        vectors[c].validity.append(true)
        vectors[c].bytes.append(contentsOf: bytes)
        vectors[c].offsets.append(vectors[c].bytes.count)
    }

    /// Sets string column `c` of the current record.
    public mutating func setString(_ c: Int, _ value: String) {
        var s = value
        s.withUTF8 { setBytes(c, UnsafeRawBufferPointer($0)) }
    }

    /// Sets json column `c` of the current record; `json` must be compact, valid JSON text.
    public mutating func setJSON(_ c: Int, _ json: String) { setString(c, json) }

    /// Sets column `c` of the current record from a boxed value of the column's type (or null).
    public mutating func set(_ c: Int, _ value: Value) {
        switch value {
        case .null: setNull(c)
        case .boolean(let b): setBoolean(c, b)
        case .long(let v): setLong(c, v)
        case .double(let v): setDouble(c, v)
        case .timestamp(let t): setTimestamp(c, nanos: t.nanos)
        case .string(let s), .json(let s): setString(c, s)
        }
    }

    /// Ends the current record; columns that were not set become null.
    @inlinable public mutating func finishRecord() {
        let target = rowCount + 1
        for c in 0..<vectors.count where vectors[c].validity.count < target {
            setNull(c)
        }
        _rows = target
    }

    /// Drops whatever was set for the current, unfinished record.
    public mutating func discardRecord() {
        for c in 0..<vectors.count where vectors[c].validity.count > rowCount {
            vectors[c].validity.removeLast(vectors[c].validity.count - rowCount)
            switch vectors[c].type {
            case .boolean: vectors[c].booleans.removeLast(vectors[c].booleans.count - rowCount)
            case .long, .timestamp: vectors[c].integers.removeLast(vectors[c].integers.count - rowCount)
            case .double: vectors[c].doubles.removeLast(vectors[c].doubles.count - rowCount)
            case .string, .json:
                vectors[c].offsets.removeLast(vectors[c].offsets.count - rowCount - 1)
                vectors[c].bytes.removeLast(vectors[c].bytes.count - vectors[c].offsets[rowCount])
            }
        }
    }

    /// Appends row `row` of `page` (same column types) as a finished record.
    public mutating func copyRow(_ row: Int, of page: Page) {
        for c in 0..<vectors.count {
            if page.isNull(row: row, column: c) { setNull(c); continue }
            switch vectors[c].type {
            case .boolean: setBoolean(c, page.boolean(row: row, column: c))
            case .long: setLong(c, page.long(row: row, column: c))
            case .timestamp: setTimestamp(c, nanos: page.timestampNanos(row: row, column: c))
            case .double: setDouble(c, page.double(row: row, column: c))
            case .string, .json: page.withBytes(row: row, column: c) { setBytes(c, $0) }
            }
        }
        finishRecord()
    }

    /// Returns the finished records as a page and starts an empty one; an unfinished record is dropped.
    public mutating func build() -> Page {
        discardRecord()
        let page = Page(schema: schema, columns: vectors, rowCount: rowCount)
        vectors = schema.columns.map { ColumnVector(type: $0.type, capacity: capacity) }
        _rows = 0
        return page
    }
}
