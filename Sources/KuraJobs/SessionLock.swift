import Foundation
import KuraCore
import KuraWarehouse

/// Holds one session of one job for this process, so that two processes never run the same session.
///
/// With a SQLite warehouse the lock is a POSIX write lock on a file in `.kura-locks/` beside the database; with
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
            let file = String(key.map { $0.isLetter || $0.isNumber || "_.-@[]".contains($0) ? $0 : "_" })
            return try FileLocks.shared.acquire(dir + "/" + file + ".lock").map { release in SessionLock(release: release) }
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

/// Exclusive locks on files, between processes and between the threads of this one.
///
/// A POSIX record lock (`F_SETLK`) belongs to the process and is not inherited by children, so a command another
/// thread spawns at the moment of an unlock cannot keep the lock alive (an `flock` would be shared with a child
/// between its fork and its exec). Record locks do not exclude the process itself, and closing any descriptor of the
/// file drops them, so each path is opened once per process and the set of held paths guards it.
final class FileLocks: @unchecked Sendable {
    static let shared = FileLocks()
    private let mutex = NSLock()
    private var held: Set<String> = []

    /// Takes the lock on `path` (creating the file and its folder), returning how to release it, or nil when this
    /// or another process holds it.
    func acquire(_ path: String) throws -> (() -> Void)? {
        try mutex.withLock {
            guard !held.contains(path) else { return nil }
            let dir = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SystemError("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
            var request = flock()
            request.l_type = Int16(F_WRLCK)
            request.l_whence = Int16(SEEK_SET)
            guard fcntl(fd, F_SETLK, &request) == 0 else {
                close(fd)
                return nil
            }
            held.insert(path)
            return { [self] in
                mutex.withLock {
                    close(fd)
                    held.remove(path)
                }
            }
        }
    }
}
