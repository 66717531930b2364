import KuraCore
import KuraTestSupport

/// A filter's config section at `filters[0]`.
func section(_ node: ConfigNode) -> PluginConfig { PluginConfig(node: node, path: "filters[0]") }
