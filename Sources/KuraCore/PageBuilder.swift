/// Appends records column by column and cuts them into `Page`s.
///
/// Set each column of the current record at most once (`setLong`, `setBytes`, `setNull`, …), in any order, then
/// call `finishRecord()`; columns left unset become null. `discardRecord()` drops a half-built record, so a parser
/// can reject a record after converting some of its fields. `build()` returns the page and starts a new one.
///
/// The builder writes into preallocated, manually managed buffers (no per-value array bookkeeping), so appending a
/// field costs a store or two. Its storage is shared by copies of the value: use one builder from one place.
public struct PageBuilder {
    /// The schema of the pages built.
    public let schema: Schema
    /// The number of records after which `isFull` becomes true (default 4096).
    public let capacity: Int
    @usableFromInline let store: Store
    @usableFromInline var _rows = 0
    // The store's buffers, copied here so the hot path reads struct fields, not class properties.
    @usableFromInline var valid: UnsafeMutablePointer<Bool>
    @usableFromInline var fixed: UnsafeMutableRawPointer
    @usableFromInline var offsets: UnsafeMutablePointer<Int>
    @usableFromInline let bytes: UnsafeMutablePointer<ByteArea>
    @usableFromInline let isBytes: UnsafeMutablePointer<Bool>
    /// Rows the buffers hold (grows past `capacity` when a caller keeps appending to a full page).
    @usableFromInline var slots: Int

    /// Creates a builder for `schema` cutting pages of `capacity` records (default 4096).
    public init(schema: Schema, capacity: Int = 4096) {
        self.schema = schema
        self.capacity = max(1, capacity)
        self.store = Store(types: schema.columns.map(\.type), capacity: self.capacity)
        valid = store.valid
        fixed = store.fixed
        offsets = store.offsets
        bytes = store.bytes
        isBytes = store.isBytes
        slots = self.capacity
    }

    /// The number of finished records in the current page.
    @inlinable public var rowCount: Int { _rows }

    /// Whether the current page has reached `capacity` records.
    @inlinable public var isFull: Bool { _rows >= capacity }

    /// Marks column `c` of the current record as null.
    @inlinable public mutating func setNull(_ c: Int) {
        valid[c &* slots &+ _rows] = false
        if isBytes[c] { bytes[c].count = offsets[c &* (slots &+ 1) &+ _rows] }
    }

    /// Sets boolean column `c` of the current record.
    @inlinable public mutating func setBoolean(_ c: Int, _ value: Bool) {
        valid[c &* slots &+ _rows] = true
        fixed.storeBytes(of: value ? 1 : 0, toByteOffset: (c &* slots &+ _rows) &* 8, as: Int64.self)
    }

    /// Sets long column `c` of the current record.
    @inlinable public mutating func setLong(_ c: Int, _ value: Int64) {
        valid[c &* slots &+ _rows] = true
        fixed.storeBytes(of: value, toByteOffset: (c &* slots &+ _rows) &* 8, as: Int64.self)
    }

    /// Sets double column `c` of the current record.
    @inlinable public mutating func setDouble(_ c: Int, _ value: Double) {
        valid[c &* slots &+ _rows] = true
        fixed.storeBytes(of: value, toByteOffset: (c &* slots &+ _rows) &* 8, as: Double.self)
    }

    /// Sets timestamp column `c` of the current record, in nanoseconds since the epoch.
    @inlinable public mutating func setTimestamp(_ c: Int, nanos: Int64) { setLong(c, nanos) }

    /// Sets string (or json) column `c` of the current record from UTF-8 bytes.
    @inlinable public mutating func setBytes(_ c: Int, _ bytes: UnsafeRawBufferPointer) {
        valid[c &* slots &+ _rows] = true
        self.bytes[c].append(bytes)
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
        for c in store.byteColumns {
            offsets[c &* (slots &+ 1) &+ _rows &+ 1] = bytes[c].count
        }
        _rows &+= 1
        if _rows == slots { grow() }
    }

    /// Doubles the row slots, moving each column's region (rare: only when appending past `capacity`).
    @usableFromInline mutating func grow() {
        let n = max(1, schema.count)
        let newSlots = slots * 2
        let v = UnsafeMutablePointer<Bool>.allocate(capacity: n * newSlots)
        v.initialize(repeating: false, count: n * newSlots)
        let f = UnsafeMutableRawPointer.allocate(byteCount: n * newSlots * 8, alignment: 8)
        f.initializeMemory(as: UInt8.self, repeating: 0, count: n * newSlots * 8)
        let o = UnsafeMutablePointer<Int>.allocate(capacity: n * (newSlots + 1))
        o.initialize(repeating: 0, count: n * (newSlots + 1))
        for c in 0..<schema.count {
            (v + c * newSlots).update(from: valid + c * slots, count: slots)
            (f + c * newSlots * 8).copyMemory(from: fixed + c * slots * 8, byteCount: slots * 8)
            (o + c * (newSlots + 1)).update(from: offsets + c * (slots + 1), count: slots + 1)
        }
        store.replace(valid: v, fixed: f, offsets: o)
        valid = v
        fixed = f
        offsets = o
        slots = newSlots
    }

