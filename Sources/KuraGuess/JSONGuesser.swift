import Foundation
import KuraCore
import KuraFormats

/// Completes a `json` parser section: where the records are (`root`, `flatten_json_array`), then one column per
/// key in first-seen order with its type, from the records the json parser itself reads.
struct JSONGuesser {
    let pass: GuessPass
    let sample: Sample

    /// Fills in `parser` from `text` (the head of the sample as UTF-8), keeping what the seed set; returns the
    /// chunks it parsed and the charset it parsed them in when that is not the config's (for the verification).
    @discardableResult
    func guess(_ parser: inout GuessedSection, text: [UInt8], report: inout GuessReport) throws -> ([[UInt8]], ConfigNode?) {
        var chunks = [sample.head] + sample.windows.map(\.bytes)
        var samplingCharset: ConfigNode? = nil
        if !parser.isUserSet("root") && !parser.isUserSet("flatten_json_array"), let layout = Self.arrayLayout(text) {
            parser.guess("flatten_json_array", text: "true")
            if let root = layout.root { parser.guess("root", .quoted(root)) }
            report.add(GuessDecision(key: "in.parser.root", candidates: ["one record per value", "elements of an array"],
                winner: layout.root.map { "elements of the array at \($0)" } ?? "elements of the top-level array",
                evidence: [layout.evidence]))
            if !sample.headIsWhole {
                // Only whole elements of the array's start fit the budget: parse those as a complete document.
                chunks = [layout.completed]
                samplingCharset = .scalar("UTF-8")
            }
        }
        var sampling = parser.node.removing("columns")
        if let samplingCharset { sampling = sampling.setting("charset", to: samplingCharset) }
        let keys = KeyCollector()
        let collector = ValueCollector(columns: 0, holdFirst: false)
        collector.onRecord = keys.observe
        try pass.parse([chunks[0]], parser: sampling, name: sample.file, into: collector)
        let windows = ValueCollector(columns: 0, holdFirst: false)
        let windowKeys = KeyCollector()
        windows.onRecord = windowKeys.observe
        try pass.parse(Array(chunks.dropFirst()), parser: sampling, name: sample.file, into: windows)
        if windows.rejects.isEmpty { keys.merge(windowKeys) }
        report.sampleRejects = collector.rejects.count
        guard !parser.isUserSet("columns") else { return (chunks, samplingCharset) }
        if keys.nonObjects > 0 || keys.order.isEmpty {
            report.add(GuessDecision(key: "in.parser.columns", candidates: ["typed columns", "one json column 'record'"],
                winner: "one json column 'record'",
                evidence: ["\(keys.nonObjects) of \(keys.records) records are not JSON objects"],
                undecided: keys.order.isEmpty ? "no object records in the sample" : nil))
            return (chunks, samplingCharset)
        }
        var items: [ConfigNode] = []
        for (i, name) in keys.order.enumerated() {
            let (type, format, d) = keys.columns[name]!.decide(name: name, key: "in.parser.columns[\(i)].type (\(name))")
            report.add(d)
            var pairs: [(String, ConfigNode)] = [("name", ConfigNode(.scalar(name, quoted: true))), ("type", .scalar(type.rawValue))]
            if let format { pairs.append(("format", .quoted(format))) }
            items.append(.mapping(pairs))
        }
        parser.guess("columns", ConfigNode(.sequence(items)))
        return (chunks, samplingCharset)
    }

    /// Where the records sit when the data is one array of objects, or an object with one member holding one.
    struct ArrayLayout {
        var root: String?
        var evidence: String
        /// A complete document holding the whole elements found at the start.
        var completed: [UInt8]
    }

