import Foundation
import KuraCore

/// Finds out-of-process plugins: every `plugin.yml` one or two folders below `plugins/` in the working directory,
/// and below each folder of `KURA_PLUGIN_PATH` (colon-separated; a folder holding a `plugin.yml` itself counts too).
public enum ExternalPlugins {
    /// A plugin found, or a manifest that could not be read.
    public struct Found: Sendable {
        public var manifest: PluginManifest
        public var descriptor: PluginDescriptor
    }

    /// The manifests' paths, in search order (the working directory's `plugins/` first), without duplicates.
    public static func manifestPaths(workingDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var roots = [(workingDirectory as NSString).appendingPathComponent("plugins")]
        roots += (environment["KURA_PLUGIN_PATH"] ?? "").split(separator: ":").map(String.init)
        var paths: [String] = []
        let fm = FileManager.default
        for root in roots {
            var candidates = [(root as NSString).appendingPathComponent("plugin.yml")]
            for child in ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted() {
                let dir = (root as NSString).appendingPathComponent(child)
                candidates.append((dir as NSString).appendingPathComponent("plugin.yml"))
                for grandchild in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() {
                    candidates.append(((dir as NSString).appendingPathComponent(grandchild) as NSString).appendingPathComponent("plugin.yml"))
                }
            }
            for path in candidates where fm.fileExists(atPath: path) {
                let resolved = (path as NSString).standardizingPath
                if !paths.contains(resolved) { paths.append(resolved) }
            }
        }
        return paths
    }

    /// The plugins found; a manifest that cannot be read is an error naming it. A plugin whose kind and name are
    /// already taken (by a built-in or an earlier manifest) is an error too.
    public static func discover(
        workingDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment, taken: [PluginDescriptor]
    ) throws -> [Found] {
        var found: [Found] = []
        for path in manifestPaths(workingDirectory: workingDirectory, environment: environment) {
            let manifest = try PluginManifest(path: path)
            if taken.contains(where: { $0.kind == manifest.kind && $0.name == manifest.name })
                || found.contains(where: { $0.manifest.kind == manifest.kind && $0.manifest.name == manifest.name }) {
                throw ConfigError(
                    path: "name", file: path, "\(manifest.kind) '\(manifest.name)' is already defined",
                    fix: "give the plugin another name")
            }
            found.append(Found(manifest: manifest, descriptor: descriptor(for: manifest)))
        }
        return found
    }

    /// The registry entry of an external plugin.
    public static func descriptor(for manifest: PluginManifest) -> PluginDescriptor {
        let example = (["type: \(manifest.name)"] + manifest.options.map { name, option in
            "\(name): \(option.defaultValue?.scalarText ?? "…")   # \(option.type)\(option.required ? ", required" : "")\(option.description.isEmpty ? "" : ": " + option.description)"
        }).joined(separator: "\n")
        let factory: PluginFactory
        switch manifest.kind {
        case .input: factory = .input { config, _ in try ExternalInputPlugin(manifest: manifest, config: config) }
        case .output: factory = .output { config, _ in try ExternalOutputPlugin(manifest: manifest, config: config) }
        default: factory = .filter { config in try ExternalFilterPlugin(manifest: manifest, config: config) }
        }
        return PluginDescriptor(name: manifest.name, summary: manifest.summary, example: example, factory: factory)
    }

    /// The built-ins plus the plugins found from `workingDirectory`.
    public static func registry(builtins: [PluginDescriptor], workingDirectory: String) throws -> PluginRegistry {
        PluginRegistry(builtins + (try discover(workingDirectory: workingDirectory, taken: builtins)).map(\.descriptor))
    }
}
