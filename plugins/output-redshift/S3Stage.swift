import EncoderGzip
import Foundation
import KuraCore
import KuraS3

/// Where a run stages its rows in S3: gzip'd CSV parts under one key prefix, listed by a manifest for Redshift's COPY.
final class S3Stage: @unchecked Sendable {
    let client: S3Client
    /// The run's prefix, ending in `/`.
    let prefix: String
    /// Bytes of CSV per part before compression.
    let partBytes: Int
    private let lock = NSLock()
    private var keys: [String] = []
    private var finished: [String] = []

    init(client: S3Client, prefix: String, partBytes: Int) {
        self.client = client
        self.prefix = prefix
        self.partBytes = partBytes
    }

    /// The key of the manifest.
    var manifestKey: String { prefix + "manifest.json" }

    /// The keys uploaded so far (parts and manifest), for the clean-up.
    var uploaded: [String] { lock.withLock { keys } }

    /// The parts of the tasks that finished, in key order: what the manifest lists.
    var finishedParts: [String] { lock.withLock { finished.sorted() } }

    /// Adds a finished task's parts to the load.
    func finishTask(parts: [String]) { lock.withLock { finished += parts } }

    /// Uploads `bytes` as `key`, retrying transient failures (3 attempts, waiting 1 s then 2 s).
    func upload(_ key: String, _ bytes: [UInt8]) throws {
        // Recorded first: a part whose upload failed midway may still exist, and is deleted with the rest.
        lock.withLock { keys.append(key) }
        var wait = 1.0
        for _ in 1...2 {
            do {
                return try bytes.withUnsafeBytes { try client.put(key, $0) }
            } catch let error as SystemError where error.isRetryable {
                Thread.sleep(forTimeInterval: wait)
                wait *= 2
            }
        }
        try bytes.withUnsafeBytes { try client.put(key, $0) }
    }

    /// Writes the manifest that lists `parts` (every one mandatory) and returns its `s3://` URL.
    func writeManifest(parts: [String]) throws -> String {
        let entries = parts.map { "{\"url\":\"s3://\(client.bucket)/\(Self.jsonEscaped($0))\",\"mandatory\":true}" }
        try upload(manifestKey, Array("{\"entries\":[\(entries.joined(separator: ","))]}".utf8))
        return "s3://\(client.bucket)/\(manifestKey)"
    }

    /// Deletes everything this run uploaded; failures are logged, not thrown (the load's outcome stands).
    func clean(logger: Logger) {
        for key in uploaded {
            do { try client.delete(key) } catch {
                logger.warn("Redshift output: could not delete the staged part s3://\(client.bucket)/\(key): \(error)")
            }
        }
        lock.withLock { keys.removeAll() }
    }

    static func jsonEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}

/// One task's rows as gzip'd CSV parts: a part is uploaded each time `partBytes` of CSV have been compressed.
final class S3PartWriter {
    let stage: S3Stage
    let task: Int
    let text: RowText
    let withSequence: Bool
    private var encoder: GzipEncoder
    private var csv: [UInt8] = []
    private var compressed: [UInt8] = []
    private var csvInPart = 0
    private var partIndex = 0
    private var rowIndex: Int64 = 0
    /// The keys of this task's uploaded parts.
    private(set) var parts: [String] = []

    init(stage: S3Stage, task: Int, text: RowText, withSequence: Bool) throws {
        self.stage = stage
        self.task = task
        self.text = text
        self.withSequence = withSequence
        self.encoder = try GzipEncoder(level: 6)
    }

    func add(_ page: Page) throws {
        for row in 0..<page.rowCount {
            let sequence = withSequence ? Int64(task) << 40 | rowIndex : nil
            text.appendCSV(page, row: row, sequence: sequence, to: &csv)
            rowIndex += 1
            if csv.count >= 1 << 20 { try compress() }
            if csvInPart + csv.count >= stage.partBytes { try flushPart() }
        }
        try compress()
    }

    /// Uploads the last part and adds the task's parts to the load.
    func finish() throws {
        try compress()
        if csvInPart > 0 { try flushPart() }
        stage.finishTask(parts: parts)
    }

    private func compress() throws {
        guard !csv.isEmpty else { return }
        try csv.withUnsafeBytes { raw in try encoder.push(raw) { self.compressed += $0 } }
        csvInPart += csv.count
        csv.removeAll(keepingCapacity: true)
    }

    private func flushPart() throws {
        try compress()
        try encoder.finish { self.compressed += $0 }
        let key = stage.prefix + String(format: "part-%05d-%05d.csv.gz", task, partIndex)
        try stage.upload(key, compressed)
        parts.append(key)
        partIndex += 1
        compressed.removeAll(keepingCapacity: true)
        csvInPart = 0
        encoder = try GzipEncoder(level: 6)
    }
}