    static func arrayLayout(_ text: [UInt8]) -> ArrayLayout? {
        var i = 0
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        func ws() { while i < text.count, JSON.isWhitespace(text[i]) { i += 1 } }
        ws()
        guard i < text.count else { return nil }
        var root: String? = nil
        var prefix: [UInt8] = []
        if text[i] == 0x7B {
            // `{"key": [` — the records sit in the array at /key.
            i += 1
            ws()
            guard i < text.count, text[i] == 0x22, let close = text[(i + 1)...].firstIndex(of: 0x22) else { return nil }
            let key = String(decoding: text[(i + 1)..<close], as: UTF8.self)
            guard !key.contains("\\") else { return nil }
            i = close + 1
            ws()
            guard i < text.count, text[i] == 0x3A else { return nil }
            i += 1
            ws()
            guard i < text.count, text[i] == 0x5B else { return nil }
            root = "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            prefix = Array("{\"".utf8) + Array(key.utf8) + Array("\":".utf8)
        }
        guard i < text.count, text[i] == 0x5B else { return nil }
        i += 1
        let scanner = JSONScanner()
        var sink: [UInt8] = []
        var elements: [Range<Int>] = []
        let outcome: Bool = text.withUnsafeBytes { b in
            while true {
                ws()
                guard i < b.count else { return true }
                if b[i] == 0x5D { return true }
                if b[i] == 0x2C { i += 1; continue }
                guard case .complete(let end) = scanner.scan(b, from: i, isFinal: false, tree: nil, compactInto: &sink, compacting: false) else {
                    return !elements.isEmpty
                }
                elements.append(i..<end)
                i = end
            }
        }
        guard outcome, let first = elements.first, text[first.lowerBound] == 0x7B else { return nil }
        var doc = prefix + [0x5B]
        for (n, r) in elements.enumerated() {
            if n > 0 { doc.append(0x2C) }
            doc += text[r]
        }
        doc.append(0x5D)
        if root != nil { doc.append(0x7D) }
        let evidence = root.map { "the data is an object whose member '\($0.dropFirst())' is an array of \(elements.count)+ objects" }
            ?? "the data starts with '[': an array of \(elements.count)+ objects"
        return ArrayLayout(root: root, evidence: evidence, completed: doc)
    }
}

/// The keys of JSON object records in first-seen order, with what each key's values allow.
final class KeyCollector {
    var order: [String] = []
    var columns: [String: JSONColumnGuesser] = [:]
    var records = 0
    var nonObjects = 0

    func observe(_ record: UnsafeRawBufferPointer) {
        records += 1
        guard record.first == 0x7B else { nonObjects += 1; return }
        for (key, range) in JSONMembers.of(record) {
            let g: JSONColumnGuesser
            if let existing = columns[key] { g = existing } else {
                g = JSONColumnGuesser()
                columns[key] = g
                order.append(key)
            }
            g.observe(UnsafeRawBufferPointer(rebasing: record[range]))
        }
    }

    func merge(_ other: KeyCollector) {
        for key in other.order where columns[key] == nil {
            order.append(key)
            columns[key] = other.columns[key]
        }
        for key in other.order where columns[key] !== other.columns[key] { columns[key]!.absorb(other.columns[key]!) }
        records += other.records
        nonObjects += other.nonObjects
    }
}

/// Top-level members of a compact JSON object.
enum JSONMembers {
    /// The (unescaped key, value span) pairs of the compact object `v`.
    static func of(_ v: UnsafeRawBufferPointer) -> [(String, Range<Int>)] {
        var out: [(String, Range<Int>)] = []
        var i = 1
        while i < v.count && v[i] != 0x7D {
            let keyEnd = skip(v, i)
            var key = "" as String
            let content = UnsafeRawBufferPointer(rebasing: v[(i + 1)..<(keyEnd - 1)])
            var scratch: [UInt8] = []
            if (try? JSON.appendUnescaped(content, invalidEscapes: .passthrough, to: &scratch)) != nil {
                key = String(decoding: scratch, as: UTF8.self)
            }
            i = keyEnd + 1
            let end = skip(v, i)
            out.append((key, i..<end))
            i = end
            if i < v.count && v[i] == 0x2C { i += 1 }
        }
        return out
    }

    /// The end of the compact value starting at `i`.
    static func skip(_ v: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var i = start
        var depth = 0
        var inString = false
        while i < v.count {
            let c = v[i]
            if inString {
                if c == 0x5C { i += 2; continue }
                if c == 0x22 {
                    inString = false
                    if depth == 0 { return i + 1 }
                }
            } else {
                switch c {
                case 0x22: inString = true
                case 0x7B, 0x5B: depth += 1
                case 0x7D, 0x5D:
                    if depth == 0 { return i }
                    depth -= 1
                    if depth == 0 { return i + 1 }
                case 0x2C: if depth == 0 { return i }
                default: break
                }
            }
            i += 1
        }
        return i
    }
}
