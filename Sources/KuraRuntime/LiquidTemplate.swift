import Foundation
import KuraCore
import KuraFormats

/// The subset of Liquid that Embulk's `.yml.liquid` configs use.
///
/// Supported: `{{ env.NAME }}`, `{{ vars.KEY }}` and `{{ session_time }}` with filters (`default`, `upcase`,
/// `downcase`, `strip`, `append`, `prepend`, `replace`, `json`), `{% include 'x' %}` (reads `_x.yml.liquid` beside
/// the including file, as Embulk), `{% if %}` / `{% elsif %}` / `{% else %}` / `{% endif %}`, `{% unless %}`,
/// `{% assign name = value %}`, `{% comment %}` and `{% raw %}`. An undefined variable renders as empty text, as
/// in Liquid.
public struct LiquidTemplate {
    /// Values a template can read.
    public struct Context {
        public var env: [String: String]
        public var vars: [String: String]
        public var assigned: [String: String] = [:]
        public init(env: [String: String], vars: [String: String]) {
            self.env = env
            self.vars = vars
        }
    }

    let source: String
    let file: String
    let directory: String
    let depth: Int

    public init(source: String, file: String, directory: String, depth: Int = 0) {
        self.source = source
        self.file = file
        self.directory = directory
        self.depth = depth
    }

    enum Token {
        case text(String)
        case output(String, line: Int)
        case tag(String, line: Int)
    }

