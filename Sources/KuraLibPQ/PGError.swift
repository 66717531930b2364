import KuraCore

/// A failure reported by PostgreSQL or libpq: the SQLSTATE (when the server sent one) and the server's message.
///
/// Converted to `SystemError` at the plugin boundary with `systemError(_:)`; the text never contains a password,
/// because every message passes through the connection's redaction before it is stored here.
public struct PGError: Error, CustomStringConvertible, Sendable {
    /// The five-character SQLSTATE, such as `23505`, or `nil` for a client-side failure.
    public var sqlState: String?
    /// The primary message, with the detail and hint appended when present.
    public var message: String
    /// Whether the connection broke (as opposed to a statement failing on a healthy connection).
    public var connectionLost: Bool

    public var description: String {
        if let sqlState { return "\(message) (SQLSTATE \(sqlState))" }
        return message
    }

    /// Whether retrying the same work on a new connection may succeed: a lost or refused connection, a
    /// serialization failure (`40001`), a deadlock (`40P01`), an administrator shutdown or restart (`57P01`,
    /// `57P02`, `57P03`), a connection-class error (`08…`) or too many connections (`53300`).
    public var isRetryable: Bool {
        if connectionLost { return true }
        guard let s = sqlState else { return false }
        return s.hasPrefix("08") || ["40001", "40P01", "57P01", "57P02", "57P03", "53300"].contains(s)
    }

    /// The error as a `SystemError`, with `context` (what was being done) in front of the message.
    public func systemError(_ context: String) -> SystemError {
        SystemError("\(context): \(description)\(hint)", retryable: isRetryable)
    }

    /// What to do about the error, when its class says (disk full, out of memory), with a leading "; ".
    var hint: String {
        switch sqlState {
        case "53100": return "; the server's disk is full: free space there (or use a tablespace with room), then run again"
        case "53200": return "; the server ran out of memory: retry when it is less busy, or lower work_mem for the run"
        default: return ""
        }
    }

    /// Creates an error from its parts.
    public init(sqlState: String?, message: String, connectionLost: Bool) {
        self.sqlState = sqlState
        self.message = message
        self.connectionLost = connectionLost
    }
}
