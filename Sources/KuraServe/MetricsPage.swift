import KuraCore
import KuraWarehouse

/// `/metrics`: the warehouse's history in Prometheus' text exposition format (version 0.0.4).
///
/// - `kura_sessions{kura_job, status}`: sessions by the status of their latest attempt;
/// - `kura_last_success_timestamp_seconds{kura_job}`: when the job's latest succeeded attempt finished;
/// - `kura_rows_total{target, outcome}`: the rows of every recorded run of the target, by outcome
///   (`read = loaded + rejected + filtered`), and `kura_runs_total{target}`;
/// - `kura_warehouse_up`: 1 when the warehouse could be read.
enum MetricsPage {
    /// The exposition text of the history `store` holds.
    static func text(_ store: HistoryWarehouse) throws -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for s in samples { out += "\(name){\(s.labels)} \(s.value)\n" }
        }
        out += "# HELP kura_warehouse_up 1 when the warehouse could be read.\n# TYPE kura_warehouse_up gauge\nkura_warehouse_up 1\n"
        family("kura_sessions", "gauge", "Sessions of each job by the status of their latest attempt.",
            try store.sessionCounts().map { ("kura_job=\(quoted($0.job)),status=\(quoted($0.status.rawValue))", String($0.count)) })
        family("kura_last_success_timestamp_seconds", "gauge", "When the job's latest succeeded attempt finished.",
            try store.lastSuccesses().map { ("kura_job=\(quoted($0.job))", seconds($0.finishedAt)) })
        let totals = try store.targetTotals()
        family("kura_runs_total", "counter", "Recorded runs of each target.",
            totals.map { ("target=\(quoted($0.target))", String($0.runs)) })
        family("kura_rows_total", "counter", "Rows of every recorded run of each target by outcome (read = loaded + rejected + filtered).",
            totals.flatMap { t in
                [("read", t.counts.read), ("loaded", t.counts.loaded), ("rejected", t.counts.rejected), ("filtered", t.counts.filtered)]
                    .map { ("target=\(quoted(t.target)),outcome=\"\($0.0)\"", String($0.1)) }
            })
        return out
    }

    /// The text when the warehouse cannot be read: `kura_warehouse_up 0`.
    static let down = "# HELP kura_warehouse_up 1 when the warehouse could be read.\n# TYPE kura_warehouse_up gauge\nkura_warehouse_up 0\n"

    /// A label value in quotes, with backslashes, quotes and line breaks escaped as the format wants.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out + "\""
    }

    /// Seconds since the epoch with milliseconds.
    static func seconds(_ t: Timestamp) -> String {
        let ms = t.nanos / 1_000_000
        let sign = ms < 0 ? "-" : ""
        let a = abs(ms)
        let frac = String(a % 1000)
        return "\(sign)\(a / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }
}
