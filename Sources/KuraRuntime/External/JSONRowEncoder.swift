import KuraCore
import KuraFormats

/// Writes records as JSON Lines for out-of-process plugins: one object per record keyed by column name, in schema
/// order, each followed by a line break (values as `Page.appendJSONValue` writes them).
///
/// A page is encoded a column at a time (each column's values into a buffer of its own, with no per-value type
/// dispatch), then the lines are put together from the keys, written once, and those buffers.
final class JSONRowEncoder {
    let schema: Schema
    /// Per column, the bytes before its value: `{"name":` for the first column, `,"name":` for the others.
    private let keys: [[UInt8]]
    /// Per column, the values of the page being encoded, one after the other.
    private var values: [[UInt8]]
    /// Per column, where each row's value ends in `values`.
    private var ends: [[Int]]
    /// Where each line of the last page encoded ends (after its line break).
    private(set) var lineEnds: [Int] = []
    private static let nullText: [UInt8] = Array("null".utf8)
    private static let trueText: [UInt8] = Array("true".utf8)
    private static let falseText: [UInt8] = Array("false".utf8)

    init(schema: Schema) {
        self.schema = schema
        keys = schema.columns.enumerated().map { c, column in
            var key: [UInt8] = [c == 0 ? UInt8(ascii: "{") : UInt8(ascii: ",")]
            JSON.appendQuoted(column.name, to: &key)
            key.append(UInt8(ascii: ":"))
            return key
        }
        values = Array(repeating: [], count: schema.count)
        ends = Array(repeating: [], count: schema.count)
    }

    /// The records of `page` as JSON Lines.
    func encode(_ page: Page) -> [UInt8] {
        let rows = page.rowCount
        var size = rows * (keys.isEmpty ? 3 : 2)
        for c in 0..<keys.count {
            encodeColumn(page.columns[c], rows: rows, into: &values[c], ends: &ends[c])
            size += values[c].count + rows * keys[c].count
        }
        lineEnds.removeAll(keepingCapacity: true)
        lineEnds.reserveCapacity(rows)
        return [UInt8](unsafeUninitializedCapacity: size) { out, count in
            var at = 0
            func put(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
                (out.baseAddress! + at).update(from: bytes.baseAddress! + range.lowerBound, count: range.count)
                at += range.count
            }
            for row in 0..<rows {
                if keys.isEmpty {
                    out[at] = UInt8(ascii: "{")
                    at += 1
                }
                for c in 0..<keys.count {
                    keys[c].withUnsafeBufferPointer { put($0, 0..<$0.count) }
                    let start = row == 0 ? 0 : ends[c][row - 1]
                    values[c].withUnsafeBufferPointer { put($0, start..<ends[c][row]) }
                }
                out[at] = UInt8(ascii: "}")
                out[at + 1] = 10
                at += 2
                lineEnds.append(at)
            }
            count = at
        }
    }

    /// Writes the JSON text of each of the first `rows` values of `v` into `out`, and where each ends into `ends`.
    private func encodeColumn(_ v: ColumnVector, rows: Int, into out: inout [UInt8], ends: inout [Int]) {
        out.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        ends.reserveCapacity(rows)
        v.validity.withUnsafeBufferPointer { valid in
            switch v.type {
            case .long:
                v.integers.withUnsafeBufferPointer { ints in
                    for r in 0..<rows {
                        if valid[r] { Self.appendInteger(ints[r], to: &out) } else { out.append(contentsOf: Self.nullText) }
                        ends.append(out.count)
                    }
                }
            case .timestamp:
                for r in 0..<rows {
                    if valid[r] {
                        out.append(UInt8(ascii: "\""))
                        Timestamp(nanos: v.integers[r]).appendISO8601(to: &out)
                        out.append(UInt8(ascii: "\""))
                    } else {
                        out.append(contentsOf: Self.nullText)
                    }
                    ends.append(out.count)
                }
            case .double:
                for r in 0..<rows {
                    if valid[r] { out.append(contentsOf: v.doubles[r].shortestText.utf8) } else { out.append(contentsOf: Self.nullText) }
                    ends.append(out.count)
                }
            case .boolean:
                for r in 0..<rows {
                    if valid[r] { out.append(contentsOf: v.booleans[r] ? Self.trueText : Self.falseText) } else { out.append(contentsOf: Self.nullText) }
                    ends.append(out.count)
                }
            case .string, .json:
                encodeBytes(v, valid: valid, rows: rows, into: &out, ends: &ends)
            }
        }
    }

    /// `encodeColumn` for string columns (quoted) and json columns (the stored text; empty text is null).
    private func encodeBytes(_ v: ColumnVector, valid: UnsafeBufferPointer<Bool>, rows: Int, into out: inout [UInt8], ends: inout [Int]) {
        let quote = v.type == .string
        v.bytes.withUnsafeBytes { bytes in
            v.offsets.withUnsafeBufferPointer { offsets in
                for r in 0..<rows {
                    let value = UnsafeRawBufferPointer(rebasing: bytes[offsets[r]..<offsets[r + 1]])
                    if !valid[r] || (!quote && value.isEmpty) {
                        out.append(contentsOf: Self.nullText)
                    } else if quote {
                        JSON.appendQuoted(value, to: &out)
                    } else {
                        out.append(contentsOf: value)
                    }
                    ends.append(out.count)
                }
            }
        }
    }

    /// Appends the decimal digits of `value`.
    @inline(__always)
    static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var v = value.magnitude
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat {
                buf[23 - n] = UInt8(truncatingIfNeeded: 48 &+ v % 10)
                v /= 10
                n += 1
            } while v > 0
            if value < 0 {
                n += 1
                buf[24 - n] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[(24 - n)...]))
        }
    }
}
