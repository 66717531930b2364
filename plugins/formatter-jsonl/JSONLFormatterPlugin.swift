import KuraCore
import KuraFormats

/// Formatter `jsonl`: one JSON object per record and line (JSON Lines), keyed by column name.
public final class JSONLFormatterPlugin: FormatterPlugin {
    public static let descriptor = PluginDescriptor(
        name: "jsonl",
        summary: "JSON Lines: one JSON object per record, keyed by column name, timestamps in ISO 8601 UTC",
        example: """
            type: jsonl
            newline: LF
            """,
        factory: .formatter { try JSONLFormatterPlugin(config: $0) })

    /// The decoded options.
    public let options: Options

    /// Creates the plugin from its config section.
    public init(config: PluginConfig) throws {
        options = try config.decode(Options.self)
    }

    public func makeFormatter(schema: Schema) throws -> PageFormatter {
        JSONLFormatter(newline: options.newline.bytes)
    }
}

/// Writes each page as JSON Lines, one sink call per page.
final class JSONLFormatter: PageFormatter {
    let newline: [UInt8]
    var buffer: [UInt8] = []

    init(newline: [UInt8]) {
        self.newline = newline
    }

    func begin(to sink: ByteSink) throws {}

    func format(_ page: Page, to sink: ByteSink) throws {
        buffer.removeAll(keepingCapacity: true)
        for row in 0..<page.rowCount {
            page.appendJSONObject(row: row, to: &buffer)
            buffer.append(contentsOf: newline)
        }
        if !buffer.isEmpty { try buffer.withUnsafeBytes { try sink($0) } }
    }

    func finish(to sink: ByteSink) throws {}
}
