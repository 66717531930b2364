import Foundation
import KuraCore
import KuraFormats

/// The type of a target column as the encoder sees it: PostgreSQL's type name (`pg_type.typname`, such as `int4`
/// or `timestamptz`) and its display form (`format_type`, such as `integer` or `character(2)`).
struct TargetType: Equatable, Sendable {
    /// The internal type name, such as `int4`.
    var name: String
    /// The SQL form, such as `integer`.
    var display: String

    /// Whether the type's binary form is the UTF-8 text itself (`text`, `varchar`, `bpchar`, `name`, `json`).
    var isTextual: Bool { ["text", "varchar", "bpchar", "name", "json", "citext"].contains(name) }
}

/// How one record column is written into COPY data for its target column.
struct FieldEncoder: Sendable {
    /// The value's representation.
    enum Kind: Sendable {
        /// A long as a 2-, 4- or 8-byte integer; 2 and 4 are range-checked.
        case int2, int4, int8
        /// A long or double as a 4- or 8-byte float.
        case float4, float8
        /// A boolean as one byte.
        case bool
        /// The bytes of a string or json value as they are.
        case bytes
        /// An instant as microseconds since 2000-01-01 UTC (`timestamptz`).
        case timestamptz
        /// An instant as the wall-clock time in a zone, in microseconds since 2000-01-01 (`timestamp`).
        case timestamp(ZoneRule)
        /// An instant as the day in a zone, in days since 2000-01-01 (`date`).
        case date(ZoneRule)
        /// A long as decimal digits.
        case longText
        /// A double as its shortest exact text (`NaN`, `Infinity` as PostgreSQL writes them).
        case doubleText
        /// A boolean as `true` or `false`.
        case boolText
        /// An instant formatted with a strftime-style format.
        case timestampText(TimestampFormatter)
    }

    /// The record column's name (for messages).
    var column: String
    /// The record column's kind.
    var source: ColumnType
    /// The representation.
    var kind: Kind
    /// The target column's type.
    var target: TargetType
    /// Whether the binary COPY format can carry the value (false when the server must parse text, as for
    /// `numeric` or a string into an `integer` column).
    var binary: Bool
    /// Whether the binary form starts with jsonb's version byte (1).
    var jsonbVersion: Bool

    /// The encoder for a record column of kind `source` going into a column of type `target`, or `nil` when the
    /// kinds do not fit (a type change the user must resolve).
    static func make(
        column: String, source: ColumnType, target: TargetType, option: PostgreSQLOutputPlugin.ColumnOption?,
        defaultZone: ZoneRule
    ) throws -> FieldEncoder? {
        let zone = option?.timezone.flatMap(ZoneRule.init(name:)) ?? defaultZone
        let jsonb = target.name == "jsonb"
        func make(_ kind: Kind, binary: Bool = true) -> FieldEncoder {
            FieldEncoder(column: column, source: source, kind: kind, target: target, binary: binary, jsonbVersion: jsonb)
        }
        func formatted() throws -> Kind {
            .timestampText(
                try TimestampFormatter(format: option?.timestampFormat ?? TimestampFormatter.defaultFormat, zone: zone.name))
        }
        let textual = target.isTextual || jsonb
        if option?.sendsText == true {
            // The server converts the text; no compatibility check.
            switch source {
            case .long: return make(.longText, binary: textual)
            case .double: return make(.doubleText, binary: textual)
            case .boolean: return make(.boolText, binary: textual)
            case .string, .json: return make(.bytes, binary: textual)
            case .timestamp: return make(try formatted(), binary: textual)
            }
        }
        switch (source, target.name) {
        case (.long, "int8"): return make(.int8)
        case (.long, "int4"): return make(.int4)
        case (.long, "int2"): return make(.int2)
        case (.long, "float8"): return make(.float8)
        case (.long, "numeric"): return make(.longText, binary: false)
        case (.long, _) where textual: return make(.longText)
        case (.double, "float8"): return make(.float8)
        case (.double, "float4"): return make(.float4)
        case (.double, "numeric"): return make(.doubleText, binary: false)
        case (.double, _) where textual: return make(.doubleText)
        case (.boolean, "bool"): return make(.bool)
        case (.boolean, _) where textual: return make(.boolText)
        case (.string, _) where textual: return make(.bytes)
        case (.string, _): return make(.bytes, binary: false)  // numbers, uuid, dates…: the server parses the text
        case (.json, _) where textual: return make(.bytes)
        case (.timestamp, "timestamptz"): return make(.timestamptz)
        case (.timestamp, "timestamp"): return make(.timestamp(zone))
        case (.timestamp, "date"): return make(.date(zone))
        case (.timestamp, _) where target.isTextual: return make(try formatted())
        default: return nil
        }
    }
}

/// Microseconds between 1970-01-01 and 2000-01-01, PostgreSQL's epoch.
let postgresEpochMicros: Int64 = 946_684_800_000_000
/// Days between 1970-01-01 and 2000-01-01.
let postgresEpochDays: Int64 = 10_957

/// Nanoseconds to microseconds, rounded toward negative infinity (so every instant maps to the microsecond that
/// contains it, before and after 1970 alike).
@inline(__always) func floorMicros(_ nanos: Int64) -> Int64 {
    nanos >= 0 ? nanos / 1000 : -((-(nanos &+ 1)) / 1000) - 1
}
