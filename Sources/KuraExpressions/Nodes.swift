import KuraCore
import KuraFormats

/// A type-checked expression node: evaluates over a whole page into its own `Vec`.
class Node {
    /// The node's result buffers (also its type).
    let out: Vec
    var type: ColumnType { out.type }

    init(_ type: ColumnType) { out = Vec(type) }

    /// Evaluates the node over every row of `page`.
    func eval(_ page: Page) throws -> Vec { fatalError("Node.eval is implemented by each node") }

    /// The constant value when the node does not depend on the row.
    var constant: Value? { nil }
}

/// A failure while evaluating a row (a long overflow): the task stops with it.
struct EvaluationError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A column of the input page, shared without copying.
final class ColumnNode: Node {
    let index: Int
    init(index: Int, type: ColumnType) {
        self.index = index
        super.init(type)
    }
    override func eval(_ page: Page) throws -> Vec {
        out.share(page, column: index)
        return out
    }
}

/// A literal, filled once per page size.
final class ConstantNode: Node {
    let value: Value
    init(_ value: Value, type: ColumnType) {
        self.value = value
        super.init(type)
        out.count = -1
    }
    override var constant: Value? { value }
    override func eval(_ page: Page) throws -> Vec {
        let n = page.rowCount
        if out.count == n { return out }
        out.reset(n)
        switch value {
        case .null: Vec.refill(&out.valid, n, false)
        case .boolean(let b): Vec.refill(&out.bools, n, b)
        case .long(let v): Vec.refill(&out.ints, n, v)
        case .timestamp(let t): Vec.refill(&out.ints, n, t.nanos)
        case .double(let d): Vec.refill(&out.doubles, n, d)
        case .string(let s), .json(let s):
            let bytes = Array(s.utf8)
            for _ in 0..<n {
                out.bytes.append(contentsOf: bytes)
                out.endString()
            }
        }
        if case .null = value, type == .string || type == .json {
            for _ in 0..<n { out.endString() }
        }
        return out
    }
}

/// A long promoted to a double.
final class ToDoubleNode: Node {
    let arg: Node
    init(_ arg: Node) {
        self.arg = arg
        super.init(.double)
    }
    override func eval(_ page: Page) throws -> Vec {
        let a = try arg.eval(page)
        out.reset(a.count)
        out.valid = a.valid
        a.ints.withUnsafeBufferPointer { src in
            out.doubles.withUnsafeMutableBufferPointer { dst in
                for r in 0..<src.count { dst[r] = Double(src[r]) }
            }
        }
        return out
    }
}

/// Validity of both operands (a row is null when either is).
@inline(__always)
func combineValidity(_ out: Vec, _ a: Vec, _ b: Vec) {
    a.valid.withUnsafeBufferPointer { x in
        b.valid.withUnsafeBufferPointer { y in
            out.valid.withUnsafeMutableBufferPointer { v in
                for r in 0..<v.count { v[r] = x[r] && y[r] }
            }
        }
    }
}

/// `+ - * / %` over longs (overflow stops the task; division by zero is null) or doubles.
final class ArithmeticNode: Node {
    let op: BinaryOperator
    let left: Node, right: Node
    let text: String

    init(_ op: BinaryOperator, _ left: Node, _ right: Node, type: ColumnType, text: String) {
        self.op = op
        self.left = left
        self.right = right
        self.text = text
        super.init(type)
    }

    override func eval(_ page: Page) throws -> Vec {
        let a = try left.eval(page), b = try right.eval(page)
        out.reset(a.count)
        combineValidity(out, a, b)
        if type == .double {
            evalDouble(a, b)
        } else {
            try evalLong(a, b)
        }
        return out
    }

    func evalDouble(_ a: Vec, _ b: Vec) {
        let op = self.op
        a.doubles.withUnsafeBufferPointer { x in
            b.doubles.withUnsafeBufferPointer { y in
                out.doubles.withUnsafeMutableBufferPointer { d in
                    switch op {
                    case .add: for r in 0..<d.count { d[r] = x[r] + y[r] }
                    case .subtract: for r in 0..<d.count { d[r] = x[r] - y[r] }
                    case .multiply: for r in 0..<d.count { d[r] = x[r] * y[r] }
                    case .divide: for r in 0..<d.count { d[r] = x[r] / y[r] }
                    default: for r in 0..<d.count { d[r] = x[r].truncatingRemainder(dividingBy: y[r]) }
                    }
                }
            }
        }
    }

    func evalLong(_ a: Vec, _ b: Vec) throws {
        let op = self.op
        var overflowRow = -1
        a.ints.withUnsafeBufferPointer { x in
            b.ints.withUnsafeBufferPointer { y in
                out.valid.withUnsafeMutableBufferPointer { v in
                    out.ints.withUnsafeMutableBufferPointer { d in
                        for r in 0..<d.count where v[r] {
                            let (value, overflow): (Int64, Bool)
                            switch op {
                            case .add: (value, overflow) = x[r].addingReportingOverflow(y[r])
                            case .subtract: (value, overflow) = x[r].subtractingReportingOverflow(y[r])
                            case .multiply: (value, overflow) = x[r].multipliedReportingOverflow(by: y[r])
                            default:
                                if y[r] == 0 {
                                    v[r] = false
                                    continue
                                }
                                (value, overflow) = op == .divide
                                    ? x[r].dividedReportingOverflow(by: y[r]) : x[r].remainderReportingOverflow(dividingBy: y[r])
                            }
                            if overflow, overflowRow < 0 { overflowRow = r }
                            d[r] = value
                        }
                    }
                }
            }
        }
        if overflowRow >= 0 {
            throw EvaluationError(
                message: "\(text): \(a.ints[overflowRow]) \(op.rawValue) \(b.ints[overflowRow]) overflows a 64-bit long; convert an operand to double (multiply by 1.0)")
        }
    }
}

/// Unary minus.
final class NegateNode: Node {
    let arg: Node
    let text: String
    init(_ arg: Node, text: String) {
        self.arg = arg
        self.text = text
        super.init(arg.type)
    }
    override func eval(_ page: Page) throws -> Vec {
        let a = try arg.eval(page)
        out.reset(a.count)
        out.valid = a.valid
        if type == .double {
            for r in 0..<a.count { out.doubles[r] = -a.doubles[r] }
            return out
        }
        for r in 0..<a.count where a.valid[r] {
            guard a.ints[r] != .min else { throw EvaluationError(message: "\(text): -(\(a.ints[r])) overflows a 64-bit long") }
            out.ints[r] = -a.ints[r]
        }
        return out
    }
}
