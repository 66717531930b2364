import KuraCore
import KuraFormats

/// An expression parsed and type-checked against a schema, ready to evaluate page after page.
///
/// Compile once per task (a compiled expression keeps buffers and is not shared between threads); evaluation
/// allocates per page at most, never per row.
public final class CompiledExpression {
    /// The expression as written.
    public let text: String
    /// The type of its values.
    public let type: ColumnType
    let root: Node

    init(text: String, root: Node) {
        self.text = text
        self.type = root.type
        self.root = root
    }

    /// The expression's values over every row of `page` (valid until the next call).
    public func evaluate(_ page: Page) throws -> Vec { try root.eval(page) }

    /// For a boolean expression: which rows it is true for (false where it is false or null), into `keep`.
    public func select(_ page: Page, into keep: inout [Bool]) throws {
        let v = try root.eval(page)
        keep.removeAll(keepingCapacity: true)
        v.bools.withUnsafeBufferPointer { b in
            v.valid.withUnsafeBufferPointer { ok in
                for r in 0..<v.count { keep.append(b[r] && ok[r]) }
            }
        }
    }
}

/// Type-checks expressions against an input schema and compiles them into evaluation nodes.
public struct ExpressionCompiler {
    /// The columns an expression may name.
    public let schema: Schema
    /// The zone of `TIMESTAMP '…'` text without an offset, and of the time functions called without a zone
    /// (default UTC).
    public var zone: ZoneRule = .utc
    var source = SourceText("")

    /// Creates a compiler for expressions over `schema`.
    public init(schema: Schema, zone: ZoneRule = .utc) {
        self.schema = schema
        self.zone = zone
    }

    /// Parses and type-checks `text`; errors carry the line and column in `text`.
    public func compile(_ text: String, as expected: ColumnType? = nil) throws(ExpressionError) -> CompiledExpression {
        try compile(try ExpressionParser.parse(text), text: text, as: expected)
    }

    /// Type-checks a parsed expression (`text` is what its offsets point into).
    public func compile(_ expr: Expr, text: String, as expected: ColumnType? = nil) throws(ExpressionError) -> CompiledExpression {
        var c = self
        c.source = SourceText(text)
        var node = try c.node(expr)
        if let expected, node.type != expected {
            if expected == .double, node.type == .long {
                node = ToDoubleNode(node)
            } else if node.constant == .null {
                node = ConstantNode(.null, type: expected)
            } else {
                throw c.source.error(at: expr.offset, "the expression gives \(node.type) where \(expected) is needed",
                    fix: expected == .boolean ? "write a condition, such as a comparison" : nil)
            }
        }
        return CompiledExpression(text: text, root: node)
    }

    func error(_ at: SourceOffset, _ message: String, fix: String? = nil) -> ExpressionError {
        source.error(at: at, message, fix: fix)
    }

    func node(_ e: Expr) throws(ExpressionError) -> Node {
        switch e {
        case .column(let name, let at):
            guard let i = schema.index(of: name) else {
                let fix = nearest(name, in: schema.names).map { "did you mean '\($0)'?" }
                    ?? "the columns are: \(schema.names.joined(separator: ", "))"
                throw error(at, "there is no column '\(name)'", fix: fix + " (quote names in double quotes, text in single quotes)")
            }
            return ColumnNode(index: i, type: schema[i].type)
        case .null: return ConstantNode(.null, type: .string)
        case .boolean(let b, _): return ConstantNode(.boolean(b), type: .boolean)
        case .number(let text, let at): return try number(text, at)
        case .string(let s, _): return ConstantNode(.string(s), type: .string)
        case .timestamp(let text, let isNumber, let at): return ConstantNode(.timestamp(try timestamp(text, isNumber: isNumber, at)), type: .timestamp)
        case .json(let text, let at):
            guard let compact = try? JSON.compact(text) else {
                throw error(at, "JSON '\(text)' is not valid JSON", fix: "write the value as JSON text, such as JSON '{\"a\": 1}'")
            }
            return ConstantNode(.json(compact), type: .json)
        case .interval(_, let at):
            throw error(at, "an INTERVAL can only be added to or subtracted from a timestamp", fix: "write ts + INTERVAL '1 day'")
        case .negate(let a, let at):
            let n = try node(a)
            guard n.type == .long || n.type == .double else { throw error(at, "'-' needs a number, not \(n.type)") }
            return NegateNode(n, text: snippet(e))
        case .not(let a, let at): return NotNode(try condition(a, at))
        case .isNull(let a, let negated, _): return IsNullNode(try node(a), negated: negated)
        case .binary(let op, let l, let r, let at): return try binary(op, l, r, at, e)
        case .call(let name, let args, let at): return try call(name, args, at, e)
        }
    }

