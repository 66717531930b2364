import KuraCore

/// Decides whether the first record is a header: by types when a column's values have one the first record's
/// value does not convert to, and by shape when every column is a string (names unlike the values below them).
enum HeaderGuesser {
    /// Whether `first` (the first record's values) is a header over the columns `guessers` saw below it.
    static func isHeader(_ first: [String?], _ guessers: [ColumnTypeGuesser], below rows: [[String]]) -> (Bool, GuessDecision) {
        let key = "in.parser.skip_header_lines"
        func d(_ yes: Bool, _ evidence: [String], undecided: String? = nil) -> (Bool, GuessDecision) {
            (yes, GuessDecision(key: key, candidates: ["header line", "no header line"], winner: yes ? "header line" : "no header line",
                evidence: evidence, undecided: undecided))
        }
        let line = first.map { $0 ?? "" }.joined(separator: ", ")
        if first.contains(where: { $0 == nil || $0!.isEmpty }) {
            return d(false, ["the first record has an empty field, which a header would not: \(line)"])
        }
        if Set(first.compactMap { $0 }).count < first.count {
            return d(false, ["the first record repeats a value, which a header would not: \(line)"])
        }
        var typed: [String] = []
        for (c, g) in guessers.enumerated() where c < first.count {
            let (type, format, _) = g.decide(name: "c\(c)", key: "", nullMarker: nil)
            guard type != .string, g.values > 0 else { continue }
            if !accepts(first[c]!, type: type, format: format) {
                return d(true, ["column \(c + 1): the values below are \(type) but '\(first[c]!)' is not", "line 1: \(line)"])
            }
            typed.append("column \(c + 1) is \(type) and '\(first[c]!)' is one")
        }
        if !typed.isEmpty { return d(false, typed + ["line 1: \(line)"]) }
        guard !rows.isEmpty else {
            return d(false, [line], undecided: "only one record in the sample, so a header cannot be told from data; read as data")
        }
        var unlike = 0
        for c in 0..<first.count {
            let column = rows.compactMap { c < $0.count ? $0[c] : nil }
            if column.contains(first[c]!) {
                return d(false, ["'\(first[c]!)' appears again below it in column \(c + 1)"])
            }
            let shapes = Set(column.map(shape))
            if !shapes.contains(shape(first[c]!)) { unlike += 1 }
        }
        let named = first.allSatisfy { isNameLike($0!) }
        if named && (unlike * 2 >= first.count || (unlike > 0 && rows.count >= 3)) {
            return d(true, ["every column is a string, and \(unlike) of \(first.count) first-line values are shaped unlike every value below them", "line 1: \(line)"])
        }
        return d(false, ["every column is a string and the first line is shaped like the rest: \(line)"],
            undecided: named ? "the first line could be names or data; read as data (set skip_header_lines: 1 if it names the columns)" : nil)
    }

    /// Whether the text converts to `type` (with timestamp `format`).
    static func accepts(_ text: String, type: ColumnType, format: String?) -> Bool {
        let g = ColumnTypeGuesser()
        var t = text
        t.withUTF8 { g.observe(UnsafeRawBufferPointer($0)) }
        if !g.markerCounts.isEmpty { return true }
        switch type {
        case .boolean: return g.boolean
        case .long: return g.long || (format != nil && g.long)
        case .double: return g.double
        case .json: return g.json
        case .timestamp:
            if format == "%s" { return g.long }
            return g.timestamps.alive.contains { TimestampGuesser.formats[$0] == format }
        case .string: return true
        }
    }

    /// The text's character classes with runs collapsed: `Aa Aa` for `John Smith`, `9-9-9` for a date.
    static func shape(_ s: String) -> String {
        var out: [Character] = []
        for ch in s {
            let c: Character = ch.isUppercase ? "A" : ch.isLowercase ? "a" : ch.isNumber ? "9" : ch.isLetter ? "L" : ch
            if out.last != c { out.append(c) }
        }
        return String(out)
    }

    /// Whether `s` looks like a column name: letters, digits, `_`, spaces, `-` or `.`, starting with a letter.
    static func isNameLike(_ s: String) -> Bool {
        guard let f = s.first, f.isLetter || f == "_" else { return false }
        return s.count <= 64 && s.allSatisfy { $0.isLetter || $0.isNumber || "_ -.".contains($0) }
    }
}
