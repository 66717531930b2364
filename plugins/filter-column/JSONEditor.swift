import KuraCore
import KuraFormats

/// Rewrites the values of one json column with the edits of its JSONPath names, as Embulk's column filter does:
/// at each edited level `columns` keeps only its members (in its order, missing ones from their default),
/// `drop_columns` removes members, and `add_columns` appends members the value does not have.
///
/// Only the levels on an edited path are parsed; every other value is copied as bytes. A value of another kind
/// than its path expects (an array where a member name is edited) is copied unchanged.
final class JSONEditor {
    let root: EditNode
    var key: [UInt8] = []

    init(_ root: EditNode) { self.root = root }

    /// `vector` (`rows` rows of compact JSON) with every non-null value edited.
    func apply(_ vector: ColumnVector, rows: Int) -> ColumnVector {
        if vector.validity.isEmpty { return vector }
        var out = ColumnVector(type: vector.type, capacity: rows)
        out.validity = vector.validity
        out.bytes.reserveCapacity(vector.bytes.count)
        vector.bytes.withUnsafeBytes { all in
            for r in 0..<rows {
                if vector.validity[r] {
                    visit(root, UnsafeRawBufferPointer(rebasing: all[vector.offsets[r]..<vector.offsets[r + 1]]), &out.bytes)
                }
                out.offsets.append(out.bytes.count)
            }
        }
        return out
    }

    /// Appends `value` edited by `node` (copied when there is no node) to `out`.
    func visit(_ node: EditNode?, _ value: UnsafeRawBufferPointer, _ out: inout [UInt8]) {
        guard let node else { return out.append(contentsOf: value) }
        var i = 0
        JSONSpans.skipWhitespace(value, &i)
        let done: Bool
        switch i < value.count ? value[i] : 0 {
        case UInt8(ascii: "{"): done = visitObject(node, value, &out)
        case UInt8(ascii: "["): done = visitArray(node, value, &out)
        default: done = false
        }
        if !done { out.append(contentsOf: value) }
    }

    /// The edited object; false (nothing appended) when `value` is not a well-formed object.
    func visitObject(_ node: EditNode, _ value: UnsafeRawBufferPointer, _ out: inout [UInt8]) -> Bool {
        guard !node.members.isEmpty, let members = JSONSpans.members(value) else { return false }
        func find(_ name: [UInt8]?) -> Range<Int>? {
            guard let name else { return nil }
            return members.first { equal(value, $0.name, name) }?.value
        }
        out.append(UInt8(ascii: "{"))
        var first = true
        func emit(_ key: UnsafeRawBufferPointer, _ child: EditNode?, _ v: UnsafeRawBufferPointer) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: key)
            out.append(UInt8(ascii: ":"))
            visit(child, v, &out)
        }
        if let keep = node.keep {
            for e in keep {
                guard case .member = e.tail else { continue }
                let v = find(e.srcName)
                e.key.withUnsafeBytes { k in
                    if let v { emit(k, e.node, UnsafeRawBufferPointer(rebasing: value[v])) } else { e.fallback.withUnsafeBytes { emit(k, e.node, $0) } }
                }
            }
        } else {
            for m in members {
                let child = node.members.first { equal(value, m.name, $0.name) }
                if let child, !node.drop.isEmpty, node.drop.contains(.member(String(decoding: child.name, as: UTF8.self))) { continue }
                emit(UnsafeRawBufferPointer(rebasing: value[m.key]), child?.node, UnsafeRawBufferPointer(rebasing: value[m.value]))
            }
        }
        for e in node.add {
            guard e.tailName != nil, find(e.tailName) == nil else { continue }
            let v = find(e.srcName)
            e.key.withUnsafeBytes { k in
                if let v { emit(k, e.node, UnsafeRawBufferPointer(rebasing: value[v])) } else { e.fallback.withUnsafeBytes { emit(k, e.node, $0) } }
            }
        }
        out.append(UInt8(ascii: "}"))
        return true
    }

    /// The edited array; false (nothing appended) when `value` is not a well-formed array.
    func visitArray(_ node: EditNode, _ value: UnsafeRawBufferPointer, _ out: inout [UInt8]) -> Bool {
        guard !node.indices.isEmpty || node.wildcard != nil, let elements = JSONSpans.elements(value) else { return false }
        out.append(UInt8(ascii: "["))
        var first = true
        func emit(_ child: EditNode?, _ v: UnsafeRawBufferPointer) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            visit(child, v, &out)
        }
        func element(_ step: JSONPath.Step, _ fallback: [UInt8], _ child: EditNode) {
            if case .index(let s) = step, s < elements.count {
                emit(child, UnsafeRawBufferPointer(rebasing: value[elements[s]]))
            } else {
                fallback.withUnsafeBytes { emit(child, $0) }
            }
        }
        if let keep = node.keep {
            for e in keep {
                switch e.tail {
                case .member: continue
                case .wildcard: for r in elements { emit(e.node, UnsafeRawBufferPointer(rebasing: value[r])) }
                case .index: element(e.src, e.fallback, e.node)
                }
            }
        } else {
            for (i, r) in elements.enumerated() {
                let indexed = node.indices[i]
                if !node.drop.isEmpty, node.drop.contains(indexed != nil ? .index(i) : .wildcard) { continue }
                emit(indexed ?? node.wildcard, UnsafeRawBufferPointer(rebasing: value[r]))
            }
        }
        for e in node.add {
            // Embulk's filter appends an element only past the array's end, and ignores the index otherwise.
            guard case .index(let t) = e.tail, t >= elements.count else { continue }
            element(e.src, e.fallback, e.node)
        }
        out.append(UInt8(ascii: "]"))
        return true
    }

    /// Whether the key whose content (between the quotes) is at `range` of `doc` is `name`.
    func equal(_ doc: UnsafeRawBufferPointer, _ range: Range<Int>, _ name: [UInt8]) -> Bool {
        let raw = UnsafeRawBufferPointer(rebasing: doc[range])
        if !raw.contains(UInt8(ascii: "\\")) { return raw.elementsEqual(name) }
        key.removeAll(keepingCapacity: true)
        guard (try? JSON.appendUnescaped(raw, invalidEscapes: .passthrough, to: &key)) != nil else { return false }
        return key == name
    }
}

