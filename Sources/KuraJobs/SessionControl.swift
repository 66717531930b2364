import Foundation
import KuraCore
import KuraRuntime

/// A handle on a running session, to interrupt it from another thread (the scheduler's `replace` policy, SIGTERM).
///
/// Interrupting stops the step that runs — a command's whole process group gets SIGTERM, a load is cancelled and
/// commits nothing — and the attempt is recorded as `interrupted`, without retries.
public final class SessionControl: @unchecked Sendable {
    private let lock = NSLock()
    private var reason: String?
    private var process: Process?
    private var load: LoadRunner?
    private var totals = (counts: RowCounts(), bytes: Int64(0))

    /// The records and input bytes of the session's committed loads so far.
    public var loadTotals: (counts: RowCounts, bytes: Int64) { lock.withLock { totals } }

    /// Adds a committed load's figures to `loadTotals`.
    func addLoad(_ counts: RowCounts, bytes: Int64) {
        lock.withLock {
            totals.counts += counts
            totals.bytes += bytes
        }
    }

    public init() {}

    /// Why the session was interrupted, once it was.
    public var interruption: String? { lock.withLock { reason } }

    /// Stops the session's current step and every later one.
    public func interrupt(_ why: String) {
        let (p, l): (Process?, LoadRunner?) = lock.withLock {
            if reason == nil { reason = why }
            return (process, load)
        }
        if let p, p.isRunning {
            let pid = p.processIdentifier
            if getpgid(pid) == pid { kill(-pid, SIGTERM) } else { p.terminate() }
        }
        l?.cancel(reason: why + "; nothing was committed")
    }

    /// Registers the step that runs now (nil for none); an interrupted session stops it at once.
    func running(process: Process? = nil, load: LoadRunner? = nil) {
        let why: String? = lock.withLock {
            self.process = process
            self.load = load
            return reason
        }
        if let why { interrupt(why) }
    }
}