    func tokenize() throws -> [Token] {
        var tokens: [Token] = []
        var rest = Substring(source)
        var line = 1
        while !rest.isEmpty {
            guard let open = rest.range(of: "{") , let next = rest[open.upperBound...].first, next == "{" || next == "%" else {
                if let open = rest.range(of: "{") {
                    let upto = rest[..<open.upperBound]
                    tokens.append(.text(String(upto)))
                    line += upto.filter { $0 == "\n" }.count
                    rest = rest[open.upperBound...]
                    continue
                }
                tokens.append(.text(String(rest)))
                break
            }
            let before = rest[..<open.lowerBound]
            if !before.isEmpty {
                tokens.append(.text(String(before)))
                line += before.filter { $0 == "\n" }.count
            }
            let isOutput = next == "{"
            let closer = isOutput ? "}}" : "%}"
            let bodyStart = rest.index(open.lowerBound, offsetBy: 2)
            guard let close = rest[bodyStart...].range(of: closer) else {
                throw ConfigError(
                    path: "", mark: SourceMark(line: line, column: 1), file: file,
                    "template tag '\(isOutput ? "{{" : "{%")' is not closed", fix: "add '\(closer)'")
            }
            var body = String(rest[bodyStart..<close.lowerBound])
            // Whitespace control: {{- -}} / {%- -%}
            var trimBefore = false, trimAfter = false
            if body.hasPrefix("-") { body.removeFirst(); trimBefore = true }
            if body.hasSuffix("-") { body.removeLast(); trimAfter = true }
            if trimBefore, case .text(let t)? = tokens.last {
                tokens[tokens.count - 1] = .text(String(t.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\n" }.reversed()))
            }
            let trimmed = body.trimmingSpaces()
            tokens.append(isOutput ? .output(trimmed, line: line) : .tag(trimmed, line: line))
            line += body.filter { $0 == "\n" }.count
            rest = rest[close.upperBound...]
            if trimAfter { rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "\n" } }
            // {% raw %} … {% endraw %}
            if !isOutput && trimmed == "raw" {
                guard let end = rest.range(of: "{% endraw %}") else {
                    throw ConfigError(path: "", mark: SourceMark(line: line, column: 1), file: file, "{% raw %} without {% endraw %}")
                }
                tokens.removeLast()
                tokens.append(.text(String(rest[..<end.lowerBound])))
                rest = rest[end.upperBound...]
            }
        }
        return tokens
    }

    /// Renders the template.
    public func render(context: Context) throws -> String {
        if depth > 16 {
            throw ConfigError(path: "", file: file, "includes are nested more than 16 deep", fix: "check for an include cycle")
        }
        var ctx = context
        let tokens = try tokenize()
        var index = 0
        var out = ""
        try renderBlock(tokens, &index, &ctx, &out, until: [])
        if index < tokens.count, case .tag(let t, let line) = tokens[index] {
            throw ConfigError(path: "", mark: SourceMark(line: line, column: 1), file: file, "unexpected {% \(t) %}")
        }
        return out
    }

    /// Renders tokens until a tag whose first word is in `until`; leaves `index` at that tag.
    func renderBlock(_ tokens: [Token], _ index: inout Int, _ ctx: inout Context, _ out: inout String, until: Set<String>) throws {
        while index < tokens.count {
            switch tokens[index] {
            case .text(let t):
                out += t
                index += 1
            case .output(let expr, let line):
                out += try evaluate(expr, ctx, line: line)
                index += 1
            case .tag(let tag, let line):
                let word = String(tag.split(separator: " ", maxSplits: 1).first ?? "")
                if until.contains(word) { return }
                index += 1
                switch word {
                case "include":
                    out += try include(tag, ctx, line: line)
                case "assign":
                    let body = tag.dropFirst("assign".count)
                    guard let eq = body.firstIndex(of: "=") else {
                        throw ConfigError(path: "", mark: SourceMark(line: line, column: 1), file: file, "assign needs 'name = value'")
                    }
                    let name = String(body[..<eq]).trimmingSpaces()
                    ctx.assigned[name] = try evaluate(String(body[body.index(after: eq)...]), ctx, line: line)
                case "comment":
                    var ignored = ""
                    var skipCtx = ctx
                    try skip(tokens, &index, &skipCtx, &ignored, endTag: "endcomment", line: line)
                case "if", "unless":
                    var taken = try condition(String(tag.dropFirst(word.count)), ctx, line: line)
                    if word == "unless" { taken.toggle() }
                    var done = false
                    while true {
                        var branch = ""
                        try renderBlock(tokens, &index, &ctx, &branch, until: ["elsif", "else", "endif", "endunless"])
                        if taken && !done {
                            out += branch
                            done = true
                        }
                        guard index < tokens.count, case .tag(let t, let l) = tokens[index] else {
                            throw ConfigError(path: "", mark: SourceMark(line: line, column: 1), file: file, "{% \(word) %} is not closed", fix: "add {% end\(word) %}")
                        }
                        index += 1
                        let w = String(t.split(separator: " ", maxSplits: 1).first ?? "")
                        if w == "endif" || w == "endunless" { break }
                        if w == "else" { taken = !done }
                        if w == "elsif" { let c = try condition(String(t.dropFirst(5)), ctx, line: l); taken = !done && c }
                    }
                default:
                    throw ConfigError(
                        path: "", mark: SourceMark(line: line, column: 1), file: file, "unsupported template tag '\(word)'",
                        fix: "use include, if, unless, assign, comment or raw")
                }
            }
        }
    }

    func skip(_ tokens: [Token], _ index: inout Int, _ ctx: inout Context, _ out: inout String, endTag: String, line: Int) throws {
        while index < tokens.count {
            if case .tag(let t, _) = tokens[index], t == endTag {
                index += 1
                return
            }
            index += 1
        }
        throw ConfigError(path: "", mark: SourceMark(line: line, column: 1), file: file, "missing {% \(endTag) %}")
    }

    func include(_ tag: String, _ ctx: Context, line: Int) throws -> String {
        let arg = String(tag.dropFirst("include".count)).trimmingSpaces()
        guard let name = literal(arg) else {
            throw ConfigError(path: "", mark: SourceMark(line: line, column: 1), file: file, "include needs a quoted name, like {% include 'in_common' %}")
        }
        let dirPart = (name as NSString).deletingLastPathComponent
        let base = (name as NSString).lastPathComponent
        let candidates = ["_\(base).yml.liquid", "_\(base).yaml.liquid", "_\(base).liquid", base]
        for c in candidates {
            let path = [directory, dirPart, c].filter { !$0.isEmpty }.joined(separator: "/")
            if FileManager.default.fileExists(atPath: path) {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                return try LiquidTemplate(source: text, file: path, directory: (path as NSString).deletingLastPathComponent, depth: depth + 1)
                    .render(context: ctx)
            }
        }
        throw ConfigError(
            path: "", mark: SourceMark(line: line, column: 1), file: file, "cannot find the include '\(name)'",
            fix: "create \(directory)/\(dirPart.isEmpty ? "" : dirPart + "/")_\(base).yml.liquid")
    }

    func literal(_ s: String) -> String? {
        if s.count >= 2, let f = s.first, f == "'" || f == "\"", s.last == f { return String(s.dropFirst().dropLast()) }
        return nil
    }

    /// The value of a variable path or literal, or nil when undefined.
    func lookup(_ term: String, _ ctx: Context) -> String? {
        let t = term.trimmingSpaces()
        if let l = literal(t) { return l }
        if let _ = Double(t) { return t }
        if t == "true" || t == "false" { return t }
        if t.hasPrefix("env.") { return ctx.env[String(t.dropFirst(4))] }
        if t.hasPrefix("env['") || t.hasPrefix("env[\"") { return ctx.env[String(t.dropFirst(5).dropLast(2))] }
        if t.hasPrefix("vars.") { return ctx.vars[String(t.dropFirst(5))] }
        if let v = ctx.assigned[t] { return v }
        return ctx.vars[t]
    }

    func evaluate(_ expr: String, _ ctx: Context, line: Int) throws -> String {
        let parts = splitOutsideQuotes(expr, by: "|")
        var value = lookup(parts[0], ctx)
        for f in parts.dropFirst() {
            let (name, args) = splitFilter(f)
            switch name {
            case "default": if value == nil || value == "" { value = args.first.flatMap { lookup($0, ctx) } ?? "" }
            case "upcase": value = value?.uppercased()
            case "downcase": value = value?.lowercased()
            case "strip": value = value?.trimmingSpaces()
            case "append": value = (value ?? "") + (args.first.flatMap { lookup($0, ctx) } ?? "")
            case "prepend": value = (args.first.flatMap { lookup($0, ctx) } ?? "") + (value ?? "")
            case "replace":
                if args.count == 2, let a = lookup(args[0], ctx), let b = lookup(args[1], ctx) {
                    value = value?.replacingOccurrences(of: a, with: b)
                }
            case "json":
                value = value.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            case "plus", "minus":
                value = try arithmetic(name, value, args.first.flatMap { lookup($0, ctx) }, line: line)
            case "date":
                value = try formatDate(value, args.first.flatMap { lookup($0, ctx) }, line: line)
            default:
                throw ConfigError(
                    path: "", mark: SourceMark(line: line, column: 1), file: file, "unsupported template filter '\(name)'",
                    fix: "use default, upcase, downcase, strip, append, prepend, replace, json, plus, minus or date")
            }
        }
        return value ?? ""
    }

    /// `plus: N` / `minus: N` on whole numbers (such as `{{ session_unixtime | minus: 86400 }}`).
    func arithmetic(_ name: String, _ value: String?, _ argument: String?, line: Int) throws -> String {
        guard let a = Int64(value ?? ""), let b = Int64(argument ?? "") else {
            throw ConfigError(
                path: "", mark: SourceMark(line: line, column: 1), file: file,
                "the '\(name)' filter needs whole numbers, got '\(value ?? "")' and '\(argument ?? "")'",
                fix: "write for example {{ session_unixtime | minus: 86400 }}")
        }
        return String(name == "plus" ? a &+ b : a &- b)
    }

    /// `date: FORMAT` on seconds since the epoch, formatted in UTC with strftime directives
    /// (`{{ session_unixtime | minus: 518400 | date: '%Y-%m-%d' }}`).
    func formatDate(_ value: String?, _ format: String?, line: Int) throws -> String {
        guard let seconds = Int64(value ?? ""), let format, let formatter = try? TimestampFormatter(format: format) else {
            throw ConfigError(
                path: "", mark: SourceMark(line: line, column: 1), file: file,
                "the 'date' filter needs seconds since the epoch and a format, got '\(value ?? "")'",
                fix: "write for example {{ session_unixtime | date: '%Y-%m-%d' }}")
        }
        var out: [UInt8] = []
        formatter.format(nanos: seconds &* 1_000_000_000, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func condition(_ expr: String, _ ctx: Context, line: Int) throws -> Bool {
        let ors = expr.components(separatedBy: " or ")
        return try ors.contains { clause in
            try clause.components(separatedBy: " and ").allSatisfy { try comparison($0, ctx, line: line) }
        }
    }

    func comparison(_ expr: String, _ ctx: Context, line: Int) throws -> Bool {
        for op in ["==", "!=", "contains"] {
            let parts = expr.components(separatedBy: " \(op) ")
            if parts.count == 2 {
                let a = lookup(parts[0], ctx) ?? "", b = lookup(parts[1], ctx) ?? ""
                switch op {
                case "==": return a == b
                case "!=": return a != b
                default: return a.contains(b)
                }
            }
        }
        let v = lookup(expr, ctx)
        return v != nil && v != "false" && v != ""
    }

    func splitOutsideQuotes(_ s: String, by sep: Character) -> [String] {
        var parts: [String] = []
        var cur = ""
        var quote: Character? = nil
        for ch in s {
            if let q = quote {
                if ch == q { quote = nil }
                cur.append(ch)
            } else if ch == "'" || ch == "\"" {
                quote = ch
                cur.append(ch)
            } else if ch == sep {
                parts.append(cur)
                cur = ""
            } else {
                cur.append(ch)
            }
        }
        parts.append(cur)
        return parts
    }

    func splitFilter(_ f: String) -> (String, [String]) {
        let t = f.trimmingSpaces()
        guard let colon = t.firstIndex(of: ":") else { return (t, []) }
        let name = String(t[..<colon]).trimmingSpaces()
        let args = splitOutsideQuotes(String(t[t.index(after: colon)...]), by: ",").map { $0.trimmingSpaces() }
        return (name, args)
    }
}
