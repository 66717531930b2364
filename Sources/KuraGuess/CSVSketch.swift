/// A small CSV tokenizer for trying dialects on the start of a sample: records of fields with their line numbers.
///
/// It is only used to compare candidate delimiters, quotes and layouts; the values guess types come from the
/// `csv` parser itself, with the dialect chosen.
struct CSVSketch {
    /// One field: its text (unquoted, doubled quotes undone) and whether it was quoted.
    struct Field {
        var text: [UInt8]
        var quoted: Bool
    }

    /// One record and the physical line (from 1) it starts on.
    struct Record {
        var fields: [Field]
        var line: Int
        /// The record's first bytes (shared with the text, not copied).
        var head: ArraySlice<UInt8>

        /// The record's first bytes as text, for evidence.
        var excerpt: String {
            String(decoding: head.prefix { $0 != 10 && $0 != 13 }, as: UTF8.self)
        }
    }

    let delimiter: [UInt8]
    let quote: UInt8?

    /// The records of `text` (UTF-8), at most `limit`; empty lines are skipped (as the parser does).
    func records(_ text: ArraySlice<UInt8>, limit: Int = 400) -> [Record] {
        var out: [Record] = []
        var i = text.startIndex
        var line = 1
        while i < text.endIndex && out.count < limit {
            if text[i] == 10 || text[i] == 13 {
                if text[i] == 13 && i + 1 < text.endIndex && text[i + 1] == 10 { i += 1 }
                i += 1
                line += 1
                continue
            }
            let start = i
            let startLine = line
            let fields = record(text, &i, &line)
            out.append(Record(fields: fields, line: startLine, head: text[start..<min(i, start + 80)]))
        }
        return out
    }

    /// Reads one record from `i`, leaving `i` after its line break.
    func record(_ t: ArraySlice<UInt8>, _ i: inout Int, _ line: inout Int) -> [Field] {
        var fields: [Field] = []
        var cur: [UInt8] = []
        var quoted = false
        var inQuotes = false
        while i < t.endIndex {
            let c = t[i]
            if inQuotes {
                if c == quote {
                    if i + 1 < t.endIndex && t[i + 1] == quote {
                        cur.append(c)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if c == 10 { line += 1 }
                    cur.append(c)
                }
                i += 1
                continue
            }
            if c == 10 || c == 13 {
                if c == 13 && i + 1 < t.endIndex && t[i + 1] == 10 { i += 1 }
                i += 1
                line += 1
                break
            }
            if c == delimiter[0] && matches(t, i) {
                fields.append(Field(text: cur, quoted: quoted))
                cur.removeAll(keepingCapacity: true)
                quoted = false
                i += delimiter.count
                continue
            }
            if c == quote && cur.isEmpty && !quoted {
                inQuotes = true
                quoted = true
                i += 1
                continue
            }
            cur.append(c)
            i += 1
        }
        fields.append(Field(text: cur, quoted: quoted))
        return fields
    }

    @inline(__always)
    func matches(_ t: ArraySlice<UInt8>, _ i: Int) -> Bool {
        if delimiter.count == 1 { return true }
        guard i + delimiter.count <= t.endIndex else { return false }
        return t[i..<i + delimiter.count].elementsEqual(delimiter)
    }
}
