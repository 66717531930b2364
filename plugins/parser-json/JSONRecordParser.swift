import KuraCore
import KuraFormats

/// Parses one task's stream of JSON values into pages.
///
/// Bytes are buffered; each value is scanned from its start once enough bytes are there (a value cut by a chunk
/// boundary is scanned again when the buffer has at least doubled, so a huge value costs linear time). A value
/// that does not end within `max_record_size` bytes is rejected (`RECORD_TOO_LARGE`) and the rest of its line is
/// skipped unread; a value that is not valid JSON is rejected and reading resumes after the next line break; one
/// that is valid but not a record (not an object, no member at `root`, a field that does not convert) is rejected
/// alone.
///
/// Input in a charset other than UTF-8 (or UTF-8 whose invalid bytes are replaced) goes through a `CharsetDecoder`
/// first; a record holding an invalid sequence the decoder reports is rejected with `INVALID_ENCODING` (unless the
/// policy is `replace`). Byte offsets in rejects are offsets in the original file.
final class JSONRecordParser: RecordParser {
    /// The state, a value so that the hot loop touches no class properties.
    var stream: JSONStream
    let decoder: CharsetDecoder?

    init(options: JSONParserPlugin.Options, schema: Schema, conversions: [ColumnConversion], file: String, pageRows: Int = 4096) throws {
        decoder = options.charset.isUTF8 && options.invalidBytes == .reject ? nil : try CharsetDecoder(charset: options.charset)
        stream = JSONStream(
            options: options, schema: schema, conversions: conversions, file: file, pageRows: pageRows, decoder: decoder)
    }

    func push(_ chunk: UnsafeRawBufferPointer, to sink: RecordSink) throws {
        guard let decoder else { return try stream.push(chunk, to: sink) }
        try decoder.decode(chunk) { utf8 in try feed(decoder, utf8, sink) }
        decoder.forgetOffsets(before: stream.base)
    }

    func finish(to sink: RecordSink) throws {
        if let decoder {
            try decoder.finish { utf8 in try feed(decoder, utf8, sink) }
        }
        try stream.finish(to: sink)
    }

    private func feed(_ decoder: CharsetDecoder, _ utf8: UnsafeRawBufferPointer, _ sink: RecordSink) throws {
        let found = decoder.takeInvalid()
        if stream.rejectsInvalid { stream.invalid.append(found) }
        try stream.push(utf8, to: sink)
    }
}

/// The parsing state and logic of `JSONRecordParser`.
struct JSONStream {
    /// The largest raw record kept in a reject.
    static let rawLimit = DataError.rawLimit

    enum Mode {
        /// Each value is a record, kept whole in column `record`.
        case whole
        /// The value at `root` of each value is a record, kept whole.
        case wholeAtRoot
        /// Each value (or the value at `root`) is a record, read into typed columns.
        case typed
        /// The elements of the array at `root` (or of the value) are the records.
        case flatten
    }

    let file: String
    let mode: Mode
    let typed: Bool
    let stopOnInvalidRecord: Bool
    /// The largest top-level value in bytes (`max_record_size`).
    let maxRecordSize: Int
    let invalidEscapes: JSONInvalidEscapes
    let rootText: String
    let conversions: [ColumnConversion]
    /// The column types, in order (kept apart so the hot loop reads plain values).
    let types: [ColumnType]
    /// The timestamp parsers by column (nil for other types).
    let timestampParsers: [TimestampParser?]
    /// The tree for the first pass over each value.
    let valueTree: JSONPointerTree?
    /// The tree for each array element (`flatten` with typed columns).
    let elementTree: JSONPointerTree?
    let scanner: JSONScanner
    let elementScanner: JSONScanner
    let compactor: JSONScanner

    /// Converts the input to UTF-8 when needed, and maps decoded offsets back to the file's offsets.
    let decoder: CharsetDecoder?
    let charsetName: String
    /// Whether records holding invalid bytes are rejected (else the bytes load as U+FFFD).
    let rejectsInvalid: Bool
    /// Invalid byte sequences the decoder replaced, not yet passed.
    var invalid = InvalidSequenceQueue()

