import KuraCore

/// Raw pointers to one column's buffers, valid inside `withColumnPointers`.
struct ColumnPointers {
    var validity: UnsafePointer<Bool>
    var integers: UnsafePointer<Int64>?
    var doubles: UnsafePointer<Double>?
    var booleans: UnsafePointer<Bool>?
    var bytes: UnsafePointer<UInt8>?
    var offsets: UnsafePointer<Int>?
}

/// Calls `body` with raw pointers to the buffers of every column from `index` on (appended to `done`).
func withColumnPointers<R>(
    _ columns: [ColumnVector], _ index: Int, _ done: [ColumnPointers], _ body: ([ColumnPointers]) throws -> R
) throws -> R {
    if index == columns.count { return try body(done) }
    let v = columns[index]
    return try v.validity.withUnsafeBufferPointer { validity in
        let base = validity.baseAddress ?? UnsafePointer(bitPattern: 1)!
        var p = ColumnPointers(validity: base)
        switch v.type {
        case .long, .timestamp:
            return try v.integers.withUnsafeBufferPointer {
                p.integers = $0.baseAddress
                return try withColumnPointers(columns, index + 1, done + [p], body)
            }
        case .double:
            return try v.doubles.withUnsafeBufferPointer {
                p.doubles = $0.baseAddress
                return try withColumnPointers(columns, index + 1, done + [p], body)
            }
        case .boolean:
            return try v.booleans.withUnsafeBufferPointer {
                p.booleans = $0.baseAddress
                return try withColumnPointers(columns, index + 1, done + [p], body)
            }
        case .string, .json:
            return try v.bytes.withUnsafeBufferPointer { bytes in
                try v.offsets.withUnsafeBufferPointer { offsets in
                    p.bytes = bytes.baseAddress
                    p.offsets = offsets.baseAddress
                    return try withColumnPointers(columns, index + 1, done + [p], body)
                }
            }
        }
    }
}
