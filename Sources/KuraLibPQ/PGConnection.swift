import CLibPQ
import Foundation
import KuraCore

/// The result of one command: rows as text, the command tag's row count, or an error.
///
/// The corresponding libpq type is `PGresult`; the value is copied out, so no libpq memory outlives the call.
public struct PGRows {
    /// The column names.
    public var columns: [String]
    /// The rows, each value as text or `nil` for NULL.
    public var rows: [[String?]]
    /// The number of rows the command affected (`PQcmdTuples`), or 0.
    public var affected: Int
}

/// One libpq connection (`PGconn`), used by one thread at a time.
///
/// Statements run with `execute` (several statements, no parameters) and `query` (one statement with parameters),
/// both returning rows as text; `COPY … FROM STDIN` runs with `beginCopy`, `putCopyData` and `endCopy`. Notices from
/// the server go to the logger at `info` (warnings at `warn`) instead of libpq's default of stderr.
public final class PGConnection {
    /// The underlying `PGconn`.
    public let handle: OpaquePointer
    /// The settings used to connect, for redaction and messages.
    public let settings: PGConnectionSettings
    /// Where notices go; retained for the lifetime of the connection.
    private let noticeBox: Unmanaged<NoticeSink>
    /// Whether a COPY FROM STDIN is in progress.
    public private(set) var isCopying = false

