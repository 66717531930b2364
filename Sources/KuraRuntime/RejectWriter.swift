import Foundation
import KuraCore
import KuraFormats

/// Writes rejected records as JSON Lines (one object per record: run, file, line, byte offset, the record's length,
/// column, reason code, message, raw text, at most 64 KiB of it) to a temporary file that becomes the rejects file when the run ends.
/// Appends `text` as a JSON string literal.
private func appendJSONString(_ text: String, to out: inout [UInt8]) { JSON.appendQuoted(text, to: &out) }

final class RejectWriter: @unchecked Sendable {
    /// The final path of the rejects file.
    let path: String
    let runID: String
    let logger: Logger
    private let lock = NSLock()
    private var handle: UnsafeMutablePointer<FILE>?
    private var tempPath: String { path + ".kura-tmp" }
    private(set) var count = 0
    private var line: [UInt8] = []
    /// How many rejects are logged one by one before the rest are only counted (default 100).
    let logLimit: Int

    init(path: String, runID: String, logger: Logger, logLimit: Int = 100) {
        self.path = path
        self.runID = runID
        self.logger = logger
        self.logLimit = logLimit
    }

    /// Records one rejected record (thread-safe); its raw text is kept to its first `DataError.rawLimit` bytes.
    func write(_ rejected: DataError) throws {
        var e = rejected
        e.capRaw()
        lock.lock()
        defer { lock.unlock() }
        count += 1
        if count <= logLimit {
            logger.warn("Skipped line \(e.location) (\(e.code): \(e.message)): \(e.rawText.prefix(500))")
        } else if count == logLimit + 1 {
            logger.warn("more records were skipped; see \(path) for all of them")
        }
        if handle == nil {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            guard let h = fopen(tempPath, "w") else {
                throw SystemError("cannot write the rejects file \(tempPath): \(String(cString: strerror(errno))); set exec.rejects_path to a writable place")
            }
            handle = h
        }
        line.removeAll(keepingCapacity: true)
        line += Array("{\"run\":".utf8)
        appendJSONString(runID, to: &line)
        line += Array(",\"file\":".utf8)
        appendJSONString(e.file, to: &line)
        line += Array(",\"line\":\(e.line.map(String.init) ?? "null"),\"byte_offset\":\(e.byteOffset.map(String.init) ?? "null")".utf8)
        line += Array(",\"length\":\(e.length.map(String.init) ?? "null"),\"column\":".utf8)
        if let c = e.column { appendJSONString(c, to: &line) } else { line += Array("null".utf8) }
        line += Array(",\"reason\":".utf8)
        appendJSONString(e.code.rawValue, to: &line)
        line += Array(",\"message\":".utf8)
        appendJSONString(e.message, to: &line)
        line += Array(",\"raw\":".utf8)
        appendJSONString(e.rawText, to: &line)
        line += Array("}\n".utf8)
        if fwrite(line, 1, line.count, handle) != line.count {
            throw SystemError("cannot write the rejects file \(tempPath): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads back the rejects written so far, in batches (for warehouse outputs that keep them in a table).
    func replay(batchSize: Int = 500, _ body: ([DataError]) throws -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        guard let h = handle else { return }
        fflush(h)
        guard let data = FileManager.default.contents(atPath: tempPath) else {
            throw SystemError("cannot read back the rejects file \(tempPath)")
        }
        var batch: [DataError] = []
        for line in data.split(separator: 10) where !line.isEmpty {
            guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
            batch.append(DataError(
                DataErrorCode(rawValue: o["reason"] as? String ?? "UNKNOWN"), file: o["file"] as? String ?? "",
                line: o["line"] as? Int, byteOffset: (o["byte_offset"] as? Int).map(Int64.init), column: o["column"] as? String,
                message: o["message"] as? String ?? "", raw: Array((o["raw"] as? String ?? "").utf8),
                length: (o["length"] as? Int).map(Int64.init)))
            if batch.count >= batchSize {
                try body(batch)
                batch.removeAll()
            }
        }
        if !batch.isEmpty { try body(batch) }
    }

    /// Moves the temporary file into place (or removes a stale rejects file when there were none).
    func finish() throws {
        lock.lock()
        defer { lock.unlock() }
        if let h = handle {
            fclose(h)
            handle = nil
            if rename(tempPath, path) != 0 {
                throw SystemError("cannot move the rejects file into place at \(path): \(String(cString: strerror(errno)))")
            }
        } else if FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
