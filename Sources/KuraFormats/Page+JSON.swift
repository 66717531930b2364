import KuraCore
extension Page {
    /// Appends record `row` as one JSON object keyed by column name, in schema order.
    ///
    /// long → integer; double → number in its shortest exact form (`NaN`, `Infinity`, `-Infinity` bare, as JSON has
    /// no spelling for them); boolean → `true`/`false`; string → escaped JSON string; timestamp → ISO 8601 UTC
    /// string (`"2024-01-02T03:04:05Z"`, a fraction only when non-zero); json → the stored text as a nested value;
    /// null → `null`. Nothing is followed by a line break.
    public func appendJSONObject(row: Int, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for c in 0..<schema.count {
            if c > 0 { out.append(UInt8(ascii: ",")) }
            JSON.appendQuoted(schema.columns[c].name, to: &out)
            out.append(UInt8(ascii: ":"))
            appendJSONValue(row: row, column: c, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends the value of column `c` in `row` as JSON, as `appendJSONObject` writes it.
    public func appendJSONValue(row: Int, column c: Int, to out: inout [UInt8]) {
        if isNull(row: row, column: c) {
            out.append(contentsOf: [110, 117, 108, 108])  // null
            return
        }
        switch schema.columns[c].type {
        case .boolean:
            if boolean(row: row, column: c) {
                out.append(contentsOf: [116, 114, 117, 101])
            } else {
                out.append(contentsOf: [102, 97, 108, 115, 101])
            }
        case .long:
            appendInteger(long(row: row, column: c), to: &out)
        case .double:
            out.append(contentsOf: double(row: row, column: c).shortestText.utf8)
        case .string:
            withBytes(row: row, column: c) { JSON.appendQuoted($0, to: &out) }
        case .timestamp:
            out.append(UInt8(ascii: "\""))
            Timestamp(nanos: timestampNanos(row: row, column: c)).appendISO8601(to: &out)
            out.append(UInt8(ascii: "\""))
        case .json:
            withBytes(row: row, column: c) { b in
                if b.isEmpty {
                    out.append(contentsOf: [110, 117, 108, 108])
                } else {
                    out.append(contentsOf: b)
                }
            }
        }
    }
}

/// Appends the decimal digits of `value` (with a `-` when negative).
@inline(__always)
func appendInteger(_ value: Int64, to out: inout [UInt8]) {
    if value < 0 { out.append(UInt8(ascii: "-")) }
    appendPadded(value, width: 1, to: &out)
}