    /// The text of `e` in the source, for messages at run time (from its offset to the end, at most 60 characters).
    func snippet(_ e: Expr) -> String {
        let s = source.scalars
        let start = min(e.offset, s.count)
        var text = String.UnicodeScalarView()
        for c in s[start..<min(s.count, start + 60)] { text.append(c) }
        return "'" + String(text) + (s.count > start + 60 ? "…" : "") + "'"
    }

    func number(_ text: String, _ at: SourceOffset) throws(ExpressionError) -> Node {
        if !text.contains("."), !text.lowercased().contains("e") {
            guard let v = Int64(text) else {
                throw error(at, "\(text) is out of the 64-bit long range", fix: "write it with a fraction (\(text).0) to make it a double")
            }
            return ConstantNode(.long(v), type: .long)
        }
        guard let d = Double(text) else { throw error(at, "\(text) is not a number") }
        return ConstantNode(.double(d), type: .double)
    }

    /// The instant of a `TIMESTAMP` literal: seconds since the epoch, or text in one of the row filter's formats.
    func timestamp(_ text: String, isNumber: Bool, _ at: SourceOffset) throws(ExpressionError) -> Timestamp {
        if isNumber {
            guard let nanos = epochNanos(text) else { throw error(at, "TIMESTAMP \(text) is out of the timestamp range") }
            return Timestamp(nanos: nanos)
        }
        for format in [TimestampParser.defaultFormat, "%Y-%m-%d %z", "%Y-%m-%d"] {
            if let p = try? TimestampParser(format: format, defaultZone: zone.name), let v = try? p.parse(text) {
                return Timestamp(nanos: v)
            }
        }
        throw error(at, "TIMESTAMP '\(text)' is not a timestamp",
            fix: "write it as '2024-01-31 12:34:56.789 +0900', '2024-01-31 12:34:56', '2024-01-31 +0900' or '2024-01-31'")
    }

    func condition(_ e: Expr, _ at: SourceOffset) throws(ExpressionError) -> Node {
        let n = try node(e)
        if n.constant == .null { return ConstantNode(.null, type: .boolean) }
        guard n.type == .boolean else {
            throw error(e.offset, "expected a condition (a boolean), found a \(n.type)",
                fix: "compare it, for example \(snippet(e).dropFirst().dropLast()) IS NOT NULL")
        }
        return n
    }

    /// Makes two operands one type: a null literal takes the other's type, a long next to a double becomes one.
    func unify(_ a: Node, _ b: Node) -> (Node, Node)? {
        if a.type == b.type { return (a, b) }
        if a.constant == .null { return (ConstantNode(.null, type: b.type), b) }
        if b.constant == .null { return (a, ConstantNode(.null, type: a.type)) }
        if a.type == .long, b.type == .double { return (ToDoubleNode(a), b) }
        if a.type == .double, b.type == .long { return (a, ToDoubleNode(b)) }
        return nil
    }

    func binary(_ op: BinaryOperator, _ l: Expr, _ r: Expr, _ at: SourceOffset, _ e: Expr) throws(ExpressionError) -> Node {
        switch op {
        case .and, .or: return LogicNode(and: op == .and, try condition(l, at), try condition(r, at))
        case .concat: return TextFunctionNode(.concat(strict: true), [try node(l), try node(r)])
        case .add, .subtract:
            if case .interval(let text, let iat) = r { return try interval(try node(l), text, sign: op == .add ? 1 : -1, iat, at, e) }
            return try arithmetic(op, l, r, at, e)
        case .multiply, .divide, .remainder: return try arithmetic(op, l, r, at, e)
        case .startWith, .endWith, .include:
            let a = try node(l), b = try node(r)
            guard a.type == .string || a.constant == .null, b.type == .string || b.constant == .null else {
                throw error(at, "\(op.rawValue) compares texts, not \(a.type) and \(b.type)")
            }
            return TextPredicateNode(op, a.constant == .null ? ConstantNode(.null, type: .string) : a, b)
        case .regexp:
            let a = try node(l)
            guard a.type == .string || a.constant == .null else { throw error(l.offset, "REGEXP matches a text, not a \(a.type)") }
            return RegexMatchNode(a, try regex(r))
        default: return try comparison(op, l, r, at)
        }
    }

