import KuraCore
import KuraFormats

/// A plugin's decoded options — every option with the value the plugin will use, defaults included — as a
/// config node, for plans.
///
/// Every built-in plugin keeps its options as one `Options` value in a property named `options`; this reads it by
/// reflection, so no plugin needs code for it. Property names are shown in snake_case, byte strings (delimiters,
/// quotes, null strings) as text, enums by their config spelling.
enum OptionsSnapshot {
    /// The decoded options of `plugin`, or nil when it keeps none under `options`.
    static func of(_ plugin: Any) -> ConfigNode? {
        guard let options = Mirror(reflecting: plugin).descendant("options") else { return nil }
        return node(options, depth: 0)
    }

    /// `value` as a node; structures deeper than a few levels are summarized by their description.
    static func node(_ value: Any, depth: Int) -> ConfigNode {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return ConfigNode(.null) }
            return node(wrapped, depth: depth)
        }
        if let scalar = scalarText(value) { return ConfigNode(.scalar(scalar, quoted: !(value is Bool) && !isNumber(value))) }
        switch mirror.displayStyle {
        case .collection?, .set?:
            return ConfigNode(.sequence(mirror.children.map { node($0.value, depth: depth + 1) }))
        case .dictionary?:
            let pairs = mirror.children.compactMap { child -> (String, ConfigNode)? in
                let pair = Mirror(reflecting: child.value).children.map(\.value)
                guard pair.count == 2 else { return nil }
                return ("\(pair[0])", node(pair[1], depth: depth + 1))
            }
            return .mapping(pairs.sorted { $0.0 < $1.0 })
        case .struct? where depth < 4:
            return .mapping(mirror.children.compactMap { child in
                child.label.map { (snakeCase($0), node(child.value, depth: depth + 1)) }
            })
        default:
            return ConfigNode(.scalar(String(describing: value), quoted: true))
        }
    }

    /// The text of a value shown as one scalar, or nil for structured values.
    static func scalarText(_ value: Any) -> String? {
        switch value {
        case let s as String: return s
        case let b as Bool: return b ? "true" : "false"
        case let bytes as [UInt8]: return String(decoding: bytes, as: UTF8.self)
        case let byte as UInt8: return String(decoding: [byte], as: UTF8.self)
        case let zone as ZoneRule: return zone.name
        case let charset as Charset: return charset.name
        case let type as ColumnType: return type.rawValue
        case let budget as ErrorBudget: return budget.text
        default: break
        }
        if isNumber(value) { return "\(value)" }
        if let raw = value as? any RawRepresentable, let text = raw.rawValue as? String { return text }
        return nil
    }

    static func isNumber(_ value: Any) -> Bool {
        value is Int || value is Int64 || value is Int32 || value is UInt64 || value is Double || value is UInt32
    }

    /// `nullString` as `null_string`, `invalidUTF8` as `invalid_utf8`.
    static func snakeCase(_ name: String) -> String {
        var out = ""
        let chars = Array(name)
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0, chars[i - 1].isLowercase || (i + 1 < chars.count && chars[i + 1].isLowercase) {
                out.append("_")
            }
            out.append(contentsOf: c.lowercased())
        }
        return out
    }
}