    var builder: PageBuilder
    var buffer: [UInt8] = []
    /// Where unread bytes start in `buffer`.
    var pos = 0
    /// The stream offset of `buffer[0]`.
    var base: Int64 = 0
    /// The 1-based line at `pos`.
    var line = 1
    /// Bytes needed before scanning again after a value was cut short.
    var minAvailable = 0
    var bomChecked = false
    /// An invalid or oversized value whose line has not ended yet (its raw bytes still growing).
    var pending: DataError? = nil
    /// The bytes of `pending`'s line read so far, from the value's start.
    var pendingLength: Int64 = 0
    var out: [UInt8] = []
    var scratch: [UInt8] = []
    var text: [UInt8] = []

    init(
        options: JSONParserPlugin.Options, schema: Schema, conversions: [ColumnConversion], file: String, pageRows: Int,
        decoder: CharsetDecoder? = nil
    ) {
        self.file = file
        self.decoder = decoder
        charsetName = options.charset.name
        rejectsInvalid = options.invalidBytes == .reject
        self.conversions = conversions
        types = conversions.map(\.type)
        timestampParsers = conversions.map(\.timestamp)
        typed = !conversions.isEmpty
        stopOnInvalidRecord = options.stopOnInvalidRecord
        maxRecordSize = options.maxRecordSize
        invalidEscapes = options.invalidStringEscapes
        let root = options.root ?? JSONPointer(tokens: [])
        rootText = root.text
        if options.flattenJSONArray {
            mode = .flatten
            valueTree = JSONPointerTree([root])
            elementTree = typed ? JSONPointerTree(conversions.map(\.pointer)) : nil
        } else if typed {
            mode = .typed
            valueTree = JSONPointerTree(conversions.map { root.appending($0.pointer) } + [root])
            elementTree = nil
        } else if root.tokens.isEmpty {
            mode = .whole
            valueTree = nil
            elementTree = nil
        } else {
            mode = .wholeAtRoot
            valueTree = JSONPointerTree([root])
            elementTree = nil
        }
        scanner = JSONScanner(invalidEscapes: invalidEscapes)
        elementScanner = JSONScanner(invalidEscapes: invalidEscapes)
        compactor = JSONScanner(invalidEscapes: invalidEscapes)
        builder = PageBuilder(schema: schema, capacity: pageRows)
    }

    mutating func push(_ chunk: UnsafeRawBufferPointer, to sink: RecordSink) throws {
        if chunk.count > 0 { buffer.append(contentsOf: chunk) }
        try process(final: false, sink)
        if pos == buffer.count {
            base += Int64(pos)
            buffer.removeAll(keepingCapacity: true)
            pos = 0
        } else if pos > 0 {
            base += Int64(pos)
            buffer.removeFirst(pos)
            pos = 0
        }
    }

    mutating func finish(to sink: RecordSink) throws {
        try process(final: true, sink)
        if pending != nil { try rejectPending(sink) }
        if builder.rowCount > 0 { try sink.emit(builder.build()) }
    }

    // MARK: - Reading values

