import Foundation
import KuraCore
import Yams

/// How `kura run --dry-run` prints a plan.
public enum PlanFormat: String, CaseIterable, Sendable {
    /// YAML, keys in the plan's order (the default).
    case yaml
    /// JSON, indented, keys sorted.
    case json

    /// `plan` with its secrets hidden, as text in this format (ending with a line break).
    public func render(_ plan: LoadPlan) throws -> String {
        let shown = plan.redacted()
        switch self {
        case .yaml:
            let text = try YAMLEncoder().encode(shown)
            return text.hasSuffix("\n") ? text : text + "\n"
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(shown), as: UTF8.self) + "\n"
        }
    }
}
