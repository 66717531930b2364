import KuraCore
import KuraFormats

/// A line the CSV engine skips without keeping it: a record longer than `max_record_size` (rejected once the line
/// ends, with its first bytes and whole length), or a header or comment line that long (dropped).
struct LineSkip {
    /// The reject for the record, its raw text growing up to `DataError.rawLimit` bytes; nil for a header or
    /// comment line.
    var reject: DataError?
    /// Bytes of the line read so far.
    var length: Int64
    /// Whether the last byte read was a CR that may start a CRLF (decided by the next byte).
    var afterCR: Bool
}

extension CSVEngine {
    /// Handles the record at `start` that does not end within `max_record_size` bytes: rejects its first line
    /// (`RECORD_TOO_LARGE`; a comment line is just skipped) and returns where parsing resumes, after that line.
    ///
    /// When the line's end is not in `p` yet, the engine begins skipping it (`beginSkip`) and the answer is
    /// `p.count`: the bytes read so far are dropped, and the rest of the line is dropped as it arrives.
    @inline(never)
    mutating func oversized(_ p: UnsafeBufferPointer<UInt8>, at start: Int, final: Bool, sink: RecordSink) throws -> Int {
        var isComment = false
        if let marker = comment, start + marker.count <= p.count {
            isComment = p[start..<start + marker.count].elementsEqual(marker)
        }
        if let end = physicalLineEnd(p, from: start, final: final) {
            _ = invalid.take(before: bytesConsumed + Int64(end))
            if !isComment {
                var contentEnd = end
                while contentEnd > start && (p[contentEnd - 1] == 10 || p[contentEnd - 1] == 13) { contentEnd -= 1 }
                try rejectRaw(
                    p, .recordTooLarge, tooLargeMessage(length: Int64(contentEnd - start)), column: nil, start: start,
                    end: end, sink: sink)
            }
            linesConsumed += 1
            return end
        }
        if !isComment && options.stopOnInvalidRecord {
            try rejectRaw(p, .recordTooLarge, tooLargeMessage(length: nil), column: nil, start: start, end: p.count, sink: sink)
        }
        beginSkip(p, from: start, rejecting: !isComment)
        return p.count
    }

    /// Starts skipping the line that begins at `start` and runs past the end of `p` (whose bytes from `start` on
    /// are consumed by the caller); `rejecting` makes it a `RECORD_TOO_LARGE` reject once the line ends.
    mutating func beginSkip(_ p: UnsafeBufferPointer<UInt8>, from start: Int, rejecting: Bool) {
        var reject: DataError? = nil
        if rejecting {
            let decodedOffset = bytesConsumed + Int64(start)
            reject = DataError(
                .recordTooLarge, file: file, line: linesConsumed + 1,
                byteOffset: decoder?.originalOffset(ofDecoded: decodedOffset) ?? decodedOffset,
                message: "", raw: Array(p[start..<min(p.count, start + DataError.rawLimit)]))
        }
        skip = LineSkip(reject: reject, length: Int64(p.count - start), afterCR: acceptCRLF && p.count > start && p[p.count - 1] == 13)
        minBuffered = 0
    }

    /// Drops the bytes of the line being skipped from the start of `rest` (keeping the reject's first bytes);
    /// returns what follows the line's end, or nothing when the line goes on.
    mutating func skipLine(_ rest: UnsafeBufferPointer<UInt8>, sink: RecordSink) throws -> UnsafeBufferPointer<UInt8> {
        var s = skip!
        let n = rest.count
        let base = rest.baseAddress!
        // The line's break is `breakLength` bytes (some may be in the chunk before) and ends at `breakEnd`.
        var breakEnd = -1
        var breakLength = 0
        if s.afterCR {
            s.afterCR = false
            if acceptCRLF && rest[0] == 10 {
                (breakEnd, breakLength) = (1, 2)
            } else if acceptCR {
                (breakEnd, breakLength) = (0, 1)
            }
        }
        var i = 0
        while breakEnd < 0 && i < n {
            i = ByteScan.firstOf3(base, i, n, 10, 13, 13)
            if i >= n { break }
            if rest[i] == 10 {
                if acceptLF { (breakEnd, breakLength) = (i + 1, 1) }
            } else if i + 1 < n {
                if rest[i + 1] == 10 && acceptCRLF {
                    (breakEnd, breakLength) = (i + 2, 2)
                } else if acceptCR {
                    (breakEnd, breakLength) = (i + 1, 1)
                }
            } else if acceptCRLF {
                s.afterCR = true
            } else if acceptCR {
                (breakEnd, breakLength) = (i + 1, 1)
            }
            i += 1
        }
        // Bytes of this chunk that belong to the line, its line break included.
        let taken = breakEnd < 0 ? n : breakEnd
        if s.reject != nil {
            let room = DataError.rawLimit - s.reject!.raw.count
            if room > 0 { s.reject!.raw.append(contentsOf: UnsafeBufferPointer(rebasing: rest[0..<min(taken, room)])) }
        }
        s.length += Int64(taken)
        bytesConsumed += Int64(taken)
        // Invalid sequences the decoder found in skipped bytes are dropped as they pass, so they cannot pile up.
        if invalid.nextOffset < bytesConsumed { _ = invalid.take(before: bytesConsumed) }
        if breakEnd < 0 {
            skip = s
            return UnsafeBufferPointer(rebasing: rest[n...])
        }
        skip = nil
        try endSkip(s, breakLength: breakLength, sink: sink)
        return UnsafeBufferPointer(rebasing: rest[taken...])
    }

    /// Ends the skipped line `s`, whose last `breakLength` bytes were its line break: rejects the record, if it
    /// was one, with its first bytes and its whole length.
    mutating func endSkip(_ s: LineSkip, breakLength: Int, sink: RecordSink) throws {
        _ = invalid.take(before: bytesConsumed)
        linesConsumed += 1
        minBuffered = 0
        guard var error = s.reject else { return }
        let length = s.length - Int64(breakLength)
        if Int64(error.raw.count) > length { error.raw.removeLast(error.raw.count - Int(length)) }
        error.length = length
        error.message = tooLargeMessage(length: length)
        try sink.reject(error)
    }

    /// The message of a `RECORD_TOO_LARGE` reject whose line is `length` bytes (nil when not known yet).
    func tooLargeMessage(length: Int64?) -> String {
        let size = length.map { "its line is \($0) bytes long" } ?? "more than that was read without finding its end"
        return "the record is larger than max_record_size (\(maxRecordSize) bytes): \(size); it was skipped without being read whole, and reading resumes at the next line. If records this large are expected, raise max_record_size (a number of bytes); else check the file: a record this large is usually a file that is not this CSV, or a quote that is never closed"
    }
}
