import ArgumentParser
import KuraBuiltins
import Foundation
import KuraCore
import KuraRuntime

/// `kura plugins`: lists the built-in plugins.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "List the plugins by kind, with a one-line summary each; out-of-process plugins are marked external.")

    @Flag(name: .long, help: "Print Markdown with each plugin's example config.")
    var markdown = false

    @Option(name: .long, help: ArgumentHelp("Write one reference page per built-in plugin into DIR.", valueName: "DIR"))
    var reference: String?

    func run() throws {
        let builtins = BuiltinPlugins.descriptors
        if let reference {
            for path in try PluginReference.write(builtins, to: reference) { print(path) }
            return
        }
        let external = try ExternalPlugins.discover(workingDirectory: FileManager.default.currentDirectoryPath, taken: builtins)
        let all = builtins + external.map(\.descriptor)
        func marker(_ d: PluginDescriptor) -> String {
            guard let m = external.first(where: { $0.descriptor.kind == d.kind && $0.descriptor.name == d.name })?.manifest else { return "" }
            return " (external: \(m.path))"
        }
        if markdown {
            print("# kura plugins\n")
            for kind in PluginKind.allCases {
                let ds = all.filter { $0.kind == kind }
                if ds.isEmpty { continue }
                print("## \(kind)\n")
                for d in ds {
                    print("### \(kind) `\(d.name)`\(marker(d))\n\n\(d.summary.hasSuffix(".") ? d.summary : d.summary + ".")\n\n```yaml\n\(d.example)\n```\n")
                }
            }
            return
        }
        for kind in PluginKind.allCases {
            let ds = all.filter { $0.kind == kind }
            if ds.isEmpty { continue }
            print("\(kind):")
            let width = ds.map(\.name.count).max() ?? 0
            for d in ds {
                print("  " + d.name + String(repeating: " ", count: width - d.name.count) + "  " + d.summary + marker(d))
            }
        }
    }
}
