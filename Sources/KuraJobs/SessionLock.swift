import Foundation
import KuraCore
import KuraWarehouse

/// Holds one session of one job for this process, so that two processes never run the same session.
///
/// With a SQLite warehouse the lock is an exclusive `flock` on a file in `.kura-locks/` beside the database; with
/// PostgreSQL it is a session-level advisory lock on the job connection. Both go away with the process, so a
/// killed run never leaves a session locked.
final class SessionLock {
    private var release: (() -> Void)?

    private init(release: @escaping () -> Void) { self.release = release }

    deinit { unlock() }

    /// Lets go of the session.
    func unlock() {
        release?()
        release = nil
    }

    /// Takes the lock of `job`'s session at `session`, or returns nil when another process holds it.
    static func acquire(job: String, session: Timestamp, warehouse: JobWarehouse, connection: JobWarehouseConnection) throws
        -> SessionLock?
    {
        let key = "\(job)@\(session.nanos / 1_000_000_000)"
        switch (warehouse, connection) {
        case (.sqlite(let path), _):
            let dir = (path as NSString).deletingLastPathComponent + "/.kura-locks"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let file = String(key.map { $0.isLetter || $0.isNumber || "_.-@[]".contains($0) ? $0 : "_" })
            let fd = open(dir + "/" + file + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SystemError("cannot open the session lock file in \(dir): \(String(cString: strerror(errno)))") }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                return nil
            }
            return SessionLock { close(fd) }
        case (.postgresql, .postgresql(let db)):
            let args = [String(PostgreSQLWarehouse.lockClass + 1), key]
            let got = try db.query("SELECT pg_try_advisory_lock($1::int, hashtext($2))", args).rows.first?.first ?? nil
            guard got == "t" else { return nil }
            return SessionLock { _ = try? db.query("SELECT pg_advisory_unlock($1::int, hashtext($2))", args) }
        default:
            throw SystemError("the session lock needs a connection to the job warehouse \(warehouse.description)")
        }
    }
}