    /// Connects with `settings`; throws a `PGError` with the redacted reason on failure.
    ///
    /// The corresponding libpq function is `PQconnectdbParams` (with `expand_dbname` on, so `dbname` may be a URL).
    public init(settings: PGConnectionSettings, logger: Logger) throws {
        self.settings = settings
        let keys = settings.parameters.map { strdup($0.0) } + [nil]
        let values = settings.parameters.map { strdup($0.1) } + [nil]
        defer {
            for p in keys { free(p) }
            for p in values { free(p) }
        }
        let conn: OpaquePointer? = keys.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                k.withMemoryRebound(to: UnsafePointer<CChar>?.self) { kk in
                    v.withMemoryRebound(to: UnsafePointer<CChar>?.self) { vv in
                        PQconnectdbParams(kk.baseAddress, vv.baseAddress, 1)
                    }
                }
            }
        }
        guard let conn else { throw PGError(sqlState: nil, message: "libpq could not allocate a connection", connectionLost: true) }
        if PQstatus(conn) != CONNECTION_OK {
            let raw = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(conn)
            let message = settings.redact(raw)
            throw PGError(
                sqlState: nil,
                message: "could not connect to PostgreSQL at \(settings.redactedDescription): \(message)",
                connectionLost: PGConnection.isTransientConnectFailure(message))
        }
        handle = conn
        noticeBox = Unmanaged.passRetained(NoticeSink(logger: logger, settings: settings))
        PQsetNoticeReceiver(conn, pgNoticeReceiver, noticeBox.toOpaque())
    }

    deinit {
        PQfinish(handle)
        noticeBox.release()
    }

    /// Whether a failed connection attempt may succeed later: refused, timed out, the server starting or shutting
    /// down, or too many clients. Authentication failures and missing roles or databases are not transient.
    public static func isTransientConnectFailure(_ message: String) -> Bool {
        let m = message.lowercased()
        let permanent = ["authentication failed", "does not exist", "no password supplied", "invalid", "permission denied",
                         "not permitted", "pg_hba.conf", "unsupported", "certificate", "unrecognized configuration parameter",
                         "password authentication", "no pg_hba.conf entry"]
        if permanent.contains(where: m.contains) { return false }
        return true
    }

    /// The server process id of this connection.
    ///
    /// The corresponding libpq function is `PQbackendPID`.
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Whether the connection is still usable.
    ///
    /// The corresponding libpq function is `PQstatus`.
    public var isOK: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Whether no transaction is open (idle), as the server last reported.
    ///
    /// The corresponding libpq function is `PQtransactionStatus`.
    public var isIdle: Bool { PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// Runs one or more statements without parameters and returns the last statement's rows.
    ///
    /// The corresponding libpq function is `PQexec`.
    @discardableResult
    public func execute(_ sql: String) throws -> PGRows {
        guard let r = PQexec(handle, sql) else { throw lastError("libpq returned no result") }
        defer { PQclear(r) }
        return try rows(of: r)
    }

    /// Runs one statement with text parameters `$1, $2, …` (`nil` is NULL) and returns its rows.
    ///
    /// The corresponding libpq function is `PQexecParams`.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws -> PGRows {
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { for p in copies { free(p) } }
        let r: OpaquePointer? = copies.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: UnsafePointer<CChar>?.self) { p in
                PQexecParams(handle, sql, Int32(parameters.count), nil, p.baseAddress, nil, nil, 0)
            }
        }
        guard let r else { throw lastError("libpq returned no result") }
        defer { PQclear(r) }
        return try rows(of: r)
    }

    /// Starts `COPY … FROM STDIN`; then send data with `putCopyData` and finish with `endCopy`.
    ///
    /// The corresponding libpq function is `PQexec` (which returns `PGRES_COPY_IN`).
    public func beginCopy(_ sql: String) throws {
        guard let r = PQexec(handle, sql) else { throw lastError("libpq returned no result") }
        defer { PQclear(r) }
        if PQresultStatus(r) != PGRES_COPY_IN {
            _ = try rows(of: r)
            throw PGError(sqlState: nil, message: "the server did not enter COPY mode", connectionLost: false)
        }
        isCopying = true
    }

    /// Sends COPY data; any split is allowed.
    ///
    /// The corresponding libpq function is `PQputCopyData`.
    public func putCopyData(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        let ok = PQputCopyData(handle, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        if ok != 1 {
            // The server may have ended the COPY with an error; collect it for a precise message.
            isCopying = false
            throw drainError() ?? lastError("could not send COPY data")
        }
    }

    /// Ends the COPY: with `failure == nil` the server commits the rows (as far as the transaction goes) and the
    /// number of rows copied is returned; with a message the server aborts the COPY with that message.
    ///
    /// The corresponding libpq functions are `PQputCopyEnd` and `PQgetResult`.
    @discardableResult
    public func endCopy(failure: String? = nil) throws -> Int {
        guard isCopying else { return 0 }
        isCopying = false
        let ok = PQputCopyEnd(handle, failure)
        var affected = 0
        var firstError: PGError?
        while let r = PQgetResult(handle) {
            defer { PQclear(r) }
            do {
                affected += try rows(of: r).affected
            } catch let e as PGError {
                if firstError == nil { firstError = e }
            }
        }
        if failure != nil { return 0 }
        if let firstError { throw firstError }
        if ok != 1 { throw lastError("could not end COPY") }
        return affected
    }

    /// Collects the results pending after a failed COPY send and returns the first error among them.
    private func drainError() -> PGError? {
        var found: PGError?
        _ = PQputCopyEnd(handle, "client stopped sending")
        while let r = PQgetResult(handle) {
            if found == nil, let e = error(of: r) { found = e }
            PQclear(r)
        }
        return found
    }

    /// `text` as a quoted SQL string literal.
    ///
    /// The corresponding libpq function is `PQescapeLiteral`.
    public func literal(_ text: String) -> String {
        var copy = text
        return copy.withUTF8 { b -> String in
            guard let p = PQescapeLiteral(handle, UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self), b.count)
            else { return "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
            defer { PQfreemem(p) }
            return String(cString: p)
        }
    }

    // MARK: - Results

    private func rows(of r: OpaquePointer) throws -> PGRows {
        if let e = error(of: r) { throw e }
        let n = Int(PQntuples(r)), m = Int(PQnfields(r))
        var columns: [String] = []
        for j in 0..<m { columns.append(String(cString: PQfname(r, Int32(j)))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(n)
        for i in 0..<n {
            var row: [String?] = []
            row.reserveCapacity(m)
            for j in 0..<m {
                if PQgetisnull(r, Int32(i), Int32(j)) != 0 {
                    row.append(nil)
                } else {
                    row.append(String(cString: PQgetvalue(r, Int32(i), Int32(j))))
                }
            }
            rows.append(row)
        }
        let tag = String(cString: PQcmdTuples(r))
        return PGRows(columns: columns, rows: rows, affected: Int(tag) ?? 0)
    }

    /// The error a result carries, or `nil` for a successful result.
    ///
    /// The corresponding libpq functions are `PQresultStatus` and `PQresultErrorField`.
    private func error(of r: OpaquePointer) -> PGError? {
        let status = PQresultStatus(r)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE: return nil
        default: break
        }
        func field(_ code: UInt8) -> String? {
            guard let p = PQresultErrorField(r, Int32(code)) else { return nil }
            return String(cString: p)
        }
        var message = field(UInt8(ascii: "M")) ?? String(cString: PQresultErrorMessage(r))
        if message.isEmpty { message = String(cString: PQerrorMessage(handle)) }
        message = message.trimmingCharacters(in: .whitespacesAndNewlines)
        if let detail = field(UInt8(ascii: "D")) { message += "; detail: " + detail }
        if let hint = field(UInt8(ascii: "H")) { message += "; hint: " + hint }
        if let context = field(UInt8(ascii: "W")) { message += "; context: " + context }
        return PGError(
            sqlState: field(UInt8(ascii: "C")), message: settings.redact(message),
            connectionLost: PQstatus(handle) != CONNECTION_OK)
    }

    /// The connection's last error message as a `PGError`.
    ///
    /// The corresponding libpq function is `PQerrorMessage`.
    private func lastError(_ fallback: String) -> PGError {
        var message = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
        if message.isEmpty { message = fallback }
        return PGError(sqlState: nil, message: settings.redact(message), connectionLost: PQstatus(handle) != CONNECTION_OK)
    }
}

/// Where a connection's notices go.
final class NoticeSink {
    let logger: Logger
    let settings: PGConnectionSettings
    init(logger: Logger, settings: PGConnectionSettings) {
        self.logger = logger
        self.settings = settings
    }
}

/// Receives a notice from libpq and hands it to the connection's logger.
private func pgNoticeReceiver(_ arg: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let arg, let result else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(arg).takeUnretainedValue()
    let severity = PQresultErrorField(result, Int32(UInt8(ascii: "V"))).map { String(cString: $0) } ?? "NOTICE"
    let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
        ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
    let text = sink.settings.redact("PostgreSQL \(severity): \(primary)")
    if severity == "WARNING" { sink.logger.warn(text) } else { sink.logger.info(text) }
}
