import FilterColumn
import FilterRow
import KuraCore
import ParserCSV

/// A record sink that keeps the pages, so filter benchmarks time the filters over already parsed records.
final class PageCollector: RecordSink {
    var pages: [Page] = []
    func emit(_ page: Page) throws { pages.append(page) }
    func reject(_ error: DataError) throws {}
}

/// The filter workloads: the event sample parsed once, then run through filter chains.
enum FilterWorkloads {
    /// The typed event sample as pages.
    static func pages() throws -> [Page] {
        let plugin = try Workloads.csvPlugin(typed: true)
        let parser = try plugin.makeParser(for: Workloads.task, context: Workloads.context)
        let sink = PageCollector()
        try sample.csv.withUnsafeBytes { try parser.push($0, to: sink) }
        try parser.finish(to: sink)
        return sink.pages
    }

    /// The filters of a YAML-free config: each entry is (type, options).
    static func chain(_ filters: [(String, ConfigNode)], input: Schema) throws -> [PageFilter] {
        var schema = input
        var out: [PageFilter] = []
        for (type, node) in filters {
            let config = PluginConfig(node: node, path: "filters")
            let plugin: FilterPlugin = type == "row" ? try RowFilterPlugin(config: config) : try ColumnFilterPlugin(config: config)
            out.append(try plugin.makeFilter(input: schema))
            schema = try plugin.outputSchema(for: schema)
        }
        return out
    }

    static func columns(_ entries: [[(String, String)]]) -> ConfigNode {
        ConfigNode(.sequence(entries.map { ConfigNode.mapping($0.map { ($0.0, ConfigNode(.scalar($0.1, quoted: true))) }) }))
    }

    /// column (8 of 10 columns, a default for prices) + row (a condition every row meets).
    static let columnAndRow: [(String, ConfigNode)] = [
        ("column", .mapping([("columns", columns([
            [("name", "id")], [("name", "user_id")], [("name", "event_time")], [("name", "event_type")],
            [("name", "price"), ("default", "0.0")], [("name", "country")], [("name", "is_mobile")], [("name", "attributes")],
        ]))])),
        ("row", .mapping([("where", .scalar("price >= 0.0 AND country != 'ZZ'"))])),
    ]

    /// One expression column.
    static let expression: [(String, ConfigNode)] = [
        ("column", .mapping([("add_columns", columns([[("name", "price_with_tax"), ("expr", "coalesce(price, 0) * 1.1")]]))])),
    ]

    /// Runs `pages` through `filters`; returns the records that come out.
    @inline(never)
    static func run(_ pages: [Page], _ filters: [PageFilter]) throws -> Int {
        var rows = 0
        for page in pages {
            var p = page
            for f in filters { p = try f.filter(p) }
            rows += p.rowCount
        }
        return rows
    }
}