    private mutating func process(final: Bool, _ sink: RecordSink) throws {
        let count = buffer.count
        // Take the buffer out while reading it, so the loop may change the other properties.
        let bytes = buffer
        buffer = []
        defer { buffer = bytes }
        // The class references the loop uses, loaded once (read from `self` on each value, each would be
        // retained and released around every call).
        let scanner = self.scanner, valueTree = self.valueTree
        try bytes.withUnsafeBytes { all in
            while true {
                if !bomChecked {
                    let avail = count - pos
                    let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                    var k = 0
                    while k < min(3, avail) && all[pos + k] == bom[k] { k += 1 }
                    if k == 3 {
                        pos += 3
                        bomChecked = true
                    } else if k == avail && !final {
                        return
                    } else {
                        bomChecked = true
                    }
                }
                if pending != nil {
                    if !(try skipPendingLine(all, count: count, sink)) { return }
                    continue
                }
                while pos < count {
                    let b = all[pos]
                    if b == 0x20 || b == 0x09 || b == 0x0D {
                        pos += 1
                    } else if b == 0x0A {
                        line += 1
                        pos += 1
                    } else {
                        break
                    }
                }
                if pos == count { return }
                if invalid.nextOffset < base + Int64(pos) { _ = invalid.take(before: base + Int64(pos)) }
                let avail = count - pos
                if !final && avail < minAvailable && avail <= maxRecordSize { return }
                // The scanner sees at most `maxRecordSize` bytes of the value, so whether it is too large depends on
                // its bytes alone, never on how the input was split.
                let clamped = avail > maxRecordSize
                let view = UnsafeRawBufferPointer(rebasing: all[pos..<(clamped ? pos + maxRecordSize : count)])
                out.removeAll(keepingCapacity: true)
                switch scanner.scan(
                    view, from: 0, isFinal: final && !clamped, tree: valueTree, compactInto: &out, compacting: mode == .whole)
                {
                case .complete(let end):
                    let newlines = scanner.newlines
                    minAvailable = 0
                    try handleValue(view, end: end, scanner, sink)
                    line += newlines
                    pos += end
                case .needMoreData:
                    if clamped {
                        minAvailable = 0
                        try tooLarge(all, count: count, sink)
                        continue
                    }
                    minAvailable = avail * 2
                    return
                case .invalid(let e):
                    minAvailable = 0
                    try invalidValue(all, count: count, error: e, final: final, sink)
                }
            }
        }
    }

    /// Moves past the rest of `pending`'s line, keeping its first bytes; rejects it once the line ends (false when
    /// the bytes end first).
    private mutating func skipPendingLine(_ all: UnsafeRawBufferPointer, count: Int, _ sink: RecordSink) throws -> Bool {
        var j = pos
        if let p = all.baseAddress?.assumingMemoryBound(to: UInt8.self) { j = ByteScan.first(p, pos, count, 0x0A) }
        let room = JSONStream.rawLimit - pending!.raw.count
        if room > 0 { pending!.raw.append(contentsOf: all[pos..<min(j, pos + room)]) }
        pendingLength += Int64(j - pos)
        // Invalid sequences the decoder found in skipped bytes are dropped as they pass, so they cannot pile up.
        if invalid.nextOffset < base + Int64(j) { _ = invalid.take(before: base + Int64(j)) }
        if j == count {
            pos = count
            return false
        }
        pos = j + 1
        line += 1
        try rejectPending(sink)
        return true
    }

    /// Rejects `pending`, its line read to the end: its raw text without the line break's CR, and its length.
    private mutating func rejectPending(_ sink: RecordSink) throws {
        var p = pending!
        pending = nil
        var length = pendingLength
        if p.raw.last == 0x0D && Int64(p.raw.count) == length {
            p.raw.removeLast()
            length -= 1
        }
        p.length = length
        if p.code == .recordTooLarge { p.message = tooLargeMessage(length: length) }
        try reject(p, sink)
    }

    /// Rejects the value at `pos`, which does not end within `maxRecordSize` bytes, and starts skipping its line.
    private mutating func tooLarge(_ all: UnsafeRawBufferPointer, count: Int, _ sink: RecordSink) throws {
        let err = DataError(
            .recordTooLarge, file: file, line: line, byteOffset: fileOffset(base + Int64(pos)),
            message: tooLargeMessage(length: nil), raw: [])
        if stopOnInvalidRecord { throw err }
        pending = err
        pendingLength = 0
    }

