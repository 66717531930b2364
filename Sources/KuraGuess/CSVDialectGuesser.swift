/// Decides the CSV dialect of a sample's text (UTF-8): delimiter, quote, escape and line break.
enum CSVDialectGuesser {
    /// Delimiters tried, in order of preference when they tie.
    static let delimiters: [String] = [",", "\t", "|", ";", "^", "~", "\u{1}"]

    static func shown(_ s: String) -> String {
        switch s {
        case "\t": return "\\t"
        case "\u{1}": return "\\x01"
        default: return s
        }
    }

    /// How one delimiter splits the sample.
    struct Split {
        var delimiter: String
        var fieldCount: Int
        var consistency: Double
        var records: [CSVSketch.Record]
        /// Share of the delimiter's occurrences that sit between two digits (a decimal comma's sign).
        var digitSplits: Double
    }

    static func split(_ text: ArraySlice<UInt8>, _ d: String, quote: UInt8?) -> Split {
        let records = CSVSketch(delimiter: Array(d.utf8), quote: quote).records(text)
        var freq: [Int: Int] = [:]
        for r in records { freq[r.fields.count, default: 0] += 1 }
        let mode = freq.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }
        let k = mode?.key ?? 1
        var digitPairs = 0, splits = 0
        for r in records where r.fields.count == k {
            for j in 1..<max(1, r.fields.count) {
                let a = r.fields[j - 1], b = r.fields[j]
                splits += 1
                if !a.quoted && !b.quoted, let x = a.text.last, let y = b.text.first, isDigit(x), isDigit(y) { digitPairs += 1 }
            }
        }
        return Split(
            delimiter: d, fieldCount: k, consistency: records.isEmpty ? 0 : Double(mode?.value ?? 0) / Double(records.count),
            records: records, digitSplits: splits == 0 ? 0 : Double(digitPairs) / Double(splits))
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// The delimiter that splits the sample's lines into the same number (more than one) of fields most
    /// consistently; `,` (one column) when none does.
    static func delimiter(_ text: ArraySlice<UInt8>, quote: UInt8?) -> (Split, GuessDecision) {
        let splits = delimiters.map { split(text, $0, quote: quote) }
        let contenders = splits.filter { $0.fieldCount > 1 }
        let candidates = splits.map { s in "'\(shown(s.delimiter))' (\(s.fieldCount) fields in \(Int((s.consistency * 100).rounded()))% of lines)" }
        guard let topShare = contenders.map(\.consistency).max() else {
            let s = splits[0]
            return (s, GuessDecision(
                key: "in.parser.delimiter", candidates: candidates, winner: ",",
                evidence: ["no candidate splits the lines into more than one field: one column"]))
        }
        let near = contenders.filter { $0.consistency >= topShare - 0.02 }
        let best = near.min { a, b in
            if abs(a.digitSplits - b.digitSplits) > 0.2 { return a.digitSplits < b.digitSplits }
            return a.fieldCount > b.fieldCount
        }!
        var evidence = ["'\(shown(best.delimiter))' gives \(best.fieldCount) fields on \(Int((best.consistency * 100).rounded()))% of \(best.records.count) lines"]
        for other in near where other.delimiter != best.delimiter {
            evidence.append("'\(shown(other.delimiter))' is as consistent but \(Int((other.digitSplits * 100).rounded()))% of its splits fall between digits (decimal commas)")
        }
        if let r = best.records.first { evidence.append("line \(r.line): \(r.excerpt)") }
        return (best, GuessDecision(key: "in.parser.delimiter", candidates: candidates, winner: shown(best.delimiter), evidence: evidence))
    }