    /// Drops whatever was set for the current, unfinished record.
    public mutating func discardRecord() {
        for c in 0..<schema.count {
            valid[c * slots + _rows] = false
            if isBytes[c] { bytes[c].count = offsets[c * (slots + 1) + _rows] }
        }
    }

    /// Appends row `row` of `page` (same column types) as a finished record.
    public mutating func copyRow(_ row: Int, of page: Page) {
        for c in 0..<schema.count {
            if page.isNull(row: row, column: c) { continue }
            switch schema[c].type {
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
        let rows = _rows
        var vectors: [ColumnVector] = []
        vectors.reserveCapacity(schema.count)
        for (c, column) in schema.columns.enumerated() {
            var v = ColumnVector(type: column.type)
            v.validity = Array(UnsafeBufferPointer(start: valid + c * slots, count: rows))
            let fixed = self.fixed + c * slots * 8
            switch column.type {
            case .boolean:
                let ints = fixed.assumingMemoryBound(to: Int64.self)
                v.booleans = (0..<rows).map { ints[$0] != 0 }
            case .long, .timestamp:
                v.integers = Array(UnsafeBufferPointer(start: fixed.assumingMemoryBound(to: Int64.self), count: rows))
            case .double:
                v.doubles = Array(UnsafeBufferPointer(start: fixed.assumingMemoryBound(to: Double.self), count: rows))
            case .string, .json:
                v.offsets = Array(UnsafeBufferPointer(start: offsets + c * (slots + 1), count: rows + 1))
                v.bytes = Array(UnsafeBufferPointer(start: bytes[c].base, count: bytes[c].count))
                bytes[c].count = 0
            }
            vectors.append(v)
        }
        // Reset: every row starts null.
        valid.update(repeating: false, count: schema.count * slots)
        _rows = 0
        return Page(schema: schema, columns: vectors, rowCount: rows)
    }

    /// The builder's buffers: validity flags, 8-byte slots for fixed-size values, and growable byte areas with
    /// offsets for string and json columns, one region per column.
    @usableFromInline
    final class Store {
        @usableFromInline private(set) var valid: UnsafeMutablePointer<Bool>
        @usableFromInline private(set) var fixed: UnsafeMutableRawPointer
        @usableFromInline private(set) var offsets: UnsafeMutablePointer<Int>
        @usableFromInline let bytes: UnsafeMutablePointer<ByteArea>
        @usableFromInline let isBytes: UnsafeMutablePointer<Bool>
        @usableFromInline let byteColumns: [Int]
        let columnCount: Int

        init(types: [ColumnType], capacity: Int) {
            let n = max(1, types.count)
            columnCount = types.count
            valid = .allocate(capacity: n * capacity)
            valid.initialize(repeating: false, count: n * capacity)
            fixed = .allocate(byteCount: n * capacity * 8, alignment: 8)
            fixed.initializeMemory(as: UInt8.self, repeating: 0, count: n * capacity * 8)
            offsets = .allocate(capacity: n * (capacity + 1))
            offsets.initialize(repeating: 0, count: n * (capacity + 1))
            bytes = .allocate(capacity: n)
            isBytes = .allocate(capacity: n)
            for c in 0..<n {
                let isB = c < types.count && (types[c] == .string || types[c] == .json)
                isBytes[c] = isB
                (bytes + c).initialize(to: ByteArea(capacity: isB ? 64 * capacity : 0))
            }
            byteColumns = types.indices.filter { types[$0] == .string || types[$0] == .json }
        }

        /// Takes over new row buffers, freeing the old ones.
        func replace(valid v: UnsafeMutablePointer<Bool>, fixed f: UnsafeMutableRawPointer, offsets o: UnsafeMutablePointer<Int>) {
            valid.deallocate()
            fixed.deallocate()
            offsets.deallocate()
            valid = v
            fixed = f
            offsets = o
        }

        deinit {
            for c in 0..<max(1, columnCount) { bytes[c].base.deallocate() }
            bytes.deallocate()
            isBytes.deallocate()
            offsets.deallocate()
            fixed.deallocate()
            valid.deallocate()
        }
    }

    /// A growable byte area for one string or json column.
    @usableFromInline
    struct ByteArea {
        @usableFromInline var base: UnsafeMutablePointer<UInt8>
        @usableFromInline var count = 0
        @usableFromInline var capacity: Int

        init(capacity: Int) {
            self.capacity = max(16, capacity)
            base = .allocate(capacity: self.capacity)
        }

        @inlinable mutating func append(_ b: UnsafeRawBufferPointer) {
            let n = b.count
            if count &+ n > capacity { grow(count + n) }
            if n > 0 { UnsafeMutableRawPointer(base + count).copyMemory(from: b.baseAddress!, byteCount: n) }
            count &+= n
        }

        @usableFromInline mutating func grow(_ needed: Int) {
            let newCapacity = max(capacity * 2, needed)
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            p.initialize(from: base, count: count)
            base.deallocate()
            base = p
            capacity = newCapacity
        }
    }
}