    /// The message of a `RECORD_TOO_LARGE` reject whose line is `length` bytes from the value's start (nil when not
    /// known yet).
    private func tooLargeMessage(length: Int64?) -> String {
        let size = length.map { "its line is \($0) bytes long from the value's start" } ?? "more than that was read without finding its end"
        return "the JSON value is larger than max_record_size (\(maxRecordSize) bytes\(mode == .flatten ? ", which applies to the whole array with flatten_json_array" : "")): \(size); it was skipped without being read whole, and reading resumes at the next line. If values this large are expected, raise max_record_size (a number of bytes)"
    }

    /// Rejects the invalid value at `pos` and moves past the line break at or after the error.
    private mutating func invalidValue(_ all: UnsafeRawBufferPointer, count: Int, error e: JSONError, final: Bool, _ sink: RecordSink) throws {
        let errorAt = pos + min(e.offset, count - pos)
        var j = errorAt
        while j < count && all[j] != 0x0A { j += 1 }
        var linesBefore = 0
        for k in pos..<errorAt where all[k] == 0x0A { linesBefore += 1 }
        var linesInside = linesBefore
        for k in errorAt..<j where all[k] == 0x0A { linesInside += 1 }
        // The raw record stops before the line break (and the CR of a CRLF).
        var rawEnd = j
        if j < count && rawEnd > errorAt && all[rawEnd - 1] == 0x0D { rawEnd -= 1 }
        var code: DataErrorCode = e.kind == .encoding ? .invalidEncoding : .invalidJSON
        var message = "invalid JSON at byte \(fileOffset(base + Int64(errorAt))) (line \(line + linesBefore)): \(e.message)"
        message += e.kind == .encoding
            ? "; set charset to the input's encoding, or set invalid_utf8: replace to load it with U+FFFD in their place"
            : "; fix or remove the value; reading resumes at the next line"
        if invalid.nextOffset < base + Int64(j), let bad = invalid.take(before: base + Int64(j)) {
            // The syntax error comes from bytes the decoder could not read: report those.
            code = .invalidEncoding
            message = encodingMessage(bad)
        }
        let err = DataError(
            code, file: file, line: line, byteOffset: fileOffset(base + Int64(pos)),
            message: message,
            raw: Array(all[pos..<min(rawEnd, pos + JSONStream.rawLimit)]), length: Int64(rawEnd - pos))
        if j < count {
            line += linesInside + 1
            pos = j + 1
            try reject(err, sink)
        } else if final {
            line += linesInside
            pos = count
            try reject(err, sink)
        } else {
            line += linesInside
            pendingLength = Int64(count - pos)
            pos = count
            pending = err
        }
    }

    /// Turns one valid value (`view[0..<end]`, just read by `scanner`) into records or rejects.
    private mutating func handleValue(_ view: UnsafeRawBufferPointer, end: Int, _ scanner: JSONScanner, _ sink: RecordSink) throws {
        if mode != .flatten, invalid.nextOffset < base + Int64(pos + end) {
            return try rejectEncoding(view, 0, end, sink)
        }
        switch mode {
        case .whole:
            if view[0] != UInt8(ascii: "{") {
                return try unexpected(view, 0, end, notAnObject(view[0]), sink)
            }
            out.withUnsafeBytes { builder.setBytes(0, $0) }
            try finishRecord(sink)
        case .wholeAtRoot:
            let s = scanner.spanStart(0)
            guard s >= 0 else { return try unexpected(view, 0, end, noRoot(), sink) }
            guard view[s] == UInt8(ascii: "{") else { return try unexpected(view, 0, end, notAnObject(view[s]), sink) }
            out.removeAll(keepingCapacity: true)
            JSON.appendCompact(UnsafeRawBufferPointer(rebasing: view[s..<scanner.spanEnd(0)]), scanner: compactor, to: &out)
            out.withUnsafeBytes { builder.setBytes(0, $0) }
            try finishRecord(sink)
        case .typed:
            let rootTarget = conversions.count
            let s = scanner.spanStart(rootTarget)
            guard s >= 0 else { return try unexpected(view, 0, end, noRoot(), sink) }
            guard view[s] == UInt8(ascii: "{") else { return try unexpected(view, 0, end, notAnObject(view[s]), sink) }
            try convertColumns(view, scanner, record: 0..<end, sink)
        case .flatten:
            let s = scanner.spanStart(0)
            guard s >= 0 else { return try unexpected(view, 0, end, noRoot(), sink) }
            guard view[s] == UInt8(ascii: "[") else {
                return try unexpected(
                    view, 0, end,
                    "flatten_json_array needs an array\(rootText.isEmpty ? "" : " at root '\(rootText)'"), but the value is \(kindName(view[s]))",
                    sink)
            }
            try flattenArray(view, from: s, sink)
        }
    }

