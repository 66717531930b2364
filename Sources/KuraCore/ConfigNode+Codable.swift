/// Configs are stored in plans (`kura run --dry-run`, sharded and resumed runs), so a node encodes as plain data:
/// null as null, a scalar as its text (an unquoted `true`, `false` or integer as a boolean or a number), a sequence as a list, a mapping as keys in their order.
///
/// Decoding gives back the same meaning: a string that YAML would read as null (`""`, `null`, `~`) comes back as a
/// quoted scalar, since a real null was encoded as null. Source marks are not stored.
extension ConfigNode: Codable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        switch kind {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .scalar(let text, let quoted):
            var c = encoder.singleValueContainer()
            if !quoted, text == "true" || text == "false" {
                try c.encode(text == "true")
            } else if !quoted, let n = Int64(text), String(n) == text {
                try c.encode(n)
            } else {
                try c.encode(text)
            }
        case .sequence(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .mapping(let entries):
            var c = encoder.container(keyedBy: Key.self)
            for (key, value) in entries { try c.encode(value, forKey: Key(key)) }
        }
    }

    public init(from decoder: Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            var items: [ConfigNode] = []
            while !list.isAtEnd { items.append(try list.decode(ConfigNode.self)) }
            self.init(.sequence(items))
        } else if let map = try? decoder.container(keyedBy: Key.self) {
            let entries = try map.allKeys.map { (key: $0.stringValue, value: try map.decode(ConfigNode.self, forKey: $0)) }
            self.init(.mapping(entries))
        } else {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self.init(.null)
            } else if let b = try? c.decode(Bool.self) {
                self.init(.scalar(b ? "true" : "false", quoted: false))
            } else if let i = try? c.decode(Int64.self) {
                self.init(.scalar(String(i), quoted: false))
            } else if let d = try? c.decode(Double.self) {
                self.init(.scalar(String(d), quoted: false))
            } else {
                let text = try c.decode(String.self)
                let nullLike = ["", "null", "~"].contains(text.lowercased())
                self.init(.scalar(text, quoted: nullLike))
            }
        }
    }
}
