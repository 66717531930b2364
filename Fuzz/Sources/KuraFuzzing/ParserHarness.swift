import KuraCore
import KuraFormats

/// A rejected record, reduced to what must not depend on how the input was split.
struct RejectSummary: Equatable {
    var code: String
    var line: Int?
    var byteOffset: Int64?
    var column: String?
}

/// Everything one run of a parser produced.
struct ParseOutcome: Equatable {
    var rows: [[Value]] = []
    var rejects: [RejectSummary] = []
    /// The error that stopped the run, if one did (as `code@line`, or the error's text).
    var stopped: String?
    var recordCount: Int { rows.count + rejects.count }
}

/// A sink that checks every page and reject as it arrives, and keeps their values.
final class CheckingSink: RecordSink {
    let inputSize: Int
    var outcome = ParseOutcome()

    init(inputSize: Int) { self.inputSize = inputSize }

    func emit(_ page: Page) throws {
        check(page.columns.count == page.schema.count, "page has \(page.columns.count) vectors for \(page.schema.count) columns")
        for (c, v) in page.columns.enumerated() {
            let name = page.schema.columns[c].name
            check(v.type == page.schema.columns[c].type, "column \(name): vector type \(v.type) differs from the schema")
            check(v.validity.count == page.rowCount, "column \(name): \(v.validity.count) validity flags for \(page.rowCount) rows")
            switch v.type {
            case .boolean: check(v.booleans.count == page.rowCount, "column \(name): \(v.booleans.count) booleans")
            case .long, .timestamp: check(v.integers.count == page.rowCount, "column \(name): \(v.integers.count) integers")
            case .double: check(v.doubles.count == page.rowCount, "column \(name): \(v.doubles.count) doubles")
            case .string, .json:
                check(v.offsets.count == page.rowCount + 1, "column \(name): \(v.offsets.count) offsets for \(page.rowCount) rows")
                check(v.offsets.first == 0 && v.offsets.last == v.bytes.count, "column \(name): offsets do not span the bytes")
                for r in 0..<page.rowCount {
                    check(v.offsets[r] <= v.offsets[r + 1], "column \(name): offsets decrease at row \(r)")
                    if !v.validity[r] { check(v.offsets[r] == v.offsets[r + 1], "column \(name): a null row holds bytes") }
                }
            }
        }
        for r in 0..<page.rowCount {
            var row: [Value] = []
            row.reserveCapacity(page.schema.count)
            for c in 0..<page.schema.count {
                let value = page.value(row: r, column: c)
                switch value {
                case .string:
                    page.withBytes(row: r, column: c) { b in
                        check(isValidUTF8(b), "column \(page.schema.columns[c].name): a string value is not valid UTF-8")
                    }
                case .json(let text):
                    // A json value is kept compact and valid: compacting it again changes nothing.
                    let again = Result { () throws(JSONError) in try JSON.compact(text) }
                    check((try? again.get()) == text, "column \(page.schema.columns[c].name): json value \(text.debugDescription) is not compact valid JSON")
                case .double(let d) where d.isNaN:
                    // NaN is a legal double (Java's parser reads "NaN"); keep it comparable.
                    row.append(.string("<NaN>"))
                    continue
                default: break
                }
                row.append(value)
            }
            outcome.rows.append(row)
        }
    }

    func reject(_ error: DataError) throws {
        check(!error.message.isEmpty, "a reject without a message")
        check(error.raw.count <= 70_000, "a reject keeps \(error.raw.count) raw bytes (should be capped near 64 KiB)")
        if let line = error.line { check(line >= 1, "a reject on line \(line)") }
        if let offset = error.byteOffset {
            check(offset >= 0 && offset <= Int64(inputSize), "a reject at byte \(offset) of a \(inputSize)-byte input")
        }
        outcome.rejects.append(RejectSummary(code: error.code.rawValue, line: error.line, byteOffset: error.byteOffset, column: error.column))
    }
}

/// Whether `bytes` are valid UTF-8.
func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var it = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&it) {
        case .scalarValue: continue
        case .emptyInput: return true
        case .error: return false
        }
    }
}

/// Split positions derived from the input itself, so a crash reproduces from the saved input alone.
func splitPoints(_ body: UnsafeRawBufferPointer, seed: UInt8) -> [Int] {
    guard body.count > 1 else { return [] }
    var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(seed)
    for b in body.prefix(64) { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    let a = Int(h % UInt64(body.count))
    let b = Int((h >> 32) % UInt64(body.count))
    return Array(Set([a, b, body.count / 2])).filter { $0 > 0 && $0 < body.count }.sorted()
}

/// Runs a new parser from `plugin` over `body`, pushed in pieces cut at `cuts` (sorted offsets inside the body).
func runParser(_ plugin: ParserPlugin, _ body: UnsafeRawBufferPointer, cuts: [Int]) -> ParseOutcome {
    var context = PluginContext(workingDirectory: "", sessionTime: Timestamp(nanos: 0), logger: .silent)
    // Small pages: cheaper parsers per input, and records cross page boundaries often.
    context.pageRows = 3
    let sink = CheckingSink(inputSize: body.count)
    do {
        let parser = try plugin.makeParser(for: InputTask(name: "fuzz"), context: context)
        var start = 0
        for end in cuts + [body.count] where end >= start {
            try parser.push(UnsafeRawBufferPointer(rebasing: body[start..<end]), to: sink)
            start = end
        }
        try parser.finish(to: sink)
    } catch let e as DataError {
        sink.outcome.stopped = "\(e.code)@\(e.line.map(String.init) ?? "-")"
    } catch {
        sink.outcome.stopped = "\(error)"
    }
    return sink.outcome
}

/// Parses `body` whole, then in pieces at positions derived from it, then byte by byte (for short inputs), and
/// checks that every way gives the same records, rejects and stop.
func parseEveryWay(_ plugin: ParserPlugin, _ body: UnsafeRawBufferPointer, what: String) -> ParseOutcome {
    let whole = runParser(plugin, body, cuts: [])
    let split = runParser(plugin, body, cuts: splitPoints(body, seed: 1))
    compare(whole, split, what: what, how: "split at \(splitPoints(body, seed: 1))")
    if body.count <= 64 {
        let bytes = runParser(plugin, body, cuts: Array(0..<body.count))
        compare(whole, bytes, what: what, how: "byte by byte")
    }
    return whole
}

func compare(_ a: ParseOutcome, _ b: ParseOutcome, what: String, how: String) {
    check(a.rows == b.rows, "\(what): rows differ when \(how): \(a.rows.prefix(3)) vs \(b.rows.prefix(3))")
    check(a.rejects == b.rejects, "\(what): rejects differ when \(how): \(a.rejects.prefix(3)) vs \(b.rejects.prefix(3))")
    check(a.stopped == b.stopped, "\(what): stop differs when \(how): \(a.stopped ?? "none") vs \(b.stopped ?? "none")")
}

/// Reads option choices from the first bytes of a fuzz input.
struct OptionBytes {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    /// The next byte (0 once the bytes run out).
    mutating func next() -> UInt8 {
        defer { index += 1 }
        return index < bytes.count ? bytes[index] : 0
    }
    /// One of `choices`, picked by the next byte.
    mutating func pick<T>(_ choices: [T]) -> T { choices[Int(next()) % choices.count] }
}

extension ConfigNode {
    /// A quoted scalar (never read as null or a boolean).
    static func text(_ s: String) -> ConfigNode { ConfigNode(.scalar(s, quoted: true)) }
}