    /// Makes a record of each element of the array at `view[start]`.
    private mutating func flattenArray(_ view: UnsafeRawBufferPointer, from start: Int, _ sink: RecordSink) throws {
        var i = start + 1
        @inline(__always) func skipWhitespace() {
            while i < view.count && JSON.isWhitespace(view[i]) { i += 1 }
        }
        skipWhitespace()
        if view[i] == UInt8(ascii: "]") { return }
        while true {
            out.removeAll(keepingCapacity: true)
            guard case .complete(let end) = elementScanner.scan(
                view, from: i, isFinal: true, tree: elementTree, compactInto: &out, compacting: !typed)
            else { return }  // validated already
            if invalid.nextOffset < base + Int64(pos + end) {
                try rejectEncoding(view, i, end, sink)
            } else if view[i] != UInt8(ascii: "{") {
                try unexpected(view, i, end, notAnObject(view[i]), sink)
            } else if typed {
                try convertColumns(view, elementScanner, record: i..<end, sink)
            } else {
                out.withUnsafeBytes { builder.setBytes(0, $0) }
                try finishRecord(sink)
            }
            i = end
            skipWhitespace()
            guard i < view.count, view[i] == UInt8(ascii: ",") else { return }
            i += 1
            skipWhitespace()
        }
    }

    /// Reads the typed columns from the spans `sc` found in `buf`.
    private mutating func convertColumns(_ buf: UnsafeRawBufferPointer, _ sc: JSONScanner, record: Range<Int>, _ sink: RecordSink) throws {
        for c in 0..<conversions.count {
            let s = sc.spanStart(c)
            if s < 0 {
                builder.setNull(c)
                continue
            }
            let v = UnsafeRawBufferPointer(rebasing: buf[s..<sc.spanEnd(c)])
            let first = v[0]
            if first == UInt8(ascii: "n") {
                builder.setNull(c)
                continue
            }
            do {
                switch types[c] {
                case .long:
                    builder.setLong(c, try JSON.int64(v, invalidEscapes: invalidEscapes, scratch: &scratch))
                case .double:
                    builder.setDouble(c, try JSON.double(v, invalidEscapes: invalidEscapes, scratch: &scratch))
                case .boolean:
                    builder.setBoolean(c, try JSON.boolean(v, invalidEscapes: invalidEscapes, scratch: &scratch))
                case .timestamp:
                    builder.setTimestamp(
                        c,
                        nanos: try JSON.timestampNanos(
                            v, parser: timestampParsers[c]!, invalidEscapes: invalidEscapes, scratch: &scratch))
                case .string:
                    if first == UInt8(ascii: "\""), !hasBackslash(v) {
                        builder.setBytes(c, UnsafeRawBufferPointer(rebasing: v[1..<(v.count - 1)]))
                    } else {
                        text.removeAll(keepingCapacity: true)
                        try JSON.appendText(v, scanner: compactor, to: &text)
                        text.withUnsafeBytes { builder.setBytes(c, $0) }
                    }
                case .json:
                    // Compact text with no whitespace byte at all (the common case) needs no second pass.
                    let needsPass =
                        (first == UInt8(ascii: "{") || first == UInt8(ascii: "[")) && hasWhitespace(v)
                        || (invalidEscapes != .passthrough && first != UInt8(ascii: "t") && first != UInt8(ascii: "f") && hasBackslash(v))
                    if needsPass {
                        text.removeAll(keepingCapacity: true)
                        JSON.appendCompact(v, scanner: compactor, to: &text)
                        text.withUnsafeBytes { builder.setBytes(c, $0) }
                    } else {
                        builder.setBytes(c, v)
                    }
                }
            } catch {
                builder.discardRecord()
                let err = DataError(
                    .cast, file: file, line: line, byteOffset: fileOffset(base + Int64(pos + record.lowerBound)),
                    column: conversions[c].name,
                    message: "column '\(conversions[c].name)' (\(conversions[c].type)): \(error.message)",
                    raw: rawBytes(buf, record), length: Int64(record.count))
                return try reject(err, sink)
            }
        }
        try finishRecord(sink)
    }

