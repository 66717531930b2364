import Foundation
import KuraCore

extension RenameFilterPlugin {
    /// The options of the `rename` filter, as in Embulk's `RenameFilterPlugin`.
    ///
    /// `columns` renames by name first; then `rules` apply in order, each to every column name.
    public struct Options: Codable, Sendable {
        /// Old name → new name, applied before `rules`, in the order written (default: empty).
        public var columns: [(old: String, new: String)]
        /// Renaming rules applied top-down to every column name (default: none).
        public var rules: [Rule]

        enum CodingKeys: String, CodingKey {
            case columns, rules
        }

        public init(columns: [(old: String, new: String)] = [], rules: [Rule] = []) {
            self.columns = columns
            self.rules = rules
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            columns = try c.decodeIfPresent(NameMap.self, forKey: .columns)?.pairs ?? []
            rules = try c.decodeIfPresent([Rule].self, forKey: .rules) ?? []
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(NameMap(pairs: columns), forKey: .columns)
            try c.encode(rules, forKey: .rules)
        }
    }

    /// A class of characters that `character_types` and `first_character_types` let through.
    public enum CharacterType: String, ConfigEnum, Codable, Sendable {
        /// Lower-case ASCII letters.
        case lowerCase = "a-z"
        /// Upper-case ASCII letters.
        case upperCase = "A-Z"
        /// ASCII digits.
        case digits = "0-9"

        /// Whether `scalar` belongs to the class.
        func contains(_ scalar: Unicode.Scalar) -> Bool {
            switch self {
            case .lowerCase: return ("a"..."z").contains(scalar)
            case .upperCase: return ("A"..."Z").contains(scalar)
            case .digits: return ("0"..."9").contains(scalar)
            }
        }
    }

    /// One renaming rule of `rules`, selected by its `rule:` key.
    public enum Rule: Codable, Sendable, Equatable {
        /// `character_types`: replaces every character outside the passed types and characters.
        case characterTypes(CharacterTypes)
        /// `first_character_types`: prefixes or replaces a first character outside the passed types and characters.
        case firstCharacterTypes(FirstCharacterTypes)
        /// `lower_to_upper`: upper-cases the names.
        case lowerToUpper
        /// `upper_to_lower`: lower-cases the names.
        case upperToLower
        /// `regex_replace`: replaces every match of a regular expression.
        case regexReplace(RegexReplace)
        /// `truncate`: cuts names to a maximum length.
        case truncate(Truncate)
        /// `unique_number_suffix`: makes names unique by appending numbers to repeated ones.
        case uniqueNumberSuffix(UniqueNumberSuffix)

        /// The rule names, as written in configs.
        static let names = [
            "character_types", "first_character_types", "lower_to_upper", "upper_to_lower", "regex_replace",
            "truncate", "unique_number_suffix",
        ]

        enum CodingKeys: String, CodingKey {
            case rule
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let name = try c.decode(String.self, forKey: .rule)
            switch name {
            case "character_types": self = .characterTypes(try CharacterTypes(from: decoder))
            case "first_character_types": self = .firstCharacterTypes(try FirstCharacterTypes(from: decoder))
            case "lower_to_upper": self = .lowerToUpper
            case "upper_to_lower": self = .upperToLower
            case "regex_replace": self = .regexReplace(try RegexReplace(from: decoder))
            case "truncate": self = .truncate(try Truncate(from: decoder))
            case "unique_number_suffix": self = .uniqueNumberSuffix(try UniqueNumberSuffix(from: decoder))
            default:
                throw ConfigError(
                    at: c.codingPath, CodingKeys.rule, "'\(name)' is not a renaming rule",
                    fix: (nearest(name, in: Rule.names).map { "did you mean '\($0)'? " } ?? "")
                        + "valid rules: \(Rule.names.joined(separator: ", "))")
            }
        }

