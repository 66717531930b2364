import KuraCore
import KuraFormats

/// One level of the edits that JSONPath names (`{name: "$.payload.key"}` in `columns`, `add_columns` and
/// `drop_columns`) make inside a json column: a node per path prefix that has something to edit at or below it.
///
/// A value whose path has no node is copied as it is, so a record only pays for the members it edits.
final class EditNode {
    /// One member (or element) that `columns` keeps or `add_columns` adds at this level (a class, so walking the
    /// entries per record retains one reference, not each of its arrays).
    final class Entry {
        /// Where the member goes: its name, or its index.
        let tail: JSONPath.Step
        /// Where its value comes from (the same as `tail` without `src`).
        let src: JSONPath.Step
        /// The compact JSON used when the source is missing (`null` without `default`).
        let fallback: [UInt8]
        /// The node of the member's own path, for the edits below it.
        let node: EditNode
        /// `tail` as a quoted JSON key, for members.
        let key: [UInt8]
        /// The UTF-8 names of `tail` and `src`, for members.
        let tailName: [UInt8]?
        let srcName: [UInt8]?

        init(tail: JSONPath.Step, src: JSONPath.Step, fallback: [UInt8]?, node: EditNode) {
            self.tail = tail
            self.src = src
            self.fallback = fallback ?? Array("null".utf8)
            self.node = node
            var key: [UInt8] = []
            if case .member(let name) = tail {
                JSON.appendQuoted(name, to: &key)
            }
            self.key = key
            func utf8(_ step: JSONPath.Step) -> [UInt8]? { if case .member(let n) = step { return Array(n.utf8) } else { return nil } }
            tailName = utf8(tail)
            srcName = utf8(src)
        }
    }

    /// The nodes below this one, by member name (UTF-8).
    var members: [(name: [UInt8], node: EditNode)] = []
    /// The nodes below this one, by array index.
    var indices: [Int: EditNode] = [:]
    /// The node for every element (`[*]`) not named by index.
    var wildcard: EditNode?
    /// The members `columns` keeps here, in order (nil: this level keeps every member).
    var keep: [Entry]?
    /// The members `add_columns` adds here when absent, in order.
    var add: [Entry] = []
    /// The steps `drop_columns` removes here.
    var drop: Set<JSONPath.Step> = []

    /// The node below this one for `step`, made if there is none.
    func child(_ step: JSONPath.Step) -> EditNode {
        switch step {
        case .member(let name):
            let bytes = Array(name.utf8)
            if let n = members.first(where: { $0.name == bytes }) { return n.node }
            let n = EditNode()
            members.append((bytes, n))
            return n
        case .index(let i):
            if let n = indices[i] { return n }
            let n = EditNode()
            indices[i] = n
            return n
        case .wildcard:
            if let n = wildcard { return n }
            let n = EditNode()
            wildcard = n
            return n
        }
    }

    /// Puts `entry` into `keep` (or `add`): a new path goes last, the same path again replaces the entry in place
    /// unless `onlyIfAbsent`.
    func put(_ entry: Entry, adding: Bool, onlyIfAbsent: Bool) {
        var list = adding ? add : (keep ?? [])
        if let i = list.firstIndex(where: { $0.tail == entry.tail }) {
            if !onlyIfAbsent { list[i] = entry }
        } else {
            list.append(entry)
        }
        if adding { add = list } else { keep = list }
    }
}

extension ColumnFilterPlugin {
    /// One JSONPath name of `columns`, `add_columns` or `drop_columns`, with where it is written.
    struct PathName {
        let spec: ColumnSpec?
        let name: String
        let key: String
        let adding: Bool
    }

    /// The JSONPath names of the options, in the order Embulk applies them: `drop_columns` or `columns`, then
    /// `add_columns`.
    var pathNames: [PathName] {
        var names: [PathName] = []
        if !options.dropColumns.isEmpty {
            for (i, d) in options.dropColumns.enumerated() where JSONPath.isPath(d.name) {
                names.append(PathName(spec: nil, name: d.name, key: "drop_columns[\(i)].name", adding: false))
            }
        } else {
            for (i, c) in options.columns.enumerated() where JSONPath.isPath(c.name) {
                names.append(PathName(spec: c, name: c.name, key: "columns[\(i)]", adding: false))
            }
        }
        for (i, c) in options.addColumns.enumerated() where JSONPath.isPath(c.name) {
            names.append(PathName(spec: c, name: c.name, key: "add_columns[\(i)]", adding: true))
        }
        return names
    }

