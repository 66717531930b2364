import KuraCore
import KuraFormats

/// Completes a `csv` parser section: dialect, layout, header, null string, trimming, then column names and types
/// from the values the csv parser itself reads with that dialect.
struct CSVGuesser {
    let pass: GuessPass
    let sample: Sample

    /// Fills in `parser` (keeping every key the seed set) from `text`, the head of the sample as UTF-8.
    func guess(_ parser: inout GuessedSection, text: [UInt8], report: inout GuessReport) throws {
        let sketch = text.prefix(64 * 1024)
        let dialect = guessDialect(&parser, sketch, report: &report)
        let layout = CSVLayoutGuesser.layout(sketch, dialect.split, delimiter: dialect.delimiter)
        if let m = layout.commentMarker, !parser.isUserSet("comment_line_marker") {
            parser.guess("comment_line_marker", .quoted(m))
        }
        report.decisions += layout.decisions.filter { !parser.isUserSet(String($0.key.split(separator: ".").last!)) }
        guessTrim(&parser, dialect.split, report: &report)
        let userColumns = parser["columns"]?.kindSequence
        let k = userColumns?.count ?? dialect.split.fieldCount
        let userSkip = parser.user("skip_header_lines").flatMap(Int.init) ?? (parser.user("header_line") == "true" ? 1 : nil)
        var sampling = parser.node.setting("columns", to: .stringColumns(k))
            .setting("skip_header_lines", to: .scalar(String(userSkip ?? layout.junkLines))).removing("header_line")
        if !parser.isUserSet("null_string") { sampling = sampling.removing("null_string") }
        let head = ValueCollector(columns: k, holdFirst: userSkip == nil)
        try pass.parse([sample.head], parser: sampling, name: sample.file, into: head)
        var header = false
        if userSkip == nil, let first = head.first {
            let (h, d) = HeaderGuesser.isHeader(first, head.guessers, below: head.keptRows)
            header = h
            report.add(d)
            parser.guess("skip_header_lines", text: String(layout.junkLines + (h ? 1 : 0)))
            if !h { for (c, v) in first.enumerated() where c < k { observe(v, head.guessers[c]) } }
        }
        let values = head
        try pass.parse(sample.windows.map(\.bytes), parser: sampling.setting("skip_header_lines", to: .scalar("0")), name: sample.file, into: values)
        report.sampleRejects = values.rejects.count
        guard userColumns == nil else { return }
        var headerValues = header ? head.first : nil
        if let skip = userSkip, skip > 0,
            let line = dialect.split.records.last(where: { $0.line <= skip && $0.fields.count == k })
        {
            headerValues = line.fields.map { String(decoding: $0.text, as: UTF8.self) }
        }
        let names = columnNames(headerValues, count: k)
        let marker = guessNullString(&parser, values.guessers, names: names, report: &report)
        parser.guess("columns", columns(values.guessers, names: names, nullMarker: marker, report: &report))
    }

    func observe(_ v: String?, _ g: ColumnTypeGuesser) {
        guard var v else { g.nulls += 1; return }
        v.withUTF8 { g.observe(UnsafeRawBufferPointer($0)) }
    }

    struct Dialect {
        var delimiter: String
        var split: CSVDialectGuesser.Split
    }

    /// Delimiter, quote, escape and newline, each the seed's when it set one.
    func guessDialect(_ parser: inout GuessedSection, _ sketch: ArraySlice<UInt8>, report: inout GuessReport) -> Dialect {
        let userQuote = parser.user("quote").map { Array($0.utf8).first }
        var split: CSVDialectGuesser.Split
        let delimiter: String
        if let d = parser.user("delimiter") {
            delimiter = d
            split = CSVDialectGuesser.split(sketch, d, quote: userQuote ?? 0x22)
        } else {
            let (s, decision) = CSVDialectGuesser.delimiter(sketch, quote: userQuote ?? 0x22)
            (split, delimiter) = (s, s.delimiter)
            report.add(decision)
            parser.guess("delimiter", .quoted(delimiter))
        }
        var quote: UInt8 = userQuote.flatMap { $0 } ?? 0x22
        if !parser.isUserSet("quote") {
            let (q, decision) = CSVDialectGuesser.quote(sketch, delimiter: delimiter)
            quote = q
            report.add(decision)
            parser.guess("quote", .quoted(String(UnicodeScalar(q))))
            if q != 0x22 { split = CSVDialectGuesser.split(sketch, delimiter, quote: q) }
        }
        if !parser.isUserSet("escape") {
            let (e, decision) = CSVDialectGuesser.escape(sketch, quote: quote, delimiter: delimiter)
            report.add(decision)
            parser.guess("escape", .quoted(String(UnicodeScalar(e))))
        }
        if !parser.isUserSet("newline") {
            let (n, decision) = CSVDialectGuesser.newline(sketch)
            report.add(decision)
            parser.guess("newline", text: n)
        }
        return Dialect(delimiter: delimiter, split: split)
    }