    /// The quote character: `'` when fields are quoted with it and never with `"`; else `"`.
    static func quote(_ text: ArraySlice<UInt8>, delimiter: String) -> (UInt8, GuessDecision) {
        let records = CSVSketch(delimiter: Array(delimiter.utf8), quote: nil).records(text)
        var double = 0, single = 0
        var singleExample: String? = nil
        for r in records {
            for f in r.fields {
                if f.text.first == 0x22 { double += 1 }
                if f.text.first == 0x27 && f.text.count >= 2 && f.text.last == 0x27 {
                    single += 1
                    if singleExample == nil { singleExample = "line \(r.line): \(r.excerpt)" }
                }
            }
        }
        if single > 0 && double == 0 {
            return (0x27, GuessDecision(
                key: "in.parser.quote", candidates: ["\"", "'"], winner: "'",
                evidence: ["\(single) fields are quoted with ' and none with \""] + (singleExample.map { [$0] } ?? [])))
        }
        return (0x22, GuessDecision(
            key: "in.parser.quote", candidates: ["\"", "'"], winner: "\"",
            evidence: [double > 0 ? "\(double) fields start with \"" : "no quoted field in the sample; \" is the usual quote"]))
    }

    /// The escape inside quoted fields: `\` when `\"` appears inside quoted values and `""` never does; else the
    /// quote itself (RFC 4180's doubled quote).
    static func escape(_ text: ArraySlice<UInt8>, quote q: UInt8, delimiter: String) -> (UInt8, GuessDecision) {
        var backslashed = 0, doubled = 0
        var example: String? = nil
        var inQuotes = false
        var i = text.startIndex
        let d = Array(delimiter.utf8)[0]
        var fieldStart = true
        while i < text.endIndex {
            let c = text[i]
            if inQuotes {
                if c == 0x5C && i + 1 < text.endIndex && (text[i + 1] == q || text[i + 1] == 0x5C) {
                    let after = i + 2 < text.endIndex ? text[i + 2] : 10
                    if text[i + 1] == 0x5C || (after != d && after != 10 && after != 13) {
                        backslashed += 1
                        if example == nil { example = String(decoding: text[max(text.startIndex, i - 20)..<min(text.endIndex, i + 20)], as: UTF8.self) }
                    }
                    i += 2
                    continue
                }
                if c == q {
                    if i + 1 < text.endIndex && text[i + 1] == q {
                        doubled += 1
                        i += 2
                        continue
                    }
                    inQuotes = false
                }
            } else if c == q && fieldStart {
                inQuotes = true
            }
            fieldStart = c == d || c == 10 || c == 13
            i += 1
        }
        let qs = String(UnicodeScalar(q))
        if backslashed > 0 && doubled == 0 {
            return (0x5C, GuessDecision(
                key: "in.parser.escape", candidates: [qs + " (doubled)", "\\"], winner: "\\",
                evidence: ["\(backslashed) backslash escapes inside quoted fields, no doubled quote"] + (example.map { ["…\($0)…"] } ?? [])))
        }
        return (q, GuessDecision(
            key: "in.parser.escape", candidates: [qs + " (doubled)", "\\"], winner: qs,
            evidence: [doubled > 0 ? "\(doubled) doubled quotes inside quoted fields" : "no escape in the sample; a doubled quote (RFC 4180) is the safe reading"]))
    }

    /// The line break: the most frequent of CRLF, LF and CR.
    static func newline(_ text: ArraySlice<UInt8>) -> (String, GuessDecision) {
        var crlf = 0, lf = 0, cr = 0
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == 13 {
                if i + 1 < text.endIndex && text[i + 1] == 10 {
                    crlf += 1
                    i += 1
                } else {
                    cr += 1
                }
            } else if text[i] == 10 {
                lf += 1
            }
            i += 1
        }
        let counts = [("CRLF", crlf), ("LF", lf), ("CR", cr)]
        let best = counts.max { $0.1 < $1.1 }!
        let winner = best.1 == 0 ? "LF" : best.0
        return (winner, GuessDecision(
            key: "in.parser.newline", candidates: ["CRLF", "LF", "CR"], winner: winner,
            evidence: ["line breaks in the sample: \(crlf) CRLF, \(lf) LF, \(cr) CR"]))
    }
}