        /// The rule's name, as written in configs.
        public var name: String {
            switch self {
            case .characterTypes: return "character_types"
            case .firstCharacterTypes: return "first_character_types"
            case .lowerToUpper: return "lower_to_upper"
            case .upperToLower: return "upper_to_lower"
            case .regexReplace: return "regex_replace"
            case .truncate: return "truncate"
            case .uniqueNumberSuffix: return "unique_number_suffix"
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .rule)
            switch self {
            case .characterTypes(let r): try r.encode(to: encoder)
            case .firstCharacterTypes(let r): try r.encode(to: encoder)
            case .regexReplace(let r): try r.encode(to: encoder)
            case .truncate(let r): try r.encode(to: encoder)
            case .uniqueNumberSuffix(let r): try r.encode(to: encoder)
            case .lowerToUpper, .upperToLower: break
            }
        }
    }

    /// The options of the `character_types` rule.
    public struct CharacterTypes: Codable, Sendable, Equatable {
        /// Character classes kept as they are: `a-z`, `A-Z`, `0-9` (default: none).
        public var passTypes: [CharacterType]
        /// Further characters kept as they are (default: empty).
        public var passCharacters: String
        /// The single character that replaces every other character (default: `_`).
        public var replace: String

        enum CodingKeys: String, CodingKey {
            case passTypes = "pass_types"
            case passCharacters = "pass_characters"
            case replace
        }

        public init(passTypes: [CharacterType] = [], passCharacters: String = "", replace: String = "_") {
            self.passTypes = passTypes
            self.passCharacters = passCharacters
            self.replace = replace
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            passTypes = try c.decodeIfPresent([CharacterType].self, forKey: .passTypes) ?? []
            passCharacters = try c.decodeIfPresent(String.self, forKey: .passCharacters) ?? ""
            replace = try c.decodeIfPresent(String.self, forKey: .replace) ?? "_"
            try requireOneCharacter(replace, at: c.codingPath, CodingKeys.replace)
        }
    }

    /// The options of the `first_character_types` rule; exactly one of `prefix` and `replace` is required.
    public struct FirstCharacterTypes: Codable, Sendable, Equatable {
        /// Character classes allowed first: `a-z`, `A-Z`, `0-9` (default: none).
        public var passTypes: [CharacterType]
        /// Further characters allowed first (default: empty).
        public var passCharacters: String
        /// The single character put before a disallowed first character (default: none).
        public var prefix: String?
        /// The single character that replaces a disallowed first character (default: none).
        public var replace: String?

        enum CodingKeys: String, CodingKey {
            case passTypes = "pass_types"
            case passCharacters = "pass_characters"
            case prefix, replace
        }

        public init(passTypes: [CharacterType] = [], passCharacters: String = "", prefix: String? = nil, replace: String? = nil) {
            self.passTypes = passTypes
            self.passCharacters = passCharacters
            self.prefix = prefix
            self.replace = replace
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            passTypes = try c.decodeIfPresent([CharacterType].self, forKey: .passTypes) ?? []
            passCharacters = try c.decodeIfPresent(String.self, forKey: .passCharacters) ?? ""
            prefix = try c.decodeIfPresent(String.self, forKey: .prefix)
            replace = try c.decodeIfPresent(String.self, forKey: .replace)
            switch (prefix, replace) {
            case (nil, nil):
                throw ConfigError(
                    at: c.codingPath, nil, "the rule 'first_character_types' needs 'prefix' or 'replace'",
                    fix: "add 'prefix: \"_\"' to put a character before a disallowed first character, or 'replace: \"_\"' to replace it")
            case (.some, .some):
                throw ConfigError(
                    at: c.codingPath, CodingKeys.replace, "'prefix' and 'replace' cannot be used together",
                    fix: "keep only one of them")
            case (let p?, nil): try requireOneCharacter(p, at: c.codingPath, CodingKeys.prefix)
            case (nil, let r?): try requireOneCharacter(r, at: c.codingPath, CodingKeys.replace)
            }
        }
    }

    /// The options of the `regex_replace` rule.
    public struct RegexReplace: Codable, Sendable, Equatable {
        /// The regular expression (ICU syntax, close to Java's), required.
        public var match: String
        /// The replacement; `$1` refers to a capture group and `\$` is a literal dollar sign, required.
        public var replace: String

