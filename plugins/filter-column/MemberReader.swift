import KuraCore
import KuraFormats

/// Reads the members that `src: $.column.path` entries lift out of json columns: one scan per record and json
/// column finds all of that column's members.
final class MemberReader {
    /// The members read from one json column.
    struct Group {
        let column: Int
        let tree: JSONPointerTree
        /// Per target: the output column, its type, its default and its timestamp parser.
        let targets: [(output: Int, type: ColumnType, default: Value?, parser: TimestampParser?, path: String)]
    }

    let groups: [Group]
    let scanner = JSONScanner()
    var scratch: [UInt8] = []
    var sink: [UInt8] = []

    init(_ outputs: [ColumnFilterPlugin.Output]) {
        var byColumn: [Int: [(Int, ColumnType, Value?, TimestampParser?, JSONPath)]] = [:]
        var order: [Int] = []
        for (o, output) in outputs.enumerated() {
            guard case .member(let column, let path, let d, let parser) = output.source else { continue }
            if byColumn[column] == nil { order.append(column) }
            byColumn[column, default: []].append((o, output.type, d, parser, path))
        }
        groups = order.map { c in
            let items = byColumn[c]!
            return Group(column: c, tree: JSONPointerTree(items.map(\.4.pointer)), targets: items.map { ($0.0, $0.1, $0.2, $0.3, $0.4.text) })
        }
    }

    /// The lifted columns of `page`, by output position (empty when there are none).
    func read(_ page: Page) throws -> [Int: ColumnVector] {
        if groups.isEmpty { return [:] }
        var result: [Int: ColumnVector] = [:]
        for g in groups {
            var vectors = g.targets.map { ColumnVector(type: $0.type, capacity: page.rowCount) }
            for r in 0..<page.rowCount {
                try read(row: r, of: page, g, &vectors)
            }
            for (t, target) in g.targets.enumerated() { result[target.output] = vectors[t] }
        }
        return result
    }

    func read(row r: Int, of page: Page, _ g: Group, _ vectors: inout [ColumnVector]) throws {
        var found = false
        if !page.isNull(row: r, column: g.column) {
            try page.withBytes(row: r, column: g.column) { doc in
                var start = 0
                while start < doc.count, JSON.isWhitespace(doc[start]) { start += 1 }
                guard start < doc.count,
                    case .complete = scanner.scan(doc, from: start, isFinal: true, tree: g.tree, compactInto: &sink, compacting: false)
                else { return }
                found = true
                for t in g.targets.indices {
                    let s = scanner.spanStart(t)
                    let value = s < 0 ? nil : UnsafeRawBufferPointer(rebasing: doc[s..<scanner.spanEnd(t)])
                    try append(value, g.targets[t], to: &vectors[t], page.schema[g.column].name)
                }
            }
        }
        if !found {
            for t in g.targets.indices { try append(nil, g.targets[t], to: &vectors[t], page.schema[g.column].name) }
        }
    }

    func append(
        _ value: UnsafeRawBufferPointer?, _ target: (output: Int, type: ColumnType, default: Value?, parser: TimestampParser?, path: String),
        to v: inout ColumnVector, _ column: String
    ) throws {
        guard let value, JSON.kind(of: value) != .null else {
            appendDefault(target.default, to: &v)
            return
        }
        do throws(JSONCastError) {
            switch target.type {
            case .boolean: v.booleans.append(try JSON.boolean(value, invalidEscapes: .passthrough, scratch: &scratch))
            case .long: v.integers.append(try JSON.int64(value, invalidEscapes: .passthrough, scratch: &scratch))
            case .double: v.doubles.append(try JSON.double(value, invalidEscapes: .passthrough, scratch: &scratch))
            case .timestamp:
                v.integers.append(try JSON.timestampNanos(value, parser: target.parser!, invalidEscapes: .passthrough, scratch: &scratch))
            case .string:
                try JSON.appendText(value, scanner: scanner, to: &v.bytes)
                v.offsets.append(v.bytes.count)
            case .json:
                JSON.appendCompact(value, scanner: scanner, to: &v.bytes)
                v.offsets.append(v.bytes.count)
            }
            v.validity.append(true)
        } catch {
            throw DataError(.cast, file: "filter column", column: column,
                message: "column filter: \(target.path) \(error.message); change the column's type, or lift it as json")
        }
    }

    func appendDefault(_ value: Value?, to v: inout ColumnVector) {
        let value = value ?? .null
        v.validity.append(value != .null)
        switch value {
        case .boolean(let b): v.booleans.append(b)
        case .long(let x): v.integers.append(x)
        case .timestamp(let t): v.integers.append(t.nanos)
        case .double(let d): v.doubles.append(d)
        case .string(let s), .json(let s):
            v.bytes.append(contentsOf: s.utf8)
            v.offsets.append(v.bytes.count)
        case .null:
            switch v.type {
            case .boolean: v.booleans.append(false)
            case .long, .timestamp: v.integers.append(0)
            case .double: v.doubles.append(0)
            case .string, .json: v.offsets.append(v.bytes.count)
            }
        }
    }
}
