import Foundation
import KuraCore
import KuraTestSupport
import Testing

/// A fresh directory under the system temp directory, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "kura-codec-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `relative` (creating directories) and returns the full path.
    @discardableResult
    func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String { try write(relative, Array(text.utf8)) }

    func read(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path + "/" + relative)))
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + relative) }

    func symlink(_ relative: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path + "/" + relative, withDestinationPath: destination)
    }
}

/// Runs a system tool (such as `/usr/bin/gzip`) with `input` on its standard input; returns its standard output.
func runTool(_ tool: String, _ arguments: [String], input: [UInt8]) throws -> [UInt8] {
    let dir = try TemporaryDirectory()
    let inPath = try dir.write("stdin", input)
    let outPath = dir.path + "/stdout"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw SystemError("\(tool) \(arguments) exited with status \(process.terminationStatus)")
    }
    return Array(try Data(contentsOf: URL(fileURLWithPath: outPath)))
}

/// Compresses with the system `gzip`.
func systemGzip(_ bytes: [UInt8], level: Int = 6) throws -> [UInt8] {
    try runTool("/usr/bin/gzip", ["-c", "-n", "-\(level)"], input: bytes)
}

/// Decompresses with the system `gzip`.
func systemGunzip(_ bytes: [UInt8]) throws -> [UInt8] {
    try runTool("/usr/bin/gzip", ["-d", "-c"], input: bytes)
}

/// Compresses with the system `bzip2`.
func systemBzip2(_ bytes: [UInt8]) throws -> [UInt8] {
    try runTool("/usr/bin/bzip2", ["-c", "-9"], input: bytes)
}

/// Runs a transform over `input` under every split plan of `PluginVerifier`, recording disagreements as issues.
func verify(_ input: [UInt8], _ make: () throws -> ByteTransform) throws -> [UInt8] {
    try PluginVerifier.verifyTransform(input: input, makeTransform: make) { Issue.record(Comment(rawValue: $0)) }
}

/// Runs a transform over `input` in one push.
func transformWhole(_ input: [UInt8], _ transform: ByteTransform) throws -> [UInt8] {
    var out: [UInt8] = []
    try input.withUnsafeBytes { try transform.push($0) { out.append(contentsOf: $0) } }
    try transform.finish { out.append(contentsOf: $0) }
    return out
}

/// Text that compresses well: `lines` CSV lines.
func sampleCSV(lines: Int, seed: UInt64 = 1) -> [UInt8] {
    var rng = SplitMix(seed: seed)
    var s = "id,name,amount,created_at\n"
    for i in 0..<lines {
        s += "\(i),customer \(rng.next() % 1000),\(rng.next() % 100_000).\(rng.next() % 100),2024-01-\(10 + i % 20)\n"
    }
    return Array(s.utf8)
}

/// `count` pseudo-random bytes (incompressible).
func randomBytes(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
    var rng = SplitMix(seed: seed)
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        var v = rng.next()
        for _ in 0..<8 where i < count {
            out[i] = UInt8(truncatingIfNeeded: v)
            v >>= 8
            i += 1
        }
    }
    return out
}

/// A config section from key/value pairs of scalars.
func section(_ pairs: [(String, String)], path: String) -> PluginConfig {
    PluginConfig(node: .mapping(pairs.map { ($0.0, ConfigNode.scalar($0.1)) }), path: path)
}

/// A plugin context rooted at `directory`.
func context(_ directory: String, dryRun: Bool = false, logger: Logger = .silent) -> PluginContext {
    PluginContext(workingDirectory: directory, sessionTime: Timestamp(nanos: 0), logger: logger, isDryRun: dryRun)
}
