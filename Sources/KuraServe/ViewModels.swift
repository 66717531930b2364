import Foundation
import KuraCore
import KuraWarehouse

// What the pages show, as plain values: the JSON API encodes them (keys in snake_case) and the HTML templates
// render them. Every text that came from the warehouse is escaped by the templates; errors and messages have their
// passwords and connection-string secrets masked here.

/// A run, in a list or at the top of its page.
struct RunRow: Encodable {
    var id: String
    var href: String
    var target: String
    var mode: String
    var sessionTime: String
    var recordedAt: String?
    var configHash: String
    var taskCount: Int
    var read: Int
    var loaded: Int
    var rejected: Int
    var filtered: Int

    init(_ r: RunRecord) {
        id = r.id
        href = "/runs/" + pathComponent(r.id)
        target = r.target
        mode = r.mode
        sessionTime = r.sessionTime.iso8601
        recordedAt = r.recordedAt?.iso8601
        configHash = r.configHash
        taskCount = r.taskCount
        read = r.counts.read
        loaded = r.counts.loaded
        rejected = r.counts.rejected
        filtered = r.counts.filtered
    }
}

/// A session of a job: a cell in the grid of `/`, a row of `/jobs/NAME`.
struct SessionRow: Encodable {
    var job: String
    var sessionTime: String
    var href: String
    var status: String
    var attempts: Int
    var startedAt: String
    var finishedAt: String?
    var durationSeconds: Double?
    var duration: String
    var error: String?
    var runID: String
    /// The loads the session's attempts recorded (matched by session time and when they were recorded).
    var runs: [RunRow]
    /// The rows those loads loaded.
    var rowsLoaded: Int

    init(_ s: SessionSummary, runs: [RunRecord] = []) {
        job = s.job
        sessionTime = s.sessionTime.iso8601
        href = sessionPath(job: s.job, session: s.sessionTime)
        status = s.status.rawValue
        attempts = s.attempts
        startedAt = s.startedAt.iso8601
        finishedAt = s.finishedAt?.iso8601
        durationSeconds = s.finishedAt.map { Double($0.nanos - s.startedAt.nanos) / 1e9 }
        duration = durationText(durationSeconds)
        error = s.error.map(Redaction.text)
        runID = s.runID
        self.runs = runs.map(RunRow.init)
        rowsLoaded = runs.reduce(0) { $0 + $1.counts.loaded }
    }
}

/// One attempt of a session.
struct AttemptRow: Encodable {
    var attempt: Int
    var status: String
    var startedAt: String
    var finishedAt: String?
    var duration: String
    var runID: String
    var error: String?

    init(_ a: JobAttempt) {
        attempt = a.attempt
        status = a.status.rawValue
        startedAt = a.startedAt.iso8601
        finishedAt = a.finishedAt?.iso8601
        duration = durationText(a.finishedAt.map { Double($0.nanos - a.startedAt.nanos) / 1e9 })
        runID = a.runID
        error = a.error.map(Redaction.text)
    }
}

/// A job on `/`: its schedule, its latest and next session, and its recent sessions, oldest first.
struct JobRow: Encodable {
    var name: String
    var href: String
    var schedule: String
    var timezone: String
    var suspended: Bool
    /// Whether a job file of the folder defines it (a shard's or a removed job's history has none).
    var defined: Bool
    var lastSession: String?
    var lastStatus: String?
    var nextSession: String?
    var recent: [SessionRow]
}

/// One file of a run in the ledger.
struct FileRow: Encodable {
    var path: String
    var target: String
    var runID: String
    var runHref: String
    var recordedAt: String?
    var size: Int64?
    var read: Int
    var loaded: Int
    var rejected: Int
    var filtered: Int

    init(_ e: LedgerEntry, recordedAt: Timestamp? = nil) {
        path = e.path
        target = e.target
        runID = e.runID
        runHref = "/runs/" + pathComponent(e.runID)
        self.recordedAt = recordedAt?.iso8601
        size = e.size
        read = e.counts.read
        loaded = e.counts.loaded
        rejected = e.counts.rejected
        filtered = e.counts.filtered
    }
}

/// A rejected record: where it was, why, and the start of its raw text.
struct RejectRow: Encodable {
    /// Its number among the run's rejects (pages continue `after` it).
    var number: Int64
    var file: String
    var line: Int?
    var byteOffset: Int64?
    var column: String?
    var code: String
    var message: String
    /// At most the first `RejectRow.rawPrefix` characters of the record.
    var raw: String
    /// Whether `raw` is shorter than the record.
    var truncated: Bool
    var length: Int64

    /// How much of a record's raw text the pages show, in characters.
    static let rawPrefix = 500

    init(_ n: NumberedReject) {
        let r = n.record
        number = n.number
        file = r.file
        line = r.line
        byteOffset = r.byteOffset
        column = r.column
        code = r.code
        message = Redaction.text(r.message)
        let text = String(decoding: r.raw, as: UTF8.self)
        raw = String(text.prefix(Self.rawPrefix))
        truncated = raw.count < text.count || Int64(r.raw.count) < r.length
        length = r.length
    }
}

/// A point of a plot, with the text a browser shows on hover.
struct PlotPoint: Encodable {
    var x: Int
    var y: Int
    var label: String
}

/// A small line chart of one figure per session (inline SVG; no script).
struct Plot: Encodable {
    var title: String
    var width: Int
    var height: Int
    var points: String
    var dots: [PlotPoint]
    var maxLabel: String

    /// A chart of `values` (oldest first), scaled to the largest; `nil` values are left out.
    init(title: String, values: [(label: String, value: Double?)], unit: String, width: Int = 560, height: Int = 140) {
        self.title = title
        self.width = width
        self.height = height
        let top = max(values.compactMap(\.value).max() ?? 0, 1e-9)
        let step = values.count > 1 ? Double(width - 20) / Double(values.count - 1) : 0
        dots = values.enumerated().compactMap { i, v in
            guard let value = v.value else { return nil }
            let x = 10 + Int((Double(i) * step).rounded())
            let y = 10 + Int(((1 - value / top) * Double(height - 20)).rounded())
            return PlotPoint(x: x, y: y, label: "\(v.label): \(numberText(value)) \(unit)")
        }
        points = dots.map { "\($0.x),\($0.y)" }.joined(separator: " ")
        maxLabel = "max \(numberText(top == 1e-9 ? 0 : top)) \(unit)"
    }
}

/// Seconds as `0.42 s`, `12.3 s`, `4 m 05 s` or `2 h 03 m`; `-` for none.
func durationText(_ seconds: Double?) -> String {
    guard let s = seconds else { return "-" }
    if s < 10 { return String(format: "%.2f s", s) }
    if s < 60 { return String(format: "%.1f s", s) }
    let whole = Int(s.rounded())
    if whole < 3600 { return String(format: "%d m %02d s", whole / 60, whole % 60) }
    return String(format: "%d h %02d m", whole / 3600, whole % 3600 / 60)
}

/// A number without a needless fraction: `120`, `1.25`.
func numberText(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.2f", v)
}

/// `text` percent-encoded for one path segment (letters, digits and `-._~` stay as they are).
func pathComponent(_ text: String) -> String {
    var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
    allowed.insert(charactersIn: ":")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}

/// `text` percent-encoded for a query value.
func queryValue(_ text: String) -> String {
    text.addingPercentEncoding(
        withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:")) ?? text
}

/// The page of a session: `/jobs/NAME/sessions/TIME`.
func sessionPath(job: String, session: Timestamp) -> String {
    "/jobs/\(pathComponent(job))/sessions/\(pathComponent(session.iso8601))"
}