    // MARK: - Helpers

    @inline(__always)
    private func hasWhitespace(_ v: UnsafeRawBufferPointer) -> Bool {
        guard let p = v.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        return ByteScan.firstOf4(p, 0, v.count, 0x20, 0x0A, 0x0D, 0x09) < v.count
    }

    @inline(__always)
    private func hasBackslash(_ v: UnsafeRawBufferPointer) -> Bool {
        guard let p = v.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        return ByteScan.first(p, 0, v.count, 0x5C) < v.count
    }

    @inline(__always)
    private mutating func finishRecord(_ sink: RecordSink) throws {
        builder.finishRecord()
        if builder.isFull { try sink.emit(builder.build()) }
    }

    private func reject(_ error: DataError, _ sink: RecordSink) throws {
        if stopOnInvalidRecord { throw error }
        try sink.reject(error)
    }

    private func rawBytes(_ buf: UnsafeRawBufferPointer, _ r: Range<Int>) -> [UInt8] {
        Array(buf[r.lowerBound..<min(r.upperBound, r.lowerBound + JSONStream.rawLimit)])
    }

    private func unexpected(_ buf: UnsafeRawBufferPointer, _ s: Int, _ e: Int, _ message: String, _ sink: RecordSink) throws {
        let err = DataError(
            .unexpectedJSON, file: file, line: line, byteOffset: fileOffset(base + Int64(pos + s)), message: message,
            raw: rawBytes(buf, s..<e), length: Int64(e - s))
        try reject(err, sink)
    }

    /// The offset in the original file of the decoded offset `x`.
    private func fileOffset(_ x: Int64) -> Int64 { decoder?.originalOffset(ofDecoded: x) ?? x }

    private func encodingMessage(_ bad: InvalidSequence) -> String {
        "the record has bytes that are not valid \(charsetName) (\(bad.length) byte(s) at byte offset \(bad.originalOffset) of the file); set charset to the input's encoding, fix those bytes, or set \(charsetName == Charset.utf8.name ? "invalid_utf8" : "invalid_bytes"): replace to load the record with U+FFFD in their place"
    }

    /// Rejects the record at `buf[s..<e]` for the invalid sequences in it.
    private mutating func rejectEncoding(_ buf: UnsafeRawBufferPointer, _ s: Int, _ e: Int, _ sink: RecordSink) throws {
        guard let bad = invalid.take(before: base + Int64(pos + e)) else { return }
        let err = DataError(
            .invalidEncoding, file: file, line: line, byteOffset: fileOffset(base + Int64(pos + s)), message: encodingMessage(bad),
            raw: rawBytes(buf, s..<e), length: Int64(e - s))
        try reject(err, sink)
    }

    private func kindName(_ first: UInt8) -> String {
        switch first {
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        default: return "a number"
        }
    }

    private func notAnObject(_ first: UInt8) -> String {
        var m = "a record must be a JSON object, but this value is \(kindName(first))"
        if first == UInt8(ascii: "[") && mode != .flatten {
            m += "; set flatten_json_array: true to read an array's elements as records"
        } else {
            m += "; remove it or set root to the object inside it"
        }
        return m
    }

    private func noRoot() -> String {
        "the value has no member at root '\(rootText)'; fix root or remove the value"
    }
}
