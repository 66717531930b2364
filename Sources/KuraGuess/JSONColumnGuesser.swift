import KuraCore
import KuraFormats

/// What one JSON key's values allow: JSON's own kinds decide (a string stays a string unless every one is a
/// timestamp), checked with the json parser's converters.
final class JSONColumnGuesser {
    var nulls = 0
    var strings = 0
    var integers = 0
    var bigIntegers = 0
    var fractions = 0
    var booleans = 0
    var containers = 0
    var timestamps = TimestampGuesser()
    var examples: [String] = []

    func observe(_ v: UnsafeRawBufferPointer) {
        if examples.count < 3 {
            let s = String(decoding: v.prefix(60), as: UTF8.self)
            if !examples.contains(s) { examples.append(s) }
        }
        switch JSON.kind(of: v) {
        case .null: nulls += 1
        case .boolean: booleans += 1
        case .object, .array: containers += 1
        case .number:
            if ValueParsing.parseLong(v) != nil {
                integers += 1
            } else if v.contains(where: { $0 == 0x2E || $0 | 0x20 == 0x65 }) {
                fractions += 1
            } else {
                bigIntegers += 1
            }
        case .string:
            strings += 1
            let content = UnsafeRawBufferPointer(rebasing: v[1..<(v.count - 1)])
            if content.contains(0x5C) {
                timestamps.alive.removeAll()
            } else {
                timestamps.observe(content)
            }
        }
    }

    func absorb(_ o: JSONColumnGuesser) {
        nulls += o.nulls
        strings += o.strings
        integers += o.integers
        bigIntegers += o.bigIntegers
        fractions += o.fractions
        booleans += o.booleans
        containers += o.containers
        timestamps.alive = timestamps.alive.filter { o.timestamps.alive.contains($0) }
    }

    /// The type (and timestamp format) of the key `name`, and the decision for `key`.
    func decide(name: String, key: String) -> (ColumnType, String?, GuessDecision) {
        let kinds = [("string", strings), ("integer", integers), ("integer beyond 64 bits", bigIntegers), ("fraction", fractions),
            ("boolean", booleans), ("object/array", containers), ("null", nulls)].filter { $0.1 > 0 }
        let seen = kinds.map { "\($0.1) \($0.0)" }.joined(separator: ", ") + "; such as " + examples.joined(separator: ", ")
        func d(_ t: ColumnType, _ why: String, undecided: String? = nil) -> (ColumnType, String?, GuessDecision) {
            (t, nil, GuessDecision(key: key, candidates: ["boolean", "long", "double", "timestamp", "json", "string"],
                winner: t.rawValue, evidence: [seen, why], undecided: undecided))
        }
        let scalars = strings + integers + bigIntegers + fractions + booleans
        if scalars + containers == 0 {
            return d(.string, "", undecided: "every sampled value of '\(name)' is null, so its type cannot be told; string is the safe choice")
        }
        if containers > 0 { return d(.json, "objects or arrays: json keeps any value exactly") }
        if booleans == scalars { return d(.boolean, "only true and false") }
        if integers == scalars { return d(.long, "only integers") }
        if integers + fractions == scalars { return d(.double, "numbers with fractions") }
        if strings == scalars {
            switch timestamps.outcome {
            case .format(let f):
                let zone = f.contains("%z") ? "the values carry their zone" : "no zone in the values: read as UTC"
                var r = d(.timestamp, "every string parses with '\(f)'; " + zone)
                r.1 = f
                return r
            case .undecided(let a, let b):
                return d(.string, "strings", undecided: "dates read with both '\(a)' and '\(b)' and no sampled day is above 12; kept as string")
            case .none:
                return d(.string, "strings")
            }
        }
        return d(.string, "mixed kinds: a string column holds each value's text")
    }
}
