import KuraCore
import KuraExpressions
import KuraTestSupport
import Testing

@testable import FilterRow

/// A small deterministic generator (SplitMix64), so a failing input can be reproduced from its seed.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}

/// Random inputs for the `where:` and expression parsers: token soup (mostly valid pieces in random order) and raw
/// characters. Every input must either compile or fail with an `ExpressionError` whose line and column lie inside
/// the text; evaluating whatever compiles must not crash.
@Suite struct ExpressionFuzzTests {
    static let pieces = [
        "id", "name", "price", "at", "ok", "doc", "\"name\"", "nmae", "1", "-2", "3.5", "1e3", "'x'", "'it''s'", "'\\d+'",
        "TRUE", "false", "NULL", "TIMESTAMP '2024-01-01'", "TIMESTAMP 12.5", "JSON '{\"a\":1}'", "INTERVAL '1 day'",
        "=", "!=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "||", "AND", "OR", "NOT", "IS", "IS NULL",
        "IS NOT NULL", "START_WITH", "END_WITH", "INCLUDE", "REGEXP", "(", ")", ",", "lower(", "substr(", "coalesce(",
        "if(", "date_trunc('day',", "extract('year',", "format(", "date_add(", "sha256(", "md5(", "regex_replace(",
        "concat(", "length(", "string(", "\n", "'", "\"", "?", "é", "日本",
    ]

    func check(_ text: String, _ seed: UInt64) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        do {
            let e = try ExpressionCompiler(schema: exprSchema).compile(text)
            _ = try? e.evaluate(exprPage)
        } catch {
            #expect(error.line >= 1 && error.line <= lines.count, "seed \(seed): line \(error.line) of \(text.debugDescription)")
            if error.line >= 1 && error.line <= lines.count {
                let width = lines[error.line - 1].unicodeScalars.count
                #expect(error.column >= 1 && error.column <= width + 1, "seed \(seed): column \(error.column) of \(text.debugDescription)")
            }
            #expect(!error.message.isEmpty)
        }
    }

    @Test func tokenSoupNeverCrashes() {
        for seed in UInt64(1)...3000 {
            var g = SplitMix(state: seed)
            let n = 1 + Int(g.next() % 12)
            let text = (0..<n).map { _ in g.pick(Self.pieces) }.joined(separator: g.next() % 4 == 0 ? "" : " ")
            check(text, seed)
        }
    }

    @Test func rawCharactersNeverCrash() {
        let alphabet = Array("ab_1.9 '\"()=!<>+-*/%|,\\\n\tNOTANDORISeé")
        for seed in UInt64(1)...2000 {
            var g = SplitMix(state: seed &* 7919)
            let n = Int(g.next() % 24)
            check(String((0..<n).map { _ in g.pick(alphabet) }), seed)
        }
    }

    @Test func whereErrorsThroughTheRowFilterAreConfigErrorsWithAColumn() {
        for seed in UInt64(1)...300 {
            var g = SplitMix(state: seed &* 104_729)
            let text = (0..<(1 + Int(g.next() % 8))).map { _ in g.pick(Self.pieces) }.joined(separator: " ")
            do {
                _ = try RowFilterPlugin(config: section(m(("where", s(text))))).outputSchema(for: exprSchema)
            } catch let e as ConfigError {
                #expect(e.path == "filters[0].where")
                #expect(e.message.contains("column"), "seed \(seed): \(e.message)")
            } catch {
                Issue.record("seed \(seed): not a config error: \(error)")
            }
        }
    }
}
