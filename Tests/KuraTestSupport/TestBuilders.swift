import KuraCore

// Small builders shared by the plugin test targets.

/// A scalar config node.
public func s(_ text: String) -> ConfigNode { .scalar(text) }

/// A mapping config node from ordered pairs.
public func m(_ pairs: (String, ConfigNode)...) -> ConfigNode { .mapping(pairs) }

/// A sequence config node.
public func l(_ items: ConfigNode...) -> ConfigNode { ConfigNode(.sequence(items)) }

/// A sequence of scalars.
public func strings(_ items: String...) -> ConfigNode { ConfigNode(.sequence(items.map { .scalar($0) })) }

/// A schema of string columns called `names`.
public func stringSchema(_ names: [String]) -> Schema { Schema(names.map { ($0, ColumnType.string) }) }

/// A page of `schema` holding `rows`.
public func page(_ schema: Schema, _ rows: [[Value]]) -> Page {
    var b = PageBuilder(schema: schema)
    for row in rows {
        for (c, v) in row.enumerated() { b.set(c, v) }
        b.finishRecord()
    }
    return b.build()
}

/// The rows of `page` as boxed values.
public func rows(_ page: Page) -> [[Value]] {
    (0..<page.rowCount).map { r in (0..<page.schema.count).map { page.value(row: r, column: $0) } }
}

/// The error thrown by `body`, as a `ConfigError`, or nil.
public func configError(_ body: () throws -> Void) -> ConfigError? {
    do {
        try body()
        return nil
    } catch let e as ConfigError {
        return e
    } catch {
        return ConfigError(path: "?", "unexpected error \(error)")
    }
}
