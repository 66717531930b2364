import Foundation
import KuraCore
import KuraLibPQ

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
