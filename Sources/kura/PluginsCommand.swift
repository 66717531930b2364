import ArgumentParser
import KuraBuiltins
import KuraCore

/// `kura plugins`: lists the built-in plugins.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "List the built-in plugins by kind, with a one-line summary each.")

    @Flag(name: .long, help: "Print Markdown with each plugin's example config.")
    var markdown = false

    func run() throws {
        let all = BuiltinPlugins.descriptors
        if markdown {
            print("# kura plugins\n")
            for kind in PluginKind.allCases {
                let ds = all.filter { $0.kind == kind }
                if ds.isEmpty { continue }
                print("## \(kind)\n")
                for d in ds {
                    print("### \(kind) `\(d.name)`\n\n\(d.summary.hasSuffix(".") ? d.summary : d.summary + ".")\n\n```yaml\n\(d.example)\n```\n")
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
                print("  " + d.name + String(repeating: " ", count: width - d.name.count) + "  " + d.summary)
            }
        }
    }
}
