import KuraFormats

/// Finds the timestamp format every value of a column parses with, by the loader's own `TimestampParser`.
///
/// Candidates go from the most to the least specific; a value removes every candidate it does not parse with.
/// Day-first and month-first date pairs are kept apart: when both survive (no day above 12 in the sample), the
/// column cannot be decided and stays a string.
struct TimestampGuesser {
    /// The formats tried, in order of preference.
    static let formats: [String] = [
        "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%N%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%N",
        "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%N", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S.%N %z",
        "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%N%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M",
        TimestampParser.defaultFormat, "%Y-%m-%d",
        "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
        "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y", "%m/%d/%Y",
        "%d-%m-%Y %H:%M:%S", "%m-%d-%Y %H:%M:%S", "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y",
        "%a, %d %b %Y %H:%M:%S %z", "%d/%b/%Y:%H:%M:%S %z", "%d %b %Y %H:%M:%S", "%d %b %Y", "%b %d %Y",
    ]

    /// The day-first / month-first pairs that only a day above 12 tells apart.
    static let ambiguousPairs: [(String, String)] = [
        ("%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S"), ("%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"), ("%d/%m/%Y", "%m/%d/%Y"),
        ("%d-%m-%Y %H:%M:%S", "%m-%d-%Y %H:%M:%S"), ("%d-%m-%Y", "%m-%d-%Y"),
    ]

    static let parsers: [TimestampParser] = formats.map { try! TimestampParser(format: $0) }

    /// Indices into `formats` of the candidates still standing.
    var alive: [Int] = Array(formats.indices)
    /// The first value that removed each removed candidate, by index.
    var removedBy: [Int: String] = [:]
    /// A value each surviving ambiguous pair could not tell apart.
    var ambiguousExample: String?

    /// Whether `v` could be a timestamp at all (a digit, a separator, a sensible length).
    static func plausible(_ v: UnsafeRawBufferPointer) -> Bool {
        guard v.count >= 6 && v.count <= 40 else { return false }
        var digit = false, sep = false
        for b in v {
            if b >= 48 && b <= 57 { digit = true } else if b == 0x2D || b == 0x2F || b == 0x3A || b == 0x2E { sep = true }
        }
        return digit && sep
    }

    /// Removes the candidates `v` does not parse with.
    mutating func observe(_ v: UnsafeRawBufferPointer) {
        if alive.isEmpty { return }
        if !Self.plausible(v) {
            for i in alive { removedBy[i] = String(decoding: v, as: UTF8.self) }
            alive.removeAll()
            return
        }
        var keep: [Int] = []
        keep.reserveCapacity(alive.count)
        for i in alive {
            if (try? Self.parsers[i].parse(v)) != nil {
                keep.append(i)
            } else if removedBy[i] == nil {
                removedBy[i] = String(decoding: v, as: UTF8.self)
            }
        }
        if keep.count != alive.count || ambiguousExample == nil { noteAmbiguity(keep, v) }
        alive = keep
    }

    mutating func noteAmbiguity(_ keep: [Int], _ v: UnsafeRawBufferPointer) {
        if ambiguousExample == nil && isAmbiguous(keep) { ambiguousExample = String(decoding: v, as: UTF8.self) }
    }

    func isAmbiguous(_ set: [Int]) -> Bool {
        guard let first = set.first else { return false }
        let f = Self.formats[first]
        return Self.ambiguousPairs.contains { ($0.0 == f && set.contains(index($0.1))) || ($0.1 == f && set.contains(index($0.0))) }
    }

    func index(_ f: String) -> Int { Self.formats.firstIndex(of: f)! }

    /// The format chosen, or why none is: `.undecided` when a day-first / month-first pair both fit.
    enum Outcome {
        case format(String)
        case undecided(String, String)
        case none
    }

    var outcome: Outcome {
        guard let first = alive.first else { return .none }
        let f = Self.formats[first]
        for (a, b) in Self.ambiguousPairs where (a == f || b == f) && alive.contains(index(a)) && alive.contains(index(b)) {
            return .undecided(a, b)
        }
        return .format(f)
    }
}
