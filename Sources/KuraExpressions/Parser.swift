/// Parses the text of an expression into an `Expr` (see docs/expressions.md for the grammar).
///
/// The grammar is a superset of the `where:` syntax of Embulk's row filter: SQL-like conditions (`AND`, `OR`,
/// `NOT`, comparisons, `IS [NOT] NULL`, `START_WITH`, `END_WITH`, `INCLUDE`, `REGEXP`, `TIMESTAMP '…'`,
/// `JSON '…'`) plus arithmetic, `||` and function calls. Keywords are case-insensitive.
public struct ExpressionParser {
    enum Token: Equatable {
        case identifier(String)
        case quotedIdentifier(String)
        case string(String)
        case number(String)
        case symbol(String)
        case end
    }

    let source: SourceText
    var tokens: [(token: Token, at: SourceOffset)] = []
    var position = 0

    /// The deepest nesting accepted, so that hostile input cannot exhaust the stack: 256 levels, where each
    /// parenthesis, `NOT`, unary minus, function call and each further operand of a chain such as `a AND b AND c`
    /// counts as one.
    public static let maxDepth = 256
    var depth = 0

    /// Parses `text`; throws an `ExpressionError` with the line and column of the first mistake.
    public static func parse(_ text: String) throws(ExpressionError) -> Expr {
        var p = ExpressionParser(source: SourceText(text))
        try p.tokenize()
        let e = try p.parseOr()
        guard case .end = p.peek else {
            throw p.source.error(at: p.offset, "unexpected \(p.describe(p.peek)) after a complete expression",
                fix: "join conditions with AND or OR, and check the parentheses")
        }
        return e
    }

    init(source: SourceText) { self.source = source }

    // MARK: - Tokens

