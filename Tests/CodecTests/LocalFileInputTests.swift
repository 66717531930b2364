import DecoderGzip
import Foundation
import InputFile
import KuraCore
import KuraTestSupport
import Testing

/// Collects log lines for assertions.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(LogLevel, String)] = []
    var all: [(LogLevel, String)] { lock.withLock { lines } }
    lazy var logger = Logger(level: .debug) { [unowned self] level, line in
        self.lock.withLock { self.lines.append((level, line)) }
    }
}

@Suite struct LocalFileInputTests {
    let dir: TemporaryDirectory

    init() throws {
        dir = try TemporaryDirectory()
        for path in [
            "data/b.csv", "data/a.csv", "data/sub/c.csv", "data/sales_2.csv", "data/sales_1.csv",
            "data/salesX/d.csv", "data/.hidden", "data2/e.csv", "other/f.csv",
        ] {
            try dir.write(path, "contents of \(path)\n")
        }
        try FileManager.default.createDirectory(atPath: dir.path + "/data/empty", withIntermediateDirectories: true)
    }

    func plugin(_ pairs: [(String, String)]) throws -> LocalFileInputPlugin {
        try LocalFileInputPlugin(config: section(pairs, path: "in"))
    }

    func names(_ pairs: [(String, String)], logger: Logger = .silent) throws -> [String] {
        try plugin(pairs).plan(context: context(dir.path, logger: logger)).tasks.map(\.name)
    }

