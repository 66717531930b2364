import KuraCore

/// The values of one expression over the rows of a page, column-wise, in buffers that are reused page after page.
///
/// Only the buffers of `type` are used, as in `ColumnVector`: `bools` for boolean, `ints` for long and timestamp
/// (nanoseconds since the epoch), `doubles` for double, `bytes` with `offsets` for string and json. A column
/// reference shares the page's own buffers (no copy); computed values are written in place, so evaluating a page
/// allocates nothing per row.
public final class Vec {
    /// The type of the values.
    public let type: ColumnType
    /// The number of rows.
    public internal(set) var count = 0
    /// `true` where the row holds a value.
    public internal(set) var valid: [Bool] = []
    public internal(set) var bools: [Bool] = []
    public internal(set) var ints: [Int64] = []
    public internal(set) var doubles: [Double] = []
    public internal(set) var bytes: [UInt8] = []
    public internal(set) var offsets: [Int] = [0]

    init(_ type: ColumnType) { self.type = type }

    /// Empties the buffers for `n` rows, keeping their capacity; fixed-size buffers hold `n` zeros, validity true.
    func reset(_ n: Int) {
        count = n
        Self.refill(&valid, n, true)
        switch type {
        case .boolean: Self.refill(&bools, n, false)
        case .long, .timestamp: Self.refill(&ints, n, 0)
        case .double: Self.refill(&doubles, n, 0)
        case .string, .json:
            bytes.removeAll(keepingCapacity: true)
            offsets.removeAll(keepingCapacity: true)
            offsets.reserveCapacity(n + 1)
            offsets.append(0)
        }
    }

    static func refill<T>(_ a: inout [T], _ n: Int, _ value: T) {
        if a.count == n {
            a.withUnsafeMutableBufferPointer { $0.update(repeating: value) }
        } else {
            a.removeAll(keepingCapacity: true)
            a.append(contentsOf: repeatElement(value, count: n))
        }
    }

    /// Shares the buffers of column `c` of `page`.
    func share(_ page: Page, column c: Int) {
        let v = page.columns[c]
        count = page.rowCount
        valid = v.validity
        switch type {
        case .boolean: bools = v.booleans
        case .long, .timestamp: ints = v.integers
        case .double: doubles = v.doubles
        case .string, .json:
            bytes = v.bytes
            offsets = v.offsets
        }
    }

    /// Ends a string row: `bytes` appended since the last call become the row's value.
    @inline(__always) func endString() { offsets.append(bytes.count) }

    /// Ends a string row as null.
    @inline(__always) func endNull(_ r: Int) {
        valid[r] = false
        offsets.append(bytes.count)
    }

    /// Calls `body` with a reader of the string rows.
    @inline(__always)
    func withStrings<R>(_ body: (Strings) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { b in
            try offsets.withUnsafeBufferPointer { o in try body(Strings(base: b.baseAddress, offsets: o.baseAddress!)) }
        }
    }

    /// The values as a page column of `type` (the buffers are shared, not copied).
    public var columnVector: ColumnVector {
        var v = ColumnVector(type: type)
        v.validity = valid
        switch type {
        case .boolean: v.booleans = bools
        case .long, .timestamp: v.integers = ints
        case .double: v.doubles = doubles
        case .string, .json:
            v.bytes = bytes
            v.offsets = offsets
        }
        return v
    }

    /// The value of row `r`, boxed (for tests and messages).
    public func value(_ r: Int) -> Value {
        if !valid[r] { return .null }
        switch type {
        case .boolean: return .boolean(bools[r])
        case .long: return .long(ints[r])
        case .timestamp: return .timestamp(Timestamp(nanos: ints[r]))
        case .double: return .double(doubles[r])
        case .string: return .string(withStrings { String(decoding: $0[r], as: UTF8.self) })
        case .json: return .json(withStrings { String(decoding: $0[r], as: UTF8.self) })
        }
    }
}

/// Random access to the string rows of a `Vec`, valid inside `withStrings`.
struct Strings {
    let base: UnsafePointer<UInt8>?
    let offsets: UnsafePointer<Int>

    @inline(__always) subscript(r: Int) -> UnsafeRawBufferPointer {
        let s = offsets[r], e = offsets[r + 1]
        guard let base, e > s else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + s, count: e - s)
    }
}
