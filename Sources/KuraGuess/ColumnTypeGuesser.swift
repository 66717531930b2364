import KuraCore
import KuraFormats

/// What one column's sampled values allow: each candidate type survives only while every value converts with
/// the loader's own converters (`ValueParsing`, `TimestampParser`, the JSON scanner).
final class ColumnTypeGuesser {
    /// Texts that often stand for null; counted apart, and left out of typing until `null_string` is decided.
    static let nullMarkers = ["NULL", "\\N", "NA", "#N/A", "null", "N/A", "None", "nil"]

    var values = 0
    /// Nulls as the sampling parser read them (empty unquoted fields, or the null string).
    var nulls = 0
    /// Empty strings (a quoted `""`).
    var empties = 0
    var boolean = true
    var long = true
    var double = true
    var json = true
    var onlyZeroOne = true
    var sawDigit = false
    var timestamps = TimestampGuesser()
    var minLong = Int64.max
    var maxLong = Int64.min
    /// A value that ruled each type out, for the evidence.
    var removedBy: [String: String] = [:]
    /// Integers that fit a long only by losing something (leading zeros, or beyond 64 bits).
    var lossyInteger: String?
    var markerCounts: [String: Int] = [:]
    var examples: [String] = []
    let scanner = JSONScanner()
    var scratch: [UInt8] = []

    /// Takes one non-null value.
    func observe(_ v: UnsafeRawBufferPointer) {
        if v.count <= 4 || v.first == 0x23, let m = Self.marker(v) {
            markerCounts[m, default: 0] += 1
            return
        }
        values += 1
        if examples.count < 3 {
            let s = String(decoding: v.prefix(60), as: UTF8.self)
            if !examples.contains(s) { examples.append(s) }
        }
        if v.isEmpty {
            empties += 1
            rule(out: ["boolean", "long", "double", "json", "timestamp"], by: "\"\" (an empty quoted string)")
            return
        }
        if boolean || onlyZeroOne { checkBoolean(v) }
        if long { checkLong(v) }
        if double && !long {
            if ValueParsing.parseDouble(v) == nil { rule(out: ["double"], by: v) } else if !sawDigit { sawDigit = v.contains { $0 >= 48 && $0 <= 57 } }
        }
        if json { checkJSON(v) }
        if !timestamps.alive.isEmpty { timestamps.observe(v) }
    }

    static let markerBytes: [[UInt8]] = nullMarkers.map { Array($0.utf8) }

    static func marker(_ v: UnsafeRawBufferPointer) -> String? {
        guard let f = v.first, f == 0x4E || f == 0x6E || f == 0x5C || f == 0x23 else { return nil }
        for (i, m) in markerBytes.enumerated() where m.count == v.count && m.elementsEqual(v) { return nullMarkers[i] }
        return nil
    }

    func rule(out types: [String], by v: UnsafeRawBufferPointer) {
        rule(out: types, by: "'" + String(decoding: v.prefix(60), as: UTF8.self) + "'")
    }

    func rule(out types: [String], by text: String) {
        for t in types {
            switch t {
            case "boolean": if boolean { boolean = false; removedBy[t] = text }
            case "long": if long { long = false; removedBy[t] = text }
            case "double": if double { double = false; removedBy[t] = text }
            case "json": if json { json = false; removedBy[t] = text }
            default: if !timestamps.alive.isEmpty { timestamps.alive.removeAll(); removedBy[t] = text }
            }
        }
    }

    func checkBoolean(_ v: UnsafeRawBufferPointer) {
        guard ValueParsing.parseBoolean(v) != nil else {
            rule(out: ["boolean"], by: v)
            onlyZeroOne = false
            return
        }
        if !(v.count == 1 && (v[0] == 48 || v[0] == 49)) { onlyZeroOne = false }
    }

    func checkLong(_ v: UnsafeRawBufferPointer) {
        if let x = ValueParsing.parseLong(v) {
            let digits = v.first == 0x2B || v.first == 0x2D ? v.dropFirst() : v[...]
            if digits.count > 1 && digits.first == 48 {
                lossyInteger = lossyInteger ?? String(decoding: v, as: UTF8.self) + " (a leading zero a long would drop)"
            }
            minLong = min(minLong, x)
            maxLong = max(maxLong, x)
            sawDigit = true
            return
        }
        rule(out: ["long"], by: v)
        if v.allSatisfy({ $0 >= 48 && $0 <= 57 }) || (v.count > 1 && (v[0] == 0x2D || v[0] == 0x2B) && v.dropFirst().allSatisfy({ $0 >= 48 && $0 <= 57 })) {
            lossyInteger = lossyInteger ?? String(decoding: v, as: UTF8.self) + " (beyond 64 bits)"
        }
        if double {
            if ValueParsing.parseDouble(v) == nil { rule(out: ["double"], by: v) } else { sawDigit = sawDigit || v.contains { $0 >= 48 && $0 <= 57 } }
        }
    }

