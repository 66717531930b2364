/// A parsed config document: YAML's scalars, sequences and mappings, each with the position it came from.
///
/// Scalars stay text until an option asks for a type, as in Embulk, so `skip_header_lines: "1"` and
/// `skip_header_lines: 1` mean the same. Mapping keys keep their order.
public struct ConfigNode: Sendable, Hashable {
    /// The shape of a node.
    public indirect enum Kind: Sendable, Hashable {
        /// `~`, `null` or an empty value.
        case null
        /// A scalar's text; `quoted` is true for `'…'` / `"…"` scalars (which are never null or booleans).
        case scalar(String, quoted: Bool)
        case sequence([ConfigNode])
        case mapping([(key: String, value: ConfigNode)])

        public static func == (a: Kind, b: Kind) -> Bool {
            switch (a, b) {
            case (.null, .null): return true
            case let (.scalar(x, q1), .scalar(y, q2)): return x == y && q1 == q2
            case let (.sequence(x), .sequence(y)): return x == y
            case let (.mapping(x), .mapping(y)):
                return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: return false
            }
        }

        public func hash(into h: inout Hasher) {
            switch self {
            case .null: h.combine(0)
            case let .scalar(s, q): h.combine(s); h.combine(q)
            case let .sequence(x): h.combine(x)
            case let .mapping(x): for (k, v) in x { h.combine(k); h.combine(v) }
            }
        }
    }

    public var kind: Kind
    /// Where the node starts in the config file, when known.
    public var mark: SourceMark?

    public init(_ kind: Kind, mark: SourceMark? = nil) {
        self.kind = kind
        self.mark = mark
    }

    /// A plain scalar node.
    public static func scalar(_ text: String) -> ConfigNode { ConfigNode(.scalar(text, quoted: false)) }
    /// A mapping node from ordered pairs.
    public static func mapping(_ pairs: [(String, ConfigNode)]) -> ConfigNode {
        ConfigNode(.mapping(pairs.map { (key: $0.0, value: $0.1) }))
    }

    /// Whether the node is null (`~`, `null`, or empty).
    public var isNull: Bool {
        if case .null = kind { return true }
        return false
    }

    /// The scalar text, or `nil` for other kinds.
    public var scalarText: String? {
        if case let .scalar(s, _) = kind { return s }
        return nil
    }

    /// The entries of a mapping, or `nil` for other kinds.
    public var mappingEntries: [(key: String, value: ConfigNode)]? {
        if case let .mapping(m) = kind { return m }
        return nil
    }

    /// The value under `key` of a mapping.
    public subscript(key: String) -> ConfigNode? {
        mappingEntries?.first { $0.key == key }?.value
    }

    /// Returns a mapping with `key` set to `value` (replacing or appending).
    public func setting(_ key: String, to value: ConfigNode) -> ConfigNode {
        var entries = mappingEntries ?? []
        if let i = entries.firstIndex(where: { $0.key == key }) {
            entries[i].value = value
        } else {
            entries.append((key: key, value: value))
        }
        return ConfigNode(.mapping(entries), mark: mark)
    }

    /// Returns a mapping without `key`.
    public func removing(_ key: String) -> ConfigNode {
        ConfigNode(.mapping((mappingEntries ?? []).filter { $0.key != key }), mark: mark)
    }

    /// A short description of the node's kind for error messages.
    public var kindName: String {
        switch kind {
        case .null: return "null"
        case .scalar: return "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// The node at a dotted path such as `parser.columns[2].type`, relative to this node.
    public func lookup(_ path: String) -> ConfigNode? {
        var node: ConfigNode? = self
        for part in ConfigNode.splitPath(path) {
            switch part {
            case .key(let k): node = node?[k]
            case .index(let i):
                if case let .sequence(items)? = node?.kind, i < items.count { node = items[i] } else { return nil }
            }
        }
        return node
    }

    /// The deepest node along `path` that exists (for pointing at a missing key's parent).
    public func nearestMark(_ path: String) -> SourceMark? {
        var node: ConfigNode = self
        var best = mark
        for part in ConfigNode.splitPath(path) {
            let next: ConfigNode?
            switch part {
            case .key(let k): next = node[k]
            case .index(let i):
                if case let .sequence(items) = node.kind, i < items.count { next = items[i] } else { next = nil }
            }
            guard let next else { break }
            node = next
            if let m = next.mark { best = m }
        }
        return best
    }

    enum PathPart { case key(String), index(Int) }

    static func splitPath(_ path: String) -> [PathPart] {
        var parts: [PathPart] = []
        for segment in path.split(separator: ".", omittingEmptySubsequences: true) {
            var s = Substring(segment)
            if let b = s.firstIndex(of: "[") {
                if b > s.startIndex { parts.append(.key(String(s[..<b]))) }
                s = s[b...]
                while s.hasPrefix("["), let e = s.firstIndex(of: "]") {
                    if let i = Int(s[s.index(after: s.startIndex)..<e]) { parts.append(.index(i)) }
                    s = s[s.index(after: e)...]
                }
            } else {
                parts.append(.key(String(s)))
            }
        }
        return parts
    }

    /// Renders the node as flow-style YAML (used for config diffs and `--dry-run`).
    public var yamlText: String {
        switch kind {
        case .null: return "null"
        case .scalar(let s, _): return ConfigNode.quoteIfNeeded(s)
        case .sequence(let items): return "[" + items.map(\.yamlText).joined(separator: ", ") + "]"
        case .mapping(let m):
            return "{" + m.map { ConfigNode.quoteIfNeeded($0.key) + ": " + $0.value.yamlText }.joined(separator: ", ") + "}"
        }
    }

    static func quoteIfNeeded(_ s: String) -> String {
        let plainSafe = !s.isEmpty && s.unicodeScalars.allSatisfy {
            ($0.properties.isAlphabetic || $0.properties.numericType != nil || "_-./".unicodeScalars.contains($0))
        }
        if plainSafe && !["null", "true", "false", "yes", "no", "on", "off", "~"].contains(s.lowercased()) {
            return s
        }
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if ch.value < 0x20 { out += "\\x" + String(ch.value, radix: 16).leftPadded(2) } else { out.unicodeScalars.append(ch) }
            }
        }
        return out + "\""
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
