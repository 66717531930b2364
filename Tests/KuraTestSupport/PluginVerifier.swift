import KuraCore

/// Collects what a parser emits: the records as boxed values, and the rejected records.
public final class CollectingSink: RecordSink {
    public var rows: [[Value]] = []
    public var rejects: [DataError] = []
    public var pages = 0
    public init() {}
    public func emit(_ page: Page) throws {
        pages += 1
        for r in 0..<page.rowCount {
            rows.append((0..<page.schema.count).map { page.value(row: r, column: $0) })
        }
    }
    public func reject(_ error: DataError) throws { rejects.append(error) }
}

/// Feeds inputs to parsers and transforms whole, byte by byte and at random split points, and checks that every
/// way gives the same result.
public enum PluginVerifier {
    /// The split plans used: whole, one byte at a time, and `randomRuns` random splits (seeded, reproducible).
    public static func splits(of count: Int, randomRuns: Int = 8, seed: UInt64 = 42) -> [[Int]] {
        var plans: [[Int]] = [[count], [Int](repeating: 1, count: count)]
        var rng = SplitMix(seed: seed &+ UInt64(count))
        for _ in 0..<randomRuns {
            var left = count
            var plan: [Int] = []
            while left > 0 {
                let n = min(left, Int(rng.next() % UInt64(max(1, min(count, 64)))) + (rng.next() % 4 == 0 ? 0 : 1))
                plan.append(n)
                left -= n
            }
            plans.append(plan)
        }
        return plans
    }

    /// Runs `makeParser()` over `input` under every split plan and returns the one result they all agree on;
    /// `mismatch` is called with a description when two plans disagree.
    public static func verifyParser(
        input: [UInt8], makeParser: () throws -> RecordParser, mismatch: (String) -> Void
    ) throws -> (rows: [[Value]], rejects: [DataError]) {
        var first: (rows: [[Value]], rejects: [DataError])? = nil
        for (n, plan) in splits(of: input.count).enumerated() {
            let parser = try makeParser()
            let sink = CollectingSink()
            var offset = 0
            try input.withUnsafeBytes { all in
                for size in plan {
                    try parser.push(UnsafeRawBufferPointer(rebasing: all[offset..<offset + size]), to: sink)
                    offset += size
                }
            }
            try parser.finish(to: sink)
            if let f = first {
                if f.rows != sink.rows {
                    mismatch("split plan #\(n) (\(plan.prefix(12))…) gave rows \(sink.rows) instead of \(f.rows)")
                }
                if f.rejects.map(\.code) != sink.rejects.map(\.code) || f.rejects.map(\.line) != sink.rejects.map(\.line) {
                    mismatch("split plan #\(n) gave rejects \(sink.rejects) instead of \(f.rejects)")
                }
            } else {
                first = (sink.rows, sink.rejects)
            }
        }
        // An empty input gives no records.
        let empty = try makeParser()
        let sink = CollectingSink()
        try empty.finish(to: sink)
        if !sink.rows.isEmpty || !sink.rejects.isEmpty { mismatch("empty input produced records") }
        return first!
    }

    /// Runs a byte transform over `input` under every split plan; returns the output they all agree on.
    /// Throws the transform's error (the same under every plan, or `mismatch` is called).
    public static func verifyTransform(
        input: [UInt8], makeTransform: () throws -> ByteTransform, mismatch: (String) -> Void
    ) throws -> [UInt8] {
        var first: Result<[UInt8], Error>? = nil
        for (n, plan) in splits(of: input.count, randomRuns: 6).enumerated() {
            let t = try makeTransform()
            var out: [UInt8] = []
            let result: Result<[UInt8], Error> = Result {
                var offset = 0
                try input.withUnsafeBytes { all in
                    for size in plan {
                        try t.push(UnsafeRawBufferPointer(rebasing: all[offset..<offset + size])) { out.append(contentsOf: $0) }
                        offset += size
                    }
                }
                try t.finish { out.append(contentsOf: $0) }
                return out
            }
            if let f = first {
                switch (f, result) {
                case let (.success(a), .success(b)) where a != b:
                    mismatch("split plan #\(n) gave \(b.count) bytes instead of \(a.count)")
                case (.success, .failure(let e)), (.failure(let e), .success):
                    mismatch("split plan #\(n) disagreed on failure: \(e)")
                default: break
                }
            } else {
                first = result
            }
        }
        return try first!.get()
    }
}

/// A small, seeded pseudo-random generator for reproducible tests.
public struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