    func regex(_ e: Expr) throws(ExpressionError) -> RegexProgram {
        guard case .string(let pattern, let at) = e else {
            throw error(e.offset, "a regular expression must be a quoted text written in the expression", fix: "write it as '^[0-9]+$'")
        }
        do {
            return try RegexProgram(pattern)
        } catch {
            throw self.error(at, error.message)
        }
    }

    func comparison(_ op: BinaryOperator, _ l: Expr, _ r: Expr, _ at: SourceOffset) throws(ExpressionError) -> Node {
        var a = try node(l), b = try node(r)
        // A text or a number next to a timestamp is read as a TIMESTAMP literal, as Embulk's row filter does.
        if a.type == .timestamp, let t = try coerceTimestamp(r) { b = t }
        if b.type == .timestamp, let t = try coerceTimestamp(l) { a = t }
        if a.type == .json, case .string(let text, let sat) = r { b = try node(.json(text, at: sat)) }
        if b.type == .json, case .string(let text, let sat) = l { a = try node(.json(text, at: sat)) }
        guard let (x, y) = unify(a, b) else {
            throw error(at, "cannot compare \(a.type) with \(b.type)",
                fix: a.type == .string || b.type == .string ? "quote text in single quotes and compare it with a string column" : nil)
        }
        if x.constant == .null, y.constant == .null { return ConstantNode(.boolean(op == .equal), type: .boolean) }
        return CompareNode(op, x, y)
    }

    func coerceTimestamp(_ e: Expr) throws(ExpressionError) -> Node? {
        switch e {
        case .string(let s, let at): return ConstantNode(.timestamp(try timestamp(s, isNumber: false, at)), type: .timestamp)
        case .number(let s, let at): return ConstantNode(.timestamp(try timestamp(s, isNumber: true, at)), type: .timestamp)
        default: return nil
        }
    }

    func arithmetic(_ op: BinaryOperator, _ l: Expr, _ r: Expr, _ at: SourceOffset, _ e: Expr) throws(ExpressionError) -> Node {
        let a = try node(l), b = try node(r)
        guard let (x, y) = unify(a, b), x.type == .long || x.type == .double || (x.constant == .null && y.constant == .null) else {
            let fix = a.type == .string || b.type == .string ? "use || or concat() to join texts" : a.type == .timestamp
                ? "add an INTERVAL ('ts + INTERVAL '1 day'') or use date_add()" : nil
            throw error(at, "'\(op.rawValue)' needs numbers, not \(a.type) and \(b.type)", fix: fix)
        }
        if x.constant == .null { return ConstantNode(.null, type: .long) }
        return ArithmeticNode(op, x, y, type: x.type, text: snippet(e))
    }

    func interval(_ ts: Node, _ text: String, sign: Int64, _ iat: SourceOffset, _ at: SourceOffset, _ e: Expr) throws(ExpressionError) -> Node {
        guard ts.type == .timestamp else { throw error(at, "an INTERVAL moves a timestamp, not a \(ts.type)") }
        let parts = text.split(whereSeparator: { $0 == " " })
        guard parts.count == 2, let n = Int64(parts[0]), let unit = TimeUnit(name: String(parts[1])) else {
            throw error(iat, "INTERVAL '\(text)' is not an amount and a unit",
                fix: "write INTERVAL '3 hours'; units: \(TimeUnit.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return DateAddNode(ts, amount: ConstantNode(.long(n), type: .long), unit: unit, sign: sign, zone: zone, text: snippet(e))
    }
}

/// Seconds since the epoch written as `-?digits(.digits)?`, in nanoseconds (digits past nanoseconds dropped).
func epochNanos(_ text: String) -> Int64? {
    var t = Substring(text)
    let negative = t.hasPrefix("-")
    if negative { t = t.dropFirst() }
    let parts = t.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count <= 2, let whole = Int64(parts[0]), whole < 9_223_372_036 else { return nil }
    var fraction: Int64 = 0
    if parts.count == 2 {
        let digits = parts[1].prefix(9)
        guard !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let f = Int64(digits) else { return nil }
        fraction = f
        for _ in digits.count..<9 { fraction *= 10 }
    }
    let (scaled, o1) = whole.multipliedReportingOverflow(by: 1_000_000_000)
    let (total, o2) = scaled.addingReportingOverflow(fraction)
    if o1 || o2 { return nil }
    return negative ? -total : total
}
