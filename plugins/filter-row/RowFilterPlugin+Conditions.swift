import KuraCore
import KuraExpressions
import KuraFormats

extension RowFilterPlugin {
    /// The operators of `conditions`, by their upper-cased spelling.
    static let operators: [String: BinaryOperator?] = [
        "==": .equal, "=": .equal, "!=": .notEqual, "<>": .notEqual, ">": .greater, ">=": .greaterOrEqual, "<": .less,
        "<=": .lessOrEqual, "START_WITH": .startWith, "STARTSWITH": .startWith, "END_WITH": .endWith,
        "ENDSWITH": .endWith, "INCLUDE": .include, "CONTAINS": .include, "IS NULL": nil, "IS NOT NULL": nil,
    ]

    /// Condition `i` as an expression, with the argument read as the column's type (Embulk's coercions).
    func conditionExpr(_ c: Condition, index i: Int, _ input: Schema) throws -> Expr {
        let key = "conditions[\(i)]"
        guard let column = input.index(of: c.column).map({ input[$0] }) else {
            throw configError("\(key).column", "there is no column '\(c.column)'",
                fix: nearest(c.column, in: input.names).map { "did you mean '\($0)'?" } ?? "the columns are: \(input.names.joined(separator: ", "))")
        }
        let name = c.operator.uppercased().split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        guard let op = Self.operators[name] else {
            throw configError("\(key).operator", "'\(c.operator)' is not an operator",
                fix: "use one of: ==, !=, >, >=, <, <=, start_with, end_with, include, IS NULL, IS NOT NULL")
        }
        let subject = Expr.column(column.name, at: 0)
        var e: Expr
        if let op {
            e = .binary(op, subject, try argument(c, op, column, key), at: 0)
        } else {
            e = .isNull(subject, negated: name == "IS NOT NULL", at: 0)
        }
        if c.not { e = .not(e, at: 0) }
        return e
    }

    func argument(_ c: Condition, _ op: BinaryOperator, _ column: Column, _ key: String) throws -> Expr {
        guard let node = c.argument, case .scalar(let text, let quoted) = node.kind else {
            throw configError("\(key).argument", "the condition on '\(column.name)' needs an argument",
                fix: "add 'argument: …', or use operator 'IS NULL' / 'IS NOT NULL'")
        }
        let textual: Set<BinaryOperator> = [.startWith, .endWith, .include]
        if textual.contains(op), column.type != .string {
            throw configError("\(key).operator", "'\(c.operator)' compares texts, but '\(column.name)' is a \(column.type) column",
                fix: "use ==, !=, >, >=, < or <=")
        }
        let mismatch = configError("\(key).argument", "'\(text)' is not a \(column.type) value for column '\(column.name)'",
            fix: "write the argument as a \(column.type) (type mismatch)")
        switch column.type {
        case .boolean:
            guard !quoted, op == .equal || op == .notEqual, let b = ["true": true, "false": false, "yes": true, "no": false, "on": true, "off": false][text.lowercased()] else {
                throw op == .equal || op == .notEqual ? mismatch
                    : configError("\(key).operator", "a boolean column can only be compared with == or !=")
            }
            return .boolean(b, at: 0)
        case .long, .double:
            guard Double(text) != nil, text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { throw mismatch }
            return .number(text.hasPrefix("+") ? String(text.dropFirst()) : text, at: 0)
        case .string:
            return .string(text, at: 0)
        case .timestamp:
            do {
                let parser = try TimestampParser(format: c.format, defaultZone: c.timezone)
                let nanos = try parser.parse(text)
                let magnitude = nanos.magnitude
                let digits = String(magnitude % 1_000_000_000)
                let seconds = "\(nanos < 0 ? "-" : "")\(magnitude / 1_000_000_000)"
                return .timestamp("\(seconds).\(String(repeating: "0", count: 9 - digits.count))\(digits)", isNumber: true, at: 0)
            } catch {
                throw configError("\(key).argument", "'\(text)' is not a timestamp in format '\(c.format)': \(error)",
                    fix: "write the argument in the format, or set 'format:' to the argument's")
            }
        case .json:
            throw configError("\(key).column", "conditions cannot compare json column '\(column.name)'",
                fix: "use where: with a JSON '…' literal")
        }
    }
}
