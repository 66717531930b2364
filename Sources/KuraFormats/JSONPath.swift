import KuraCore

/// A JSONPath of single members and elements, such as `$.payload.items[0]` or `$['key.with.dots']`, turned into the
/// JSON Pointer the scanner looks up.
///
/// Wildcards (`[*]`, `..`), unions, slices and filter expressions select several values and are not accepted.
public struct JSONPath: Hashable, Sendable, CustomStringConvertible {
    /// The path as written.
    public let text: String
    /// The same member as a JSON Pointer.
    public let pointer: JSONPointer

    /// Whether `text` looks like a JSONPath (starts with `$.` or `$[`, or is `$`).
    public static func isPath(_ text: String) -> Bool { text == "$" || text.hasPrefix("$.") || text.hasPrefix("$[") }

    /// A path from its pointer and the text it was written as.
    public init(pointer: JSONPointer, text: String) {
        self.pointer = pointer
        self.text = text
    }

    /// One step of a path: a member name, an array index, or `[*]` (every element).
    public enum Step: Hashable, Sendable, CustomStringConvertible {
        case member(String)
        case index(Int)
        case wildcard

        /// The step in bracket notation, as in `['name']`, `[0]` or `[*]`.
        public var description: String {
            switch self {
            case .member(let name):
                var out = "['"
                for ch in name {
                    if ch == "\\" || ch == "'" { out.append("\\") }
                    out.append(ch)
                }
                return out + "']"
            case .index(let i): return "[\(i)]"
            case .wildcard: return "[*]"
            }
        }
    }

    /// Parses `text`; throws a message saying what is wrong and where.
    public init(_ text: String) throws(JSONCastError) {
        self.text = text
        var tokens: [[UInt8]] = []
        for step in try Self.steps(text, wildcards: false) {
            switch step {
            case .member(let name): tokens.append(Array(name.utf8))
            case .index(let n): tokens.append(Array(String(n).utf8))
            case .wildcard: break
            }
        }
        pointer = JSONPointer(tokens: tokens)
    }

    /// The steps of `text` (`$.a.b[0]`, `$['a'][*]`; `$` alone has none), with `[*]` and `.*` allowed only when
    /// `wildcards` is true; throws a message saying what is wrong and where.
    public static func steps(_ text: String, wildcards: Bool) throws(JSONCastError) -> [Step] {
        let s = Array(text.unicodeScalars)
        guard s.first == "$" else { throw JSONCastError("the JSONPath '\(text)' must start with '$'") }
        var steps: [Step] = []
        var i = 1
        func fail(_ why: String) -> JSONCastError { JSONCastError("the JSONPath '\(text)' \(why) at character \(i + 1)") }
        while i < s.count {
            if s[i] == "." {
                i += 1
                if i < s.count, s[i] == "." { throw fail("uses '..' (deep scan), which selects several values") }
                var name = String.UnicodeScalarView()
                while i < s.count, s[i] != ".", s[i] != "[" {
                    name.append(s[i])
                    i += 1
                }
                if name.isEmpty {
                    if i == s.count { break }  // "$." is the whole value
                    throw fail("has an empty member name")
                }
                if String(name) == "*" {
                    guard wildcards else { throw fail("uses '*', which selects several values") }
                    steps.append(.wildcard)
                } else {
                    steps.append(.member(String(name)))
                }
            } else if s[i] == "[" {
                i += 1
                if i < s.count, s[i] == "'" || s[i] == "\"" {
                    let quote = s[i]
                    i += 1
                    var name = String.UnicodeScalarView()
                    while i < s.count, s[i] != quote {
                        if s[i] == "\\", i + 1 < s.count { i += 1 }
                        name.append(s[i])
                        i += 1
                    }
                    guard i + 1 < s.count, s[i + 1] == "]" else { throw fail("has an unclosed ['…'] (several names, as in ['a','b'], are not supported)") }
                    i += 2
                    steps.append(.member(String(name)))
                } else {
                    var digits = ""
                    while i < s.count, s[i] != "]" {
                        digits.unicodeScalars.append(s[i])
                        i += 1
                    }
                    guard i < s.count else { throw fail("has an unclosed '['") }
                    i += 1
                    if digits == "*", wildcards {
                        steps.append(.wildcard)
                        continue
                    }
                    guard let n = Int(digits), n >= 0 else {
                        throw fail(digits == "*" ? "uses '[*]', which selects several values" : "has '[\(digits)]', which is not an array index (slices, unions and filters are not supported)")
                    }
                    steps.append(.index(n))
                }
            } else {
                throw fail("has '\(s[i])' where '.' or '[' is expected")
            }
        }
        return steps
    }

    public var description: String { text }
}
