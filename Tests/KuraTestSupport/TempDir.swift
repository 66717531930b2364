import Foundation

/// A temporary directory, removed when the value is released.
public final class TempDir {
    /// The directory's absolute path.
    public let path: String

    public init() {
        path = NSTemporaryDirectory() + "kura-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` (a path relative to the directory, whose folders are created); returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let p = path + "/" + name
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
}

/// The repository's root folder (where `jobs/`, `samples/` and `deploy/` are), from this file's place in it.
public let repositoryRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
