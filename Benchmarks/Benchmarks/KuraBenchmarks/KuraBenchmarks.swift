import Benchmark
import KuraCore
import KuraFormats

/// Rows in the in-memory event sample every parser benchmark reads.
let sampleRows = 100_000
/// The event sample, generated once per process from a fixed seed.
let sample = EventSample(rows: sampleRows)
let csvGzip = try! EventSample.gzipped(sample.csv)
let jsonlGzip = try! EventSample.gzipped(sample.jsonl)

/// Throughput in megabytes (10^6 bytes) per second, measured inside the benchmark per iteration.
let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
/// Records per second, in thousands, measured inside the benchmark per iteration.
let kiloRecordsPerSecond = BenchmarkMetric.custom("k records/s", polarity: .prefersLarger, useScalingFactor: false)

/// Runs `body` once per iteration, timing it to report `bytes` as MB/s and `records` as k records/s.
func measured(_ benchmark: Benchmark, bytes: Int, records: Int, _ body: () throws -> Void) rethrows {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    guard seconds > 0 else { return }
    benchmark.measurement(megabytesPerSecond, Int(Double(bytes) / 1e6 / seconds))
    if records > 0 { benchmark.measurement(kiloRecordsPerSecond, Int(Double(records) / 1e3 / seconds)) }
}

