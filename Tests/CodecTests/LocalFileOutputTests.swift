import Foundation
import KuraCore
import KuraTestSupport
import OutputFile
import Testing

@Suite struct LocalFileOutputTests {
    let dir: TemporaryDirectory

    init() throws { dir = try TemporaryDirectory() }

    func plugin(_ pairs: [(String, String)]) throws -> LocalFileOutputPlugin {
        try LocalFileOutputPlugin(config: section(pairs, path: "out"))
    }

    func write(_ writer: ByteWriter, _ text: String) throws {
        try Array(text.utf8).withUnsafeBytes { try writer.write($0) }
    }

    func visibleFiles(_ relative: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path + "/" + relative).sorted()
    }

    @Test func filesAppearOnlyAtCommit() throws {
        let p = try plugin([("path_prefix", "out/sales_"), ("file_ext", "csv")])
        let session = try p.begin(taskCount: 2, context: context(dir.path))
        let w0 = try session.openFile(task: 0)
        let w1 = try session.openFile(task: 1)
        try write(w0, "a,b\n1,2\n")
        try write(w1, "a,b\n3,4\n")
        try w0.close()
        try w1.close()
        #expect(try visibleFiles("out") == [".sales_000.00.csv.kura-tmp", ".sales_001.00.csv.kura-tmp"])
        let paths = try session.commit()
        #expect(paths == ["out/sales_000.00.csv", "out/sales_001.00.csv"])
        #expect(try visibleFiles("out") == ["sales_000.00.csv", "sales_001.00.csv"])
        #expect(try dir.read("out/sales_000.00.csv") == Array("a,b\n1,2\n".utf8))
        #expect(try dir.read("out/sales_001.00.csv") == Array("a,b\n3,4\n".utf8))
    }

    @Test func abortDeletesTemporaryFiles() throws {
        let p = try plugin([("path_prefix", "out/x_"), ("file_ext", "csv")])
        let session = try p.begin(taskCount: 2, context: context(dir.path))
        let w0 = try session.openFile(task: 0)
        try write(w0, "partial")
        try w0.close()
        let w1 = try session.openFile(task: 1)
        try write(w1, "never closed")
        #expect(try visibleFiles("out").count == 2)
        session.abort()
        #expect(try visibleFiles("out").isEmpty)
    }

    @Test func commitFlushesWritersLeftOpenAndOverwrites() throws {
        try dir.write("out/r_000.00.csv", "old contents that are longer\n")
        let p = try plugin([("path_prefix", "out/r_"), ("file_ext", ".csv")])
        let session = try p.begin(taskCount: 1, context: context(dir.path))
        try write(try session.openFile(task: 0), "new\n")
        #expect(try session.commit() == ["out/r_000.00.csv"])
        #expect(try dir.read("out/r_000.00.csv") == Array("new\n".utf8))
    }

    @Test func parentDirectoriesAreCreated() throws {
        let p = try plugin([("path_prefix", dir.path + "/a/b/c/part"), ("file_ext", "jsonl")])
        let session = try p.begin(taskCount: 1, context: context("/nonexistent-working-dir"))
        let w = try session.openFile(task: 0)
        try write(w, "{}\n")
        try w.close()
        #expect(try session.commit() == [dir.path + "/a/b/c/part000.00.jsonl"])
        #expect(dir.exists("a/b/c/part000.00.jsonl"))
    }

    @Test func largeWritesAreKeptInOrder() throws {
        let data = randomBytes(5 << 20, seed: 21)
        let p = try plugin([("path_prefix", "big"), ("file_ext", "bin")])
        let session = try p.begin(taskCount: 1, context: context(dir.path))
        let w = try session.openFile(task: 0)
        var rng = SplitMix(seed: 5)
        try data.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                // Mix tiny, buffer-sized and larger-than-buffer writes.
                let n = min(all.count - offset, [1, 1000, 1 << 20, (1 << 20) + 17, 3 << 20][Int(rng.next() % 5)])
                try w.write(UnsafeRawBufferPointer(rebasing: all[offset..<offset + n]))
                offset += n
            }
        }
        try w.close()
        _ = try session.commit()
        #expect(try dir.read("big000.00.bin") == data)
    }

    @Test func severalFilesPerTaskGetFileIndexes() throws {
        let p = try plugin([("path_prefix", "o/"), ("file_ext", "txt"), ("sequence_format", "%d-%02d")])
        let session = try p.begin(taskCount: 1, context: context(dir.path))
        for _ in 0..<3 { try session.openFile(task: 0).close() }
        #expect(try session.commit() == ["o/0-00.txt", "o/0-01.txt", "o/0-02.txt"])
    }

    @Test func pathNaming() throws {
        func path(_ format: String?, _ ext: String, task: Int = 7, file: Int = 0) throws -> String {
            var pairs = [("path_prefix", "p"), ("file_ext", ext)]
            if let format { pairs.append(("sequence_format", format)) }
            return try plugin(pairs).path(task: task, file: file)
        }
        #expect(try path(nil, "csv") == "p007.00.csv")
        #expect(try path(nil, ".csv") == "p007.00.csv")
        #expect(try path(nil, "csv.gz") == "p007.00.csv.gz")
        #expect(try path("_%d", "csv", task: 12) == "p_12.csv")
        #expect(try path("%%%05d_%d.", "csv", task: 3, file: 2) == "p%00003_2.csv")
        #expect(try path("%4d", "csv", task: 3) == "p   3.csv")
        #expect(try path(nil, "", task: 1) == "p001.00.")
    }

    @Test func sequenceFormatErrors() throws {
        for bad in ["%s", "%03d.%02d.%d", "%", "%x"] {
            let error = try #require(throws: ConfigError.self) {
                try plugin([("path_prefix", "p"), ("file_ext", "csv"), ("sequence_format", bad)])
            }
            #expect(error.path == "out.sequence_format")
        }
        let sameName = try plugin([("path_prefix", "p"), ("file_ext", "csv"), ("sequence_format", "-all")])
        let error = try #require(throws: ConfigError.self) { try sameName.begin(taskCount: 2, context: context(dir.path)) }
        #expect(error.message.contains("same file"))
        // One task without a number is fine.
        _ = try sameName.begin(taskCount: 1, context: context(dir.path))
        #expect(throws: ConfigError.self) { try plugin([("path_prefix", "p")]) }
        #expect(throws: ConfigError.self) { try plugin([("path_prefix", "p"), ("file_ext", "csv"), ("file_extension", "x")]) }
    }

    @Test func dryRunWritesNothing() throws {
        let p = try plugin([("path_prefix", "dry/x_"), ("file_ext", "csv")])
        let session = try p.begin(taskCount: 1, context: context(dir.path, dryRun: true))
        let w = try session.openFile(task: 0)
        try write(w, "nothing")
        try w.close()
        _ = try session.commit()
        #expect(!dir.exists("dry"))
    }

    @Test func writeErrorsNameThePath() throws {
        try dir.write("blocked", "a file where a directory is needed")
        let p = try plugin([("path_prefix", "blocked/x_"), ("file_ext", "csv")])
        let session = try p.begin(taskCount: 1, context: context(dir.path))
        let error = try #require(throws: SystemError.self) { _ = try session.openFile(task: 0) }
        #expect(error.message.contains("blocked"))
    }
}
