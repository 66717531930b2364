import KuraCore
import KuraFormats

extension ExpressionCompiler {
    /// The functions, with their argument counts, for messages.
    static let signatures: [String: (ClosedRange<Int>, String)] = [
        "lower": (1...1, "lower(text)"), "upper": (1...1, "upper(text)"), "trim": (1...1, "trim(text)"),
        "substr": (2...3, "substr(text, start[, length])"), "length": (1...1, "length(text)"),
        "concat": (1...64, "concat(value, …)"), "regex_match": (2...2, "regex_match(text, 'pattern')"),
        "regex_replace": (3...3, "regex_replace(text, 'pattern', 'replacement')"),
        "date_trunc": (2...3, "date_trunc('unit', timestamp[, 'zone'])"),
        "extract": (2...3, "extract('field', timestamp[, 'zone'])"),
        "format": (2...3, "format(timestamp, 'format'[, 'zone'])"),
        "date_add": (3...4, "date_add(timestamp, amount, 'unit'[, 'zone'])"),
        "coalesce": (1...64, "coalesce(value, …)"), "if": (3...3, "if(condition, then, else)"),
        "sha256": (1...1, "sha256(value)"), "md5": (1...1, "md5(value)"), "string": (1...1, "string(value)"),
    ]

    func call(_ name: String, _ args: [Expr], _ at: SourceOffset, _ e: Expr) throws(ExpressionError) -> Node {
        guard let (arity, signature) = Self.signatures[name] else {
            let fix = nearest(name, in: Array(Self.signatures.keys)).map { "did you mean \($0)()?" }
                ?? "the functions are: \(Self.signatures.keys.sorted().joined(separator: ", "))"
            throw error(at, "there is no function \(name)()", fix: fix)
        }
        guard arity.contains(args.count) else {
            throw error(at, "\(name)() takes \(arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) to \(arity.upperBound)") arguments, not \(args.count)",
                fix: "call it as \(signature)")
        }
        switch name {
        case "lower", "upper", "trim":
            let a = try text(args[0], name)
            return TextFunctionNode(name == "lower" ? .lower : name == "upper" ? .upper : .trim, [a])
        case "substr":
            let rest = try args.dropFirst().map { (x) throws(ExpressionError) in try typed(x, .long, name) }
            return TextFunctionNode(.substr, [try text(args[0], name)] + rest)
        case "length": return LengthNode(try text(args[0], name))
        case "concat": return TextFunctionNode(.concat(strict: false), try args.map { (x) throws(ExpressionError) in try node(x) })
        case "string": return TextFunctionNode(.text, [try node(args[0])])
        case "sha256", "md5": return TextFunctionNode(name == "md5" ? .md5 : .sha256, [try node(args[0])])
        case "regex_match": return RegexMatchNode(try text(args[0], name), try regex(args[1]))
        case "regex_replace":
            let replacement = try literal(args[2], "the replacement")
            return TextFunctionNode(.regexReplace(try regex(args[1]), Array(replacement.utf8)), [try text(args[0], name)])
        case "coalesce": return try coalesce(args, at)
        case "if":
            let c = try condition(args[0], args[0].offset)
            guard let (a, b) = unify(try node(args[1]), try node(args[2])) else {
                throw error(args[2].offset, "if() needs its two results to have one type", fix: "convert one of them, for example with string()")
            }
            return IfNode(c, a, b, type: a.type)
        default: return try timeCall(name, args, at, e)
        }
    }

    func coalesce(_ args: [Expr], _ at: SourceOffset) throws(ExpressionError) -> Node {
        var nodes = try args.map { (x) throws(ExpressionError) in try node(x) }
        guard let first = nodes.first(where: { $0.constant != .null }) else { return ConstantNode(.null, type: .string) }
        let target = nodes.contains { $0.type == .double } && first.type == .long ? ColumnType.double : first.type
        for i in nodes.indices {
            let n = nodes[i]
            if n.type == target { continue }
            if n.constant == .null {
                nodes[i] = ConstantNode(.null, type: target)
            } else if n.type == .long, target == .double {
                nodes[i] = ToDoubleNode(n)
            } else {
                throw error(args[i].offset, "coalesce() needs its arguments to have one type, but this one is \(n.type) and the first is \(target)",
                    fix: "convert it, for example with string()")
            }
        }
        return CoalesceNode(nodes, type: target)
    }

    func timeCall(_ name: String, _ args: [Expr], _ at: SourceOffset, _ e: Expr) throws(ExpressionError) -> Node {
        switch name {
        case "date_trunc":
            let unitText = try literal(args[0], "the unit")
            guard let unit = TimeUnit(name: unitText) else {
                throw error(args[0].offset, "'\(unitText)' is not a unit of date_trunc()", fix: "use one of: \(TimeUnit.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return DateTruncNode(try typed(args[1], .timestamp, name), unit: unit, zone: try zoneArgument(args, 2))
        case "extract":
            let fieldText = try literal(args[0], "the field")
            guard let field = TimeField(rawValue: fieldText.lowercased()) else {
                throw error(args[0].offset, "'\(fieldText)' is not a field of extract()", fix: "use one of: \(TimeField.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return ExtractNode(try typed(args[1], .timestamp, name), field: field, zone: try zoneArgument(args, 2))
        case "format":
            let format = try literal(args[1], "the format")
            let zone = try zoneArgument(args, 2)
            do {
                let formatter = try TimestampFormatter(format: format, zone: zone.name)
                return TextFunctionNode(.format(formatter), [try typed(args[0], .timestamp, name)])
            } catch {
                throw self.error(args[1].offset, "'\(format)' is not a timestamp format: \(error)")
            }
        default:
            let unitText = try literal(args[2], "the unit")
            guard let unit = TimeUnit(name: unitText) else {
                throw error(args[2].offset, "'\(unitText)' is not a unit of date_add()", fix: "use one of: \(TimeUnit.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return DateAddNode(try typed(args[0], .timestamp, name), amount: try typed(args[1], .long, name), unit: unit, sign: 1,
                zone: try zoneArgument(args, 3), text: snippet(e))
        }
    }

    /// The zone named by argument `i`, or the compiler's zone when there is no such argument.
    func zoneArgument(_ args: [Expr], _ i: Int) throws(ExpressionError) -> ZoneRule {
        guard i < args.count else { return zone }
        let name = try literal(args[i], "the time zone")
        do {
            return try ZoneRule.resolve(name)
        } catch {
            throw self.error(args[i].offset, "'\(name)' is not a time zone: \(error)", fix: "use an IANA name such as 'Asia/Tokyo' or an offset such as '+09:00'")
        }
    }

    /// A quoted text written in the expression (units, formats, zones, patterns are fixed at plan time).
    func literal(_ e: Expr, _ what: String) throws(ExpressionError) -> String {
        guard case .string(let s, _) = e else {
            throw error(e.offset, "\(what) must be a quoted text written in the expression", fix: "write it in single quotes")
        }
        return s
    }

    func text(_ e: Expr, _ function: String) throws(ExpressionError) -> Node { try typed(e, .string, function) }

    /// The node of `e`, which must be of `type` (a long is accepted where a double is wanted, a null anywhere).
    func typed(_ e: Expr, _ type: ColumnType, _ function: String) throws(ExpressionError) -> Node {
        let n = try node(e)
        if n.type == type { return n }
        if n.constant == .null { return ConstantNode(.null, type: type) }
        if type == .double, n.type == .long { return ToDoubleNode(n) }
        if type == .string, n.type == .json { return n }
        throw error(e.offset, "\(function)() needs a \(type) here, not a \(n.type)",
            fix: type == .string ? "convert it with string()" : nil)
    }
}
