import KuraCore

/// Embulk's config diff: what the next run needs to continue where this one stopped (`in: {last_path: …}`).
public enum ConfigDiff {
    /// Overlays the diff's `in:` and `out:` keys on the config.
    public static func merge(_ diff: ConfigNode, into config: ConfigNode) -> ConfigNode {
        var result = config
        for section in ["in", "out"] {
            guard let d = diff[section]?.mappingEntries, var target = result[section] else { continue }
            for (k, v) in d { target = target.setting(k, to: v) }
            result = result.setting(section, to: target)
        }
        return result
    }

    /// The YAML text of a config diff.
    public static func render(input: [String: String]) -> String {
        var s = "in:"
        if input.isEmpty {
            s += " {}\n"
        } else {
            s += "\n"
            for (k, v) in input.sorted(by: { $0.key < $1.key }) {
                s += "  \(ConfigNode.scalar(k).yamlText): \(ConfigNode.scalar(v).yamlText)\n"
            }
        }
        return s + "out: {}\n"
    }
}
