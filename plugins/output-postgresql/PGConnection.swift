import CLibPQ
import Foundation
import KuraCore

/// A failure reported by PostgreSQL or libpq: the SQLSTATE (when the server sent one) and the server's message.
///
/// Converted to `SystemError` at the plugin boundary with `systemError(_:)`; the text never contains a password,
/// because every message passes through the connection's redaction before it is stored here.
struct PGError: Error, CustomStringConvertible, Sendable {
    /// The five-character SQLSTATE, such as `23505`, or `nil` for a client-side failure.
    var sqlState: String?
    /// The primary message, with the detail and hint appended when present.
    var message: String
    /// Whether the connection broke (as opposed to a statement failing on a healthy connection).
    var connectionLost: Bool

    var description: String {
        if let sqlState { return "\(message) (SQLSTATE \(sqlState))" }
        return message
    }

    /// Whether retrying the same work on a new connection may succeed: a lost or refused connection, a
    /// serialization failure (`40001`), a deadlock (`40P01`), an administrator shutdown or restart (`57P01`,
    /// `57P02`, `57P03`), a connection-class error (`08…`) or too many connections (`53300`).
    var isRetryable: Bool {
        if connectionLost { return true }
        guard let s = sqlState else { return false }
        return s.hasPrefix("08") || ["40001", "40P01", "57P01", "57P02", "57P03", "53300"].contains(s)
    }

    /// The error as a `SystemError`, with `context` (what was being done) in front of the message.
    func systemError(_ context: String) -> SystemError {
        SystemError("\(context): \(description)", retryable: isRetryable)
    }
}

/// Connection settings as libpq keyword/value pairs, holding only what the user set, so libpq's own defaults
/// (the `PG*` environment variables, `~/.pgpass`, service files) still apply to everything else.
struct PGConnectionSettings: Sendable {
    /// The keyword/value pairs, in order. A `dbname` holding a URL is expanded by libpq.
    var parameters: [(String, String)]
    /// Secrets to hide in every message: the password, and the URL's password part.
    var secrets: [String]

    init(parameters: [(String, String)] = [], secrets: [String] = []) {
        self.parameters = parameters
        self.secrets = secrets.filter { !$0.isEmpty }
    }

    /// The value set for `keyword`, if any.
    subscript(keyword: String) -> String? { parameters.last { $0.0 == keyword }?.1 }

    /// A description of where the connection goes, for messages: `host:port/database as user`, never the password.
    var redactedDescription: String {
        var parts: [String] = []
        if let url = self["dbname"], url.contains("://") {
            parts.append(redactURL(url))
        } else {
            let host = self["host"] ?? "(default host)"
            let port = self["port"].map { ":" + $0 } ?? ""
            parts.append(host + port + "/" + (self["dbname"] ?? "(default database)"))
        }
        if let user = self["user"] { parts.append("as \(user)") }
        return parts.joined(separator: " ")
    }

    /// `text` with every secret replaced by `********`.
    func redact(_ text: String) -> String {
        var out = text
        for s in secrets where out.contains(s) { out = out.replacingOccurrences(of: s, with: "********") }
        return out
    }
}

/// `url` with the password part (`user:password@`) replaced by `********`, and any `password=` query parameter too.
func redactURL(_ url: String) -> String {
    var out = url
    if let scheme = out.range(of: "://") {
        let rest = out[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@"),
            let colon = rest[..<at].firstIndex(of: ":")
        {
            out.replaceSubrange(rest.index(after: colon)..<at, with: "********")
        }
    }
    if let q = out.firstIndex(of: "?") {
        let query = out[out.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
            pair.lowercased().hasPrefix("password=") ? "password=********" : String(pair)
        }
        out = String(out[...q]) + query.joined(separator: "&")
    }
    return out
}

/// The password inside a `postgresql://user:password@host/db` URL or its `password=` query parameter, if any.
func passwordInURL(_ url: String) -> [String] {
    var found: [String] = []
    if let scheme = url.range(of: "://") {
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
            let raw = String(rest[rest.index(after: colon)..<at])
            found.append(raw)
            if let decoded = raw.removingPercentEncoding, decoded != raw { found.append(decoded) }
        }
    }
    if let q = url.firstIndex(of: "?") {
        for pair in url[url.index(after: q)...].split(separator: "&") where pair.lowercased().hasPrefix("password=") {
            let raw = String(pair.dropFirst("password=".count))
            found.append(raw)
            if let decoded = raw.removingPercentEncoding, decoded != raw { found.append(decoded) }
        }
    }
    return found
}

