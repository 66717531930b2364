/// One rejected record as kept in the rejects table (`_kura_rejects` in SQLite, `kura.rejects` in PostgreSQL).
public struct RejectRecord: Equatable, Sendable {
    /// The run that rejected it.
    public var runID: String
    /// The target of that run.
    public var target: String
    /// The input file.
    public var file: String
    /// The 1-based line, when known.
    public var line: Int?
    /// The byte offset of the record in the file, when known.
    public var byteOffset: Int64?
    /// The column at fault, when known.
    public var column: String?
    /// The reason code, such as `CAST`.
    public var code: String
    /// The message, a sentence.
    public var message: String
    /// The record's raw bytes (SQLite keeps them as text, so invalid UTF-8 comes back replaced).
    public var raw: [UInt8]
    /// The record's whole length in bytes: `raw` is at most its first 64 KiB. (Records kept before the length was,
    /// which kept their raw text whole, report `raw.count`.)
    public var length: Int64

    /// Creates a record; `length` defaults to `raw.count`.
    public init(
        runID: String, target: String, file: String, line: Int?, byteOffset: Int64?, column: String?, code: String,
        message: String, raw: [UInt8], length: Int64? = nil
    ) {
        self.length = length ?? Int64(raw.count)
        self.runID = runID
        self.target = target
        self.file = file
        self.line = line
        self.byteOffset = byteOffset
        self.column = column
        self.code = code
        self.message = message
        self.raw = raw
    }
}
