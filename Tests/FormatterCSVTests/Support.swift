import KuraCore

/// A scalar config node.
func s(_ text: String) -> ConfigNode { .scalar(text) }

/// A mapping config node from ordered pairs.
func m(_ pairs: (String, ConfigNode)...) -> ConfigNode { .mapping(pairs) }

/// A sequence config node.
func l(_ items: ConfigNode...) -> ConfigNode { ConfigNode(.sequence(items)) }

/// A sequence of scalars.
func strings(_ items: String...) -> ConfigNode { ConfigNode(.sequence(items.map { .scalar($0) })) }

/// A config section at `out.formatter`.
func section(_ node: ConfigNode) -> PluginConfig { PluginConfig(node: node, path: "out.formatter") }

/// A schema of string columns called `names`.
func stringSchema(_ names: [String]) -> Schema { Schema(names.map { ($0, ColumnType.string) }) }

/// A page of `schema` holding `rows`.
func page(_ schema: Schema, _ rows: [[Value]]) -> Page {
    var b = PageBuilder(schema: schema)
    for row in rows {
        for (c, v) in row.enumerated() { b.set(c, v) }
        b.finishRecord()
    }
    return b.build()
}

/// The rows of `page` as boxed values.
func rows(_ page: Page) -> [[Value]] {
    (0..<page.rowCount).map { r in (0..<page.schema.count).map { page.value(row: r, column: $0) } }
}

/// The error thrown by `body`, as a `ConfigError`, or nil.
func configError(_ body: () throws -> Void) -> ConfigError? {
    do {
        try body()
        return nil
    } catch let e as ConfigError {
        return e
    } catch {
        return ConfigError(path: "?", "unexpected error \(error)")
    }
}