    mutating func tokenize() throws(ExpressionError) {
        let s = source.scalars
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                i += 1
                continue
            }
            let start = i
            if c == "'" || c == "\"" {
                let text = try quoted(from: &i, quote: c)
                tokens.append((c == "'" ? .string(text) : .quotedIdentifier(text), start))
            } else if Self.isDigit(c) || (c == "." && i + 1 < s.count && Self.isDigit(s[i + 1])) {
                tokens.append((.number(number(from: &i)), start))
            } else if Self.isIdentifierStart(c) {
                var text = String.UnicodeScalarView()
                while i < s.count, Self.isIdentifierStart(s[i]) || Self.isDigit(s[i]) {
                    text.append(s[i])
                    i += 1
                }
                tokens.append((.identifier(String(text)), start))
            } else {
                let two = i + 1 < s.count ? String(String.UnicodeScalarView([c, s[i + 1]])) : ""
                if ["!=", "<>", "<=", ">=", "==", "||"].contains(two) {
                    tokens.append((.symbol(two == "<>" ? "!=" : two == "==" ? "=" : two), start))
                    i += 2
                } else if "()+-*/%,=<>".unicodeScalars.contains(c) {
                    tokens.append((.symbol(String(c)), start))
                    i += 1
                } else {
                    throw source.error(at: i, "unexpected character '\(c)'",
                        fix: "quote column names with other characters in double quotes, and text in single quotes")
                }
            }
        }
        tokens.append((.end, s.count))
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }

    func number(from i: inout Int) -> String {
        let s = source.scalars
        var text = String.UnicodeScalarView()
        while i < s.count, Self.isDigit(s[i]) || s[i] == "." {
            text.append(s[i])
            i += 1
        }
        if i < s.count, s[i] == "e" || s[i] == "E" {
            var j = i + 1
            if j < s.count, s[j] == "+" || s[j] == "-" { j += 1 }
            if j < s.count, Self.isDigit(s[j]) {
                while i < j {
                    text.append(s[i])
                    i += 1
                }
                while i < s.count, Self.isDigit(s[i]) {
                    text.append(s[i])
                    i += 1
                }
            }
        }
        return String(text)
    }

    /// Reads a quoted string or identifier; `\` escapes (`\n`, `\t`, `\'`, `\"`, `\\`, …) and a doubled quote.
    func quoted(from i: inout Int, quote: Unicode.Scalar) throws(ExpressionError) -> String {
        let s = source.scalars
        let start = i
        i += 1
        var text = String.UnicodeScalarView()
        while true {
            guard i < s.count else {
                throw source.error(at: start, "the \(quote == "'" ? "text" : "quoted name") that starts here is not closed",
                    fix: "add the closing \(quote)")
            }
            let c = s[i]
            if c == quote {
                if i + 1 < s.count, s[i + 1] == quote {
                    text.append(quote)
                    i += 2
                    continue
                }
                i += 1
                return String(text)
            }
            if c == "\\" {
                guard i + 1 < s.count else {
                    throw source.error(at: start, "the \(quote == "'" ? "text" : "quoted name") that starts here is not closed",
                        fix: "add the closing \(quote)")
                }
                let e = s[i + 1]
                switch e {
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                case "b": text.append("\u{08}")
                case "f": text.append("\u{0C}")
                case "'", "\"", "\\": text.append(e)
                default:
                    if quote == "'" {
                        // Kept as written, so that regular expressions such as '\d+' need no doubling.
                        text.append(c)
                        text.append(e)
                    } else {
                        throw source.error(at: i, "'\\\(e)' is not an escape in a quoted name", fix: "write \\\\ for a backslash")
                    }
                }
                i += 2
                continue
            }
            text.append(c)
            i += 1
        }
    }

    // MARK: - Grammar

    var peek: Token { tokens[position].token }
    var offset: SourceOffset { tokens[position].at }

    func describe(_ t: Token) -> String {
        switch t {
        case .identifier(let s): return "'\(s)'"
        case .quotedIdentifier(let s): return "\"\(s)\""
        case .string(let s): return "the text '\(s)'"
        case .number(let s): return "the number \(s)"
        case .symbol(let s): return "'\(s)'"
        case .end: return "the end of the expression"
        }
    }

    func isKeyword(_ t: Token, _ word: String) -> Bool {
        if case .identifier(let s) = t { return s.uppercased() == word }
        return false
    }

    mutating func accept(keyword word: String) -> Bool {
        if isKeyword(peek, word) {
            position += 1
            return true
        }
        return false
    }

    mutating func accept(symbol: String) -> Bool {
        if peek == .symbol(symbol) {
            position += 1
            return true
        }
        return false
    }

    mutating func expect(symbol: String, _ what: String) throws(ExpressionError) {
        guard accept(symbol: symbol) else {
            throw source.error(at: offset, "expected '\(symbol)' \(what), found \(describe(peek))")
        }
    }

    /// Counts one more level (an operand of a chain), failing beyond `maxDepth`.
    mutating func deepen() throws(ExpressionError) {
        depth += 1
        if depth > Self.maxDepth {
            throw source.error(at: offset, "the expression nests deeper than \(Self.maxDepth) levels", fix: "simplify it, or split it over several filters")
        }
    }

    mutating func nested<T>(_ body: (inout ExpressionParser) throws(ExpressionError) -> T) throws(ExpressionError) -> T {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth {
            throw source.error(at: offset, "the expression nests deeper than \(Self.maxDepth) levels", fix: "simplify it")
        }
        return try body(&self)
    }

    mutating func parseOr() throws(ExpressionError) -> Expr {
        try nested { (p) throws(ExpressionError) in
            var left = try p.parseAnd()
            let base = p.depth
            defer { p.depth = base }
            while true {
                let at = p.offset
                guard p.accept(keyword: "OR") else { return left }
                try p.deepen()
                left = .binary(.or, left, try p.parseAnd(), at: at)
            }
        }
    }

    mutating func parseAnd() throws(ExpressionError) -> Expr {
        var left = try parseNot()
        let base = depth
        defer { depth = base }
        while true {
            let at = offset
            guard accept(keyword: "AND") else { return left }
            try deepen()
            left = .binary(.and, left, try parseNot(), at: at)
        }
    }

    mutating func parseNot() throws(ExpressionError) -> Expr {
        let at = offset
        if accept(keyword: "NOT") {
            return .not(try nested { (p) throws(ExpressionError) in try p.parseNot() }, at: at)
        }
        return try parseComparison()
    }

    static let comparisonSymbols: [String: BinaryOperator] = [
        "=": .equal, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
    ]
    static let comparisonWords: [String: BinaryOperator] = [
        "START_WITH": .startWith, "END_WITH": .endWith, "INCLUDE": .include, "REGEXP": .regexp,
    ]

    mutating func parseComparison() throws(ExpressionError) -> Expr {
        let left = try parseAdditive()
        let at = offset
        if accept(keyword: "IS") {
            let negated = accept(keyword: "NOT")
            guard accept(keyword: "NULL") else {
                throw source.error(at: offset, "expected NULL after IS\(negated ? " NOT" : ""), found \(describe(peek))")
            }
            return .isNull(left, negated: negated, at: at)
        }
        if case .symbol(let s) = peek, let op = Self.comparisonSymbols[s] {
            position += 1
            return .binary(op, left, try parseAdditive(), at: at)
        }
        if case .identifier(let w) = peek, let op = Self.comparisonWords[w.uppercased()] {
            position += 1
            return .binary(op, left, try parseAdditive(), at: at)
        }
        return left
    }

    mutating func parseAdditive() throws(ExpressionError) -> Expr {
        var left = try parseMultiplicative()
        let base = depth
        defer { depth = base }
        while true {
            let at = offset
            let op: BinaryOperator
            if accept(symbol: "+") { op = .add } else if accept(symbol: "-") { op = .subtract } else if accept(symbol: "||") {
                op = .concat
            } else {
                return left
            }
            try deepen()
            left = .binary(op, left, try parseMultiplicative(), at: at)
        }
    }

    mutating func parseMultiplicative() throws(ExpressionError) -> Expr {
        var left = try parseUnary()
        let base = depth
        defer { depth = base }
        while true {
            let at = offset
            let op: BinaryOperator
            if accept(symbol: "*") { op = .multiply } else if accept(symbol: "/") { op = .divide } else if accept(symbol: "%") {
                op = .remainder
            } else {
                return left
            }
            try deepen()
            left = .binary(op, left, try parseUnary(), at: at)
        }
    }

    mutating func parseUnary() throws(ExpressionError) -> Expr {
        let at = offset
        if accept(symbol: "-") {
            if case .number(let n) = peek {
                position += 1
                return .number("-" + n, at: at)
            }
            return .negate(try nested { (p) throws(ExpressionError) in try p.parseUnary() }, at: at)
        }
        if accept(symbol: "+") { return try nested { (p) throws(ExpressionError) in try p.parseUnary() } }
        return try parsePrimary()
    }

    mutating func parsePrimary() throws(ExpressionError) -> Expr {
        let at = offset
        let token = peek
        position += 1
        switch token {
        case .number(let n):
            return .number(n, at: at)
        case .string(let s):
            return .string(s, at: at)
        case .quotedIdentifier(let name):
            return .column(name, at: at)
        case .symbol("("):
            let e = try parseOr()
            try expect(symbol: ")", "to close the '(' at column \(source.error(at: at, "").column)")
            return e
        case .identifier(let word):
            return try parseWord(word, at: at)
        default:
            position -= 1
            throw source.error(at: at, "expected a value, a column or a function, found \(describe(token))")
        }
    }

    mutating func parseWord(_ word: String, at: SourceOffset) throws(ExpressionError) -> Expr {
        switch word.uppercased() {
        case "TRUE": return .boolean(true, at: at)
        case "FALSE": return .boolean(false, at: at)
        case "NULL": return .null(at: at)
        case "TIMESTAMP", "JSON", "INTERVAL":
            let upper = word.uppercased()
            let t = peek
            if case .string(let s) = t {
                position += 1
                return upper == "TIMESTAMP" ? .timestamp(s, isNumber: false, at: at) : upper == "JSON" ? .json(s, at: at) : .interval(s, at: at)
            }
            if upper == "TIMESTAMP", case .number(let n) = t {
                position += 1
                return .timestamp(n, isNumber: true, at: at)
            }
            if upper == "TIMESTAMP", t == .symbol("-"), case .number(let n) = tokens[position + 1].token {
                position += 2
                return .timestamp("-" + n, isNumber: true, at: at)
            }
            if t == .symbol("(") { break }
            throw source.error(at: offset, "expected a quoted text after \(upper), found \(describe(t))",
                fix: upper == "TIMESTAMP" ? "write TIMESTAMP '2024-01-01 00:00:00 +0900'" : upper == "JSON" ? "write JSON '{\"a\": 1}'" : "write INTERVAL '3 hours'")
        default: break
        }
        if ["AND", "OR", "NOT", "IS"].contains(word.uppercased()) {
            throw source.error(at: at, "expected a value before \(word.uppercased())")
        }
        guard accept(symbol: "(") else { return .column(word, at: at) }
        var args: [Expr] = []
        if !accept(symbol: ")") {
            repeat {
                args.append(try parseOr())
            } while accept(symbol: ",")
            try expect(symbol: ")", "to close the arguments of \(word)()")
        }
        return .call(word.lowercased(), args, at: at)
    }
}