/// The result of one command: rows as text, the command tag's row count, or an error.
///
/// The corresponding libpq type is `PGresult`; the value is copied out, so no libpq memory outlives the call.
struct PGRows {
    /// The column names.
    var columns: [String]
    /// The rows, each value as text or `nil` for NULL.
    var rows: [[String?]]
    /// The number of rows the command affected (`PQcmdTuples`), or 0.
    var affected: Int
}

/// One libpq connection (`PGconn`), used by one thread at a time.
///
/// Statements run with `execute` (text results), `query` (rows) and `copyIn` (COPY … FROM STDIN). Notices from the
/// server go to the logger at `info` (warnings at `warn`) instead of libpq's default of stderr.
final class PGConnection {
    /// The underlying `PGconn`.
    let handle: OpaquePointer
    /// The settings used to connect, for redaction and messages.
    let settings: PGConnectionSettings
    /// Where notices go; retained for the lifetime of the connection.
    private let noticeBox: Unmanaged<NoticeSink>
    /// Whether a COPY FROM STDIN is in progress.
    private(set) var isCopying = false

    /// Connects with `settings`; throws a `PGError` with the redacted reason on failure.
    ///
    /// The corresponding libpq function is `PQconnectdbParams` (with `expand_dbname` on, so `dbname` may be a URL).
    init(settings: PGConnectionSettings, logger: Logger) throws {
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
    static func isTransientConnectFailure(_ message: String) -> Bool {
        let m = message.lowercased()
        let permanent = ["authentication failed", "does not exist", "no password supplied", "invalid", "permission denied",
                         "not permitted", "pg_hba.conf", "unsupported", "certificate"]
        if permanent.contains(where: m.contains) { return false }
        return true
    }

    /// The server process id of this connection.
    ///
    /// The corresponding libpq function is `PQbackendPID`.
    var backendPID: Int32 { PQbackendPID(handle) }

    /// Whether the connection is still usable.
    ///
    /// The corresponding libpq function is `PQstatus`.
    var isOK: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Whether no transaction is open (idle), as the server last reported.
    ///
    /// The corresponding libpq function is `PQtransactionStatus`.
    var isIdle: Bool { PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// Runs one or more statements without parameters and returns the last statement's rows.
    ///
    /// The corresponding libpq function is `PQexec`.
    @discardableResult
    func execute(_ sql: String) throws -> PGRows {
        guard let r = PQexec(handle, sql) else { throw lastError("libpq returned no result") }
        defer { PQclear(r) }
        return try rows(of: r)
    }

    /// Runs one statement with text parameters `$1, $2, …` (`nil` is NULL) and returns its rows.
    ///
    /// The corresponding libpq function is `PQexecParams`.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws -> PGRows {
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
    func beginCopy(_ sql: String) throws {
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
    func putCopyData(_ bytes: UnsafeRawBufferPointer) throws {
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
    func endCopy(failure: String? = nil) throws -> Int {
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
    func literal(_ text: String) -> String {
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

/// `name` as a quoted SQL identifier: in double quotes, with each double quote doubled.
func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// `text` as an SQL string literal for standard_conforming_strings (on since PostgreSQL 9.1): quotes doubled.
func quoteLiteral(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}
