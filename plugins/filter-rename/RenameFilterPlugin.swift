import Foundation
import KuraCore

/// The `rename` filter: changes column names, by an explicit map and by rules, as Embulk's `rename` filter does.
///
/// Only the schema changes: pages pass through with the new schema over the same column vectors, so the filter
/// costs nothing per record.
public final class RenameFilterPlugin: FilterPlugin {
    /// The registry entry of the filter.
    public static let descriptor = PluginDescriptor(
        name: "rename",
        summary: "Renames columns by a map of old to new names and by rules (character types, case, regex, truncate, unique suffix).",
        example: """
            type: rename
            columns:
              "User ID": user_id
            rules:
            - rule: upper_to_lower
            - rule: character_types
              pass_types: ["a-z", "0-9"]
              pass_characters: "_"
            - rule: first_character_types
              pass_types: ["a-z"]
              prefix: "_"
            - rule: truncate
              max_length: 63
            - rule: unique_number_suffix
            """,
        factory: .filter { config in try RenameFilterPlugin(config: config) })

    /// The decoded options.
    public let options: Options
    let config: PluginConfig?

    /// Creates the filter from its config section.
    public init(config: PluginConfig) throws {
        self.options = try config.decode(Options.self)
        self.config = config
    }

    /// Creates the filter from options (errors are then located at `filters[]`).
    public init(options: Options) {
        self.options = options
        self.config = nil
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        var names = try renameByMap(input)
        for (i, rule) in options.rules.enumerated() {
            names = try apply(rule, to: names, at: "rules[\(i)]")
        }
        try checkUnique(names, input: input)
        return Schema(columns: zip(input.columns, names).map { Column(index: $0.index, name: $1, type: $0.type) })
    }

    public func makeFilter(input: Schema) throws -> PageFilter {
        PassThrough(schema: try outputSchema(for: input))
    }

    /// Passes pages through under the renamed schema.
    final class PassThrough: PageFilter {
        let schema: Schema
        let indices: [Int]
        init(schema: Schema) {
            self.schema = schema
            self.indices = Array(0..<schema.count)
        }
        func filter(_ page: Page) throws -> Page { page.projecting(indices, as: schema) }
    }

    // MARK: - Renaming

    func error(_ key: String, _ message: String, fix: String? = nil) -> ConfigError {
        if let config { return config.error(key, message, fix: fix) }
        return ConfigError(path: key, message, fix: fix)
    }

    func renameByMap(_ input: Schema) throws -> [String] {
        var map: [String: String] = [:]
        for (old, new) in options.columns {
            guard input.index(of: old) != nil else {
                throw error(
                    "columns.\(old)", "column '\(old)' does not exist in the input schema",
                    fix: nearest(old, in: input.names).map { "did you mean '\($0)'?" }
                        ?? "the input columns are: \(input.names.joined(separator: ", "))")
            }
            map[old] = new
        }
        return input.names.map { map[$0] ?? $0 }
    }

    func apply(_ rule: Rule, to names: [String], at path: String) throws -> [String] {
        switch rule {
        case .characterTypes(let r):
            let replacement = r.replace.unicodeScalars
            return names.map { name in
                var out = String.UnicodeScalarView()
                for s in name.unicodeScalars {
                    if passes(s, r.passTypes, r.passCharacters) { out.append(s) } else { out.append(contentsOf: replacement) }
                }
                return String(out)
            }
        case .firstCharacterTypes(let r):
            return names.map { name in
                guard let first = name.unicodeScalars.first, !passes(first, r.passTypes, r.passCharacters) else {
                    return name
                }
                if let prefix = r.prefix { return prefix + name }
                var rest = String.UnicodeScalarView(name.unicodeScalars.dropFirst())
                rest.insert(contentsOf: r.replace!.unicodeScalars, at: rest.startIndex)
                return String(rest)
            }
        case .lowerToUpper:
            return names.map { $0.uppercased() }
        case .upperToLower:
            return names.map { $0.lowercased() }
        case .regexReplace(let r):
            let regex: NSRegularExpression
            do {
                regex = try NSRegularExpression(pattern: r.match)
            } catch {
                throw self.error("\(path).match", "'\(r.match)' is not a valid regular expression")
            }
            return names.map { name in
                regex.stringByReplacingMatches(
                    in: name, range: NSRange(name.startIndex..., in: name), withTemplate: r.replace)
            }
        case .truncate(let r):
            return names.map { $0.count > r.maxLength ? String($0.prefix(r.maxLength)) : $0 }
        case .uniqueNumberSuffix(let r):
            return try uniqueNames(names, r, at: path)
        }
    }

    func passes(_ s: Unicode.Scalar, _ types: [CharacterType], _ characters: String) -> Bool {
        types.contains { $0.contains(s) } || characters.unicodeScalars.contains(s)
    }

    /// Makes `names` unique as Embulk does: names are fixed left to right; a name already taken on its left gets
    /// `delimiter` and the next number counted per original name, skipping numbers whose result is taken on the
    /// left or is an original name anywhere.
    func uniqueNames(_ names: [String], _ r: UniqueNumberSuffix, at path: String) throws -> [String] {
        let widest = String(names.count + r.offset - 1).count
        if let maxLength = r.maxLength, maxLength <= widest {
            throw error(
                "\(path).max_length", "max_length (\(maxLength)) must be longer than the widest number (\(widest) digits)",
                fix: "raise max_length")
        }
        if let digits = r.digits, digits <= widest {
            throw error(
                "\(path).digits",
                "digits (\(digits)) must be more than the digits of (number of columns + offset - 1), which is \(widest)",
                fix: "set digits to \(widest + 1) or more, or remove it")
        }
        let limit = r.maxLength ?? Int.max
        let originals = Set(names)
        var nextNumber: [String: Int] = [:]
        for n in names { nextNumber[n] = r.offset }
        var taken = Set<String>()
        var out: [String] = []
        out.reserveCapacity(names.count)
        for name in names {
            let cut = name.count > limit ? String(name.prefix(limit)) : name
            if !taken.contains(cut) {
                nextNumber[name]! += 1
                taken.insert(cut)
                out.append(cut)
                continue
            }
            var number = nextNumber[name]!
            var candidate: String
            repeat {
                var digits = String(number)
                if let width = r.digits, width > digits.count {
                    digits = String(repeating: "0", count: width - digits.count) + digits
                }
                let suffix = r.delimiter + digits
                candidate = name + suffix
                if candidate.count > limit { candidate = String(name.prefix(limit - suffix.count)) + suffix }
                number += 1
            } while taken.contains(candidate) || originals.contains(candidate)
            nextNumber[name] = number
            taken.insert(candidate)
            out.append(candidate)
        }
        return out
    }

    func checkUnique(_ names: [String], input: Schema) throws {
        var firstIndex: [String: Int] = [:]
        for (i, name) in names.enumerated() {
            if let j = firstIndex[name] {
                let a = input[j].name, b = input[i].name
                throw error(
                    options.rules.isEmpty ? "columns" : "rules",
                    "columns '\(a)' and '\(b)' would both be named '\(name)'",
                    fix: "rename one of them in 'columns', or add '- rule: unique_number_suffix' at the end of 'rules'")
            }
            firstIndex[name] = i
        }
    }
}
