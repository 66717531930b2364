import KuraCore

/// The `remove_columns` filter: drops columns by name (`remove`) or keeps only some (`keep`), as Embulk's
/// `remove_columns` filter does.
///
/// Pages keep their column vectors: the output page is a projection, with no copying of values.
public final class RemoveColumnsFilterPlugin: FilterPlugin {
    /// The registry entry of the filter.
    public static let descriptor = PluginDescriptor(
        name: "remove_columns",
        summary: "Removes columns by name, or keeps only the named ones.",
        example: """
            type: remove_columns
            remove: [password, internal_note]
            accept_unmatched_columns: false
            """,
        factory: .filter { config in try RemoveColumnsFilterPlugin(config: config) })

    /// The decoded options.
    public let options: Options
    let config: PluginConfig?

    /// Creates the filter from its config section.
    public init(config: PluginConfig) throws {
        self.options = try config.decode(Options.self)
        self.config = config
    }

    /// Creates the filter from options (errors are then located at the filter's own keys).
    public init(options: Options) {
        self.options = options
        self.config = nil
    }

    /// The positions of the input columns that the output keeps, in order.
    public func keptIndices(of input: Schema) throws -> [Int] {
        let (key, names) = options.remove.map { ("remove", $0) } ?? ("keep", options.keep ?? [])
        if !options.acceptUnmatchedColumns {
            for (i, name) in names.enumerated() where input.index(of: name) == nil {
                let message = "column '\(name)' does not exist in the input schema"
                let fix = (nearest(name, in: input.names).map { "did you mean '\($0)'? " } ?? "")
                    + "or set 'accept_unmatched_columns: true' to ignore names that are not there"
                throw config?.error("\(key)[\(i)]", message, fix: fix)
                    ?? ConfigError(path: "\(key)[\(i)]", message, fix: fix)
            }
        }
        let named = Set(names)
        let removing = options.remove != nil
        return input.columns.filter { named.contains($0.name) != removing }.map(\.index)
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        Schema(columns: try keptIndices(of: input).map { input[$0] })
    }

    public func makeFilter(input: Schema) throws -> PageFilter {
        let indices = try keptIndices(of: input)
        return Projection(indices: indices, schema: Schema(columns: indices.map { input[$0] }))
    }

    /// Picks the kept column vectors of each page.
    final class Projection: PageFilter {
        let indices: [Int]
        let schema: Schema
        init(indices: [Int], schema: Schema) {
            self.indices = indices
            self.schema = schema
        }
        func filter(_ page: Page) throws -> Page { page.projecting(indices, as: schema) }
    }
}
