import KuraCore
import KuraExpressions
import KuraFormats

/// The `row` filter: keeps the rows that match `where` (a boolean expression) or `conditions`, as Embulk's
/// `embulk-filter-row` does; the rows it drops count as filtered.
///
/// The condition is parsed and type-checked at plan time and evaluated a page at a time.
public final class RowFilterPlugin: FilterPlugin {
    /// The registry entry of the filter.
    public static let descriptor = PluginDescriptor(
        name: "row",
        summary: "Keeps the rows matching a where: expression or a list of conditions; dropped rows count as filtered.",
        example: """
            type: row
            where: |-
              (event_type = 'purchase' AND price >= 10.0)
              OR country START_WITH 'J'
            """,
        factory: .filter { config in try RowFilterPlugin(config: config) })

    /// The decoded options.
    public let options: Options
    let config: PluginConfig?
    let zone: ZoneRule

    /// Creates the filter from its config section.
    public init(config: PluginConfig) throws {
        self.options = try config.decode(Options.self)
        self.config = config
        self.zone = try Self.zone(options.defaultTimezone, config)
    }

    static func zone(_ name: String, _ config: PluginConfig?) throws -> ZoneRule {
        do {
            return try ZoneRule.resolve(name)
        } catch {
            throw config?.error("default_timezone", "'\(name)' is not a time zone: \(error)", fix: "use an IANA name such as Asia/Tokyo")
                ?? ConfigError(path: "default_timezone", "'\(name)' is not a time zone")
        }
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        _ = try compile(input)
        return input
    }

    public func makeFilter(input: Schema) throws -> PageFilter {
        RowSelection(try compile(input))
    }

    /// The condition, compiled against `input`.
    func compile(_ input: Schema) throws -> CompiledExpression {
        let compiler = ExpressionCompiler(schema: input, zone: zone)
        if let text = options.where {
            do {
                return try compiler.compile(text, as: .boolean)
            } catch {
                throw error.configError(config, key: "where", expression: text)
            }
        }
        let parts = try (options.conditions ?? []).enumerated().map { try conditionExpr($0.element, index: $0.offset, input) }
        guard var combined = parts.first else { return try compiler.compile(.boolean(true, at: 0), text: "") }
        for p in parts.dropFirst() { combined = .binary(options.condition == .and ? .and : .or, combined, p, at: 0) }
        do {
            return try compiler.compile(combined, text: "", as: .boolean)
        } catch {
            throw configError("conditions", error.message, fix: error.fix)
        }
    }

    func configError(_ key: String, _ message: String, fix: String? = nil) -> ConfigError {
        config?.error(key, message, fix: fix) ?? ConfigError(path: key, message, fix: fix)
    }
}

/// Drops the rows a compiled condition is not true for.
final class RowSelection: PageFilter {
    let condition: CompiledExpression
    var keep: [Bool] = []
    init(_ condition: CompiledExpression) { self.condition = condition }

    func filter(_ page: Page) throws -> Page {
        try condition.select(page, into: &keep)
        return page.keeping(keep)
    }
}
