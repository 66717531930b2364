import KuraCore

/// Receives the records the sampling parser reads (every column a string, or one json `record` column) and hands
/// each value to its column's guesser; the first record is kept apart when it may be a header.
final class ValueCollector: RecordSink {
    var guessers: [ColumnTypeGuesser]
    /// Whether the first record is held back (a header candidate) rather than observed.
    var holdFirst: Bool
    /// The first record's values (nil for null), when held back.
    var first: [String?]?
    var rows = 0
    /// The first 200 records after the held-back one, as text, for comparing shapes.
    var keptRows: [[String]] = []
    var rejects: [DataError] = []
    /// Called with each record's json text instead, for the json parser's `record` column.
    var onRecord: ((UnsafeRawBufferPointer) -> Void)?

    init(columns: Int, holdFirst: Bool) {
        guessers = (0..<columns).map { _ in ColumnTypeGuesser() }
        self.holdFirst = holdFirst
    }

    func emit(_ page: Page) throws {
        if onRecord == nil && (!holdFirst || (first != nil && keptRows.count >= 200)) {
            observeColumns(page)
            return
        }
        for r in 0..<page.rowCount {
            rows += 1
            if let onRecord {
                if !page.isNull(row: r, column: 0) { page.withBytes(row: r, column: 0, onRecord) }
                continue
            }
            if holdFirst && first == nil {
                first = (0..<page.schema.count).map { c in page.isNull(row: r, column: c) ? nil : page.string(row: r, column: c) }
                continue
            }
            if holdFirst && keptRows.count < 200 {
                keptRows.append((0..<page.schema.count).map { c in page.isNull(row: r, column: c) ? "" : page.string(row: r, column: c) })
            }
            for c in 0..<min(page.schema.count, guessers.count) {
                if page.isNull(row: r, column: c) { guessers[c].nulls += 1 } else { page.withBytes(row: r, column: c, guessers[c].observe) }
            }
        }
    }

    /// Hands every value of `page` to its column's guesser, a column at a time (the fast path for whole files).
    func observeColumns(_ page: Page) {
        rows += page.rowCount
        for c in 0..<min(page.schema.count, guessers.count) {
            let g = guessers[c]
            let vector = page.columns[c]
            vector.bytes.withUnsafeBytes { bytes in
                vector.offsets.withUnsafeBufferPointer { offsets in
                    for r in 0..<page.rowCount {
                        if !vector.validity[r] {
                            g.nulls += 1
                            continue
                        }
                        g.observe(UnsafeRawBufferPointer(rebasing: bytes[offsets[r]..<offsets[r + 1]]))
                    }
                }
            }
        }
    }

    func reject(_ error: DataError) throws { if rejects.count < 1000 { rejects.append(error) } }
}
