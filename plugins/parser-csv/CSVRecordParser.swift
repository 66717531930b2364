import KuraCore
import KuraFormats

/// The incremental CSV parser for one file: tokenizes records (quotes, escapes, multi-line fields), converts the
/// fields straight from bytes into a `PageBuilder`, and rejects what it cannot read with the reason and location.
///
/// Bytes that do not yet form a whole record are kept until the next `push`, up to `max_record_size`: a record
/// that does not end within that many bytes is rejected (`RECORD_TOO_LARGE`) and the rest of its line is skipped
/// unread (see `CSVRecordLimit.swift`). A quoted field that runs past `max_quoted_size_limit` or to the end of the
/// input rejects only the record's first line, and parsing resumes at the next line, so one stray quote never
/// swallows the rest of a file.
struct CSVEngine {
    let options: CSVParserPlugin.Options
    let schema: Schema
    let converters: [FieldConverter]
    let file: String
    let logger: Logger

    // Dialect, flattened for the hot loop.
    let delim0: UInt8
    let delimRest: [UInt8]
    let quote: Int  // -1 when none
    let escape: Int  // -1 when none
    let acceptCR: Bool
    let acceptLF: Bool
    let acceptCRLF: Bool
    let newlineBytes: [UInt8]
    let strayQuotes: Bool
    let trim: Bool
    let comment: [UInt8]?
    let nullString: [UInt8]?
    /// Whether `scanRecordFast` may tokenize records (see `allowsFastScan`).
    let fastScan: Bool
    /// The quote byte for the fast tokenizer (the delimiter when there is none; `quoteOn` then masks it out).
    let quoteByte: UInt8
    /// All ones when there is a quote character, else 0 (so no byte counts as a quote).
    let quoteOn: UInt64
    /// Whether a CR can break lines (so the fast tokenizer must look at CRs).
    let crSpecial: Bool
    /// The byte-class bitmaps of the bytes being parsed (see `classify`).
    var masks = RawBuffer<UInt64>(capacity: 4096 * 4)
    /// Converts the input to UTF-8 when it is in another charset (or when invalid UTF-8 is replaced); it also maps
    /// decoded offsets back to the file's offsets.
    let decoder: CharsetDecoder?
    /// Whether records holding invalid bytes are rejected (else the bytes load as U+FFFD).
    let rejectsInvalid: Bool
    /// Invalid byte sequences the decoder replaced, not yet passed.
    var invalid = InvalidSequenceQueue()
    /// Whether the last `convert` failure was invalid UTF-8 (rather than a value that does not convert).
    var failedOnEncoding = false

    /// The largest record in bytes, its line break included (`max_record_size`).
    let maxRecordSize: Int
    /// The line being skipped unread, when a record or a header or comment line was longer than `maxRecordSize`.
    var skip: LineSkip? = nil
    /// Unconsumed input.
    var buffer: [UInt8] = []
    /// Physical lines consumed before `buffer`.
    var linesConsumed = 0
    /// Bytes consumed before `buffer`.
    var bytesConsumed: Int64 = 0
    /// The buffer size to wait for before scanning it again after it held no whole record, so that a record
    /// arriving in many small chunks is rescanned a logarithmic number of times, not once per chunk.
    var minBuffered = 0
    var headerLinesLeft: Int
    var bomChecked = false
    var builder: PageBuilder

    // Fields of the record being read: byte ranges into the buffer, or into `scratch` when unescaped.
    var fieldStart = RawBuffer<Int>(capacity: 32)
    var fieldEnd = RawBuffer<Int>(capacity: 32)
    var fieldFlags = RawBuffer<UInt8>(capacity: 32)  // bit 0: quoted, bit 1: in scratch
    var scratch = RawBuffer<UInt8>(capacity: 4096)
    /// Validates and compacts json columns.
    let jsonScanner = JSONScanner(maxDepth: JSON.defaultMaxDepth, invalidEscapes: .passthrough)
    var jsonOut: [UInt8] = []

    init(
        options: CSVParserPlugin.Options, schema: Schema, converters: [FieldConverter], file: String, logger: Logger, pageRows: Int,
        decoder: CharsetDecoder?, fastScan: Bool
    ) {
        self.options = options
        self.decoder = decoder
        rejectsInvalid = options.invalidBytes == .reject
        self.schema = schema
        self.converters = converters
        self.file = file
        self.logger = logger
        delim0 = options.delimiter[0]
        delimRest = Array(options.delimiter.dropFirst())
        quote = options.quote.map(Int.init) ?? -1
        escape = options.escape.map(Int.init) ?? -1
        switch options.lineDelimiterRecognized {
        case nil: (acceptCR, acceptLF, acceptCRLF) = (true, true, true)
        case .CRLF?: (acceptCR, acceptLF, acceptCRLF) = (false, false, true)
        case .LF?: (acceptCR, acceptLF, acceptCRLF) = (false, true, false)
        case .CR?: (acceptCR, acceptLF, acceptCRLF) = (true, false, false)
        }
        newlineBytes = options.newline.bytes
        strayQuotes = options.quotesInQuotedFields == .acceptStrayQuotes
        trim = options.trimIfNotQuoted
        comment = options.commentLineMarker
        nullString = options.nullString
        self.fastScan = fastScan && Self.allowsFastScan(options) && acceptLF
        crSpecial = acceptCR || acceptCRLF
        quoteOn = options.quote == nil ? 0 : ~0
        quoteByte = options.quote ?? options.delimiter[0]
        headerLinesLeft = options.skipHeaderLines
        maxRecordSize = options.maxRecordSize
        builder = PageBuilder(schema: schema, capacity: pageRows)
    }

