#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import KuraCore

/// The `file` output: writes one local file per task (Embulk's `LocalFileOutputPlugin`).
///
/// Each file is written under a temporary name in its final directory (`.<name>.kura-tmp`) and renamed into place
/// only when the run commits, so readers never see a partial file; an aborted run deletes its temporary files.
public final class LocalFileOutputPlugin: FileOutputPlugin {
    /// The plugin's registration.
    public static let descriptor = PluginDescriptor(
        name: "file",
        summary: "Writes local files, one per task, made visible when the run commits.",
        example: """
            type: file
            path_prefix: out/sales_
            file_ext: csv
            sequence_format: "%03d.%02d."
            """,
        factory: .fileOutput { config, _ in try LocalFileOutputPlugin(config: config) })

    /// The decoded options.
    public let options: Options
    let format: SequenceFormat
    private let config: PluginConfig?

    /// Creates the plugin from its config section.
    public convenience init(config: PluginConfig) throws {
        try self.init(options: config.decode(Options.self), config: config)
    }

    /// Creates the plugin from options; `config` (when given) locates config errors.
    public init(options: Options, config: PluginConfig? = nil) throws {
        self.options = options
        self.config = config
        do {
            format = try SequenceFormat(options.sequenceFormat)
        } catch let problem as SequenceFormat.Problem {
            throw config?.error("sequence_format", problem.message) ?? ConfigError(path: "sequence_format", problem.message)
        }
    }

    public func begin(taskCount: Int, context: PluginContext) throws -> FileOutputSession {
        if taskCount > 1 && !format.hasTaskIndex {
            let message = "sequence_format '\(options.sequenceFormat)' has no number, so the \(taskCount) tasks "
                + "would all write the same file"
            let fix = "add %d (the task index), as in the default '%03d.%02d.'"
            throw config?.error("sequence_format", message, fix: fix)
                ?? ConfigError(path: "sequence_format", message, fix: fix)
        }
        return LocalFileOutputSession(plugin: self, context: context)
    }

    /// The path (as configured, before resolving) of file `file` of task `task`.
    public func path(task: Int, file: Int) -> String {
        let sequence = format.format(task: task, file: file)
        var ext = Substring(options.fileExt)
        while ext.hasPrefix(".") { ext = ext.dropFirst() }
        if ext.isEmpty { return options.pathPrefix + sequence }
        let base = options.pathPrefix + sequence
        return base.hasSuffix(".") ? base + ext : base + "." + ext
    }
}

/// One run of the `file` output: the files written so far, under temporary names until `commit`.
final class LocalFileOutputSession: FileOutputSession {
    struct OutputFile {
        var task: Int
        var index: Int
        /// The path as configured (returned by `commit`).
        var name: String
        var finalPath: String
        var temporaryPath: String
        var writer: LocalFileWriter
    }

    private let plugin: LocalFileOutputPlugin
    private let context: PluginContext
    private let lock = Lock()
    private var files: [OutputFile] = []
    private var fileCounts: [Int: Int] = [:]
    private var done = false

    init(plugin: LocalFileOutputPlugin, context: PluginContext) {
        self.plugin = plugin
        self.context = context
    }

    deinit { abort() }

    func openFile(task index: Int) throws -> ByteWriter {
        if context.isDryRun { return DiscardingWriter() }
        let (name, fileIndex): (String, Int) = try lock.withLock {
            precondition(!done, "openFile after commit or abort")
            let fileIndex = fileCounts[index, default: 0]
            fileCounts[index] = fileIndex + 1
            let name = plugin.path(task: index, file: fileIndex)
            if let other = files.first(where: { $0.name == name }) {
                throw SystemError(
                    "task \(index) and task \(other.task) would both write '\(name)'; make sequence_format "
                        + "include the task index and the file index, as the default '%03d.%02d.' does")
            }
            return (name, fileIndex)
        }
        let finalPath = context.resolve(name)
        let (directory, base) = splitPath(finalPath)
        try makeDirectories(directory)
        let temporaryPath = (directory.isEmpty ? "" : directory + "/") + "." + base + ".kura-tmp"
        let writer = try LocalFileWriter(path: temporaryPath, name: name)
        lock.withLock {
            files.append(
                OutputFile(
                    task: index, index: fileIndex, name: name, finalPath: finalPath, temporaryPath: temporaryPath,
                    writer: writer))
        }
        return writer
    }

