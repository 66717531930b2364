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

    /// Creates a record.
    public init(
        runID: String, target: String, file: String, line: Int?, byteOffset: Int64?, column: String?, code: String,
        message: String, raw: [UInt8]
    ) {
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
