/// Decodes plugin options (`Decodable` structs) from a `ConfigNode`, with errors that name the key path and the
/// file position, and with unknown keys reported as errors that suggest the nearest valid key.
///
/// A key counts as known when the options type asks for it (`decode`, `decodeIfPresent` or `contains`), so a
/// custom `init(from:)` that reads every key with `decodeIfPresent … ?? default` gets unknown-key checking for
/// free. Decoding a field as `ConfigNode` hands that subtree over unchecked (for nested plugin configs).
public struct ConfigDecoder {
    /// Keys that are always allowed in any mapping (default: none).
    public var ignoredKeys: Set<String> = []

    public init() {}

    /// Decodes `type` from `node`; `path` is the node's own key path (for messages), such as `in.parser`.
    public func decode<T: Decodable>(_ type: T.Type, from node: ConfigNode, path: String = "", file: String? = nil)
        throws -> T
    {
        let tracker = AccessTracker()
        let value: T
        do {
            value = try T(from: NodeDecoder(node: node, codingPath: [], tracker: tracker))
        } catch var error as ConfigError {
            if error.mark == nil { error.mark = node.nearestMark(error.path) ?? node.mark }
            error.path = join(path, error.path)
            if error.file == nil { error.file = file }
            throw error
        } catch let error as DecodingError {
            throw translate(error, node: node, base: path, file: file)
        }
        if let unknown = tracker.firstUnknownKey(in: node, path: "", ignored: ignoredKeys) {
            var err = ConfigError(
                path: join(path, unknown.path), mark: unknown.mark, file: file,
                "unknown key '\(unknown.key)'",
                fix: unknown.suggestion.map { "did you mean '\($0)'?" }
                    ?? "valid keys here are: \(unknown.known.sorted().joined(separator: ", "))")
            if unknown.known.isEmpty { err.fix = "remove it" }
            throw err
        }
        return value
    }

    private func join(_ a: String, _ b: String) -> String {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        return b.hasPrefix("[") ? a + b : a + "." + b
    }

    private func translate(_ error: DecodingError, node: ConfigNode, base: String, file: String?) -> ConfigError {
        switch error {
        case .keyNotFound(let key, let ctx):
            let parent = pathString(ctx.codingPath)
            return ConfigError(
                path: join(base, parent), mark: node.nearestMark(parent), file: file,
                "missing required key '\(key.stringValue)'", fix: "add '\(key.stringValue): …' here")
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx):
            let p = pathString(ctx.codingPath)
            return ConfigError(
                path: join(base, p), mark: node.nearestMark(p), file: file, ctx.debugDescription)
        @unknown default:
            return ConfigError(path: base, file: file, "\(error)")
        }
    }
}

/// Renders a coding path as `a.b[2].c`.
public func pathString(_ codingPath: [CodingKey]) -> String {
    var s = ""
    for k in codingPath {
        if let i = k.intValue, k.stringValue.hasPrefix("Index") || k.stringValue == "\(i)" {
            s += "[\(i)]"
        } else {
            s += (s.isEmpty ? "" : ".") + k.stringValue
        }
    }
    return s
}

extension ConfigError {
    /// An error about the option at `codingPath` + `key`, for use inside an options type's `init(from:)`.
    public init(at codingPath: [CodingKey], _ key: CodingKey? = nil, _ message: String, fix: String? = nil) {
        self.init(path: pathString(codingPath + (key.map { [$0] } ?? [])), message, fix: fix)
    }
}

/// An enum option whose values are its raw strings; decoding an unknown value lists the valid ones.
public protocol ConfigEnum: RawRepresentable, CaseIterable, Decodable where RawValue == String {}

extension ConfigEnum {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        if let v = Self(rawValue: text) ?? Self.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) {
            self = v
            return
        }
        let names = Self.allCases.map(\.rawValue)
        throw ConfigError(
            at: decoder.codingPath, nil, "'\(text)' is not a valid value",
            fix: (nearest(text, in: names).map { "did you mean '\($0)'? " } ?? "")
                + "valid values: \(names.joined(separator: ", "))")
    }
}