    func commit() throws -> [String] {
        let files: [OutputFile] = lock.withLock {
            precondition(!done, "commit after commit or abort")
            return self.files.sorted { ($0.task, $0.index) < ($1.task, $1.index) }
        }
        for file in files { try file.writer.close() }
        var committed: [String] = []
        for file in files {
            if rename(file.temporaryPath, file.finalPath) != 0 {
                throw SystemError(
                    "cannot move '\(file.temporaryPath)' to '\(file.finalPath)': \(errnoText())"
                        + (committed.isEmpty ? "" : "; already written: \(committed.joined(separator: ", "))"))
            }
            committed.append(file.name)
        }
        lock.withLock {
            done = true
            self.files = []
        }
        return committed
    }

    func abort() {
        let files: [OutputFile] = lock.withLock {
            done = true
            defer { self.files = [] }
            return self.files
        }
        for file in files {
            file.writer.discard()
            _ = unlink(file.temporaryPath)
        }
    }
}

/// Writes one local file through a 1 MiB buffer, with POSIX `write`, and syncs it to disk on `close`.
final class LocalFileWriter: ByteWriter {
    /// The buffer size: 1 MiB.
    static let bufferSize = 1 << 20

    let path: String
    let name: String
    private var fd: Int32
    private let buffer: UnsafeMutableRawPointer
    private var buffered = 0

    init(path: String, name: String) throws {
        self.path = path
        self.name = name
        fd = posixOpen(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw SystemError("cannot create '\(path)' (for '\(name)'): \(errnoText())") }
        buffer = .allocate(byteCount: LocalFileWriter.bufferSize, alignment: 16)
    }

    deinit {
        discard()
        buffer.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw SystemError("write to '\(name)' after it was closed") }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if buffered + bytes.count <= LocalFileWriter.bufferSize {
            (buffer + buffered).copyMemory(from: base, byteCount: bytes.count)
            buffered += bytes.count
            if buffered == LocalFileWriter.bufferSize { try flush() }
            return
        }
        try flush()
        if bytes.count >= LocalFileWriter.bufferSize {
            try writeAll(base, bytes.count)
        } else {
            buffer.copyMemory(from: base, byteCount: bytes.count)
            buffered = bytes.count
        }
    }

    func close() throws {
        guard fd >= 0 else { return }
        do {
            try flush()
            if fsync(fd) != 0 { throw SystemError("cannot sync '\(path)' to disk: \(errnoText())") }
        } catch {
            discard()
            throw error
        }
        let rc = posixClose(fd)
        fd = -1
        if rc != 0 { throw SystemError("cannot close '\(path)': \(errnoText())") }
    }

    /// Closes the file without writing what is buffered.
    func discard() {
        if fd >= 0 {
            _ = posixClose(fd)
            fd = -1
        }
        buffered = 0
    }

    private func flush() throws {
        guard buffered > 0 else { return }
        try writeAll(UnsafeRawPointer(buffer), buffered)
        buffered = 0
    }

    private func writeAll(_ start: UnsafeRawPointer, _ count: Int) throws {
        var p = start
        var left = count
        while left > 0 {
            let n = posixWrite(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("cannot write '\(path)' (for '\(name)'): \(errnoText())")
            }
            p += n
            left -= n
        }
    }
}

/// A writer that drops everything (for dry runs, which must not write).
final class DiscardingWriter: ByteWriter {
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
    func close() throws {}
}

/// A mutual-exclusion lock over `pthread_mutex_t`.
final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t> = .allocate(capacity: 1)

    init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Splits a path into its directory (without the final `/`; empty for none) and its last component.
func splitPath(_ path: String) -> (directory: String, base: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    let directory = String(path[..<slash])
    return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
}

/// Creates `directory` and its missing parents.
func makeDirectories(_ directory: String) throws {
    guard !directory.isEmpty && directory != "/" else { return }
    var st = stat()
    if stat(directory, &st) == 0 {
        if st.st_mode & S_IFMT == S_IFDIR { return }
        throw SystemError("cannot create files in '\(directory)': it exists and is not a directory")
    }
    try makeDirectories(splitPath(directory).directory)
    if mkdir(directory, 0o755) != 0 && errno != EEXIST {
        throw SystemError("cannot create the directory '\(directory)': \(errnoText())")
    }
}

/// POSIX `open` (named apart from the methods called `open`).
func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
/// POSIX `write` (named apart from the methods called `write`).
func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
/// POSIX `close` (named apart from the methods called `close`).
@discardableResult
func posixClose(_ fd: Int32) -> Int32 { close(fd) }

/// The text of the current `errno`.
func errnoText() -> String {
    String(cString: strerror(errno))
}
