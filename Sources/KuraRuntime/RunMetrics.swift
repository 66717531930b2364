import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import KuraCore

/// A run's figures in Prometheus' text exposition format, for a Pushgateway (`--metrics-push URL`) or
/// node_exporter's textfile collector (`--metrics-file PATH`).
///
/// Metrics, each labelled with `kura_job` (the kura job, or the config's name for `kura run`) and, for job sessions,
/// `session` (ISO 8601 UTC): `kura_rows{outcome="read|loaded|rejected|filtered"}`, `kura_bytes_read`,
/// `kura_run_duration_seconds`, `kura_run_success` (1 or 0), `kura_run_finished_timestamp_seconds`, and when the
/// run succeeded `kura_last_success_timestamp_seconds`.
public struct RunMetrics: Sendable {
    public var job: String
    public var session: Timestamp?
    public var counts: RowCounts
    public var bytesRead: Int64
    public var durationSeconds: Double
    public var succeeded: Bool
    public var finishedAt: Date

    public init(job: String, session: Timestamp?, counts: RowCounts, bytesRead: Int64, durationSeconds: Double, succeeded: Bool, finishedAt: Date = Date()) {
        self.job = job
        self.session = session
        self.counts = counts
        self.bytesRead = bytesRead
        self.durationSeconds = durationSeconds
        self.succeeded = succeeded
        self.finishedAt = finishedAt
    }

    /// The figures as exposition text.
    public var text: String {
        var labels = "kura_job=\(Self.quoted(job))"
        if let session { labels += ",session=\(Self.quoted(session.iso8601))" }
        var out = ""
        func metric(_ name: String, _ help: String, _ rows: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for (extra, value) in rows { out += "\(name){\(labels)\(extra)} \(value)\n" }
        }
        metric("kura_rows", "Records of the run by outcome (read = loaded + rejected + filtered).", [
            (",outcome=\"read\"", "\(counts.read)"), (",outcome=\"loaded\"", "\(counts.loaded)"),
            (",outcome=\"rejected\"", "\(counts.rejected)"), (",outcome=\"filtered\"", "\(counts.filtered)"),
        ])
        metric("kura_bytes_read", "Input bytes read, before decoding.", [("", "\(bytesRead)")])
        metric("kura_run_duration_seconds", "How long the run took.", [("", String(format: "%.3f", durationSeconds))])
        metric("kura_run_success", "1 when the run succeeded, 0 when it failed.", [("", succeeded ? "1" : "0")])
        let finished = String(format: "%.3f", finishedAt.timeIntervalSince1970)
        metric("kura_run_finished_timestamp_seconds", "When the run ended.", [("", finished)])
        if succeeded { metric("kura_last_success_timestamp_seconds", "When a run last succeeded.", [("", finished)]) }
        return out
    }

    /// Writes the text to `path` atomically (a temporary file renamed into place, as the textfile collector wants).
    public func write(to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Pushes the text to the Pushgateway at `url`, grouped by `job` (and `session`): `PUT url/metrics/job/kura/kura_job/JOB`.
    public func push(to url: String, timeoutSeconds: Double = 10) throws {
        var target = url.hasSuffix("/") ? String(url.dropLast()) : url
        target += "/metrics/job/kura/kura_job/" + (job.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? job)
        guard let u = URL(string: target) else { throw SystemError("the metrics URL '\(Redaction.url(url))' is not a URL") }
        var request = URLRequest(url: u, timeoutInterval: timeoutSeconds)
        request.httpMethod = "PUT"
        request.setValue("text/plain; version=0.0.4", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(text.utf8)
        let done = DispatchSemaphore(value: 0)
        let outcome = LockedOutcome()
        URLSession.shared.dataTask(with: request) { _, response, error in
            outcome.set(error.map { "\($0.localizedDescription)" }
                ?? ((response as? HTTPURLResponse).map { (200..<300).contains($0.statusCode) ? nil : "HTTP \($0.statusCode)" } ?? "no response"))
            done.signal()
        }.resume()
        done.wait()
        if let problem = outcome.get() {
            throw SystemError("could not push metrics to \(Redaction.url(url)): \(problem)")
        }
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}

/// The result of an asynchronous request, read after it finished.
final class LockedOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    func set(_ v: String?) { lock.withLock { value = v } }
    func get() -> String? { lock.withLock { value } }
}