final class AccessTracker {
    /// Keys asked for, per mapping path.
    var queried: [String: Set<String>] = [:]
    /// Paths whose subtree was taken as a raw `ConfigNode`.
    var delegated: Set<String> = []

    func query(_ path: String, _ key: String) { queried[path, default: []].insert(key) }

    struct Unknown {
        var path: String
        var key: String
        var mark: SourceMark?
        var known: Set<String>
        var suggestion: String?
    }

    func firstUnknownKey(in node: ConfigNode, path: String, ignored: Set<String>) -> Unknown? {
        if delegated.contains(path) { return nil }
        switch node.kind {
        case .mapping(let entries):
            guard let known = queried[path] else { return nil }  // not decoded as a keyed container
            for (k, v) in entries {
                let childPath = path.isEmpty ? k : path + "." + k
                if !known.contains(k) && !ignored.contains(k) {
                    return Unknown(
                        path: childPath, key: k, mark: v.mark, known: known,
                        suggestion: nearest(k, in: Array(known)))
                }
                if let u = firstUnknownKey(in: v, path: childPath, ignored: ignored) { return u }
            }
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                if let u = firstUnknownKey(in: item, path: path + "[\(i)]", ignored: ignored) { return u }
            }
        default: break
        }
        return nil
    }
}

/// A coding key for a position in a list, so errors can say `columns[2]`.
public struct IndexKey: CodingKey {
    public var intValue: Int?
    public var stringValue: String
    public init(_ i: Int) {
        intValue = i
        stringValue = "Index \(i)"
    }
    public init?(intValue: Int) { self.init(intValue) }
    public init?(stringValue: String) { return nil }
}

struct NameKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

struct NodeDecoder: Decoder {
    let node: ConfigNode
    let codingPath: [CodingKey]
    let tracker: AccessTracker
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var path: String { pathString(codingPath) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard let entries = node.mappingEntries else {
            if node.isNull {
                tracker.queried[path] = tracker.queried[path] ?? []
                return KeyedDecodingContainer(KeyedNode<Key>(decoder: self, entries: []))
            }
            throw ConfigError(at: codingPath, nil, "expected a mapping (key: value pairs), got \(node.kindName)")
        }
        tracker.queried[path] = tracker.queried[path] ?? []
        return KeyedDecodingContainer(KeyedNode<Key>(decoder: self, entries: entries))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        switch node.kind {
        case .sequence(let items): return UnkeyedNode(decoder: self, items: items)
        case .null: return UnkeyedNode(decoder: self, items: [])
        default: throw ConfigError(at: codingPath, nil, "expected a list, got \(node.kindName)")
        }
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { SingleNode(decoder: self) }

    func child(_ node: ConfigNode, _ key: CodingKey) -> NodeDecoder {
        NodeDecoder(node: node, codingPath: codingPath + [key], tracker: tracker)
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if type == ConfigNode.self {
            tracker.delegated.insert(path)
            return node as! T
        }
        let s = SingleNode(decoder: self)
        switch type {
        case is String.Type: return try s.decode(String.self) as! T
        case is Bool.Type: return try s.decode(Bool.self) as! T
        case is Int.Type: return try s.decode(Int.self) as! T
        case is Int64.Type: return try s.decode(Int64.self) as! T
        case is Double.Type: return try s.decode(Double.self) as! T
        default: return try T(from: self)
        }
    }
}

struct KeyedNode<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let entries: [(key: String, value: ConfigNode)]
    var codingPath: [CodingKey] { decoder.codingPath }
    var allKeys: [Key] {
        entries.compactMap { e in
            decoder.tracker.query(decoder.path, e.key)
            return Key(stringValue: e.key)
        }
    }

