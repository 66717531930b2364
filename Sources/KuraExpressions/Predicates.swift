import KuraCore

/// The result of a comparison when one or both operands are null, as Embulk's row filter decides it: two nulls are
/// equal, a null differs from every value, and every other comparison with a null is false. Never null itself.
@inline(__always)
func nullComparison(_ op: BinaryOperator, _ leftNull: Bool, _ rightNull: Bool) -> Bool {
    if leftNull && rightNull { return op == .equal }
    return op == .notEqual
}

@inline(__always)
func ordered(_ op: BinaryOperator, _ c: Int) -> Bool {
    switch op {
    case .equal: return c == 0
    case .notEqual: return c != 0
    case .less: return c < 0
    case .lessOrEqual: return c <= 0
    case .greater: return c > 0
    default: return c >= 0
    }
}

@inline(__always)
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = min(a.count, b.count)
    if n > 0 {
        let c = memcmpBytes(a.baseAddress!, b.baseAddress!, n)
        if c != 0 { return c }
    }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

@inline(__always)
func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int {
    let x = a.assumingMemoryBound(to: UInt8.self), y = b.assumingMemoryBound(to: UInt8.self)
    for i in 0..<n where x[i] != y[i] { return x[i] < y[i] ? -1 : 1 }
    return 0
}

/// `= != < <= > >=` over two operands of one type (longs and doubles are promoted to double by the checker).
final class CompareNode: Node {
    let op: BinaryOperator
    let left: Node, right: Node

    init(_ op: BinaryOperator, _ left: Node, _ right: Node) {
        self.op = op
        self.left = left
        self.right = right
        super.init(.boolean)
    }

    override func eval(_ page: Page) throws -> Vec {
        let a = try left.eval(page), b = try right.eval(page)
        let n = a.count
        out.reset(n)
        let op = self.op
        a.valid.withUnsafeBufferPointer { va in
            b.valid.withUnsafeBufferPointer { vb in
                out.bools.withUnsafeMutableBufferPointer { d in
                    switch left.type {
                    case .long, .timestamp:
                        a.ints.withUnsafeBufferPointer { x in
                            b.ints.withUnsafeBufferPointer { y in
                                for r in 0..<n {
                                    d[r] = va[r] && vb[r] ? ordered(op, x[r] < y[r] ? -1 : (x[r] == y[r] ? 0 : 1)) : nullComparison(op, !va[r], !vb[r])
                                }
                            }
                        }
                    case .double:
                        a.doubles.withUnsafeBufferPointer { x in
                            b.doubles.withUnsafeBufferPointer { y in
                                for r in 0..<n {
                                    guard va[r] && vb[r] else {
                                        d[r] = nullComparison(op, !va[r], !vb[r])
                                        continue
                                    }
                                    switch op {
                                    case .equal: d[r] = x[r] == y[r]
                                    case .notEqual: d[r] = x[r] != y[r]
                                    case .less: d[r] = x[r] < y[r]
                                    case .lessOrEqual: d[r] = x[r] <= y[r]
                                    case .greater: d[r] = x[r] > y[r]
                                    default: d[r] = x[r] >= y[r]
                                    }
                                }
                            }
                        }
                    case .boolean:
                        for r in 0..<n {
                            d[r] = va[r] && vb[r]
                                ? ordered(op, a.bools[r] == b.bools[r] ? 0 : (!a.bools[r] ? -1 : 1)) : nullComparison(op, !va[r], !vb[r])
                        }
                    case .string, .json:
                        a.withStrings { x in
                            b.withStrings { y in
                                for r in 0..<n {
                                    d[r] = va[r] && vb[r] ? ordered(op, compareBytes(x[r], y[r])) : nullComparison(op, !va[r], !vb[r])
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// `START_WITH`, `END_WITH`, `INCLUDE` over two strings; false when either is null.
final class TextPredicateNode: Node {
    let op: BinaryOperator
    let left: Node, right: Node

    init(_ op: BinaryOperator, _ left: Node, _ right: Node) {
        self.op = op
        self.left = left
        self.right = right
        super.init(.boolean)
    }

    override func eval(_ page: Page) throws -> Vec {
        let a = try left.eval(page), b = try right.eval(page)
        let n = a.count
        out.reset(n)
        let op = self.op
        a.withStrings { x in
            b.withStrings { y in
                for r in 0..<n where a.valid[r] && b.valid[r] {
                    let s = x[r], p = y[r]
                    switch op {
                    case .startWith: out.bools[r] = p.count <= s.count && compareBytes(UnsafeRawBufferPointer(rebasing: s[0..<p.count]), p) == 0
                    case .endWith: out.bools[r] = p.count <= s.count && compareBytes(UnsafeRawBufferPointer(rebasing: s[(s.count - p.count)...]), p) == 0
                    default: out.bools[r] = findBytes(p, in: s, from: 0) != nil
                    }
                }
            }
        }
        return out
    }
}

/// The first offset at or after `from` where `needle` occurs in `hay`.
@inline(__always)
func findBytes(_ needle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer, from: Int) -> Int? {
    let m = needle.count, n = hay.count
    if m == 0 { return from <= n ? from : nil }
    if m > n - from { return nil }
    let first = needle[0]
    var i = from
    while i <= n - m {
        if hay[i] == first {
            var k = 1
            while k < m && hay[i + k] == needle[k] { k += 1 }
            if k == m { return i }
        }
        i += 1
    }
    return nil
}

/// `AND` / `OR`: a null operand counts as false; the result is never null.
final class LogicNode: Node {
    let isAnd: Bool
    let left: Node, right: Node
    init(and isAnd: Bool, _ left: Node, _ right: Node) {
        self.isAnd = isAnd
        self.left = left
        self.right = right
        super.init(.boolean)
    }
    override func eval(_ page: Page) throws -> Vec {
        let a = try left.eval(page), b = try right.eval(page)
        let n = a.count
        out.reset(n)
        let isAnd = self.isAnd
        a.bools.withUnsafeBufferPointer { x in
            b.bools.withUnsafeBufferPointer { y in
                a.valid.withUnsafeBufferPointer { va in
                    b.valid.withUnsafeBufferPointer { vb in
                        out.bools.withUnsafeMutableBufferPointer { d in
                            if isAnd {
                                for r in 0..<n { d[r] = (x[r] && va[r]) && (y[r] && vb[r]) }
                            } else {
                                for r in 0..<n { d[r] = (x[r] && va[r]) || (y[r] && vb[r]) }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// `NOT`: a null operand counts as false, so `NOT` of it is true.
final class NotNode: Node {
    let arg: Node
    init(_ arg: Node) {
        self.arg = arg
        super.init(.boolean)
    }
    override func eval(_ page: Page) throws -> Vec {
        let a = try arg.eval(page)
        out.reset(a.count)
        for r in 0..<a.count { out.bools[r] = !(a.valid[r] && a.bools[r]) }
        return out
    }
}

/// `IS NULL` / `IS NOT NULL`.
final class IsNullNode: Node {
    let arg: Node
    let negated: Bool
    init(_ arg: Node, negated: Bool) {
        self.arg = arg
        self.negated = negated
        super.init(.boolean)
    }
    override func eval(_ page: Page) throws -> Vec {
        let a = try arg.eval(page)
        out.reset(a.count)
        for r in 0..<a.count { out.bools[r] = a.valid[r] == negated }
        return out
    }
}
