/// Where a value of a guessed config came from.
public enum GuessSource: String, Sendable {
    /// The seed config set it; guess keeps it exactly.
    case user
    /// Guess detected it from the sample.
    case detected
}

/// A config value with its provenance, so the written config can tell guessed values from the user's.
public struct Guessed<Value> {
    /// The value.
    public var value: Value
    /// Who decided it.
    public var source: GuessSource

    public init(_ value: Value, _ source: GuessSource) {
        self.value = value
        self.source = source
    }

    /// The user's value when there is one, else the detected `value`.
    public static func user(_ given: Value?, else detected: @autoclosure () -> Value) -> Guessed<Value> {
        if let given { return Guessed(given, .user) }
        return Guessed(detected(), .detected)
    }
}

/// One decision guess made: what it chose among which candidates, and why.
public struct GuessDecision: Sendable, Equatable {
    /// The config key decided, such as `in.parser.delimiter` or `in.parser.columns[2].type`.
    public var key: String
    /// The candidates considered, in the order they were tried.
    public var candidates: [String]
    /// The value chosen.
    public var winner: String
    /// The lines or values that decided it.
    public var evidence: [String]
    /// Set when the sample could not decide: what was undecidable and what was done instead.
    public var undecided: String?

    public init(key: String, candidates: [String] = [], winner: String, evidence: [String] = [], undecided: String? = nil) {
        self.key = key
        self.candidates = candidates
        self.winner = winner
        self.evidence = evidence
        self.undecided = undecided
    }
}

/// Every decision of one guess, in the order they were made.
public struct GuessReport: Sendable {
    /// The decisions.
    public var decisions: [GuessDecision] = []
    /// What was sampled, in a sentence (file, bytes, positions).
    public var sampleSummary = ""
    /// Sampled records the sampling parser could not read at all (broken quoting, a wrong field count).
    public var sampleRejects = 0
    /// Sampled records the guessed config still rejects, described (empty when it loads every one).
    public var rejectedSampleRows: [String] = []

    public init() {}

    mutating func add(_ d: GuessDecision) { decisions.append(d) }

    /// The decision for `key`, when one was made.
    public func decision(_ key: String) -> GuessDecision? { decisions.last { $0.key == key } }

    /// The report as text: one block per decision with its candidates, winner and evidence.
    public var text: String {
        var lines = ["sample: " + sampleSummary]
        if sampleRejects > 0 { lines.append("sample: \(sampleRejects) record(s) could not be read as records of this layout") }
        for r in rejectedSampleRows { lines.append("rejected by the guessed config: " + r) }
        for d in decisions {
            lines.append("\(d.key): \(d.winner)")
            if !d.candidates.isEmpty { lines.append("  candidates: " + d.candidates.joined(separator: ", ")) }
            for e in d.evidence.prefix(5) where !e.isEmpty { lines.append("  evidence: " + Self.oneLine(e)) }
            if let u = d.undecided { lines.append("  undecided: " + u) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `s` on one line: line breaks and tabs shown as `\n`, `\r`, `\t`.
    static func oneLine(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
