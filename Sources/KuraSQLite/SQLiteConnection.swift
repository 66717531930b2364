import CSQLite
import KuraCore

/// An open SQLite database connection.
///
/// A connection is not safe to use from two threads at the same time; callers serialize access (it is opened in
/// SQLite's multi-thread mode, without SQLite's own per-connection mutex). Statements prepared on it keep it alive.
public final class SQLiteConnection {
    /// The database file path, used in error messages.
    public let path: String
    /// The raw handle, for calls this wrapper does not cover.
    public let handle: OpaquePointer

    /// How to open a database file.
    public enum OpenMode: Sendable {
        /// Read and write, creating the file when it does not exist.
        case readWriteCreate
        /// Read and write an existing file.
        case readWrite
        /// Read an existing file only.
        case readOnly
    }

    /// Opens (and by default creates) the database at `path`.
    ///
    /// The path is taken literally (never as a `file:` URI). Extended result codes are turned on.
    /// The corresponding SQLite function is `sqlite3_open_v2`.
    public init(path: String, mode: OpenMode = .readWriteCreate) throws {
        var flags = SQLITE_OPEN_NOMUTEX
        switch mode {
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteConnection.error(code: rc, message: message, path: path, doing: "open the database")
        }
        self.path = path
        self.handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements that return no rows of interest.
    ///
    /// The corresponding SQLite function is `sqlite3_exec`.
    public func exec(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw SQLiteConnection.error(code: rc, message: message, path: path, doing: "run \(SQLiteConnection.summary(sql))")
        }
    }

    /// Compiles one SQL statement.
    ///
    /// Text after the first statement is an error, so a statement can never smuggle in a second one.
    /// The corresponding SQLite function is `sqlite3_prepare_v2`.
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        var hasSecondStatement = false
        let rc = sql.withCString { text -> Int32 in
            var tail: UnsafePointer<CChar>?
            let r = sqlite3_prepare_v2(handle, text, -1, &stmt, &tail)
            // Only whitespace and semicolons may follow the statement.
            var p = tail
            while let c = p?.pointee, c != 0 {
                if !" \t\n\r;".utf8.contains(UInt8(bitPattern: c)) {
                    hasSecondStatement = true
                    break
                }
                p = p.map { $0 + 1 }
            }
            return r
        }
        guard rc == SQLITE_OK, let stmt else {
            throw SQLiteConnection.error(code: rc, message: lastErrorMessage, path: path, doing: "prepare \(SQLiteConnection.summary(sql))")
        }
        if hasSecondStatement {
            sqlite3_finalize(stmt)
            throw SystemError("SQLite refused to prepare \(SQLiteConnection.summary(sql)) on \(path): it holds more than one statement")
        }
        return SQLiteStatement(connection: self, handle: stmt, sql: sql)
    }

    /// Sets how long a statement waits for another connection's lock before failing with `SQLITE_BUSY`.
    ///
    /// The corresponding SQLite function is `sqlite3_busy_timeout`.
    public func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    /// Switches the database to write-ahead logging and returns the journal mode SQLite reports afterwards.
    ///
    /// Changing the journal mode needs the database to itself, and SQLite fails it at once with `SQLITE_BUSY`
    /// (without calling the busy handler) when another connection is switching at the same moment; so this
    /// retries every 10 ms for up to `milliseconds` (default 30 s) before giving up with SQLite's error.
    public func enableWriteAheadLog(waitingUpTo milliseconds: Int32 = 30_000) throws -> String? {
        var waited: Int32 = 0
        while true {
            do {
                return try queryText("PRAGMA journal_mode=WAL").first?.first ?? nil
            } catch let error as SystemError where error.isRetryable && waited < milliseconds {
                waited += sqlite3_sleep(10)
            }
        }
    }

    /// The rowid of the last row inserted by this connection.
    ///
    /// The corresponding SQLite function is `sqlite3_last_insert_rowid`.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// The number of rows changed by the last finished INSERT, UPDATE or DELETE.
    ///
    /// The corresponding SQLite function is `sqlite3_changes64`.
    public var changes: Int64 { sqlite3_changes64(handle) }

    /// Whether the connection is outside any transaction (autocommit mode).
    ///
    /// The corresponding SQLite function is `sqlite3_get_autocommit`.
    public var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    /// The English message of the most recent failed call on this connection.
    ///
    /// The corresponding SQLite function is `sqlite3_errmsg`.
    public var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// Runs `sql` and returns the first column of every row as text (NULL as `nil`), binding `arguments` as text.
    public func queryText(_ sql: String, _ arguments: [String] = []) throws -> [[String?]] {
        let stmt = try prepare(sql)
        for (i, a) in arguments.enumerated() { try stmt.bind(a, at: Int32(i + 1)) }
        var rows: [[String?]] = []
        while try stmt.step() {
            rows.append((0..<stmt.columnCount).map { stmt.isNull(at: $0) ? nil : stmt.text(at: $0) })
        }
        return rows
    }

    /// A `SystemError` for a failed SQLite call, with SQLite's message and the file path.
    public static func error(code: Int32, message: String, path: String, doing what: String) -> SystemError {
        let primary = code & 0xFF
        let retryable = primary == SQLITE_BUSY || primary == SQLITE_LOCKED
        var text = "SQLite could not \(what) on \(path): \(message) (code \(code))"
        if retryable {
            text += "; another connection holds the database lock, so retry when it finishes"
        }
        return SystemError(text, retryable: retryable)
    }

    /// The first words of `sql`, for messages.
    public static func summary(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: { $0 == "\n" || $0 == " " || $0 == "\t" }).joined(separator: " ")
        return "'" + (flat.count > 80 ? String(flat.prefix(77)) + "…" : flat) + "'"
    }
}