let benchmarks: @Sendable () -> Void = {
    // Loose on purpose: this machine's speed varies by more than 1.5x over a day, so no thresholds are set.
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 50)
    let parserMetrics: [BenchmarkMetric] = [.throughput, .wallClock, .mallocCountTotal, megabytesPerSecond, kiloRecordsPerSecond]

    // MARK: CSV

    Benchmark("CSV tokenizer (string columns, 100k events)", configuration: .init(metrics: parserMetrics)) { benchmark in
        let plugin = try Workloads.csvPlugin(typed: false)
        benchmark.startMeasurement()
        try measured(benchmark, bytes: sample.csv.count, records: sampleRows) {
            let sink = try Workloads.parse(sample.csv, with: plugin)
            expect(sink.rows == sampleRows && sink.rejects == 0, "csv strings: \(sink.rows) rows, \(sink.rejects) rejects")
        }
    }

    Benchmark("CSV tokenizer+conversion (typed events, 100k)", configuration: .init(metrics: parserMetrics)) { benchmark in
        let plugin = try Workloads.csvPlugin(typed: true)
        benchmark.startMeasurement()
        try measured(benchmark, bytes: sample.csv.count, records: sampleRows) {
            let sink = try Workloads.parse(sample.csv, with: plugin)
            expect(sink.rows == sampleRows && sink.rejects == 0, "csv typed: \(sink.rows) rows, \(sink.rejects) rejects")
        }
    }

    Benchmark("CSV whole parse (gzip -> csv, typed, 100k)", configuration: .init(metrics: parserMetrics)) { benchmark in
        let plugin = try Workloads.csvPlugin(typed: true)
        benchmark.startMeasurement()
        try measured(benchmark, bytes: sample.csv.count, records: sampleRows) {
            let sink = try Workloads.gunzipAndParse(csvGzip, with: plugin)
            expect(sink.rows == sampleRows && sink.rejects == 0, "csv.gz: \(sink.rows) rows, \(sink.rejects) rejects")
        }
    }

    // MARK: JSON

    Benchmark("JSON scanner (validate+compact, 100k lines)", configuration: .init(metrics: parserMetrics)) { benchmark in
        let scanner = JSONScanner()
        var scratch: [UInt8] = []
        scratch.reserveCapacity(4096)
        benchmark.startMeasurement()
        measured(benchmark, bytes: sample.jsonl.count, records: sampleRows) {
            let n = Workloads.scanLines(sample.jsonl, scanner: scanner, scratch: &scratch)
            expect(n == sampleRows, "json scanner: \(n) records")
        }
    }

    Benchmark("JSON parser (default: one json column, 100k)", configuration: .init(metrics: parserMetrics)) { benchmark in
        let plugin = try Workloads.jsonPlugin(typed: false)
        benchmark.startMeasurement()
        try measured(benchmark, bytes: sample.jsonl.count, records: sampleRows) {
            let sink = try Workloads.parse(sample.jsonl, with: plugin)
            expect(sink.rows == sampleRows && sink.rejects == 0, "json: \(sink.rows) rows, \(sink.rejects) rejects")
        }
    }

    Benchmark("JSON parser (typed events, 100k)", configuration: .init(metrics: parserMetrics)) { benchmark in
        let plugin = try Workloads.jsonPlugin(typed: true)
        benchmark.startMeasurement()
        try measured(benchmark, bytes: sample.jsonl.count, records: sampleRows) {
            let sink = try Workloads.parse(sample.jsonl, with: plugin)
            expect(sink.rows == sampleRows && sink.rejects == 0, "json typed: \(sink.rows) rows, \(sink.rejects) rejects")
        }
    }

    Benchmark("JSON whole parse (gzip -> json, typed, 100k)", configuration: .init(metrics: parserMetrics)) { benchmark in
        let plugin = try Workloads.jsonPlugin(typed: true)
        benchmark.startMeasurement()
        try measured(benchmark, bytes: sample.jsonl.count, records: sampleRows) {
            let sink = try Workloads.gunzipAndParse(jsonlGzip, with: plugin)
            expect(sink.rows == sampleRows && sink.rejects == 0, "jsonl.gz: \(sink.rows) rows, \(sink.rejects) rejects")
        }
    }

    // MARK: Filters (over the parsed sample; the parse itself is "CSV tokenizer+conversion")

    let eventPages = try! FilterWorkloads.pages()
    let eventSchema = eventPages[0].schema
    for (name, chain) in [("column + row", FilterWorkloads.columnAndRow), ("one expression column", FilterWorkloads.expression)] {
        Benchmark("Filters: \(name) (100k parsed events)", configuration: .init(metrics: parserMetrics)) { benchmark in
            let filters = try FilterWorkloads.chain(chain, input: eventSchema)
            benchmark.startMeasurement()
            try measured(benchmark, bytes: sample.csv.count, records: sampleRows) {
                let n = try FilterWorkloads.run(eventPages, filters)
                expect(n == sampleRows, "filters \(name): \(n) rows")
            }
        }
    }

    // MARK: gzip

    Benchmark("gzip decode (events CSV, MB/s of output)", configuration: .init(metrics: parserMetrics)) { benchmark in
        benchmark.startMeasurement()
        try measured(benchmark, bytes: sample.csv.count, records: 0) {
            let produced = try Workloads.gunzip(csvGzip)
            expect(produced == sample.csv.count, "gunzip gave \(produced) bytes")
        }
    }

    // MARK: Converters (one scaled iteration = one value; throughput is values per second)

    let converterConfig = Benchmark.Configuration(
        metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(2),
        maxIterations: 10_000)

    let longs = Workloads.values(1000) { String($0.int(1...2_000_000_000) + ($0.unit() < 0.5 ? 5_000_000_000 : 0)) }
    Benchmark("ValueParsing.parseLong", configuration: converterConfig) { benchmark in
        var sum: Int64 = 0
        for i in benchmark.scaledIterations {
            sum &+= longs[i].withUnsafeBytes { ValueParsing.parseLong($0) } ?? -1
        }
        blackHole(sum)
    }

    let doubles = Workloads.values(1000) { EventSample.priceText(cents: Int(($0.unit() * $0.unit() * 500 + 0.5) * 100)) }
    Benchmark("ValueParsing.parseDouble", configuration: converterConfig) { benchmark in
        var sum = 0.0
        for i in benchmark.scaledIterations {
            sum += doubles[i].withUnsafeBytes { ValueParsing.parseDouble($0) } ?? -1
        }
        blackHole(sum)
    }

    func timestampTexts(iso: Bool) -> [[UInt8]] {
        Workloads.values(1000) {
            let (d, t) = EventSample.civil(1_704_067_200 + $0.int(0...86_400 * 365))
            return iso ? "\(d)T\(t)Z" : "\(d) \(t)"
        }
    }
    let plainTimes = timestampTexts(iso: false)
    let plainParser = try! TimestampParser(format: "%Y-%m-%d %H:%M:%S")
    Benchmark("TimestampParser.parse %Y-%m-%d %H:%M:%S", configuration: converterConfig) { benchmark in
        var sum: Int64 = 0
        for i in benchmark.scaledIterations {
            sum &+= try plainTimes[i].withUnsafeBytes { try plainParser.parse($0) }
        }
        blackHole(sum)
    }

    let isoTimes = timestampTexts(iso: true)
    let isoParser = try! TimestampParser(format: "%Y-%m-%dT%H:%M:%S%z")
    Benchmark("TimestampParser.parse ISO %Y-%m-%dT%H:%M:%S%z", configuration: converterConfig) { benchmark in
        var sum: Int64 = 0
        for i in benchmark.scaledIterations {
            sum &+= try isoTimes[i].withUnsafeBytes { try isoParser.parse($0) }
        }
        blackHole(sum)
    }

    let defaultFormatParser = try! TimestampParser(format: TimestampParser.defaultFormat)
    Benchmark("TimestampParser.parse ISO with the default format", configuration: converterConfig) { benchmark in
        var sum: Int64 = 0
        for i in benchmark.scaledIterations {
            sum &+= try isoTimes[i].withUnsafeBytes { try defaultFormatParser.parse($0) }
        }
        blackHole(sum)
    }
}