    /// The member edits of each output json column (by output position) that JSONPath names ask for.
    func memberEdits(_ outputs: [Output]) throws -> [Int: EditNode] {
        var roots: [Int: EditNode] = [:]
        for p in pathNames {
            let nameKey = p.spec == nil ? p.key : "\(p.key).name"
            let steps = try pathSteps(p.name, key: nameKey)
            let column = try editedColumn(steps, p, key: nameKey, outputs)
            let root = roots[column] ?? EditNode()
            roots[column] = root
            var nodes = [root]
            for step in steps.dropFirst() { nodes.append(nodes.last!.child(step)) }
            let parent = nodes[nodes.count - 2]
            guard let spec = p.spec else {
                parent.drop.insert(steps.last!)
                continue
            }
            if steps.last == .wildcard {
                throw error(nameKey, "'\(p.name)' ends with [*]; only drop_columns takes a path that ends with [*]",
                    fix: "name the array itself: '\(p.name.dropLast(3))'")
            }
            // Ancestors missing from a record are made empty ({} or []), as Embulk's filter does.
            for k in 1..<max(1, steps.count - 1) {
                let entry = EditNode.Entry(tail: steps[k], src: steps[k], fallback: Array((steps[k + 1].isElement ? "[]" : "{}").utf8), node: nodes[k])
                nodes[k - 1].put(entry, adding: p.adding, onlyIfAbsent: true)
            }
            let src = try sourceStep(spec, steps, key: p.key)
            let fallback = try memberDefault(spec, key: p.key)
            parent.put(EditNode.Entry(tail: steps.last!, src: src, fallback: fallback, node: nodes.last!), adding: p.adding, onlyIfAbsent: false)
        }
        return roots
    }

    /// The steps of JSONPath name `name`: a json column and at least one member below it.
    func pathSteps(_ name: String, key: String) throws -> [JSONPath.Step] {
        let steps: [JSONPath.Step]
        do {
            steps = try JSONPath.steps(name, wildcards: true)
        } catch {
            throw self.error(key, error.message, fix: "write a member path such as $.payload.key, $['payload']['a.b'] or $.payload.items[0]")
        }
        guard case .member(let column) = steps.first else {
            throw self.error(key, "the JSONPath '\(name)' must start with a column's name, as in $.payload.key")
        }
        guard steps.count >= 2 else {
            throw self.error(key, "the JSONPath '\(name)' names column '\(column)' itself, not a member inside it", fix: "write {name: \(column)}")
        }
        return steps
    }

    /// The output position of the json column that `steps` edit.
    func editedColumn(_ steps: [JSONPath.Step], _ p: PathName, key: String, _ outputs: [Output]) throws -> Int {
        guard case .member(let column) = steps.first else { return -1 }
        guard let o = outputs.firstIndex(where: { $0.name == column }) else {
            let kept = !options.columns.isEmpty && options.columns.allSatisfy { $0.name != column }
            throw error(key, "'\(p.name)' edits members of column '\(column)', which is not in the output",
                fix: kept ? "keep the column too: add {name: \(column)} to columns"
                    : (nearest(column, in: outputs.map(\.name)).map { "did you mean '\($0)'?" } ?? "the json columns are: \(outputs.filter { $0.type == .json }.map(\.name).joined(separator: ", "))"))
        }
        guard outputs[o].type == .json else {
            throw error(key, "'\(p.name)' edits members of column '\(column)', which is a \(outputs[o].type) column, not json",
                fix: "read the column as type json, or lift a member into a new column with {name: NEW_NAME, src: \"\(p.name)\"}")
        }
        return o
    }

    /// The step that entry `spec` copies its value from: the last step of `src`, which must share the name's parent.
    func sourceStep(_ spec: ColumnSpec, _ steps: [JSONPath.Step], key: String) throws -> JSONPath.Step {
        if spec.expr != nil { throw error("\(key).expr", "'expr' does not apply to a JSONPath name", fix: "compute a new column with a plain name") }
        guard let src = spec.src else { return steps.last! }
        guard JSONPath.isPath(src) else {
            throw error("\(key).src", "'\(src)' is not a JSONPath; a member can only be copied from another member", fix: "write src: \"$.column.member\"")
        }
        let srcSteps = try pathSteps(src, key: "\(key).src")
        guard Array(srcSteps.dropLast()) == Array(steps.dropLast()) else {
            throw error("\(key).src", "'\(src)' and '\(spec.name)' are in different objects; a member is copied only within its own object or array",
                fix: "copy within one parent, such as {name: $.payload.copy, src: $.payload.key}")
        }
        if (srcSteps.last == .wildcard) != (steps.last == .wildcard) {
            throw error("\(key).src", "'\(src)' and '\(spec.name)' must both end with [*] or neither")
        }
        return srcSteps.last!
    }

    /// The compact JSON of entry `spec`'s `default` (read as its `type`), or nil without one.
    func memberDefault(_ spec: ColumnSpec, key: String) throws -> [UInt8]? {
        guard let d = spec.default else { return nil }
        guard let type = spec.type else {
            throw error("\(key).default", "a default inside a json column needs a type", fix: "add type: (boolean, long, double, string or json)")
        }
        if type == .timestamp {
            throw error("\(key).type", "a json column cannot hold a timestamp", fix: "use type: string with the time as text")
        }
        var out: [UInt8] = []
        switch try value(d, type, spec, key: "\(key).default") {
        case .null: out = Array("null".utf8)
        case .boolean(let b): out = Array((b ? "true" : "false").utf8)
        case .long(let v): out = Array(String(v).utf8)
        case .double(let v): out = Array((v.isFinite ? "\(v)" : "null").utf8)
        case .string(let s): JSON.appendQuoted(s, to: &out)
        case .json(let j): out = Array(j.utf8)
        case .timestamp: break
        }
        return out
    }
}

extension JSONPath.Step {
    /// Whether the step names array elements (an index or `[*]`).
    var isElement: Bool {
        if case .member = self { return false }
        return true
    }
}