    mutating func push(_ chunk: UnsafeRawBufferPointer, to sink: RecordSink) throws {
        if chunk.isEmpty { return }
        var rest = chunk.bindMemory(to: UInt8.self)
        while !rest.isEmpty {
            if skip != nil {
                rest = try skipLine(rest, sink: sink)
            } else if !buffer.isEmpty {
                // Finish the record left over from earlier chunks, a line at a time.
                var cut = 0
                while cut < rest.count && rest[cut] != 10 && rest[cut] != 13 { cut += 1 }
                if cut < rest.count { cut += (rest[cut] == 13 && cut + 1 < rest.count && rest[cut + 1] == 10) ? 2 : 1 }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: rest[0..<cut]))
                rest = UnsafeBufferPointer(rebasing: rest[cut...])
                try processBuffer(final: false, sink: sink)
            } else {
                // Parse the rest in place; keep what does not form a whole record (unless a skip began).
                let consumed = try process(rest, final: false, sink: sink)
                rest = UnsafeBufferPointer(rebasing: rest[consumed...])
                if skip == nil {
                    buffer.append(contentsOf: rest)
                    return
                }
            }
        }
    }

    mutating func finish(to sink: RecordSink) throws {
        if let s = skip {
            skip = nil
            try endSkip(s, breakLength: s.afterCR && acceptCR ? 1 : 0, sink: sink)
        }
        try processBuffer(final: true, sink: sink)
        if builder.rowCount > 0 { try sink.emit(builder.build()) }
    }

    // MARK: - Driving

    /// What scanning one record found.
    enum Scan {
        /// More bytes are needed.
        case incomplete
        /// An empty or comment line, ending at `end`.
        case skip(end: Int)
        /// A record whose fields are in `fieldStart`/`fieldEnd`/`fieldFlags`, ending at `end`, spanning `lines` lines.
        case record(end: Int, lines: Int)
        /// A record that cannot be tokenized: reject its first line (ending at `lineEnd`).
        case broken(DataErrorCode, String, lineEnd: Int)
    }

    /// Parses what the buffer holds and drops the consumed bytes from it.
    mutating func processBuffer(final: Bool, sink: RecordSink) throws {
        if !final && buffer.count < minBuffered && buffer.count <= maxRecordSize { return }
        // `bytes` shares the buffer's storage only inside this scope; the buffer is trimmed afterwards.
        let consumed: Int = try {
            let bytes = buffer
            return try bytes.withUnsafeBufferPointer { try process($0, final: final, sink: sink) }
        }()
        if consumed > 0 {
            buffer.removeFirst(consumed)
            minBuffered = 0
        } else {
            minBuffered = buffer.count * 2
        }
    }

    /// Parses the whole records at the start of `p`; returns how many bytes they took.
    mutating func process(_ p: UnsafeBufferPointer<UInt8>, final: Bool, sink: RecordSink) throws -> Int {
        var pos = 0
        let count = p.count
        defer { bytesConsumed += Int64(pos) }
        if fastScan { classify(p) }
        if !bomChecked {
            if count < 3 && !final && p.elementsEqual([0xEF, 0xBB, 0xBF].prefix(count)) { return 0 }
            bomChecked = true
            if count >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { pos = 3 }
        }
        while pos < count {
            if headerLinesLeft > 0 {
                guard let end = physicalLineEnd(p, from: pos, final: final) else {
                    if count - pos <= maxRecordSize { return pos }
                    // A header line longer than a record may be: skip it unread.
                    headerLinesLeft -= 1
                    beginSkip(p, from: pos, rejecting: false)
                    pos = count
                    return pos
                }
                _ = invalid.take(before: bytesConsumed + Int64(end))
                headerLinesLeft -= 1
                linesConsumed += 1
                pos = end
                continue
            }
            if fastScan {
                let end = scanRecordFast(p, from: pos)
                if end >= 0 {
                    if end - pos > maxRecordSize {
                        pos = try oversized(p, at: pos, final: final, sink: sink)
                        continue
                    }
                    try convertRecord(p, start: pos, end: end, sink: sink)
                    linesConsumed += 1
                    pos = end
                    continue
                }
            }
            // The tokenizer sees at most `maxRecordSize` bytes of the record, so whether it is too large depends on
            // its bytes alone, never on how the input was split.
            let clamped = count - pos > maxRecordSize
            let view = clamped ? UnsafeBufferPointer(rebasing: p[0..<(pos + maxRecordSize)]) : p
            switch scanRecord(view, from: pos, final: final && !clamped) {
            case .incomplete:
                if clamped {
                    pos = try oversized(p, at: pos, final: final, sink: sink)
                    continue
                }
                return pos
            case .skip(let end):
                _ = invalid.take(before: bytesConsumed + Int64(end))
                linesConsumed += 1
                pos = end
            case .record(let end, let lines):
                try convertRecord(p, start: pos, end: end, sink: sink)
                linesConsumed += lines
                pos = end
            case .broken(let code, let message, let lineEnd):
                _ = invalid.take(before: bytesConsumed + Int64(lineEnd))
                try rejectRaw(p, code, message, column: nil, start: pos, end: lineEnd, sink: sink)
                linesConsumed += 1
                pos = lineEnd
            }
        }
        return pos
    }

    /// The end (after the line break) of the physical line starting at `from`, or nil if more bytes are needed.
    @inline(__always)
    func physicalLineEnd(_ p: UnsafeBufferPointer<UInt8>, from: Int, final: Bool) -> Int? {
        var i = from
        let n = p.count
        while i < n {
            let c = p[i]
            if c == 10 && acceptLF { return i + 1 }
            if c == 13 {
                if i + 1 >= n && !final && acceptCRLF { return nil }
                if i + 1 < n && p[i + 1] == 10 && acceptCRLF { return i + 2 }
                if acceptCR { return i + 1 }
            }
            i += 1
        }
        return final ? n : nil
    }

    /// Length of the line break at `i` (0 if none, -1 if a CR at the end of the buffer needs one more byte).
    @inline(__always)
    func lineBreak(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, final: Bool) -> Int {
        let c = p[i]
        if c == 10 { return acceptLF ? 1 : 0 }
        if c == 13 {
            if i + 1 < p.count {
                if p[i + 1] == 10 && acceptCRLF { return 2 }
                return acceptCR ? 1 : 0
            }
            if final { return acceptCR ? 1 : 0 }
            return acceptCRLF ? -1 : (acceptCR ? 1 : 0)
        }
        return 0
    }

    /// Whether the delimiter starts at `i` (nil when more bytes are needed to tell).
    @inline(__always)
    func delimiterAt(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, final: Bool) -> Bool? {
        if p[i] != delim0 { return false }
        if delimRest.isEmpty { return true }
        let n = p.count
        for (k, b) in delimRest.enumerated() {
            if i + 1 + k >= n { return final ? false : nil }
            if p[i + 1 + k] != b { return false }
        }
        return true
    }

    @inline(__always)
    mutating func addField(_ start: Int, _ end: Int, _ flags: UInt8) {
        fieldStart.append(start)
        fieldEnd.append(end)
        fieldFlags.append(flags)
    }

    // MARK: - General tokenizer
    //
    // `scanRecord` reads any dialect, including records over several lines, as a state machine: each state below
    // has a function that reads bytes from a `RecordCursor` and names the next state.
    //
    //   fieldStart ──quote──▶ quotedField ──closing quote──▶ afterClosingQuote ──delimiter──▶ fieldStart
    //        │                                                       └──line break / end──▶ recordEnd
    //        └──other──▶ unquotedField ──delimiter──▶ fieldStart
    //                          └──line break / end──▶ recordEnd
    //
    // Any state may instead stop the scan: more bytes are needed (`needMoreBytes`), or the record is broken
    // (`broken`). The reject's message is written only then, by `brokenAtFirstLine`.

    /// The general tokenizer's position in the record it reads.
    struct RecordCursor {
        /// Where the record starts.
        let start: Int
        /// The next byte to read.
        var i: Int
        /// Physical lines the record has taken so far (each line break inside quotes adds one).
        var lines = 1
        /// The end of the record's first physical line, once a line break inside quotes has shown it (-1 before).
        var firstLineEnd = -1
    }

    /// A state of the general tokenizer (see the diagram above).
    enum TokenizerState {
        /// At the start of a field: the record's start, or just after a delimiter.
        case fieldStart
        /// Inside a quoted field, the cursor just after its opening quote.
        case quotedField
        /// Just after the closing quote of a field that opened on the record's line `linesAtOpen` (1-based).
        case afterClosingQuote(linesAtOpen: Int)
        /// At the first byte of an unquoted field (after its leading spaces, when trimming).
        case unquotedField
        /// The record ends at the cursor.
        case recordEnd
        /// The bytes end before the record does: scan it again once more have come.
        case needMoreBytes
        /// The record cannot be tokenized.
        case broken(TokenizerFailure)
    }

    /// Why the general tokenizer cannot read a record.
    enum TokenizerFailure {
        /// A quoted field is longer than `max_quoted_size_limit`.
        case quotedFieldTooLong
        /// A quoted field is still open at the end of the input.
        case quoteOpenAtEnd
        /// Text other than spaces follows the closing quote of field `field` (1-based), which opened
        /// `linesEarlier` lines before the one the closing quote is on.
        case textAfterClosingQuote(field: Int, linesEarlier: Int)
    }

    /// What a quote inside a quoted field stands for.
    enum QuoteRole {
        /// The first of two quotes that stand for one quote character.
        case doubled
        /// A stray quote, kept as a character (with `quotes_in_quoted_fields: ACCEPT_STRAY_QUOTES…`).
        case data
        /// The quote that closes the field.
        case closing
    }

    /// A quoted field's value as read so far.
    ///
    /// The bytes from `segmentStart` to the cursor are still only in the input. Once the value needs unescaping
    /// (`inScratch`), what comes before them has been copied, unescaped, into `scratch` from `scratchBase` on.
    struct QuotedValue {
        var segmentStart: Int
        let scratchBase: Int
        var inScratch = false
        /// The value's length so far, checked against `max_quoted_size_limit`.
        var size = 0
    }

    /// Tokenizes the record starting at `start` with the general tokenizer (any dialect, any number of lines).
    ///
    /// Returns `.skip` for an empty or comment line; else the record's fields are left in `fieldStart`,
    /// `fieldEnd` and `fieldFlags` (with unescaped values in `scratch`).
    mutating func scanRecord(_ p: UnsafeBufferPointer<UInt8>, from start: Int, final: Bool) -> Scan {
        fieldStart.removeAll()
        fieldEnd.removeAll()
        fieldFlags.removeAll()
        scratch.removeAll()
        if let skipped = skippedLine(p, at: start, final: final) { return skipped }
        var cur = RecordCursor(start: start, i: start)
        var state = TokenizerState.fieldStart
        while true {
            switch state {
            case .fieldStart: state = beginField(p, &cur, final: final)
            case .quotedField: state = scanQuotedField(p, &cur, final: final)
            case .afterClosingQuote(let linesAtOpen): state = afterClosingQuote(p, &cur, final: final, linesAtOpen: linesAtOpen)
            case .unquotedField: state = scanUnquotedField(p, &cur, final: final)
            case .recordEnd: return .record(end: cur.i, lines: cur.lines)
            case .needMoreBytes: return .incomplete
            case .broken(let failure): return brokenAtFirstLine(p, cur, final: final, failure)
            }
        }
    }

    /// Whether the line at `start` is skipped: `.skip` for an empty or comment line, `.incomplete` when more bytes
    /// are needed to tell, nil when a record starts there.
    @inline(__always)
    func skippedLine(_ p: UnsafeBufferPointer<UInt8>, at start: Int, final: Bool) -> Scan? {
        let lb = lineBreak(p, start, final: final)
        if lb < 0 { return .incomplete }
        if lb > 0 { return .skip(end: start + lb) }
        if let marker = comment?.first, p[start] == marker { return commentLine(p, at: start, final: final) }
        return nil
    }

    /// `skippedLine` for a line starting with the comment marker's first byte (kept out of the record path).
    @inline(never)
    func commentLine(_ p: UnsafeBufferPointer<UInt8>, at start: Int, final: Bool) -> Scan? {
        let n = p.count
        let comment = self.comment!
        if start + comment.count > n && !final { return .incomplete }
        if start + comment.count <= n && zip(comment, p[start..<start + comment.count]).allSatisfy({ $0 == $1 }) {
            guard let end = physicalLineEnd(p, from: start, final: final) else { return .incomplete }
            return .skip(end: end)
        }
        return nil
    }

    /// The `fieldStart` state: skips leading spaces when trimming (a space that starts the delimiter is the
    /// delimiter, never skipped), then enters a quoted or an unquoted field.
    @inline(__always)
    func beginField(_ p: UnsafeBufferPointer<UInt8>, _ cur: inout RecordCursor, final: Bool) -> TokenizerState {
        let n = p.count
        var i = cur.i
        if trim {
            while i < n && p[i] == 32 {
                guard let d = delimiterAt(p, i, final: final) else { return .needMoreBytes }
                if d { break }
                i += 1
            }
        }
        if i < n && Int(p[i]) == quote {
            cur.i = i + 1
            return .quotedField
        }
        cur.i = i
        return .unquotedField
    }

    /// The `unquotedField` state: the field runs to the next delimiter (another field follows) or line break (the
    /// record ends), or to the end of the input when it is final; trailing spaces are dropped when trimming.
    @inline(__always)
    mutating func scanUnquotedField(_ p: UnsafeBufferPointer<UInt8>, _ cur: inout RecordCursor, final: Bool) -> TokenizerState {
        let n = p.count
        let base = p.baseAddress!
        let valueStart = cur.i
        var i = valueStart
        // The field ends at `i`; what follows it takes `endLength` bytes and leads to `next`.
        var endLength = 0
        var next = TokenizerState.recordEnd
        scan: while i < n {
            i = ByteScan.firstOf3(base, i, n, delim0, 10, 13)
            if i >= n { break }
            let c = p[i]
            if c == delim0 {
                guard let d = delimiterAt(p, i, final: final) else { return .needMoreBytes }
                if d {
                    endLength = 1 + delimRest.count
                    next = .fieldStart
                    break scan
                }
            } else if c == 10 || c == 13 {
                let lb = lineBreak(p, i, final: final)
                if lb < 0 { return .needMoreBytes }
                if lb > 0 {
                    endLength = lb
                    break scan
                }
            }
            i += 1
        }
        // The end of the input ends the field only when it is final.
        if i >= n && !final { return .needMoreBytes }
        addUnquotedField(p, valueStart, i)
        cur.i = i + endLength
        return next
    }

    /// Adds the unquoted field `start..<end`, less its trailing spaces when trimming.
    @inline(__always)
    mutating func addUnquotedField(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        var e = end
        if trim { while e > start && p[e - 1] == 32 { e -= 1 } }
        addField(start, e, 0)
    }

    /// The `quotedField` state: reads the value up to its closing quote, which must come within
    /// `max_quoted_size_limit` bytes and before the end of the input.
    ///
    /// Doubled quotes, escapes and line breaks inside the value are unescaped into `scratch` (a line break as
    /// `newline`, which also starts the record's next physical line).
    mutating func scanQuotedField(_ p: UnsafeBufferPointer<UInt8>, _ cur: inout RecordCursor, final: Bool) -> TokenizerState {
        let n = p.count
        let base = p.baseAddress!
        let limit = options.maxQuotedSizeLimit
        let linesAtOpen = cur.lines
        let q = quote, e = escape
        let qb = UInt8(q), eb = e >= 0 ? UInt8(e) : UInt8(q)
        var i = cur.i
        defer { cur.i = i }
        var v = QuotedValue(segmentStart: i, scratchBase: scratch.count)
        while true {
            // Skip ordinary bytes quickly (bounded so that the size limit is still checked).
            let scanEnd = min(n, i + max(1, limit - v.size + 1))
            let j = ByteScan.firstOf4(base, i, scanEnd, qb, eb, 10, 13)
            v.size += j - i
            i = j
            if v.size > limit { return .broken(.quotedFieldTooLong) }
            if i >= n { return final ? .broken(.quoteOpenAtEnd) : .needMoreBytes }
            // The scan stopped at a quote, an escape, a CR or an LF.
            let c = Int(p[i])
            if c == q {
                guard let role = quoteRole(p, i, final: final) else { return .needMoreBytes }
                switch role {
                case .doubled:
                    appendUnescaped(p, &v, upTo: i + 1)
                    i += 2
                    v.segmentStart = i
                    v.size += 1
                case .data:
                    i += 1
                    v.size += 1
                case .closing:
                    addQuotedField(p, &v, end: i)
                    i += 1
                    return .afterClosingQuote(linesAtOpen: linesAtOpen)
                }
            } else if c == e {
                if !readEscape(p, &i, &v, final: final) { return .needMoreBytes }
            } else {
                if !readLineBreakInQuotes(p, &i, &v, &cur, final: final) { return .needMoreBytes }
            }
        }
    }

    /// What the quote at `i` inside a quoted field stands for, judged by the one or two bytes after it (nil when
    /// more bytes are needed to tell).
    ///
    /// Without stray quotes, a quote is doubled when another follows, else it closes the field. With stray quotes,
    /// it closes the field only before a delimiter, a line break or the end of the input; two quotes are doubled
    /// unless such an end follows them.
    @inline(__always)
    func quoteRole(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, final: Bool) -> QuoteRole? {
        let n = p.count
        if i + 1 >= n && !final { return nil }
        let next = i + 1 < n ? Int(p[i + 1]) : -1
        // The common case first.
        if next == quote && !strayQuotes { return .doubled }
        var nextIsEnd = next < 0
        if !nextIsEnd {
            guard let end = fieldEnds(p, at: i + 1, final: final) else { return nil }
            nextIsEnd = end
        }
        if !strayQuotes { return .closing }
        if next == quote {
            if i + 2 >= n && !final { return nil }
            if i + 2 < n {
                guard let end = fieldEnds(p, at: i + 2, final: final) else { return nil }
                if !end { return .doubled }
            }
        }
        return nextIsEnd ? .closing : .data
    }

    /// Whether a line break or the delimiter starts at `i` (nil when more bytes are needed to tell).
    @inline(__always)
    func fieldEnds(_ p: UnsafeBufferPointer<UInt8>, at i: Int, final: Bool) -> Bool? {
        let lb = lineBreak(p, i, final: final)
        if lb < 0 { return nil }
        guard let d = delimiterAt(p, i, final: final) else { return nil }
        return lb > 0 || d
    }

    /// Reads the escape character at `i` inside a quoted field: before a quote or another escape it stands for that
    /// byte, else it is itself data. Returns false when more bytes are needed.
    @inline(__always)
    mutating func readEscape(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ v: inout QuotedValue, final: Bool) -> Bool {
        let n = p.count
        if i + 1 >= n && !final { return false }
        let next = i + 1 < n ? Int(p[i + 1]) : -1
        if next == quote || next == escape {
            appendUnescaped(p, &v, upTo: i)
            scratch.append(UInt8(next))
            i += 2
            v.segmentStart = i
        } else {
            i += 1
        }
        v.size += 1
        return true
    }

    /// Reads the byte at `i` inside a quoted field, a CR or an LF: a line break the dialect recognizes goes
    /// into the value as `newline` and starts the record's next line; another byte is data. Returns false when more
    /// bytes are needed.
    @inline(__always)
    mutating func readLineBreakInQuotes(
        _ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ v: inout QuotedValue, _ cur: inout RecordCursor, final: Bool
    ) -> Bool {
        let lb = lineBreak(p, i, final: final)
        if lb < 0 { return false }
        if lb == 0 {
            i += 1
            v.size += 1
            return true
        }
        if cur.firstLineEnd < 0 { cur.firstLineEnd = i + lb }
        appendUnescaped(p, &v, upTo: i)
        newlineBytes.withUnsafeBufferPointer { scratch.append($0.baseAddress!, count: $0.count) }
        i += lb
        v.segmentStart = i
        cur.lines += 1
        v.size += newlineBytes.count
        return true
    }

    /// Copies the value's bytes from `segmentStart` to `end` into `scratch`, where the value is built from now on.
    @inline(__always)
    mutating func appendUnescaped(_ p: UnsafeBufferPointer<UInt8>, _ v: inout QuotedValue, upTo end: Int) {
        v.inScratch = true
        scratch.append(p.baseAddress! + v.segmentStart, count: end - v.segmentStart)
    }

    /// Adds the quoted field whose closing quote is at `end`: its value in `scratch`, or in the input when it needed
    /// no unescaping.
    @inline(__always)
    mutating func addQuotedField(_ p: UnsafeBufferPointer<UInt8>, _ v: inout QuotedValue, end: Int) {
        if v.inScratch {
            scratch.append(p.baseAddress! + v.segmentStart, count: end - v.segmentStart)
            addField(v.scratchBase, scratch.count, 3)
        } else {
            addField(v.segmentStart, end, 1)
        }
    }

    /// The `afterClosingQuote` state: the delimiter (another field follows), a line break or the end of the input
    /// (the record ends) may follow a closing quote, after spaces that are not the delimiter; anything else breaks
    /// the record.
    ///
    /// Each byte is checked for the delimiter before it is skipped as a space, so a space delimiter (an access log's
    /// `"GET / HTTP/1.1" 200`) ends the quoted field rather than being skipped.
    mutating func afterClosingQuote(
        _ p: UnsafeBufferPointer<UInt8>, _ cur: inout RecordCursor, final: Bool, linesAtOpen: Int
    ) -> TokenizerState {
        let n = p.count
        while true {
            if cur.i >= n { return final ? .recordEnd : .needMoreBytes }
            guard let d = delimiterAt(p, cur.i, final: final) else { return .needMoreBytes }
            if d {
                cur.i += 1 + delimRest.count
                return .fieldStart
            }
            let lb = lineBreak(p, cur.i, final: final)
            if lb < 0 { return .needMoreBytes }
            if lb > 0 {
                cur.i += lb
                return .recordEnd
            }
            if p[cur.i] != 32 { break }
            cur.i += 1
        }
        // `fieldStart.count` is the 1-based number of the field just closed.
        return .broken(.textAfterClosingQuote(field: fieldStart.count, linesEarlier: cur.lines - linesAtOpen))
    }

    /// The answer for a record the tokenizer cannot read: reject its first physical line only (`.incomplete` when
    /// more bytes are needed to find that line's end).
    @inline(never)
    func brokenAtFirstLine(_ p: UnsafeBufferPointer<UInt8>, _ cur: RecordCursor, final: Bool, _ failure: TokenizerFailure) -> Scan {
        var lineEnd = cur.firstLineEnd
        if lineEnd < 0 {
            guard let end = physicalLineEnd(p, from: cur.start, final: final) else { return .incomplete }
            lineEnd = end
        }
        switch failure {
        case .quotedFieldTooLong:
            return .broken(
                .lineTooLong,
                "a quoted field is longer than max_quoted_size_limit (\(options.maxQuotedSizeLimit) bytes); it probably has an unclosed quote — fix the quote, or raise max_quoted_size_limit",
                lineEnd: lineEnd)
        case .quoteOpenAtEnd:
            return .broken(
                .unterminatedQuote,
                "a quoted field is not closed before the end of the file; close the quote, or set quote: null if quotes are data",
                lineEnd: lineEnd)
        case .textAfterClosingQuote(let field, let linesEarlier) where linesEarlier > 0:
            return .broken(
                .unterminatedQuote,
                "the quoted field \(field) opened on this line is not closed on it, and the next quote \(linesEarlier) line(s) later is followed by other text: most likely an unclosed quote; close it, or set quote: null if quotes are data",
                lineEnd: lineEnd)
        case .textAfterClosingQuote(let field, _):
            return .broken(
                .invalidQuote,
                "unexpected character after the closing quote of field \(field); put the whole field in quotes and double any quote inside it, or set quotes_in_quoted_fields: ACCEPT_STRAY_QUOTES_ASSUMING_NO_DELIMITERS_IN_FIELDS",
                lineEnd: lineEnd)
        }
    }

    // MARK: - Conversion

    mutating func convertRecord(_ p: UnsafeBufferPointer<UInt8>, start: Int, end: Int, sink: RecordSink) throws {
        let columns = schema.count
        let fields = fieldStart.count
        if invalid.nextOffset < bytesConsumed + Int64(end), let bad = invalid.take(before: bytesConsumed + Int64(end)) {
            try rejectRaw(
                p, .invalidEncoding,
                "the record has bytes that are not valid \(options.charset.name) (\(bad.length) byte(s) at byte offset \(bad.originalOffset) of the file); set charset to the file's encoding, fix those bytes, or set \(options.charset.isUTF8 ? "invalid_utf8" : "invalid_bytes"): replace to load the record with U+FFFD in their place",
                column: nil, start: start, end: end, sink: sink)
            return
        }
        if fields < columns && !options.allowOptionalColumns {
            try rejectRaw(
                p, .tooFewColumns,
                "expected \(columns) fields but found \(fields); check the delimiter, or set allow_optional_columns: true to read missing fields as null",
                column: schema[fields].name, start: start, end: end, sink: sink)
            return
        }
        if fields > columns && !options.allowExtraColumns {
            try rejectRaw(
                p, .tooManyColumns,
                "expected \(columns) fields but found \(fields); check the delimiter and quoting, or set allow_extra_columns: true to ignore extra fields",
                column: nil, start: start, end: end, sink: sink)
            return
        }
        var failure: (Int, String)? = nil
        let raw = UnsafeRawBufferPointer(p)
        let scr = UnsafeRawBufferPointer(start: scratch.base, count: scratch.count)
        do {
            columnLoop: for c in 0..<columns {
                if c >= fields {
                    builder.setNull(c)
                    continue
                }
                let flags = fieldFlags[c]
                let base = (flags & 2) != 0 ? scr : raw
                let v = UnsafeRawBufferPointer(rebasing: base[fieldStart[c]..<fieldEnd[c]])
                // Null: the null string, or an empty unquoted field when no null string is set.
                if let ns = nullString {
                    if v.count == ns.count && v.elementsEqual(ns) {
                        builder.setNull(c)
                        continue
                    }
                } else if v.isEmpty && (flags & 1) == 0 {
                    builder.setNull(c)
                    continue
                }
                if let msg = convert(v, column: c) {
                    failure = (c, msg)
                    break columnLoop
                }
            }
        }
        if let (c, msg) = failure {
            builder.discardRecord()
            let code: DataErrorCode = failedOnEncoding ? .invalidEncoding : .cast
            failedOnEncoding = false
            try rejectRaw(p, code, msg, column: schema[c].name, start: start, end: end, sink: sink)
            return
        }
        builder.finishRecord()
        if builder.isFull { try sink.emit(builder.build()) }
    }

    /// Converts one field into column `c`; returns an error message on failure.
    @inline(__always)
    mutating func convert(_ v: UnsafeRawBufferPointer, column c: Int) -> String? {
        switch converters[c].type {
        case .string:
            if !UTF8Validation.isValid(v) {
                failedOnEncoding = true
                return "column '\(schema[c].name)' has bytes that are not valid UTF-8 (at byte \(UTF8Validation.firstInvalidOffset(v) ?? 0) of the field); set charset to the file's encoding, or set invalid_utf8: replace to load it with U+FFFD in their place"
            }
            builder.setBytes(c, v)
        case .long:
            guard let x = ValueParsing.parseLong(v) else { return castMessage(v, c, "a 64-bit integer") }
            builder.setLong(c, x)
        case .double:
            guard let x = ValueParsing.parseDouble(v) else { return castMessage(v, c, "a number") }
            builder.setDouble(c, x)
        case .boolean:
            guard let x = ValueParsing.parseBoolean(v) else {
                return castMessage(v, c, "a boolean (true/false, yes/no, t/f, y/n, on/off, 1/0)")
            }
            builder.setBoolean(c, x)
        case .timestamp:
            do {
                builder.setTimestamp(c, nanos: try converters[c].timestamp!.parse(v))
            } catch let e as TimestampError {
                return "column '\(schema[c].name)' (timestamp): \(e.message); fix the value or the column's format"
            } catch {
                return "column '\(schema[c].name)' (timestamp): \(error)"
            }
        case .json:
            var i = 0
            while i < v.count && (v[i] == 32 || v[i] == 9 || v[i] == 10 || v[i] == 13) { i += 1 }
            var end = i
            if i < v.count {
                // Validate first; compact only text that has whitespace inside (most JSON in files has none).
                switch jsonScanner.scan(v, from: i, isFinal: true, tree: nil, compactInto: &jsonOut, compacting: false) {
                case .complete(let e): end = e
                case .needMoreData: return "column '\(schema[c].name)' (json): the JSON text ends too early; fix the JSON text or make the column a string"
                case .invalid(let e): return "column '\(schema[c].name)' (json): \(e.message); fix the JSON text or make the column a string"
                }
            }
            let valueEnd = end
            while end < v.count && (v[end] == 32 || v[end] == 9 || v[end] == 10 || v[end] == 13) { end += 1 }
            if i == v.count || end != v.count {
                return "column '\(schema[c].name)' (json): \(i == v.count ? "no JSON value" : "text after the JSON value"); fix the JSON text or make the column a string"
            }
            if !jsonScanner.sawWhitespace {
                builder.setBytes(c, UnsafeRawBufferPointer(rebasing: v[i..<valueEnd]))
            } else {
                jsonOut.removeAll(keepingCapacity: true)
                _ = jsonScanner.scan(v, from: i, isFinal: true, tree: nil, compactInto: &jsonOut)
                jsonOut.withUnsafeBytes { builder.setBytes(c, $0) }
            }
        }
        return nil
    }

    func castMessage(_ v: UnsafeRawBufferPointer, _ c: Int, _ what: String) -> String {
        "column '\(schema[c].name)' (\(schema[c].type)): cannot parse \"\(preview(v))\" as \(what); fix the value or change the column's type"
    }

    func preview(_ v: UnsafeRawBufferPointer) -> String {
        let s = String(decoding: v.prefix(200), as: UTF8.self)
        return v.count > 200 ? s + "…" : s
    }

    func rejectRaw(
        _ p: UnsafeBufferPointer<UInt8>, _ code: DataErrorCode, _ message: String, column: String?, start: Int, end: Int,
        sink: RecordSink
    ) throws {
        var rawEnd = end
        // Drop the line break from the raw text.
        while rawEnd > start && (p[rawEnd - 1] == 10 || p[rawEnd - 1] == 13) { rawEnd -= 1 }
        let raw = Array(p[start..<min(rawEnd, start + DataError.rawLimit)])
        let decodedOffset = bytesConsumed + Int64(start)
        let error = DataError(
            code, file: file, line: linesConsumed + 1, byteOffset: decoder?.originalOffset(ofDecoded: decodedOffset) ?? decodedOffset,
            column: column,
            message: message, raw: raw, length: Int64(rawEnd - start))
        if options.stopOnInvalidRecord { throw error }
        try sink.reject(error)
    }
}

