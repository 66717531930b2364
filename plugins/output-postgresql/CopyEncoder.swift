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

/// Encodes pages into COPY data (binary or text format) in one growing buffer, handing it to `flush` each time it
/// passes `flushSize` bytes.
///
/// The binary format: an 11-byte signature, a 32-bit flags word and a 32-bit header-extension length; per row a
/// 16-bit field count, then per field a 32-bit length (−1 for NULL) and the value in network byte order; a 16-bit
/// −1 ends the data. The text format: fields separated by tabs, rows ended by newlines, NULL as `\N`, and
/// backslash, tab, newline and carriage return escaped with a backslash.
final class CopyEncoder {
    let encoders: [FieldEncoder]
    let binary: Bool
    let flushSize: Int
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    /// Rows encoded so far.
    private(set) var rows = 0

    /// The fast binary path's kind of each column, and the fixed zone offset (seconds) of `timestamp` columns.
    private let fastKinds: [FastKind]
    private let fixedOffsets: [Int64]

    init(encoders: [FieldEncoder], binary: Bool, flushSize: Int = 1 << 20) {
        self.encoders = encoders
        var kinds: [FastKind] = []
        var offsets: [Int64] = []
        for e in encoders {
            var offset: Int64 = 0
            let kind: FastKind
            switch e.kind {
            case .int8: kind = .int8
            case .int4: kind = .int4
            case .int2: kind = .int2
            case .float8: kind = e.source == .long ? .float8FromLong : .float8
            case .float4: kind = .float4
            case .bool: kind = .bool
            case .bytes: kind = e.jsonbVersion ? .jsonb : .bytes
            case .timestamptz: kind = .timestamptz
            case .timestamp(let zone):
                if let fixed = fixedOffset(of: zone) {
                    kind = .timestampFixed
                    offset = Int64(fixed)
                } else {
                    kind = .general
                }
            default: kind = .general
            }
            kinds.append(kind)
            offsets.append(offset)
        }
        fastKinds = kinds
        fixedOffsets = offsets
        self.binary = binary
        self.flushSize = flushSize
        capacity = flushSize + 64 * 1024
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// Writes the binary header (nothing for text).
    func begin() {
        guard binary else { return }
        put(bytes: [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00])  // PGCOPY\n\377\r\n\0
        put32(0)
        put32(0)
    }

    /// Writes the binary trailer (nothing for text).
    func end() {
        if binary { put16(-1) }
    }

    /// The bytes not yet flushed.
    func withPending<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: buffer, count: count))
    }

    /// Forgets the bytes not yet flushed (after they were sent).
    func clearPending() { count = 0 }

    /// Whether the pending bytes have reached `flushSize`.
    var isFull: Bool { count >= flushSize }

    // MARK: - Rows

    /// Encodes every row of `page`; calls `flush` with the pending bytes whenever they reach `flushSize`.
    func encode(_ page: Page, flush: (UnsafeRawBufferPointer) throws -> Void) throws {
        if binary {
            try withColumnPointers(page.columns, 0, []) { try encodeBinary(page, $0, flush: flush) }
            return
        }
        let columns = page.columns
        let width = encoders.count
        for row in 0..<page.rowCount {
            if binary { put16(Int16(truncatingIfNeeded: width)) }
            for c in 0..<width {
                if !binary && c > 0 { put(byte: 0x09) }
                let vector = columns[c]
                if !vector.validity[row] {
                    if binary { put32(-1) } else { put(byte: 0x5C); put(byte: 0x4E) }
                    continue
                }
                try encodeField(encoders[c], vector, row)
            }
            if !binary { put(byte: 0x0A) }
            rows &+= 1
            if count >= flushSize {
                try flush(UnsafeRawBufferPointer(start: buffer, count: count))
                count = 0
            }
        }
    }

    /// The binary encoding over raw column pointers: no array copies or reference counting per field.
    private func encodeBinary(
        _ page: Page, _ pointers: [ColumnPointers], flush: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let width = encoders.count
        let fieldCount = Int16(truncatingIfNeeded: width)
        try fastKinds.withUnsafeBufferPointer { kinds in
            try fixedOffsets.withUnsafeBufferPointer { offsets in
                try pointers.withUnsafeBufferPointer { cols in
                    for row in 0..<page.rowCount {
                        put16(fieldCount)
                        for c in 0..<width {
                            let col = cols[c]
                            if !col.validity[row] {
                                put32(-1)
                                continue
                            }
                            switch kinds[c] {
                            case .int8:
                                put32(8)
                                put64(UInt64(bitPattern: col.integers![row]))
                            case .int4:
                                let x = col.integers![row]
                                guard x >= Int64(Int32.min) && x <= Int64(Int32.max) else { throw overflow(encoders[c], x) }
                                put32(4)
                                put32(Int32(truncatingIfNeeded: x))
                            case .int2:
                                let x = col.integers![row]
                                guard x >= Int64(Int16.min) && x <= Int64(Int16.max) else { throw overflow(encoders[c], x) }
                                put32(2)
                                put16(Int16(truncatingIfNeeded: x))
                            case .float8FromLong:
                                put32(8)
                                put64(Double(col.integers![row]).bitPattern)
                            case .float8:
                                put32(8)
                                put64(col.doubles![row].bitPattern)
                            case .float4:
                                put32(4)
                                put32(Int32(bitPattern: Float(col.doubles![row]).bitPattern))
                            case .bool:
                                put32(1)
                                put(byte: col.booleans![row] ? 1 : 0)
                            case .bytes, .jsonb:
                                let start = col.offsets![row], end = col.offsets![row &+ 1]
                                let n = end &- start
                                let jsonb = kinds[c] == .jsonb
                                reserve(n &+ 5)
                                if jsonb {
                                    put32(Int32(truncatingIfNeeded: n &+ 1))
                                    buffer[count] = 1
                                    count &+= 1
                                } else {
                                    put32(Int32(truncatingIfNeeded: n))
                                }
                                if n > 0 {
                                    (buffer + count).update(from: col.bytes! + start, count: n)
                                    count &+= n
                                }
                            case .timestamptz:
                                put32(8)
                                put64(UInt64(bitPattern: floorMicros(col.integers![row]) &- postgresEpochMicros))
                            case .timestampFixed:
                                put32(8)
                                let local = floorMicros(col.integers![row]) &+ offsets[c] &* 1_000_000
                                put64(UInt64(bitPattern: local &- postgresEpochMicros))
                            case .general:
                                try encodeField(encoders[c], page.columns[c], row)
                            }
                        }
                        rows &+= 1
                        if count >= flushSize {
                            try flush(UnsafeRawBufferPointer(start: buffer, count: count))
                            count = 0
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    private func encodeField(_ e: FieldEncoder, _ v: ColumnVector, _ row: Int) throws {
        switch e.kind {
        case .int8:
            let x = v.integers[row]
            if binary { put32(8); put64(UInt64(bitPattern: x)) } else { putDecimal(x) }
        case .int4:
            let x = v.integers[row]
            guard x >= Int64(Int32.min) && x <= Int64(Int32.max) else { throw overflow(e, x) }
            if binary { put32(4); put32(Int32(truncatingIfNeeded: x)) } else { putDecimal(x) }
        case .int2:
            let x = v.integers[row]
            guard x >= Int64(Int16.min) && x <= Int64(Int16.max) else { throw overflow(e, x) }
            if binary { put32(2); put16(Int16(truncatingIfNeeded: x)) } else { putDecimal(x) }
        case .float8:
            let d = e.source == .long ? Double(v.integers[row]) : v.doubles[row]
            if binary { put32(8); put64(d.bitPattern) } else { putText(d.shortestText) }
        case .float4:
            let d = v.doubles[row]
            if binary { put32(4); put32(Int32(bitPattern: Float(d).bitPattern)) } else { putText(Float(d).shortestFloatText) }
        case .bool:
            let b = v.booleans[row]
            if binary { put32(1); put(byte: b ? 1 : 0) } else { put(byte: b ? UInt8(ascii: "t") : UInt8(ascii: "f")) }
        case .bytes:
            let start = v.offsets[row], end = v.offsets[row &+ 1]
            v.bytes.withUnsafeBufferPointer { putValueBytes(UnsafeBufferPointer(rebasing: $0[start..<end]), e) }
        case .timestamptz:
            let micros = floorMicros(v.integers[row])
            if binary { put32(8); put64(UInt64(bitPattern: micros &- postgresEpochMicros)) } else { putISO(micros: micros, offset: 0, withOffset: true) }
        case .timestamp(let zone):
            let micros = floorMicros(v.integers[row])
            let seconds = micros >= 0 ? micros / 1_000_000 : -((-(micros + 1)) / 1_000_000) - 1
            let local = micros &+ Int64(zone.offset(atUTC: seconds)) &* 1_000_000
            if binary { put32(8); put64(UInt64(bitPattern: local &- postgresEpochMicros)) } else { putISO(micros: local, offset: 0, withOffset: false) }
        case .date(let zone):
            let seconds = Timestamp(nanos: v.integers[row]).epochSeconds
            let local = seconds + Int64(zone.offset(atUTC: seconds))
            let days = local >= 0 ? local / 86_400 : -((-(local + 1)) / 86_400) - 1
            if binary {
                put32(4)
                put32(Int32(truncatingIfNeeded: days - postgresEpochDays))
            } else {
                var out: [UInt8] = []
                appendDate(days: days, to: &out)
                out.withUnsafeBufferPointer { putRaw($0) }
            }
        case .longText: putTextValue(String(v.integers[row]), e)
        case .doubleText: putTextValue(v.doubles[row].shortestText, e)
        case .boolText: putTextValue(v.booleans[row] ? "true" : "false", e)
        case .timestampText(let format):
            var out: [UInt8] = []
            format.format(nanos: v.integers[row], into: &out)
            out.withUnsafeBufferPointer { putValueBytes($0, e) }
        }
    }

    private func overflow(_ e: FieldEncoder, _ x: Int64) -> SystemError {
        SystemError(
            "the value \(x) of column '\(e.column)' does not fit the table's \(e.target.display) column; widen the "
                + "column (ALTER TABLE … ALTER COLUMN \(quoteIdentifier(e.column)) TYPE bigint) or filter the value out")
    }

    // MARK: - Primitive writes

    @inline(__always) private func reserve(_ n: Int) {
        if count &+ n > capacity {
            let newCapacity = max(capacity * 2, count + n)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: buffer, count: count)
            buffer.deallocate()
            buffer = grown
            capacity = newCapacity
        }
    }

    @inline(__always) private func put(byte: UInt8) {
        reserve(1)
        buffer[count] = byte
        count &+= 1
    }

    private func put(bytes: [UInt8]) { for b in bytes { put(byte: b) } }

    @inline(__always) private func put16(_ v: Int16) {
        reserve(2)
        UnsafeMutableRawPointer(buffer + count).storeBytes(of: UInt16(bitPattern: v).bigEndian, as: UInt16.self)
        count &+= 2
    }

    @inline(__always) private func put32(_ v: Int32) {
        reserve(4)
        UnsafeMutableRawPointer(buffer + count).storeBytes(of: UInt32(bitPattern: v).bigEndian, as: UInt32.self)
        count &+= 4
    }

    @inline(__always) private func put64(_ v: UInt64) {
        reserve(8)
        UnsafeMutableRawPointer(buffer + count).storeBytes(of: v.bigEndian, as: UInt64.self)
        count &+= 8
    }

    /// Copies bytes as they are.
    @inline(__always) private func putRaw(_ b: UnsafeBufferPointer<UInt8>) {
        reserve(b.count)
        if let base = b.baseAddress, b.count > 0 { (buffer + count).update(from: base, count: b.count) }
        count &+= b.count
    }

    /// A value's bytes: in binary with a length (and jsonb's version byte), in text escaped.
    @inline(__always) private func putValueBytes(_ b: UnsafeBufferPointer<UInt8>, _ e: FieldEncoder) {
        if binary {
            if e.jsonbVersion {
                put32(Int32(truncatingIfNeeded: b.count &+ 1))
                put(byte: 1)
            } else {
                put32(Int32(truncatingIfNeeded: b.count))
            }
            putRaw(b)
        } else {
            putEscaped(b)
        }
    }

    private func putTextValue(_ s: String, _ e: FieldEncoder) {
        var s = s
        s.withUTF8 { putValueBytes($0, e) }
    }

    /// Text for the text format, which needs no escaping (digits, `NaN`, …).
    private func putText(_ s: String) {
        var s = s
        s.withUTF8 { putRaw($0) }
    }

    private func putEscaped(_ b: UnsafeBufferPointer<UInt8>) {
        reserve(b.count)
        for x in b {
            switch x {
            case 0x5C: put(byte: 0x5C); put(byte: 0x5C)
            case 0x0A: put(byte: 0x5C); put(byte: UInt8(ascii: "n"))
            case 0x0D: put(byte: 0x5C); put(byte: UInt8(ascii: "r"))
            case 0x09: put(byte: 0x5C); put(byte: UInt8(ascii: "t"))
            default: put(byte: x)
            }
        }
    }

    @inline(__always) private func putDecimal(_ x: Int64) {
        reserve(20)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { tmp in
            var v = x.magnitude
            var n = 0
            repeat {
                tmp[n] = UInt8(48 &+ v % 10)
                v /= 10
                n &+= 1
            } while v > 0
            if x < 0 { put(byte: UInt8(ascii: "-")) }
            while n > 0 {
                n &-= 1
                buffer[count] = tmp[n]
                count &+= 1
            }
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff` (with `+00` when `withOffset`) for microseconds since 1970.
    private func putISO(micros: Int64, offset: Int, withOffset: Bool) {
        let seconds = micros >= 0 ? micros / 1_000_000 : -((-(micros + 1)) / 1_000_000) - 1
        let fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : -((-(seconds + 1)) / 86_400) - 1
        let secondOfDay = seconds - days * 86_400
        var out: [UInt8] = []
        out.reserveCapacity(32)
        appendDate(days: days, to: &out)
        out.append(0x20)
        appendPadded(secondOfDay / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 3600 / 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 60, width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendPadded(fraction, width: 6, to: &out)
        if withOffset { out.append(contentsOf: "+00".utf8) }
        out.withUnsafeBufferPointer { putRaw($0) }
    }
}

/// The kinds of the binary fast path; `general` goes through `FieldEncoder.Kind`.
enum FastKind: UInt8 {
    case int8, int4, int2, float8FromLong, float8, float4, bool, bytes, jsonb, timestamptz, timestampFixed, general
}

/// Raw pointers to one column's buffers, valid inside `withColumnPointers`.
struct ColumnPointers {
    var validity: UnsafePointer<Bool>
    var integers: UnsafePointer<Int64>?
    var doubles: UnsafePointer<Double>?
    var booleans: UnsafePointer<Bool>?
    var bytes: UnsafePointer<UInt8>?
    var offsets: UnsafePointer<Int>?
}

/// Calls `body` with raw pointers to the buffers of every column from `index` on (appended to `done`).
func withColumnPointers<R>(
    _ columns: [ColumnVector], _ index: Int, _ done: [ColumnPointers], _ body: ([ColumnPointers]) throws -> R
) throws -> R {
    if index == columns.count { return try body(done) }
    let v = columns[index]
    return try v.validity.withUnsafeBufferPointer { validity in
        let base = validity.baseAddress ?? UnsafePointer(bitPattern: 1)!
        var p = ColumnPointers(validity: base)
        switch v.type {
        case .long, .timestamp:
            return try v.integers.withUnsafeBufferPointer {
                p.integers = $0.baseAddress
                return try withColumnPointers(columns, index + 1, done + [p], body)
            }
        case .double:
            return try v.doubles.withUnsafeBufferPointer {
                p.doubles = $0.baseAddress
                return try withColumnPointers(columns, index + 1, done + [p], body)
            }
        case .boolean:
            return try v.booleans.withUnsafeBufferPointer {
                p.booleans = $0.baseAddress
                return try withColumnPointers(columns, index + 1, done + [p], body)
            }
        case .string, .json:
            return try v.bytes.withUnsafeBufferPointer { bytes in
                try v.offsets.withUnsafeBufferPointer { offsets in
                    p.bytes = bytes.baseAddress
                    p.offsets = offsets.baseAddress
                    return try withColumnPointers(columns, index + 1, done + [p], body)
                }
            }
        }
    }
}

/// The offset of a zone that never changes (UTC, `Z`, `GMT`, `+09:00`…), in seconds, or `nil` for a named zone.
func fixedOffset(of zone: ZoneRule) -> Int? {
    if let offset = ZoneRule.parseOffset(zone.name) { return offset }
    return ["UTC", "Z", "GMT", "UT"].contains(zone.name.uppercased()) ? 0 : nil
}

/// Appends `YYYY-MM-DD` for a day number (days since 1970-01-01; the years of Int64 nanoseconds have four digits).
func appendDate(days: Int64, to out: inout [UInt8]) {
    let (y, m, d) = civilFromDays(days)
    appendPadded(y, width: 4, to: &out)
    out.append(UInt8(ascii: "-"))
    appendPadded(Int64(m), width: 2, to: &out)
    out.append(UInt8(ascii: "-"))
    appendPadded(Int64(d), width: 2, to: &out)
}

extension Float {
    /// The shortest text that reads back as exactly this float, as PostgreSQL writes special values.
    var shortestFloatText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return description
    }
}
