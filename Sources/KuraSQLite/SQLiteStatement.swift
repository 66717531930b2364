import CSQLite
import KuraCore

/// The destructor value that tells SQLite to copy bound text or blobs before the bind call returns.
///
/// The C header defines it as a cast macro, which Swift does not import.
nonisolated(unsafe) let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A zero-length, NUL-terminated text that stays valid for the life of the process (binding a nil pointer would
/// bind NULL instead of an empty string).
nonisolated(unsafe) private let emptyText: UnsafeMutablePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.pointee = 0
    return p
}()

/// A compiled SQL statement: bind parameters, step through the results, reset and run again.
public final class SQLiteStatement {
    /// The connection the statement belongs to (kept alive by the statement).
    public let connection: SQLiteConnection
    /// The raw handle, for calls this wrapper does not cover.
    public let handle: OpaquePointer
    /// The SQL text, for messages.
    public let sql: String

    init(connection: SQLiteConnection, handle: OpaquePointer, sql: String) {
        self.connection = connection
        self.handle = handle
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    private func check(_ rc: Int32, _ what: @autoclosure () -> String) throws {
        if rc != SQLITE_OK {
            throw SQLiteConnection.error(
                code: rc, message: connection.lastErrorMessage, path: connection.path, doing: what())
        }
    }

    /// Binds a 64-bit integer to the 1-based parameter `index`.
    ///
    /// The corresponding SQLite function is `sqlite3_bind_int64`.
    @inline(__always)
    public func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value), "bind parameter \(index)")
    }

    /// Binds a double to the 1-based parameter `index`.
    ///
    /// The corresponding SQLite function is `sqlite3_bind_double`.
    @inline(__always)
    public func bind(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(handle, index, value), "bind parameter \(index)")
    }

    /// Binds UTF-8 text to the 1-based parameter `index`; SQLite copies the bytes before returning.
    ///
    /// The corresponding SQLite function is `sqlite3_bind_text`.
    @inline(__always)
    public func bindText(_ utf8: UnsafeRawBufferPointer, at index: Int32) throws {
        let rc: Int32
        if let base = utf8.baseAddress, utf8.count > 0 {
            rc = sqlite3_bind_text(
                handle, index, base.assumingMemoryBound(to: CChar.self), Int32(utf8.count), SQLITE_TRANSIENT)
        } else {
            rc = sqlite3_bind_text(handle, index, emptyText, 0, nil)
        }
        try check(rc, "bind parameter \(index)")
    }

    /// Binds a string to the 1-based parameter `index`.
    ///
    /// The corresponding SQLite function is `sqlite3_bind_text`.
    public func bind(_ value: String, at index: Int32) throws {
        var s = value
        try s.withUTF8 { try bindText(UnsafeRawBufferPointer($0), at: index) }
    }

    /// Binds NULL to the 1-based parameter `index`.
    ///
    /// The corresponding SQLite function is `sqlite3_bind_null`.
    @inline(__always)
    public func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(handle, index), "bind parameter \(index)")
    }

    /// Runs the statement to its next row: `true` when a row is ready, `false` when it has finished.
    ///
    /// After a failure the statement is reset, so it can be bound and run again.
    /// The corresponding SQLite function is `sqlite3_step`.
    @discardableResult @inline(__always)
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let message = connection.lastErrorMessage
        sqlite3_reset(handle)
        throw SQLiteConnection.error(
            code: rc, message: message, path: connection.path, doing: "run \(SQLiteConnection.summary(sql))")
    }

    /// Rewinds the statement so it can run again; the bound values are kept.
    ///
    /// The corresponding SQLite function is `sqlite3_reset`.
    @inline(__always)
    public func reset() {
        sqlite3_reset(handle)
    }

    /// Sets every parameter back to NULL.
    ///
    /// The corresponding SQLite function is `sqlite3_clear_bindings`.
    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    /// The number of columns in a result row.
    ///
    /// The corresponding SQLite function is `sqlite3_column_count`.
    public var columnCount: Int32 { sqlite3_column_count(handle) }

    /// Whether column `index` (0-based) of the current row is NULL.
    ///
    /// The corresponding SQLite function is `sqlite3_column_type`.
    public func isNull(at index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    /// The storage class of column `index` (0-based) of the current row: `SQLITE_INTEGER`, `SQLITE_FLOAT`,
    /// `SQLITE_TEXT`, `SQLITE_BLOB` or `SQLITE_NULL`.
    ///
    /// The corresponding SQLite function is `sqlite3_column_type`.
    public func storageClass(at index: Int32) -> Int32 { sqlite3_column_type(handle, index) }

    /// Column `index` (0-based) of the current row as a 64-bit integer.
    ///
    /// The corresponding SQLite function is `sqlite3_column_int64`.
    public func int64(at index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// Column `index` (0-based) of the current row as a double.
    ///
    /// The corresponding SQLite function is `sqlite3_column_double`.
    public func double(at index: Int32) -> Double { sqlite3_column_double(handle, index) }

    /// Column `index` (0-based) of the current row as text (empty for NULL).
    ///
    /// The corresponding SQLite function is `sqlite3_column_text`.
    public func text(at index: Int32) -> String {
        guard let p = sqlite3_column_text(handle, index) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// The name of result column `index` (0-based).
    ///
    /// The corresponding SQLite function is `sqlite3_column_name`.
    public func columnName(at index: Int32) -> String {
        sqlite3_column_name(handle, index).map { String(cString: $0) } ?? ""
    }
}
