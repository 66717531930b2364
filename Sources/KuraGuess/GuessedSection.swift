import KuraCore

/// A config section being completed: the seed's keys stay as written, guessed keys are appended and remembered.
struct GuessedSection {
    /// The section so far.
    var node: ConfigNode
    /// The keys guess added.
    var guessed: [String] = []

    init(_ seed: ConfigNode?) { node = seed.flatMap { $0.mappingEntries != nil ? $0 : nil } ?? .mapping([]) }

    /// The seed's (or an earlier guess's) value of `key`.
    subscript(key: String) -> ConfigNode? { node[key] }

    /// The user's text for `key`, when the seed set it.
    func user(_ key: String) -> String? { guessed.contains(key) ? nil : node[key]?.scalarText }

    /// Whether the seed set `key`.
    func isUserSet(_ key: String) -> Bool { node[key] != nil && !guessed.contains(key) }

    /// Sets `key` to `value` unless the seed set it.
    mutating func guess(_ key: String, _ value: ConfigNode) {
        if isUserSet(key) { return }
        node = node.setting(key, to: value)
        if !guessed.contains(key) { guessed.append(key) }
    }

    /// Sets `key` to the text `value` (quoted in YAML when `quoted`) unless the seed set it.
    mutating func guess(_ key: String, text value: String, quoted: Bool = false) {
        guess(key, ConfigNode(.scalar(value, quoted: quoted)))
    }

    /// Removes a guessed `key` again.
    mutating func unguess(_ key: String) {
        guard guessed.contains(key) else { return }
        node = node.removing(key)
        guessed.removeAll { $0 == key }
    }
}

extension ConfigNode {
    /// A quoted scalar (YAML `'…'`): text that must not be read as a number, null or boolean.
    static func quoted(_ text: String) -> ConfigNode { ConfigNode(.scalar(text, quoted: true)) }
}
