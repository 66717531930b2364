import Foundation
import KuraTestSupport
import Testing

@testable import KuraJobs

/// The session locks of a SQLite warehouse: exclusive within the process and between processes, and released at
/// once whatever other threads spawn meanwhile.
@Suite struct FileLocksTests {
    let dir = TempDir()

    /// Exit status of a Python process trying to take the same POSIX lock without waiting (0: it got it).
    func otherProcessTakes(_ path: String) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import fcntl,sys; f=open(sys.argv[1],'r+'); fcntl.lockf(f, fcntl.LOCK_EX|fcntl.LOCK_NB)", path]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test func aHeldLockExcludesThisProcessAndOthers() throws {
        let path = dir.path + "/locks/a.lock"
        let release = try #require(try FileLocks.shared.acquire(path))
        #expect(try FileLocks.shared.acquire(path) == nil, "a second holder in the same process")
        #expect(try otherProcessTakes(path) != 0, "another process got the lock")
        release()
        #expect(try otherProcessTakes(path) == 0, "the lock outlived its release")
        let again = try #require(try FileLocks.shared.acquire(path))
        again()
    }

    @Test func commandsSpawnedMeanwhileNeverKeepALockAlive() async throws {
        let path = dir.path + "/b.lock"
        let spawner = Task.detached {
            for _ in 0..<150 {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/bin/true")
                try? p.run()
                p.waitUntilExit()
            }
        }
        var refused = 0
        for _ in 0..<3000 {
            guard let release = try FileLocks.shared.acquire(path) else {
                refused += 1
                continue
            }
            release()
        }
        await spawner.value
        #expect(refused == 0, "a released lock was still held \(refused) time(s)")
    }
}
