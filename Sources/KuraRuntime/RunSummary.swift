import Foundation
import KuraCore

/// Renders a run's summary: per file and in total, rows read / loaded / rejected / filtered.
public enum RunSummary {
    public static func render(_ r: RunResult, outputType: String, workingDirectory: String) -> String {
        func rel(_ p: String) -> String {
            let base = workingDirectory.hasSuffix("/") ? workingDirectory : workingDirectory + "/"
            return p.hasPrefix(base) ? String(p.dropFirst(base.count)) : p
        }
        let names = r.tasks.map { rel($0.name) }
        let nameWidth = max(5, names.map(\.count).max() ?? 0)
        func row(_ name: String, _ c: RowCounts) -> String {
            "  " + name.rightPad(nameWidth) + "  " + [c.read, c.loaded, c.rejected, c.filtered].map { formatCount($0).leftPad(10, " ") }
                .joined(separator: " ")
        }
        var lines = [
            "kura run \(r.runID): committed to \(outputType) in \(String(format: "%.2f", r.elapsedSeconds)) s",
            "  " + "file".rightPad(nameWidth) + "  " + ["read", "loaded", "rejected", "filtered"].map { $0.leftPad(10, " ") }.joined(separator: " "),
        ]
        for (i, name) in names.enumerated() { lines.append(row(name, r.counts[i])) }
        lines.append(row("total", r.total) + (r.total.addsUp ? "   (read = loaded + rejected + filtered)" : "   (COUNTS DO NOT ADD UP)"))
        if let p = r.rejectsPath {
            lines.append("  rejected records: \(rel(p)) (\(formatCount(r.total.rejected)))")
        }
        if !r.skipped.isEmpty {
            lines.append("  skipped \(r.skipped.count) file(s) already loaded into this target (run with --force to load them again)")
        }
        if r.tasks.isEmpty && r.skipped.isEmpty { lines.append("  no input files matched; nothing to load") }
        return lines.joined(separator: "\n") + "\n"
    }
}