/// The `RecordParser` for one file: owns a `CSVEngine` and lends it out for each call, so the hot loop works on a
/// local value (statically checked accesses, no per-access exclusivity bookkeeping on class properties).
///
/// Input in a charset other than UTF-8 (or UTF-8 whose invalid bytes are replaced) goes through a `CharsetDecoder`
/// first; the engine then reads UTF-8 and rejects the records holding the invalid sequences the decoder reports.
/// Byte offsets in rejects are offsets in the original file. `fastScan` (default true) lets the engine use its
/// bitmap tokenizer where the dialect allows; false keeps every record on the general one (for differential tests).
final class CSVRecordParser: RecordParser {
    private var engine: CSVEngine?
    private let decoder: CharsetDecoder?

    init(
        options: CSVParserPlugin.Options, schema: Schema, converters: [FieldConverter], file: String, logger: Logger, pageRows: Int,
        fastScan: Bool = true
    ) throws {
        decoder = options.charset.isUTF8 && options.invalidBytes == .reject ? nil : try CharsetDecoder(charset: options.charset)
        engine = CSVEngine(
            options: options, schema: schema, converters: converters, file: file, logger: logger, pageRows: pageRows, decoder: decoder,
            fastScan: fastScan)
    }

    func push(_ chunk: UnsafeRawBufferPointer, to sink: RecordSink) throws {
        var e = engine!
        engine = nil
        defer { engine = e }
        guard let decoder else { return try e.push(chunk, to: sink) }
        try decoder.decode(chunk) { utf8 in
            try Self.feed(&e, decoder, utf8, sink)
        }
        decoder.forgetOffsets(before: e.bytesConsumed)
    }

    func finish(to sink: RecordSink) throws {
        var e = engine!
        engine = nil
        defer { engine = e }
        if let decoder {
            try decoder.finish { utf8 in try Self.feed(&e, decoder, utf8, sink) }
        }
        try e.finish(to: sink)
    }

    private static func feed(_ e: inout CSVEngine, _ decoder: CharsetDecoder, _ utf8: UnsafeRawBufferPointer, _ sink: RecordSink) throws {
        let found = decoder.takeInvalid()
        if e.rejectsInvalid { e.invalid.append(found) }
        try e.push(utf8, to: sink)
    }
}