    func checkJSON(_ v: UnsafeRawBufferPointer) {
        guard v[0] == 0x7B || v[0] == 0x5B else { return rule(out: ["json"], by: v) }
        switch scanner.scan(v, from: 0, isFinal: true, tree: nil, compactInto: &scratch, compacting: false) {
        case .complete(let end) where end == v.count: break
        default: rule(out: ["json"], by: v)
        }
    }

    /// The type decided for the column named `name`, when `nullMarker` is the null string (nil: unset), and the
    /// decision for `key`.
    func decide(name: String, key: String, nullMarker: String?) -> (ColumnType, String?, GuessDecision) {
        let candidates = ["boolean", "long", "double", "timestamp", "json", "string"]
        func d(_ type: ColumnType, _ evidence: [String], undecided: String? = nil) -> GuessDecision {
            GuessDecision(key: key, candidates: candidates, winner: type.rawValue, evidence: evidence, undecided: undecided)
        }
        let otherMarkers = markerCounts.filter { $0.key != nullMarker }
        let sampled = "\(values) value(s) such as " + examples.map { "'\($0)'" }.joined(separator: ", ")
        if let (m, n) = otherMarkers.first {
            return (.string, nil, d(.string, ["'\(m)' appears \(n) time(s) and is not the null string: only a string holds it"]))
        }
        if values == 0 {
            return (.string, nil, d(.string, ["\(nulls) null(s)"], undecided: "every sampled value of '\(name)' is null, so its type cannot be told; string is the safe choice"))
        }
        if let m = nullMarker, !m.isEmpty, nulls > 0 {
            return (.string, nil, d(.string, ["\(nulls) empty field(s) are empty strings once null_string is set"]))
        }
        let order = ["boolean", "long", "double", "timestamp", "json"]
        let why = order.compactMap { t in removedBy[t].map { "not \(t): \($0)" } }
        if json && !long && !double { return (.json, nil, d(.json, [sampled + "; every value is a JSON object or array"])) }
        if boolean && !onlyZeroOne { return (.boolean, nil, d(.boolean, [sampled] + why)) }
        if long {
            if let lossy = lossyInteger { return (.string, nil, d(.string, ["integers but " + lossy + ": kept as string to keep every digit"] + why)) }
            if onlyZeroOne { return (.long, nil, d(.long, [sampled + "; only 0 and 1, which Embulk reads as long, not boolean"])) }
            if let epoch = epochFormat(name) {
                return (.timestamp, epoch, d(.timestamp, [sampled + "; integers between \(minLong) and \(maxLong) in a column named '\(name)': seconds since the epoch"]))
            }
            return (.long, nil, d(.long, [sampled] + why))
        }
        if double && sawDigit && lossyInteger == nil { return (.double, nil, d(.double, [sampled] + why)) }
        switch timestamps.outcome {
        case .format(let f):
            let zone = f.contains("%z") ? "the values carry their zone" : "no zone in the values: read as UTC (set timezone: to change)"
            return (.timestamp, f, d(.timestamp, [sampled + "; every value parses with '\(f)'; " + zone] + why))
        case .undecided(let a, let b):
            let ex = timestamps.ambiguousExample.map { "'\($0)'" } ?? "the dates"
            return (.string, nil, d(.string, [sampled] + why,
                undecided: "\(ex) reads with both '\(a)' and '\(b)' and no sampled day is above 12; kept as string (set type: timestamp and the format to decide)"))
        case .none:
            return (.string, nil, d(.string, [sampled] + why))
        }
    }

    /// `%s` when the column's integers look like seconds since the epoch (2000–2100) and its name says time.
    func epochFormat(_ name: String) -> String? {
        let n = name.lowercased()
        let timeName = ["time", "date", "_at", "epoch", "timestamp", "_ts"].contains { n.contains($0) } || n == "ts"
        guard timeName, minLong >= 946_684_800, maxLong <= 4_102_444_800 else { return nil }
        return "%s"
    }
}