    /// `trim_if_not_quoted: true` when some column's values are numbers or booleans only once the spaces around
    /// them are trimmed.
    func guessTrim(_ parser: inout GuessedSection, _ split: CSVDialectGuesser.Split, report: inout GuessReport) {
        guard !parser.isUserSet("trim_if_not_quoted") else { return }
        let rows = split.records.filter { $0.fields.count == split.fieldCount }.dropFirst()
        for c in 0..<split.fieldCount {
            let fields = rows.map { $0.fields[c] }.filter { !$0.quoted && !$0.text.isEmpty }
            let padded = fields.filter { $0.text.first == 32 || $0.text.last == 32 }
            guard let example = padded.first, padded.count * 2 >= fields.count else { continue }
            let typed = fields.allSatisfy { f in
                let t = Array(f.text.drop { $0 == 32 }.reversed().drop { $0 == 32 }.reversed())
                return t.withUnsafeBytes { ValueParsing.parseDouble($0) != nil || ValueParsing.parseBoolean($0) != nil }
            }
            if typed {
                parser.guess("trim_if_not_quoted", text: "true")
                report.add(GuessDecision(
                    key: "in.parser.trim_if_not_quoted", candidates: ["false", "true"], winner: "true",
                    evidence: ["column \(c + 1): values such as '\(String(decoding: example.text, as: UTF8.self))' are numbers once trimmed"]))
                return
            }
        }
    }

    /// The header's names (`c0`, `c1`, … without one), empty ones numbered and repeated ones suffixed.
    func columnNames(_ header: [String?]?, count: Int) -> [String] {
        var seen = Set<String>()
        return (0..<count).map { c in
            var name = (header.flatMap { c < $0.count ? $0[c] : nil } ?? nil)?.trimmingSpaces ?? ""
            if name.isEmpty { name = "c\(c)" }
            var unique = name
            var n = 2
            while seen.contains(unique) {
                unique = "\(name)_\(n)"
                n += 1
            }
            seen.insert(unique)
            return unique
        }
    }

    /// The null string: a marker (`NULL`, `\N`, …) that stands where a column's other values all have a type.
    func guessNullString(_ parser: inout GuessedSection, _ guessers: [ColumnTypeGuesser], names: [String], report: inout GuessReport) -> String? {
        if let user = parser.user("null_string") { return user }
        var best: (String, Int)? = nil
        for m in ColumnTypeGuesser.nullMarkers {
            let typed = guessers.enumerated().filter { c, g in
                g.markerCounts[m] != nil && g.decide(name: names[c], key: "", nullMarker: m).0 != .string
            }.count
            if typed > (best?.1 ?? 0) { best = (m, typed) }
        }
        let seen = ColumnTypeGuesser.nullMarkers.filter { m in guessers.contains { $0.markerCounts[m] != nil } }
        guard let (m, typed) = best else {
            if !seen.isEmpty {
                report.add(GuessDecision(key: "in.parser.null_string", candidates: seen, winner: "(unset)",
                    evidence: ["\(seen.joined(separator: ", ")) appear only in string columns: kept as text"]))
            }
            return nil
        }
        parser.guess("null_string", .quoted(m))
        report.add(GuessDecision(key: "in.parser.null_string", candidates: ["(unset: empty fields)"] + seen, winner: m,
            evidence: ["'\(m)' stands in \(typed) column(s) whose other values all have a type"]))
        return m
    }

    /// The `columns` list, with a decision per column.
    func columns(_ guessers: [ColumnTypeGuesser], names: [String], nullMarker: String?, report: inout GuessReport) -> ConfigNode {
        var items: [ConfigNode] = []
        for (c, g) in guessers.enumerated() {
            let (type, format, decision) = g.decide(name: names[c], key: "in.parser.columns[\(c)].type (\(names[c]))", nullMarker: nullMarker)
            report.add(decision)
            var pairs: [(String, ConfigNode)] = [("name", ConfigNode(.scalar(names[c], quoted: true))), ("type", .scalar(type.rawValue))]
            if let format { pairs.append(("format", .quoted(format))) }
            items.append(.mapping(pairs))
        }
        return ConfigNode(.sequence(items))
    }
}

extension ConfigNode {
    /// The items of a sequence node.
    var kindSequence: [ConfigNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