    func find(_ key: Key) -> ConfigNode? {
        decoder.tracker.query(decoder.path, key.stringValue)
        return entries.first { $0.key == key.stringValue }?.value
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { find(key)?.isNull ?? true }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        guard let node = find(key) else {
            throw ConfigError(
                at: codingPath, nil, "missing required key '\(key.stringValue)'", fix: "add '\(key.stringValue): …'")
        }
        return try decoder.child(node, key).decodeValue(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let node = find(key) else { return nil }
        if node.isNull && type != ConfigNode.self { return nil }
        return try decoder.child(node, key).decodeValue(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        guard let node = find(key) else { throw ConfigError(at: codingPath, key, "missing required mapping") }
        return try decoder.child(node, key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        guard let node = find(key) else { throw ConfigError(at: codingPath, key, "missing required list") }
        return try decoder.child(node, key).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> Decoder {
        decoder.child(find(key) ?? ConfigNode(.null), key)
    }
}

struct UnkeyedNode: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let items: [ConfigNode]
    var currentIndex = 0
    var codingPath: [CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func next() throws -> NodeDecoder {
        guard !isAtEnd else { throw ConfigError(at: codingPath, nil, "list has too few items") }
        defer { currentIndex += 1 }
        return decoder.child(items[currentIndex], IndexKey(currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        if !isAtEnd && items[currentIndex].isNull {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    { try next().container(keyedBy: type) }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> Decoder { try next() }
}

struct SingleNode: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.node.isNull }

    func text(_ what: String) throws -> String {
        if case let .scalar(s, _) = decoder.node.kind { return s }
        throw ConfigError(at: codingPath, nil, "expected \(what), got \(decoder.node.kindName)")
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        let t = try text("true or false")
        switch t.lowercased() {
        case "true", "yes", "on", "y": return true
        case "false", "no", "off", "n": return false
        default: throw ConfigError(at: codingPath, nil, "expected true or false, got '\(t)'")
        }
    }

    func decode(_ type: String.Type) throws -> String { try text("a string") }

    func integer(_ what: String) throws -> Int64 {
        let t = try text(what).trimmingSpaces()
        var digits = Substring(t)
        var negative = false
        if digits.hasPrefix("-") || digits.hasPrefix("+") {
            negative = digits.hasPrefix("-")
            digits = digits.dropFirst()
        }
        digits = Substring(digits.filter { $0 != "_" })
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let v = Int64(digits).map({ negative ? -$0 : $0 })
        else {
            throw ConfigError(at: codingPath, nil, "expected \(what), got '\(t)'")
        }
        return v
    }

    func decode(_ type: Double.Type) throws -> Double {
        let t = try text("a number").trimmingSpaces()
        guard let v = Double(t) else { throw ConfigError(at: codingPath, nil, "expected a number, got '\(t)'") }
        return v
    }
    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func decode(_ type: Int.Type) throws -> Int { Int(try integer("an integer")) }
    func decode(_ type: Int8.Type) throws -> Int8 { try narrow(integer("an integer")) }
    func decode(_ type: Int16.Type) throws -> Int16 { try narrow(integer("an integer")) }
    func decode(_ type: Int32.Type) throws -> Int32 { try narrow(integer("an integer")) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer("an integer") }
    func decode(_ type: UInt.Type) throws -> UInt { try narrow(integer("a non-negative integer")) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try narrow(integer("a non-negative integer")) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try narrow(integer("a non-negative integer")) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try narrow(integer("a non-negative integer")) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try narrow(integer("a non-negative integer")) }

    func narrow<T: FixedWidthInteger>(_ v: Int64) throws -> T {
        guard let r = T(exactly: v) else {
            throw ConfigError(at: codingPath, nil, "\(v) is out of range (\(T.min)…\(T.max))")
        }
        return r
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    public func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}

extension ColumnType {
    /// The column type `text` names (any letter case), or a `ConfigError` at `key` of `codingPath` that suggests the
    /// nearest type.
    public static func named(_ text: String, at codingPath: [CodingKey], _ key: CodingKey) throws -> ColumnType {
        if let t = ColumnType(rawValue: text.lowercased()) { return t }
        let names = ColumnType.allCases.map(\.rawValue)
        throw ConfigError(
            at: codingPath, key, "'\(text)' is not a column type",
            fix: (nearest(text, in: names).map { "did you mean '\($0)'? " } ?? "") + "types are: \(names.joined(separator: ", "))")
    }
}