/// Finds the members and elements of one level of JSON text without reading the values inside them.
enum JSONSpans {
    /// One member of an object: its key with the quotes, the key's content, and its value.
    struct Member {
        var key: Range<Int>
        var name: Range<Int>
        var value: Range<Int>
    }

    static func skipWhitespace(_ b: UnsafeRawBufferPointer, _ i: inout Int) {
        while i < b.count, JSON.isWhitespace(b[i]) { i += 1 }
    }

    /// The end of the string whose opening quote is at `i`, or nil when it does not close.
    static func stringEnd(_ b: UnsafeRawBufferPointer, from i: Int) -> Int? {
        var j = i + 1
        while j < b.count {
            switch b[j] {
            case UInt8(ascii: "\\"): j += 2
            case UInt8(ascii: "\""): return j + 1
            default: j += 1
            }
        }
        return nil
    }

    /// The end of the value that starts at `i`, or nil when it is cut short.
    static func valueEnd(_ b: UnsafeRawBufferPointer, from i: Int) -> Int? {
        guard i < b.count else { return nil }
        switch b[i] {
        case UInt8(ascii: "\""): return stringEnd(b, from: i)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var j = i
            while j < b.count {
                switch b[j] {
                case UInt8(ascii: "\""):
                    guard let e = stringEnd(b, from: j) else { return nil }
                    j = e
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return j + 1 }
                default: break
                }
                j += 1
            }
            return nil
        default:
            var j = i
            while j < b.count, !JSON.isWhitespace(b[j]), b[j] != UInt8(ascii: ","), b[j] != UInt8(ascii: "}"), b[j] != UInt8(ascii: "]") { j += 1 }
            return j > i ? j : nil
        }
    }

    /// The members of the object `b`, or nil when `b` is not one.
    static func members(_ b: UnsafeRawBufferPointer) -> [Member]? {
        var out: [Member] = []
        out.reserveCapacity(8)
        var i = 0
        skipWhitespace(b, &i)
        guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        skipWhitespace(b, &i)
        if i < b.count, b[i] == UInt8(ascii: "}") { return out }
        while i < b.count {
            guard b[i] == UInt8(ascii: "\""), let keyEnd = stringEnd(b, from: i) else { return nil }
            var j = keyEnd
            skipWhitespace(b, &j)
            guard j < b.count, b[j] == UInt8(ascii: ":") else { return nil }
            var v = j + 1
            skipWhitespace(b, &v)
            guard let end = valueEnd(b, from: v) else { return nil }
            out.append(Member(key: i..<keyEnd, name: (i + 1)..<(keyEnd - 1), value: v..<end))
            i = end
            skipWhitespace(b, &i)
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: "}") { return out }
            guard b[i] == UInt8(ascii: ",") else { return nil }
            i += 1
            skipWhitespace(b, &i)
        }
        return nil
    }

    /// The elements of the array `b`, or nil when `b` is not one.
    static func elements(_ b: UnsafeRawBufferPointer) -> [Range<Int>]? {
        var out: [Range<Int>] = []
        out.reserveCapacity(8)
        var i = 0
        skipWhitespace(b, &i)
        guard i < b.count, b[i] == UInt8(ascii: "[") else { return nil }
        i += 1
        skipWhitespace(b, &i)
        if i < b.count, b[i] == UInt8(ascii: "]") { return out }
        while i < b.count {
            guard let end = valueEnd(b, from: i) else { return nil }
            out.append(i..<end)
            i = end
            skipWhitespace(b, &i)
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: "]") { return out }
            guard b[i] == UInt8(ascii: ",") else { return nil }
            i += 1
            skipWhitespace(b, &i)
        }
        return nil
    }
}
