/// A mistake in an expression: what is wrong, and where in the expression's text (1-based line and column).
public struct ExpressionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The 1-based line in the expression's text.
    public var line: Int
    /// The 1-based column (in characters) in that line.
    public var column: Int
    /// What is wrong, as a sentence.
    public var message: String
    /// How to fix it, when there is a clear fix.
    public var fix: String?

    public init(line: Int, column: Int, _ message: String, fix: String? = nil) {
        self.line = line
        self.column = column
        self.message = message
        self.fix = fix
    }

    public var description: String {
        "at line \(line), column \(column) of the expression: \(message)" + (fix.map { "; " + $0 } ?? "")
    }
}

/// A position in an expression's text: an index into its Unicode scalars.
public typealias SourceOffset = Int

/// A binary operator of the expression language.
public enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%", concat = "||"
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case and = "AND", or = "OR"
    case startWith = "START_WITH", endWith = "END_WITH", include = "INCLUDE", regexp = "REGEXP"

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: return true
        default: return false
        }
    }
}

/// A parsed, not yet type-checked expression, each node with where it starts in the text.
public indirect enum Expr: Sendable, Equatable {
    case column(String, at: SourceOffset)
    case null(at: SourceOffset)
    case boolean(Bool, at: SourceOffset)
    /// A number literal as written (`12`, `-3.5`, `1e9`).
    case number(String, at: SourceOffset)
    case string(String, at: SourceOffset)
    /// `TIMESTAMP '…'` or `TIMESTAMP 1470433087.5` (the argument as written; `isNumber` for seconds since the epoch).
    case timestamp(String, isNumber: Bool, at: SourceOffset)
    /// `JSON '…'`.
    case json(String, at: SourceOffset)
    /// `INTERVAL '3 hours'`.
    case interval(String, at: SourceOffset)
    case negate(Expr, at: SourceOffset)
    case not(Expr, at: SourceOffset)
    case isNull(Expr, negated: Bool, at: SourceOffset)
    case binary(BinaryOperator, Expr, Expr, at: SourceOffset)
    case call(String, [Expr], at: SourceOffset)

    /// Where the node starts in the text.
    public var offset: SourceOffset {
        switch self {
        case .column(_, let at), .null(let at), .boolean(_, let at), .number(_, let at), .string(_, let at),
            .timestamp(_, _, let at), .json(_, let at), .interval(_, let at), .negate(_, let at), .not(_, let at),
            .isNull(_, _, let at), .binary(_, _, _, let at), .call(_, _, let at):
            return at
        }
    }
}

/// The text of an expression, for turning offsets into lines and columns.
struct SourceText {
    let scalars: [Unicode.Scalar]

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    func error(at offset: SourceOffset, _ message: String, fix: String? = nil) -> ExpressionError {
        var line = 1, column = 1
        var i = 0
        while i < min(offset, scalars.count) {
            if scalars[i] == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += 1
        }
        return ExpressionError(line: line, column: column, message, fix: fix)
    }
}
