import KuraBuiltins
import KuraCore
import XCTest

@testable import KuraRuntime

/// Every built-in plugin's example config (shown by `kura plugins --markdown`) is valid for that plugin.
final class PluginExampleTests: XCTestCase {
    func testEveryExampleConfigIsAcceptedByItsPlugin() throws {
        let context = PluginContext(workingDirectory: "/", sessionTime: Timestamp(nanos: 0), logger: .silent, isDryRun: true)
        XCTAssertGreaterThanOrEqual(BuiltinPlugins.descriptors.count, 15)
        for d in BuiltinPlugins.descriptors {
            let node = try ConfigLoader(environment: [:]).parse(yaml: d.example, file: "\(d.kind)-\(d.name) example")
            XCTAssertEqual(node["type"]?.scalarText ?? (node["type"]?.isNull == true ? "null" : nil), d.name, "\(d.kind) \(d.name)")
            let config = PluginConfig(
                node: node.removing("type").removing("decoders").removing("parser").removing("formatter").removing("encoders"),
                path: "example")
            do {
                switch d.factory {
                case .input(let make): _ = try make(config, context)
                case .decoder(let make): _ = try make(config)
                case .parser(let make): _ = try make(config)
                case .filter(let make): _ = try make(config)
                case .formatter(let make): _ = try make(config)
                case .encoder(let make): _ = try make(config)
                case .output(let make): _ = try make(config, context)
                case .fileOutput(let make): _ = try make(config, context)
                }
            } catch {
                XCTFail("the example of \(d.kind) '\(d.name)' is rejected: \(error)")
            }
        }
    }

    func testRegistryNamesAreUniquePerKind() {
        var seen = Set<String>()
        for d in BuiltinPlugins.descriptors {
            XCTAssertTrue(seen.insert("\(d.kind)/\(d.name)").inserted, "\(d.kind) \(d.name) is registered twice")
            XCTAssertFalse(d.summary.isEmpty)
        }
    }
}
