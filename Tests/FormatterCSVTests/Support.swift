import KuraCore
import KuraTestSupport

/// A config section at `out.formatter`.
func section(_ node: ConfigNode) -> PluginConfig { PluginConfig(node: node, path: "out.formatter") }
