import Foundation
import KuraCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plugin's running executable: its own process group, pipes to its standard input and output, and the tail of
/// its standard error kept for error messages.
///
/// Writes to its standard input go through a writer thread and a queue of at most `queueCapacity` chunks, so a
/// plugin that reads slowly holds kura back (backpressure) instead of growing memory; lines are read from its
/// standard output with `timeoutSeconds` as the longest wait for the next bytes. `kill()` ends the whole process
/// group, so helpers the plugin started die with it.
final class ExternalProcess: @unchecked Sendable {
    /// What the plugin is called in messages, e.g. `filter 'mask'`.
    let label: String
    let pid: pid_t
    let timeoutSeconds: Double
    private let stdinFD: Int32
    private let stdoutFD: Int32
    private let stderrTail = StderrTail(limit: 4096)
    private let queue: BoundedQueue<[UInt8]>
    private var writer: WorkerThread?
    private var stderrReader: WorkerThread?
    private let writeError = Locked<String?>(nil)
    /// Bytes read from standard output and not yet returned as lines.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var reachedEOF = false
    private var exitStatus: Int32?

    /// Starts `command` (argv; the first element found on `PATH` or relative to `directory`) in `directory`.
    init(command: [String], directory: String, label: String, timeoutSeconds: Double, queueCapacity: Int = 8) throws {
        self.label = label
        self.timeoutSeconds = timeoutSeconds
        queue = BoundedQueue(capacity: queueCapacity)
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        // Close-on-exec: no plugin inherits a pipe end (its own stdin's write end would keep it from seeing EOF).
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw SystemError("cannot create pipes for \(label): \(String(cString: strerror(errno)))")
        }
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // Larger pipes than the default 64 KiB mean fewer switches between kura and the plugin (when the system
        // refuses, the pipes keep their size).
        _ = fcntl(inPipe[1], Self.setPipeSize, Self.pipeSize)
        _ = fcntl(outPipe[0], Self.setPipeSize, Self.pipeSize)
        pid = try Self.spawn(command, directory: directory, label: label, stdin: inPipe[0], stdout: outPipe[1], stderr: errPipe[1])
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        stdinFD = inPipe[1]
        stdoutFD = outPipe[0]
        // A plugin that exits early must not kill kura with SIGPIPE: writes then fail with EPIPE.
        signal(SIGPIPE, SIG_IGN)
        startThreads(stderrFD: errPipe[0])
    }

    /// The most bytes one read of standard output takes.
    static let readSize = 1 << 18
    /// The size asked for the pipes to and from the plugin: 1 MiB, the usual most an unprivileged process may set.
    static let pipeSize: Int32 = 1 << 20
    /// Linux's `F_SETPIPE_SZ`.
    static let setPipeSize: Int32 = 1031

    deinit {
        kill()
        close(stdoutFD)
    }

    /// Spawns `command` in a new process group with the given pipe ends as its standard streams.
    private static func spawn(_ command: [String], directory: String, label: String, stdin: Int32, stdout: Int32, stderr: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var executable = command[0]
        if executable.contains("/") && !executable.hasPrefix("/") { executable = directory + "/" + executable }
        // env -C starts the command in the plugin's directory (replacing itself, so the pid is the plugin's).
        let words = ["/usr/bin/env", "-C", directory, executable] + command.dropFirst()
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, argv, environ)
        guard rc == 0 else {
            throw SystemError("cannot start \(label) (\(command.joined(separator: " ")) in \(directory)): \(String(cString: strerror(rc))); check the command in its plugin.yml")
        }
        return pid
    }

    private func startThreads(stderrFD: Int32) {
        let tail = stderrTail
        stderrReader = WorkerThread(name: "kura-plugin-stderr") {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(stderrFD, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                tail.append(buffer[0..<n])
            }
            close(stderrFD)
        }
        stderrReader?.start()
        let (queue, fd, writeError) = (self.queue, stdinFD, self.writeError)
        writer = WorkerThread(name: "kura-plugin-stdin") {
            while let chunk = queue.take() {
                if let failure = Self.writeAll(fd, chunk) {
                    writeError.withLock { $0 = failure }
                    queue.cancel()
                    break
                }
            }
            close(fd)
        }
        writer?.start()
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return String(cString: strerror(errno)) }
            offset += n
        }
        return nil
    }

    /// Queues `bytes` for the plugin's standard input, waiting while the queue is full (at most `timeoutSeconds`:
    /// a plugin that stops reading for that long is stopped).
    func send(_ bytes: [UInt8]) throws {
        switch queue.put(bytes, waitingAtMost: timeoutSeconds) {
        case true?: return
        case false?:
            // It most likely exited: wait for it, so that its status and the whole of its standard error are known.
            let status = (try? wait()).map { " and exited with status \($0)" } ?? ""
            throw failure("stopped reading its standard input (\(writeError.withLock { $0 } ?? "closed"))\(status)")
        case nil:
            kill()
            throw failure("read nothing of its standard input for \(Self.seconds(timeoutSeconds)) (timeout_seconds); it was stopped")
        }
    }

    /// Whether the plugin has not exited yet, as far as kura knows (it was neither reaped nor killed).
    var isRunning: Bool { exitStatus == nil }

    /// Closes the plugin's standard input once the queued bytes are written.
    func closeInput() { queue.close() }

    /// The next line of standard output without its line break; nil at the end of the output. Throws when no byte
    /// comes within the timeout.
    func readLine() throws -> ArraySlice<UInt8>? {
        while true {
            let start = pendingStart
            let lf: Int? = pending.withUnsafeBytes { b in
                guard start < b.count, let p = memchr(b.baseAddress! + start, 10, b.count - start) else { return nil }
                return b.baseAddress!.distance(to: UnsafeRawPointer(p))
            }
            if let lf {
                let line = pending[pendingStart..<lf]
                pendingStart = lf + 1
                return line
            }
            if reachedEOF {
                if pendingStart < pending.count {
                    let line = pending[pendingStart...]
                    pendingStart = pending.count
                    return line
                }
                return nil
            }
            try fill()
        }
    }

    /// Reads more of standard output into `pending`, waiting at most `timeoutSeconds`.
    private func fill() throws {
        if pendingStart > 0 && pendingStart * 2 >= pending.count {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
        var fds = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
        let ready = poll(&fds, 1, Int32(min(timeoutSeconds * 1000, Double(Int32.max))))
        if ready < 0 && errno == EINTR { return }
        if ready == 0 {
            kill()
            throw failure("sent nothing for \(Self.seconds(timeoutSeconds)) (timeout_seconds); it was stopped")
        }
        let old = pending.count
        pending.append(contentsOf: repeatElement(0, count: Self.readSize))
        let n = pending.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress! + old, Self.readSize) }
        pending.removeLast(Self.readSize - max(n, 0))
        if n == 0 { reachedEOF = true }
        if n < 0 && errno != EINTR { throw failure("cannot read its standard output: \(String(cString: strerror(errno)))") }
    }

    /// Waits for the process to exit (at most the timeout, then it is killed); returns its exit status, or 128 +
    /// the signal that ended it.
    @discardableResult
    func wait() throws -> Int32 {
        if let exitStatus { return exitStatus }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw SystemError("cannot wait for \(label): \(String(cString: strerror(errno)))") }
            if Date() > deadline {
                kill()
                throw failure("did not exit within \(Self.seconds(timeoutSeconds)) (timeout_seconds) after its input ended; it was stopped")
            }
            usleep(2000)
        }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        exitStatus = code
        stderrReader?.join()
        return code
    }

    /// Kills the process group and reaps the process (once).
    func kill() {
        guard exitStatus == nil else { return }
        queue.cancel()
        Glibc.kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        exitStatus = 128 + SIGKILL
        writer?.join()
        stderrReader?.join()
    }

    /// The last bytes the plugin wrote to standard error, as text.
    var stderrText: String { stderrTail.text }

    /// A run failure about the plugin, with the tail of its standard error.
    func failure(_ what: String) -> RunFailure {
        let tail = stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
        return RunFailure("\(label) \(what)" + (tail.isEmpty ? "; it wrote nothing to standard error" : "; the end of its standard error:\n\(tail)"))
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }
}

/// The last `limit` bytes written to a stream, shared between the thread that reads it and the task.
final class StderrTail: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func append(_ chunk: ArraySlice<UInt8>) {
        lock.withLock {
            bytes.append(contentsOf: chunk)
            if bytes.count > limit { bytes.removeFirst(bytes.count - limit) }
        }
    }

    var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }
}
