/// Decides which lines are not records: comment lines (`comment_line_marker`) and leading junk
/// (`skip_header_lines`), from how their field counts differ from the records'.
enum CSVLayoutGuesser {
    static let markers = ["#", "//", "--", ";"]

    struct Layout {
        /// The comment marker, when lines start with one and are not records.
        var commentMarker: String?
        /// Physical lines before the first record (a header, when there is one, is that record).
        var junkLines: Int
        var decisions: [GuessDecision]
    }

    /// The layout of the sample's lines split by `split`; `delimiter` is the chosen delimiter.
    static func layout(_ text: ArraySlice<UInt8>, _ split: CSVDialectGuesser.Split, delimiter: String) -> Layout {
        let k = split.fieldCount
        let records = split.records
        let marker = commentMarker(records, k: k, delimiter: delimiter)
        var decisions: [GuessDecision] = []
        if let (m, evidence) = marker {
            decisions.append(GuessDecision(key: "in.parser.comment_line_marker", candidates: markers, winner: m, evidence: evidence))
        }
        func isComment(_ r: CSVSketch.Record) -> Bool {
            guard let m = marker?.0, let first = r.fields.first else { return false }
            return !first.quoted && first.text.starts(with: Array(m.utf8))
        }
        let firstRecord = records.firstIndex { $0.fields.count == k && !isComment($0) }
        let junk = firstRecord.map { i in records[..<i].filter { !isComment($0) } } ?? []
        // The parser counts every physical line before the first record, comment lines too, in skip_header_lines.
        var junkLines = 0
        if let i = firstRecord, i > 0 || records[i].line > 1 {
            junkLines = records[i].line - 1
            let evidence = junk.prefix(3).map { "line \($0.line) has \($0.fields.count) field(s), the records \(k): \($0.excerpt)" }
            decisions.append(GuessDecision(
                key: "in.parser.skip_header_lines", candidates: [], winner: String(junkLines),
                evidence: evidence + ["\(junkLines) line(s) come before the first record (comment and blank lines count)"]))
        }
        return Layout(commentMarker: marker?.0, junkLines: junkLines, decisions: decisions)
    }

    /// A marker that starts lines which are not records (other field counts, or before the first record).
    static func commentMarker(_ records: [CSVSketch.Record], k: Int, delimiter: String) -> (String, [String])? {
        for m in markers where m != delimiter {
            let bytes = Array(m.utf8)
            let marked = records.enumerated().filter { _, r in
                guard let f = r.fields.first else { return false }
                return !f.quoted && f.text.starts(with: bytes)
            }
            guard !marked.isEmpty else { continue }
            let firstRecord = records.firstIndex { r in
                r.fields.count == k && !(r.fields.first.map { !$0.quoted && $0.text.starts(with: bytes) } ?? false)
            } ?? records.count
            let notRecords = marked.filter { i, r in r.fields.count != k || i < firstRecord }
            if notRecords.count * 2 >= marked.count && (notRecords.count >= 2 || marked.count == notRecords.count) {
                let ev = ["\(marked.count) line(s) start with '\(m)', \(notRecords.count) of them unlike the records"]
                    + marked.prefix(2).map { "line \($0.1.line): \($0.1.excerpt)" }
                return (m, ev)
            }
        }
        return nil
    }
}
