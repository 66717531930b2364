#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import KuraCore

/// The `file` input: reads local files whose path starts with a prefix, one task per file (Embulk's
/// `LocalFileInputPlugin`).
///
/// Listing is recursive below the prefix's directory, ordered by the bytes of each path, and may resume after
/// `last_path`; the plan's config diff carries the last path listed so that the next run reads only newer files.
public final class LocalFileInputPlugin: FileInputPlugin {
    /// The plugin's registration.
    public static let descriptor = PluginDescriptor(
        name: "file",
        summary: "Reads local files whose path starts with a prefix (one task per file).",
        example: """
            type: file
            path_prefix: data/sales_
            last_path: data/sales_2024-01-31.csv
            follow_symlinks: false
            """,
        factory: .input { config, _ in try LocalFileInputPlugin(config: config) })

    /// The decoded options.
    public let options: Options
    private let config: PluginConfig?

    /// Creates the plugin from its config section.
    public convenience init(config: PluginConfig) throws {
        self.init(options: try config.decode(Options.self), config: config)
    }

    /// Creates the plugin from options; `config` (when given) locates config errors.
    public init(options: Options, config: PluginConfig? = nil) {
        self.options = options
        self.config = config
    }

    public func plan(context: PluginContext) throws -> InputPlan {
        var tasks = try listFiles(context: context)
        if let limit = options.totalFileCountLimit, tasks.count > limit {
            tasks.removeLast(tasks.count - limit)
        }
        var diff: [String: String] = [:]
        if let last = tasks.last?.name ?? options.lastPath { diff["last_path"] = last }
        return InputPlan(tasks: tasks, configDiff: diff)
    }

    public func open(_ task: InputTask, context: PluginContext) throws -> ByteReader {
        try FileByteReader(path: context.resolve(task.name), name: task.name)
    }

    /// The matching files after `last_path`, sorted by path.
    func listFiles(context: PluginContext) throws -> [InputTask] {
        let (directory, namePrefix) = Self.split(Self.normalize(options.pathPrefix))
        let onDisk = context.resolve(directory.isEmpty ? "." : directory)
        var st = stat()
        if stat(onDisk, &st) != 0 {
            let reason = errnoText()
            if errno == ENOENT || errno == ENOTDIR {
                throw configError(
                    "the directory '\(directory)' of path_prefix '\(options.pathPrefix)' does not exist",
                    fix: "create it, or correct path_prefix (relative paths start at \(context.workingDirectory))")
            }
            throw SystemError("cannot read the directory '\(onDisk)' of path_prefix: \(reason)")
        }
        if st.st_mode & S_IFMT != S_IFDIR {
            throw configError(
                "'\(directory)' in path_prefix '\(options.pathPrefix)' is not a directory",
                fix: "point path_prefix into a directory, such as '\(directory)/' or 'dir/name_'")
        }
        var walker = Walker(
            followSymlinks: options.followSymlinks, lastPath: options.lastPath.map { Array($0.utf8) },
            logger: context.logger)
        walker.visited.insert(FileID(st))
        try walker.walk(diskPath: onDisk, name: directory, namePrefix: Array(namePrefix.utf8))
        return walker.found.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    private func configError(_ message: String, fix: String) -> ConfigError {
        if let config { return config.error("path_prefix", message, fix: fix) }
        return ConfigError(path: "path_prefix", message, fix: fix)
    }

    /// The prefix with repeated `/` and `.` components removed, keeping a final `/`.
    static func normalize(_ prefix: String) -> String {
        let absolute = prefix.hasPrefix("/")
        let trailing = prefix.hasSuffix("/") || prefix.hasSuffix("/.") || prefix == "."
        let parts = prefix.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        var s = (absolute ? "/" : "") + parts.joined(separator: "/")
        if trailing && !s.isEmpty && !s.hasSuffix("/") { s += "/" }
        return s
    }

    /// Splits a normalised prefix into its directory (with a final `/`, or empty for the working directory) and
    /// the start of the names in it.
    static func split(_ prefix: String) -> (directory: String, namePrefix: String) {
        guard let slash = prefix.lastIndex(of: "/") else { return ("", prefix) }
        let cut = prefix.index(after: slash)
        return (String(prefix[..<cut]), String(prefix[cut...]))
    }
}

/// A file's device and inode, to avoid visiting a directory twice through symbolic links.
struct FileID: Hashable {
    var device: UInt64
    var inode: UInt64
    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

/// A recursive directory listing that collects regular files.
struct Walker {
    let followSymlinks: Bool
    let lastPath: [UInt8]?
    let logger: Logger
    var visited: Set<FileID> = []
    var found: [InputTask] = []