    @Test func directoryPrefixListsEverythingBelowInPathOrder() throws {
        #expect(
            try names([("path_prefix", "data/")]) == [
                // Byte order: "X" (0x58) sorts before "_" (0x5F).
                "data/.hidden", "data/a.csv", "data/b.csv", "data/salesX/d.csv", "data/sales_1.csv",
                "data/sales_2.csv", "data/sub/c.csv",
            ])
        #expect(try names([("path_prefix", "./data//")]) == names([("path_prefix", "data/")]))
    }

    @Test func partialNamePrefix() throws {
        #expect(try names([("path_prefix", "data/sales")]) == ["data/salesX/d.csv", "data/sales_1.csv", "data/sales_2.csv"])
        #expect(try names([("path_prefix", "data/sales_")]) == ["data/sales_1.csv", "data/sales_2.csv"])
        // A prefix without a directory part matches in the working directory, sibling directories included.
        #expect(try names([("path_prefix", "data")]).contains("data2/e.csv"))
        #expect(try !names([("path_prefix", "data")]).contains("other/f.csv"))
    }

    @Test func absolutePrefix() throws {
        #expect(try names([("path_prefix", dir.path + "/data/sales_")]) == [
            dir.path + "/data/sales_1.csv", dir.path + "/data/sales_2.csv",
        ])
    }

    @Test func tasksCarrySizeAndModificationTime() throws {
        let task = try #require(try plugin([("path_prefix", "other/")]).plan(context: context(dir.path)).tasks.first)
        #expect(task.size == Int64("contents of other/f.csv\n".utf8.count))
        let mtime = try FileManager.default.attributesOfItem(atPath: dir.path + "/other/f.csv")[.modificationDate] as! Date
        #expect(abs((task.modifiedAt ?? 0) - mtime.timeIntervalSince1970) < 0.001)
    }

    @Test func lastPathSkipsFilesUpToAndIncludingIt() throws {
        let p = try plugin([("path_prefix", "data/"), ("last_path", "data/b.csv")])
        let plan = try p.plan(context: context(dir.path))
        #expect(plan.tasks.map(\.name) == ["data/salesX/d.csv", "data/sales_1.csv", "data/sales_2.csv", "data/sub/c.csv"])
        #expect(plan.configDiff["last_path"] == "data/sub/c.csv")
    }

    @Test func lastPathWithNothingNewKeepsIt() throws {
        let plan = try plugin([("path_prefix", "data/"), ("last_path", "data/zzz")]).plan(context: context(dir.path))
        #expect(plan.tasks.isEmpty)
        #expect(plan.configDiff["last_path"] == "data/zzz")
    }

    @Test func noMatchingFileIsNotAnError() throws {
        let plan = try plugin([("path_prefix", "data/nothing_")]).plan(context: context(dir.path))
        #expect(plan.tasks.isEmpty)
        #expect(plan.configDiff.isEmpty)
        #expect(try names([("path_prefix", "data/empty/")]).isEmpty)
    }

    @Test func missingDirectoryIsAConfigError() throws {
        let error = try #require(throws: ConfigError.self) { try names([("path_prefix", "nowhere/sales_")]) }
        #expect(error.path == "in.path_prefix")
        #expect(error.message.contains("'nowhere/'"))
        #expect(error.message.contains("does not exist"))
        let notDir = try #require(throws: ConfigError.self) { try names([("path_prefix", "other/f.csv/x")]) }
        #expect(notDir.path == "in.path_prefix")
    }

    @Test func totalFileCountLimitKeepsTheFirstFiles() throws {
        let plan = try plugin([("path_prefix", "data/"), ("total_file_count_limit", "2")]).plan(context: context(dir.path))
        #expect(plan.tasks.map(\.name) == ["data/.hidden", "data/a.csv"])
        #expect(plan.configDiff["last_path"] == "data/a.csv")
    }

    @Test func optionErrors() throws {
        let missing = try #require(throws: ConfigError.self) { try plugin([("last_path", "x")]) }
        #expect(missing.message.contains("path_prefix"))
        let unknown = try #require(throws: ConfigError.self) { try plugin([("path_prefix", "data/"), ("path_prefx", "x")]) }
        #expect(unknown.path == "in.path_prefx")
        #expect(unknown.fix?.contains("path_prefix") == true)
        #expect(throws: ConfigError.self) { try plugin([("path_prefix", "data/"), ("total_file_count_limit", "-1")]) }
        #expect(throws: ConfigError.self) { try plugin([("path_prefix", "data/"), ("follow_symlinks", "maybe")]) }
    }

    @Test func symlinksAreSkippedUnlessFollowed() throws {
        try dir.symlink("data/link.csv", to: "../other/f.csv")
        try dir.symlink("data/linkdir", to: "../other")
        try dir.symlink("data/loop", to: ".")
        try dir.symlink("data/broken.csv", to: "missing.csv")
        let log = LogLines()
        let skipped = try names([("path_prefix", "data/")], logger: log.logger)
        #expect(!skipped.contains { $0.contains("link") || $0.contains("loop") || $0.contains("broken") })
        #expect(log.all.contains { $0.0 == .debug && $0.1.contains("data/link.csv") && $0.1.contains("follow_symlinks") })

        let followed = try names([("path_prefix", "data/"), ("follow_symlinks", "true")])
        #expect(followed.contains("data/link.csv"))
        #expect(followed.contains("data/linkdir/f.csv"))
        #expect(!followed.contains("data/broken.csv"))
        // The loop back to data/ is listed once, not forever.
        #expect(!followed.contains { $0.hasPrefix("data/loop/") })
        #expect(followed == followed.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    @Test func openReadsTheFileBytes() throws {
        let big = randomBytes(3 << 20, seed: 9)
        try dir.write("big/blob.bin", big)
        let p = try plugin([("path_prefix", "big/")])
        let ctx = context(dir.path)
        let task = try #require(try p.plan(context: ctx).tasks.first)
        #expect(task.size == Int64(big.count))
        let reader = try p.open(task, context: ctx)
        defer { reader.close() }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { break }
            out.append(contentsOf: buffer[..<n])
        }
        #expect(out == big)
    }

    @Test func openErrorsNameThePath() throws {
        let p = try plugin([("path_prefix", "data/")])
        let missing = try #require(throws: SystemError.self) {
            _ = try p.open(InputTask(name: "data/gone.csv"), context: context(dir.path))
        }
        #expect(missing.message.contains("data/gone.csv"))
        #expect(missing.message.contains("No such file"))
        // Reading a directory fails at read time; the error names it.
        let reader = try p.open(InputTask(name: "data/sub"), context: context(dir.path))
        let readError = try #require(throws: SystemError.self) {
            var b = [UInt8](repeating: 0, count: 16)
            _ = try b.withUnsafeMutableBytes { try reader.read(into: $0) }
        }
        #expect(readError.message.contains("data/sub"))
        if getuid() != 0 {
            let locked = try dir.write("data/locked.csv", "secret")
            chmod(locked, 0)
            let denied = try #require(throws: SystemError.self) {
                _ = try p.open(InputTask(name: "data/locked.csv"), context: context(dir.path))
            }
            #expect(denied.message.contains("Permission denied"))
        }
    }

    @Test func gzipFilesThroughTheDecoder() throws {
        let a = sampleCSV(lines: 100, seed: 1), b = sampleCSV(lines: 100, seed: 2)
        try dir.write("gz/part-1.csv.gz", try systemGzip(a))
        try dir.write("gz/part-2.csv.gz", try systemGzip(b))
        let p = try plugin([("path_prefix", "gz/part-")])
        let ctx = context(dir.path)
        var outputs: [[UInt8]] = []
        for task in try p.plan(context: ctx).tasks {
            let reader = try p.open(task, context: ctx)
            let decoder = try GzipDecoder(name: task.name)
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { break }
                try buffer.withUnsafeBytes { try decoder.push(UnsafeRawBufferPointer(rebasing: $0[..<n])) { out.append(contentsOf: $0) } }
            }
            try decoder.finish { out.append(contentsOf: $0) }
            reader.close()
            outputs.append(out)
        }
        #expect(outputs == [a, b])
    }
}
