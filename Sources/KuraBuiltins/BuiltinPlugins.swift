import KuraCore
import ParserCSV

/// Every built-in plugin, in one explicit list: `kura plugins` and the docs are generated from it.
public enum BuiltinPlugins {
    /// The descriptors, by kind.
    public static let descriptors: [PluginDescriptor] = [
        CSVParserPlugin.descriptor,
    ]

    /// The registry of built-ins (traps on a duplicate kind and name).
    public static let registry = PluginRegistry(descriptors)
}