        enum CodingKeys: String, CodingKey {
            case match, replace
        }

        public init(match: String, replace: String) {
            self.match = match
            self.replace = replace
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            match = try c.decode(String.self, forKey: .match)
            replace = try c.decodeIfPresent(String.self, forKey: .replace) ?? ""
            guard c.contains(.replace) else {
                throw ConfigError(
                    at: c.codingPath, nil, "missing required key 'replace'",
                    fix: "add 'replace: …' (use \"\" to delete what 'match' finds)")
            }
            do {
                _ = try NSRegularExpression(pattern: match)
            } catch {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.match, "'\(match)' is not a valid regular expression",
                    fix: "check the brackets and escapes (a literal '.' or '(' needs a backslash)")
            }
        }
    }

    /// The options of the `truncate` rule.
    public struct Truncate: Codable, Sendable, Equatable {
        /// The maximum number of characters of a name (default: 128).
        public var maxLength: Int

        enum CodingKeys: String, CodingKey {
            case maxLength = "max_length"
        }

        public init(maxLength: Int = 128) { self.maxLength = maxLength }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength) ?? 128
            guard maxLength >= 1 else {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.maxLength, "max_length must be at least 1, got \(maxLength)",
                    fix: "set a positive length")
            }
        }
    }

    /// The options of the `unique_number_suffix` rule.
    public struct UniqueNumberSuffix: Codable, Sendable, Equatable {
        /// The single non-digit character between a name and its number (default: `_`).
        public var delimiter: String
        /// The minimum number of digits of the number, zero-padded (default: no padding).
        public var digits: Int?
        /// The maximum length of a name, at least 8; longer names are cut before the suffix (default: no limit).
        public var maxLength: Int?
        /// The first number tried for a repeated name (default: 1, so the second `c` becomes `c_2`).
        public var offset: Int

        enum CodingKeys: String, CodingKey {
            case delimiter, digits
            case maxLength = "max_length"
            case offset
        }

        public init(delimiter: String = "_", digits: Int? = nil, maxLength: Int? = nil, offset: Int = 1) {
            self.delimiter = delimiter
            self.digits = digits
            self.maxLength = maxLength
            self.offset = offset
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            delimiter = try c.decodeIfPresent(String.self, forKey: .delimiter) ?? "_"
            digits = try c.decodeIfPresent(Int.self, forKey: .digits)
            maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength)
            offset = try c.decodeIfPresent(Int.self, forKey: .offset) ?? 1
            guard delimiter.count == 1, !delimiter.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.delimiter, "delimiter must be exactly one non-digit character",
                    fix: "use a character such as '_' or '-'")
            }
            guard offset >= 0 else {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.offset, "offset must not be negative, got \(offset)",
                    fix: "use 0 or a positive number")
            }
            if let maxLength, maxLength < 8 {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.maxLength, "max_length must be at least 8, got \(maxLength)",
                    fix: "set max_length to 8 or more")
            }
            if let maxLength, let digits, maxLength < digits + 1 {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.maxLength, "max_length (\(maxLength)) must leave room for the delimiter and \(digits) digits",
                    fix: "raise max_length or lower digits")
            }
        }
    }
}

/// Throws unless `text` is exactly one character.
private func requireOneCharacter(_ text: String, at path: [CodingKey], _ key: CodingKey) throws {
    guard text.count == 1 else {
        throw ConfigError(
            at: path, key, "'\(key.stringValue)' must be exactly one character, got '\(text)'",
            fix: "use a single character such as '_'")
    }
}

/// A mapping of names to names that keeps the order it was written in.
struct NameMap: Codable {
    var pairs: [(old: String, new: String)]

    init(pairs: [(old: String, new: String)]) { self.pairs = pairs }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: NameKey.self)
        pairs = try c.allKeys.map { ($0.stringValue, try c.decode(String.self, forKey: $0)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: NameKey.self)
        for (old, new) in pairs { try c.encode(new, forKey: NameKey(stringValue: old)) }
    }
}

/// A coding key for names chosen by the user (column names).
struct NameKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
