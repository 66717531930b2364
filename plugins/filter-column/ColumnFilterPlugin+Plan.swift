import KuraCore
import KuraFormats

extension ColumnFilterPlugin {
    /// The output columns and their sources, in order, as Embulk's column filter lays them out.
    func plan(_ input: Schema) throws -> [Output] {
        var outputs: [Output] = []
        if !options.dropColumns.isEmpty {
            let dropped = Set(options.dropColumns.map(\.name).filter { !JSONPath.isPath($0) })
            outputs = input.columns.filter { !dropped.contains($0.name) }.map { Output(name: $0.name, type: $0.type, source: .copy($0.index)) }
        } else if !options.columns.isEmpty {
            outputs = try options.columns.enumerated().filter { !JSONPath.isPath($0.element.name) }.map {
                try output($0.element, key: "columns[\($0.offset)]", input, adding: false)
            }
        } else {
            outputs = input.columns.map { Output(name: $0.name, type: $0.type, source: .copy($0.index)) }
        }
        outputs += try options.addColumns.enumerated().filter { !JSONPath.isPath($0.element.name) }.map {
            try output($0.element, key: "add_columns[\($0.offset)]", input, adding: true)
        }
        var seen = Set<String>()
        for o in outputs where !seen.insert(o.name).inserted {
            throw error("", "the output has two columns named '\(o.name)'", fix: "rename one of them")
        }
        return outputs
    }

    /// The output of entry `spec` of `columns` (`adding` false) or `add_columns`.
    func output(_ spec: ColumnSpec, key: String, _ input: Schema, adding: Bool) throws -> Output {
        if let text = spec.expr {
            if spec.default != nil { throw error("\(key).default", "'default' does not apply to 'expr'", fix: "write coalesce(…, default) in the expression") }
            return Output(name: spec.name, type: spec.type ?? .string, source: .expression(text, key: "\(key).expr", type: spec.type))
        }
        if let src = spec.src, JSONPath.isPath(src) { return try member(spec, src: src, key: key, input) }
        let srcName = spec.src ?? (adding ? nil : spec.name)
        if let srcName, let i = input.index(of: srcName) {
            let type = input[i].type
            guard let d = spec.default else { return Output(name: spec.name, type: type, source: .copy(i)) }
            return Output(name: spec.name, type: type, source: .copyWithDefault(i, try value(d, type, spec, key: "\(key).default")))
        }
        guard let type = spec.type, let d = spec.default else {
            let missing = srcName.map { "column '\($0)' is not in the input" } ?? "the column has no 'src'"
            throw error(spec.src != nil ? "\(key).src" : "\(key).name", "\(missing), and '\(spec.name)' has no 'type' and 'default' to make it a new column",
                fix: (srcName.flatMap { nearest($0, in: input.names) }.map { "did you mean '\($0)'? " } ?? "") + "or add type: and default:")
        }
        return Output(name: spec.name, type: type, source: .constant(try value(d, type, spec, key: "\(key).default")))
    }

    func member(_ spec: ColumnSpec, src: String, key: String, _ input: Schema) throws -> Output {
        let path: JSONPath
        do {
            path = try JSONPath(src)
        } catch {
            throw self.error("\(key).src", error.message, fix: "write one member, such as $.payload.user.id or $.items[0]")
        }
        guard let first = path.pointer.tokens.first.map({ String(decoding: $0, as: UTF8.self) }), let c = input.index(of: first),
            input[c].type == .json || input[c].type == .string
        else {
            throw error("\(key).src", "the JSONPath '\(src)' must start with a json or string column's name, as in $.payload.key",
                fix: "the json columns are: \(input.columns.filter { $0.type == .json }.map(\.name).joined(separator: ", "))")
        }
        let type = spec.type ?? .json
        let inner = JSONPath(pointer: JSONPointer(tokens: Array(path.pointer.tokens.dropFirst())), text: src)
        var parser: TimestampParser?
        if type == .timestamp {
            do {
                parser = try TimestampParser(format: spec.format ?? options.defaultTimestampFormat, defaultZone: spec.timezone ?? options.defaultTimezone)
            } catch {
                throw self.error(key, "the timestamp options of '\(spec.name)' are invalid: \(error)")
            }
        }
        let d = try spec.default.map { try value($0, type, spec, key: "\(key).default") }
        return Output(name: spec.name, type: type, source: .member(column: c, path: inner, default: d, parser: parser))
    }

    /// A `default` read as `type` (a timestamp through `format` and `timezone`).
    func value(_ node: ConfigNode, _ type: ColumnType, _ spec: ColumnSpec, key: String) throws -> Value {
        if node.isNull { return .null }
        guard case .scalar(let text, _) = node.kind else { throw error(key, "a default must be a single value") }
        let bad = error(key, "'\(text)' is not a \(type) value", fix: "write the default as a \(type)")
        switch type {
        case .boolean:
            guard let b = ["true": true, "false": false, "yes": true, "no": false, "on": true, "off": false][text.lowercased()] else { throw bad }
            return .boolean(b)
        case .long:
            guard let v = Int64(text) else { throw bad }
            return .long(v)
        case .double:
            guard let v = Double(text) else { throw bad }
            return .double(v)
        case .string: return .string(text)
        case .json:
            guard let j = try? JSON.compact(text) else { throw error(key, "'\(text)' is not valid JSON", fix: "write the default as JSON text") }
            return .json(j)
        case .timestamp:
            let format = spec.format ?? options.defaultTimestampFormat
            do {
                let p = try TimestampParser(format: format, defaultZone: spec.timezone ?? options.defaultTimezone)
                return .timestamp(Timestamp(nanos: try p.parse(text)))
            } catch {
                throw self.error(key, "'\(text)' is not a timestamp in format '\(format)': \(error)", fix: "write it in the format, or set 'format:'")
            }
        }
    }
}

