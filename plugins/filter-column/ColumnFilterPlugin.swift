import KuraCore
import KuraExpressions
import KuraFormats

/// The `column` filter: keeps, orders, copies, adds and drops columns, as Embulk's `embulk-filter-column` does,
/// with defaults for nulls, members lifted out of json columns by JSONPath, members kept, added and dropped inside
/// json columns by JSONPath names, and columns computed by typed expressions (`expr`).
///
/// Kept and copied columns share the input page's buffers; only defaults, constants, lifted members, edited json
/// columns and expressions produce new values.
public final class ColumnFilterPlugin: FilterPlugin {
    /// The registry entry of the filter.
    public static let descriptor = PluginDescriptor(
        name: "column",
        summary: "Keeps, orders, copies, adds and drops columns and json members; defaults for nulls, typed expressions.",
        example: """
            type: column
            columns:
              - {name: id}
              - {name: event_time}
              - {name: price, default: 0.0}
              - {name: user_hash, expr: "sha256(string(user_id))"}
              - {name: browser, src: "$.attributes.browser", type: string}
              - {name: attributes}
              - {name: "$.attributes.browser"}
              - {name: "$.attributes.items[*].sku"}
            add_columns:
              - {name: source, type: string, default: web}
              - {name: day, expr: "date_trunc('day', event_time, 'Asia/Tokyo')"}
              - {name: "$.attributes.channel", type: string, default: web}
            """,
        factory: .filter { config in try ColumnFilterPlugin(config: config) })

    /// Where an output column's values come from.
    enum Source {
        /// An input column, shared as it is.
        case copy(Int)
        /// An input column whose nulls become `default`.
        case copyWithDefault(Int, Value)
        /// The same value in every row.
        case constant(Value)
        /// A typed expression (compiled per task), with where it is written for errors.
        case expression(String, key: String, type: ColumnType?)
        /// A member of json (or string) column `column`, read as the output column's type; null becomes `default`.
        case member(column: Int, path: JSONPath, default: Value?, parser: TimestampParser?)
    }

    /// One output column and its source.
    struct Output {
        var name: String
        var type: ColumnType
        var source: Source
    }

    /// The decoded options.
    public let options: Options
    let config: PluginConfig?
    let zone: ZoneRule

    /// Creates the filter from its config section.
    public init(config: PluginConfig) throws {
        self.options = try config.decode(Options.self)
        self.config = config
        do {
            zone = try ZoneRule.resolve(options.defaultTimezone)
        } catch {
            throw config.error("default_timezone", "'\(options.defaultTimezone)' is not a time zone: \(error)", fix: "use an IANA name such as Asia/Tokyo")
        }
    }

    func error(_ key: String, _ message: String, fix: String? = nil) -> ConfigError {
        config?.error(key, message, fix: fix) ?? ConfigError(path: key, message, fix: fix)
    }

    public func outputSchema(for input: Schema) throws -> Schema {
        let outputs = try plan(input)
        _ = try memberEdits(outputs)
        let compiler = ExpressionCompiler(schema: input, zone: zone)
        var columns: [(name: String, type: ColumnType)] = []
        for o in outputs {
            if case .expression(let text, let key, let type) = o.source {
                columns.append((o.name, try compile(text, key: key, type: type, compiler).type))
            } else {
                columns.append((o.name, o.type))
            }
        }
        return Schema(columns)
    }

    public func makeFilter(input: Schema) throws -> PageFilter {
        let outputs = try plan(input)
        let compiler = ExpressionCompiler(schema: input, zone: zone)
        var expressions: [CompiledExpression?] = []
        var columns: [(name: String, type: ColumnType)] = []
        for o in outputs {
            if case .expression(let text, let key, let type) = o.source {
                let e = try compile(text, key: key, type: type, compiler)
                expressions.append(e)
                columns.append((o.name, e.type))
            } else {
                expressions.append(nil)
                columns.append((o.name, o.type))
            }
        }
        let editors = try memberEdits(outputs).mapValues(JSONEditor.init)
        return ColumnProjection(schema: Schema(columns), outputs: outputs, expressions: expressions, editors: editors)
    }

    func compile(_ text: String, key: String, type: ColumnType?, _ compiler: ExpressionCompiler) throws -> CompiledExpression {
        do {
            return try compiler.compile(text, as: type)
        } catch {
            throw error.configError(config, key: key, expression: text)
        }
    }
}

/// Builds each page's output columns from their sources.
final class ColumnProjection: PageFilter {
    let schema: Schema
    let outputs: [ColumnFilterPlugin.Output]
    let expressions: [CompiledExpression?]
    var constants: [Int: ColumnVector] = [:]
    let members: MemberReader
    /// The member edits of json output columns, by output position.
    let editors: [Int: JSONEditor]

    init(schema: Schema, outputs: [ColumnFilterPlugin.Output], expressions: [CompiledExpression?], editors: [Int: JSONEditor]) {
        self.schema = schema
        self.outputs = outputs
        self.expressions = expressions
        self.members = MemberReader(outputs)
        self.editors = editors
    }

    func filter(_ page: Page) throws -> Page {
        var vectors: [ColumnVector] = []
        vectors.reserveCapacity(outputs.count)
        let lifted = try members.read(page)
        for (o, output) in outputs.enumerated() {
            switch output.source {
            case .copy(let c): vectors.append(page.columns[c])
            case .copyWithDefault(let c, let value): vectors.append(page.columns[c].replacingNulls(with: value, rows: page.rowCount))
            case .constant(let value):
                if let v = constants[o], v.count == page.rowCount {
                    vectors.append(v)
                } else {
                    let v = ColumnVector(type: output.type).replacingNulls(with: value, rows: page.rowCount)
                    constants[o] = v
                    vectors.append(v)
                }
            case .expression: vectors.append(try expressions[o]!.evaluate(page).columnVector)
            case .member: vectors.append(lifted[o]!)
            }
        }
        for (o, editor) in editors { vectors[o] = editor.apply(vectors[o], rows: page.rowCount) }
        return Page(schema: schema, columns: vectors, rowCount: page.rowCount)
    }
}

extension ColumnVector {
    /// This vector of `rows` rows (an empty vector counts as all null) with its nulls set to `value`.
    func replacingNulls(with value: Value, rows: Int) -> ColumnVector {
        var v = ColumnVector(type: type, capacity: rows)
        let allNull = validity.isEmpty
        var bytesOfValue: [UInt8] = []
        if case .string(let s) = value { bytesOfValue = Array(s.utf8) } else if case .json(let s) = value { bytesOfValue = Array(s.utf8) }
        for r in 0..<rows {
            let present = !allNull && validity[r]
            v.validity.append(present || value != .null)
            switch (type, value) {
            case (.boolean, _):
                if case .boolean(let b) = value { v.booleans.append(present ? booleans[r] : b) } else { v.booleans.append(present ? booleans[r] : false) }
            case (.long, _), (.timestamp, _):
                var d: Int64 = 0
                if case .long(let x) = value { d = x } else if case .timestamp(let t) = value { d = t.nanos }
                v.integers.append(present ? integers[r] : d)
            case (.double, _):
                if case .double(let x) = value { v.doubles.append(present ? doubles[r] : x) } else { v.doubles.append(present ? doubles[r] : 0) }
            case (.string, _), (.json, _):
                if present {
                    v.bytes.append(contentsOf: bytes[offsets[r]..<offsets[r + 1]])
                } else {
                    v.bytes.append(contentsOf: bytesOfValue)
                }
                v.offsets.append(v.bytes.count)
            }
        }
        return v
    }
}
