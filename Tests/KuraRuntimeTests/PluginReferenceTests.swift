import Foundation
import KuraBuiltins
import KuraCore
import KuraRuntime
import KuraTestSupport
import Testing

/// The committed reference pages in `docs/plugins/` are exactly what the built-ins generate: a changed option, default
/// or example fails here until the pages are written again.
@Suite struct PluginReferenceTests {
    static let directory = repositoryRoot + "/docs/plugins"
    static let fix = "run `swift run kura plugins --reference docs/plugins` and commit the pages"

    @Test func everyBuiltinPageIsUpToDate() throws {
        for d in BuiltinPlugins.descriptors {
            let path = Self.directory + "/" + PluginReference.fileName(d)
            let committed = try? String(contentsOfFile: path, encoding: .utf8)
            #expect(committed != nil, "\(path) is missing; \(Self.fix)")
            #expect(committed == (try PluginReference.page(d)), "\(path) is stale; \(Self.fix)")
        }
    }

    @Test func noPageIsLeftForAPluginThatIsGone() throws {
        let expected = Set(BuiltinPlugins.descriptors.map(PluginReference.fileName))
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasSuffix(".md") })
        #expect(present.subtracting(expected).isEmpty, "pages without a plugin: \(present.subtracting(expected).sorted()); \(Self.fix)")
    }

    @Test func pagesShowDecodedDefaults() throws {
        let csv = try #require(BuiltinPlugins.registry.descriptor(.parser, "csv"))
        let page = try PluginReference.page(csv)
        #expect(page.contains("# parser `csv`"))
        #expect(page.contains("max_quoted_size_limit:"))
        let gzip = try #require(BuiltinPlugins.registry.descriptor(.decoder, "gzip"))
        #expect(try PluginReference.page(gzip).contains("None."))
    }
}