    init(followSymlinks: Bool, lastPath: [UInt8]?, logger: Logger) {
        self.followSymlinks = followSymlinks
        self.lastPath = lastPath
        self.logger = logger
    }

    /// Lists `diskPath`, whose entries are named `name` + entry; at the top only entries starting with
    /// `namePrefix` count.
    mutating func walk(diskPath: String, name: String, namePrefix: [UInt8]?) throws {
        guard let dir = opendir(diskPath) else {
            throw SystemError("cannot list the directory '\(diskPath)': \(errnoText())")
        }
        defer { closedir(dir) }
        var entries: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw SystemError("cannot list the directory '\(diskPath)': \(errnoText())") }
                break
            }
            let raw = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    ptr -> String? in
                    if ptr[0] == 0x2E && (ptr[1] == 0 || (ptr[1] == 0x2E && ptr[2] == 0)) { return "" }  // . and ..
                    return String(validatingCString: ptr) ?? nil
                }
            }
            guard let entryName = raw else {
                logger.warn("skipping a file in '\(diskPath)' whose name is not valid UTF-8")
                continue
            }
            if entryName.isEmpty { continue }
            if let namePrefix, !entryName.utf8.starts(with: namePrefix) { continue }
            entries.append(entryName)
        }
        for entryName in entries {
            let childDisk = diskPath.hasSuffix("/") ? diskPath + entryName : diskPath + "/" + entryName
            let childName = name + entryName
            var st = stat()
            guard lstat(childDisk, &st) == 0 else {
                if errno == ENOENT { continue }  // removed while listing
                throw SystemError("cannot inspect '\(childDisk)': \(errnoText())")
            }
            if st.st_mode & S_IFMT == S_IFLNK {
                guard followSymlinks else {
                    logger.debug("skipping symbolic link '\(childName)' (set follow_symlinks: true to read it)")
                    continue
                }
                guard stat(childDisk, &st) == 0 else {
                    logger.debug("skipping broken symbolic link '\(childName)'")
                    continue
                }
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                guard visited.insert(FileID(st)).inserted else {
                    logger.debug("skipping '\(childName)': the directory was already listed (a symbolic link loop?)")
                    continue
                }
                try walk(diskPath: childDisk, name: childName + "/", namePrefix: nil)
            case S_IFREG:
                if let lastPath, !lastPath.lexicographicallyPrecedes(childName.utf8) { continue }
                found.append(InputTask(name: childName, size: Int64(st.st_size), modifiedAt: modificationTime(st)))
            default:
                logger.debug("skipping '\(childName)': not a regular file")
            }
        }
    }
}

/// The modification time of `st` in seconds since the epoch.
func modificationTime(_ st: stat) -> Double {
    #if os(Linux)
        return Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
    #else
        return Double(st.st_mtimespec.tv_sec) + Double(st.st_mtimespec.tv_nsec) / 1e9
    #endif
}

/// POSIX `open` (named apart from the methods called `open`).
func posixOpen(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
/// POSIX `read` (named apart from the methods called `read`).
func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
/// POSIX `close` (named apart from the methods called `close`).
func posixClose(_ fd: Int32) { _ = close(fd) }

/// The text of the current `errno`.
func errnoText() -> String {
    String(cString: strerror(errno))
}

/// Reads one local file with POSIX `read`, in the sizes the caller asks for.
public final class FileByteReader: ByteReader {
    /// The path on disk.
    public let path: String
    private var fd: Int32

    /// Opens `path` for reading; `name` is the path as the user wrote it, for messages.
    public init(path: String, name: String? = nil) throws {
        self.path = path
        fd = posixOpen(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError("cannot open '\(name ?? path)' for reading: \(errnoText())") }
        #if os(Linux)
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
    }

    deinit { close() }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard fd >= 0 else { throw SystemError("read from '\(path)' after it was closed") }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = posixRead(fd, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw SystemError("cannot read '\(path)': \(errnoText())", retryable: errno == EIO || errno == EAGAIN)
        }
    }

    public func close() {
        if fd >= 0 {
            posixClose(fd)
            fd = -1
        }
    }
}
