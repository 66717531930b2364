import Foundation
import KuraCore

/// Why a run stopped before committing.
public struct RunFailure: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The outcome of a committed run.
public struct RunResult: Sendable {
    public var runID: String
    public var tasks: [InputTask]
    public var counts: [RowCounts]
    public var total: RowCounts
    /// Files not loaded because the warehouse ledger says they already were.
    public var skipped: [InputTask] = []
    /// Keys for the next config diff's `in:` section (such as `last_path`).
    public var configDiff: [String: String]
    /// The rejects file, when records were rejected.
    public var rejectsPath: String?
    public var elapsedSeconds: Double
    /// Input bytes read (before decoding).
    public var bytesRead: Int64
}

/// Counters shared by the tasks of a run, for the budget and the progress line.
final class RunCounters: @unchecked Sendable {
    let lock = NSLock()
    var rows = 0
    var rejected = 0
    var filesDone = 0
}

/// Executes a `LoadPipeline`'s plan: runs its tasks in parallel (read+decode on one thread, parse,
/// filter and write on another, a bounded queue between them), checks the counts and commits the output once.
public final class LoadRunner {
    public let pipeline: LoadPipeline
    /// The logger; during a run it carries the run's `run_id`.
    var logger: Logger
    /// Stops the run from outside (signals).
    let cancellation = Cancellation()
    /// Show a progress line on stderr (default: when stderr is a terminal).
    public var showProgress = isatty(2) == 1
    /// Size of read and queued chunks in bytes (default 256 KiB).
    public var chunkSize = 256 * 1024

    public init(pipeline: LoadPipeline) {
        self.pipeline = pipeline
        self.logger = pipeline.context.logger
    }

    /// Asks the run to stop; nothing will be committed.
    public func cancel(reason: String) { cancellation.cancel(RunFailure(reason)) }

    /// A new run identifier: UTC time plus a random suffix.
    static func makeRunID() -> String {
        let c = CivilTime(epochSeconds: Int64(Date().timeIntervalSince1970))
        func p(_ v: Int, _ w: Int = 2) -> String { String(v).leftPad(w) }
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPad(8)
        return "\(c.year)\(p(c.month))\(p(c.day))T\(p(c.hour))\(p(c.minute))\(p(c.second))Z-\(suffix)"
    }

    /// Reload files the ledger says were already loaded (default false).
    public var force = false

    /// The run's identifier (default: a new one, the UTC time plus a random suffix). A job's load step names its
    /// runs after the job attempt (`<attempt run id>.<step>`), so the history can tell whose run it was.
    public var runID: String?

    /// Runs the load; returns the result after commit, or throws with nothing committed.
    public func run(rejectsPathOverride: String? = nil) throws -> RunResult {
        let start = Date()
        let ctx = pipeline.context
        let plan = pipeline.plan
        let planned = plan.tasks
        let runID = self.runID ?? LoadRunner.makeRunID()
        logger = pipeline.context.logger.with([("run_id", runID)])
        let rejectsPath = rejectsPathOverride ?? plan.exec.rejectsPath
        let rejects = RejectWriter(path: rejectsPath, runID: runID, logger: logger)
        let counters = RunCounters()
        var runContext = ctx
        runContext.runID = runID
        let session = try pipeline.output.begin(schema: pipeline.outputSchema, tasks: planned, context: runContext)
        var committed = false
        defer { if !committed { session.abort() } }
        // The ledger, when the output keeps one, decides which files are new: it commits with the data.
        let ledger = session as? LedgerOutputSession
        let loaded = force ? [] : (try ledger?.loadedFiles() ?? [])
        // Positions in `planned` of the tasks to run (the output knows tasks by their planned index).
        let runIndices = planned.indices.filter { !loaded.contains(ctx.resolve(planned[$0].name)) }
        let tasks = runIndices.map { planned[$0] }
        let skipped = planned.filter { loaded.contains(ctx.resolve($0.name)) }
        for t in skipped { logger.info("skipping \(t.name): already loaded (run with --force to load it again)") }
        logger.info("run \(runID): \(tasks.count) task(s) from \(pipeline.file ?? "config")")
        var taskCounts = [RowCounts](repeating: RowCounts(), count: tasks.count)
        let countsLock = NSLock()

        let next = Locked(0)
        let threads = min(pipeline.exec.maxThreads, max(tasks.count, 1))
        var workers: [WorkerThread] = []
        for w in 0..<threads {
            let worker = WorkerThread(name: "kura-task-\(w)") { [self] in
                while !cancellation.isCancelled {
                    let index: Int = next.withLock { v in
                        defer { v += 1 }
                        return v
                    }
                    if index >= tasks.count { return }
                    do {
                        let c = try runTask(runIndices[index], task: tasks[index], session: session, rejects: rejects, counters: counters)
                        countsLock.lock()
                        taskCounts[index] = c
                        countsLock.unlock()
                    } catch {
                        cancellation.cancel(error)
                    }
                }
            }
            workers.append(worker)
            worker.start()
        }
        let progress = showProgress ? startProgress(counters: counters, taskCount: tasks.count, start: start) : nil
        for w in workers { w.join() }
        progress?.stop()
        if let error = cancellation.error {
            try? rejects.finish()
            throw error
        }
        var total = RowCounts()
        for c in taskCounts { total += c }
        for (i, c) in taskCounts.enumerated() where !c.addsUp {
            throw RunFailure(
                "row counts do not add up for \(tasks[i].name): read \(c.read) ≠ loaded \(c.loaded) + rejected \(c.rejected) + filtered \(c.filtered); nothing was committed")
        }
        if case .ratio(let r) = pipeline.exec.maxErrors, total.read > 0, Double(total.rejected) > r * Double(total.read) {
            try? rejects.finish()
            throw RunFailure(
                "\(total.rejected) of \(total.read) records were rejected, more than exec.max_errors (\(r * 100)%); nothing was committed — see \(rejects.path)")
        }
        if let ledger {
            let absolute = tasks.map { InputTask(name: ctx.resolve($0.name), size: $0.size, modifiedAt: $0.modifiedAt) }
            try ledger.recordRun(
                id: runID, configHash: plan.configHash, counts: total, tasks: absolute, taskCounts: taskCounts)
            // The rejects commit with the data, in the warehouse's rejects table (and stay in the rejects file).
            try rejects.replay { try ledger.recordRejects(runID: runID, $0) }
        }
        try session.commit(CommitReport(tasks: tasks, counts: taskCounts, total: total))
        committed = true
        logger.with(Self.fields(total) + [("files", String(tasks.count)), ("skipped_files", String(skipped.count))]).info(
            "run \(runID) committed to \(pipeline.outputType): read \(total.read), loaded \(total.loaded), rejected \(total.rejected), filtered \(total.filtered)")
        try rejects.finish()
        return RunResult(
            runID: runID, tasks: tasks, counts: taskCounts, total: total, skipped: skipped, configDiff: plan.configDiff,
            rejectsPath: rejects.count > 0 ? rejects.path : nil, elapsedSeconds: Date().timeIntervalSince(start),
            bytesRead: bytesTotal.withLock { $0 })
    }

    /// Row counts as log fields.
    static func fields(_ c: RowCounts) -> [(String, String)] {
        [("read", String(c.read)), ("loaded", String(c.loaded)), ("rejected", String(c.rejected)), ("filtered", String(c.filtered))]
    }

    /// Runs one task; returns its counts.
    func runTask(_ index: Int, task: InputTask, session: OutputSession, rejects: RejectWriter, counters: RunCounters) throws -> RowCounts {
        let ctx = pipeline.context
        let parser = try pipeline.parser.makeParser(for: task, context: ctx)
        let filters = try pipeline.filters.enumerated().map { try $0.element.makeFilter(input: pipeline.schemas[$0.offset]) }
        let writer = try session.openTask(index)
        let sink = TaskSink(
            filters: filters, writer: writer, rejects: rejects, budget: pipeline.exec.maxErrors, counters: counters,
            cancellation: cancellation, taskName: task.name)
        let cpuAtStart = threadCPUSeconds()
        var readerCPU = 0.0
        do {
            readerCPU = try streamDecoded(task) { chunk in try parser.push(chunk, to: sink) }
            try parser.finish(to: sink)
            for f in filters { try (f as? FinishingPageFilter)?.finish() }
            try writer.finish()
            for refusal in (writer as? RefusingOutputTaskWriter)?.refused ?? [] { try sink.refuse(refusal) }
        } catch {
            writer.abort()
            throw error
        }
        counters.lock.lock()
        counters.filesDone += 1
        counters.lock.unlock()
        logger.with([("file", task.name)] + Self.fields(sink.counts)).debug(
            "task \(index) \(task.name): read \(sink.counts.read), loaded \(sink.counts.loaded), rejected \(sink.counts.rejected); CPU: read+decode \(String(format: "%.3f", readerCPU)) s, parse+filter+output \(String(format: "%.3f", threadCPUSeconds() - cpuAtStart)) s"
        )
        return sink.counts
    }

    /// Reads and decodes `task` on a reader thread and calls `body` with each decoded chunk on this thread;
    /// returns the CPU seconds the reader thread used.
    @discardableResult
    func streamDecoded(_ task: InputTask, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Double {
        let ctx = pipeline.context
        let reader = try pipeline.input.open(task, context: ctx)
        defer { reader.close() }
        let decoders = try pipeline.decoders.map { try $0.makeDecoder(for: task) }
        let queue = BoundedQueue<ChunkBuffer>(capacity: 8)
        // Buffers the parse side is done with, for the reader to fill again.
        let spare = Locked<[ChunkBuffer]>([])
        let readError = Locked<Error?>(nil)
        let chunkSize = self.chunkSize
        let cancellation = self.cancellation
        let bytesTotal = self.bytesTotal
        let readerCPU = Locked(0.0)
        let reading = WorkerThread(name: "kura-read") {
            defer { readerCPU.withLock { $0 = threadCPUSeconds() } }
            func freshBuffer() -> ChunkBuffer {
                spare.withLock { $0.popLast() } ?? ChunkBuffer(capacity: chunkSize + chunkSize / 4)
            }
            do {
                var pending = freshBuffer()
                var stopped = false
                let emit: ByteSink = { bytes in
                    pending.append(bytes)
                    if pending.count >= chunkSize {
                        if !queue.put(pending) { stopped = true }
                        pending = freshBuffer()
                    }
                }
                var sinks: [ByteSink] = [emit]
                for d in decoders.reversed() {
                    let downstream = sinks.last!
                    sinks.append { try d.push($0, to: downstream) }
                }
                let head = sinks.last!
                var buffer = [UInt8](repeating: 0, count: chunkSize)
                while !stopped && !cancellation.isCancelled {
                    let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                    if n == 0 { break }
                    bytesTotal.withLock { $0 += Int64(n) }
                    try buffer.withUnsafeBytes { try head(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                }
                if !stopped && !cancellation.isCancelled {
                    // Finish the decoders in order: decoder i flushes into decoder i+1.
                    for (i, d) in decoders.enumerated() {
                        let downstream = sinks[decoders.count - 1 - i]
                        try d.finish(to: downstream)
                    }
                    if pending.count > 0 { queue.put(pending) }
                }
            } catch {
                readError.withLock { $0 = error }
            }
            queue.close()
        }
        reading.start()
        var failure: Error? = nil
        while let chunk = queue.take() {
            if cancellation.isCancelled { break }
            do {
                try body(chunk.bytes)
            } catch {
                failure = error
                break
            }
            chunk.removeAll()
            spare.withLock { $0.append(chunk) }
        }
        queue.cancel()
        reading.join()
        if let failure { throw failure }
        if let e = readError.withLock({ $0 }) { throw e }
        if let e = cancellation.error { throw e }
        return readerCPU.withLock { $0 }
    }

    /// Input bytes read so far, by every task (for the progress line and the result).
    let bytesTotal = Locked<Int64>(0)

    final class Progress {
        var stopped = Locked(false)
        var thread: WorkerThread?
        func stop() {
            stopped.withLock { $0 = true }
            thread?.join()
            FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!)
        }
    }

    func startProgress(counters: RunCounters, taskCount: Int, start: Date) -> Progress {
        let p = Progress()
        let t = WorkerThread(name: "kura-progress") { [self] in
            while !p.stopped.withLock({ $0 }) {
                usleep(250_000)
                counters.lock.lock()
                let rows = counters.rows, files = counters.filesDone
                counters.lock.unlock()
                let bytes = bytesTotal.withLock { $0 }
                let secs = max(0.001, Date().timeIntervalSince(start))
                let line = String(format: "\r\u{1B}[Kkura: %d/%d files, %@ rows, %.1f MB/s read", files, taskCount, formatCount(rows), Double(bytes) / secs / 1e6)
                FileHandle.standardError.write(line.data(using: .utf8)!)
            }
        }
        p.thread = t
        t.start()
        return p
    }
}

/// Receives one task's parser output: runs the filters, hands pages to the output, sends rejects to the writer,
/// and keeps the task's counts.
final class TaskSink: RecordSink {
    let filters: [PageFilter]
    let writer: OutputTaskWriter
    let rejects: RejectWriter
    let budget: ErrorBudget
    let counters: RunCounters
    let cancellation: Cancellation
    /// The task's name, put into the rejects and errors of filters (which do not know it).
    let taskName: String
    var counts = RowCounts()

    init(
        filters: [PageFilter], writer: OutputTaskWriter, rejects: RejectWriter, budget: ErrorBudget, counters: RunCounters,
        cancellation: Cancellation, taskName: String
    ) {
        self.filters = filters
        self.writer = writer
        self.rejects = rejects
        self.budget = budget
        self.counters = counters
        self.cancellation = cancellation
        self.taskName = taskName
    }

    func emit(_ page: Page) throws {
        if let e = cancellation.error { throw e }
        let result: (page: Page, rejected: Int)
        do {
            result = try filters.apply(to: page) { try record($0.located(in: taskName)) }
        } catch let e as DataError {
            throw e.located(in: taskName)
        }
        let (p, rejected) = result
        counts.read += page.rowCount
        counts.filtered += page.rowCount - rejected - p.rowCount
        counts.loaded += p.rowCount
        if p.rowCount > 0 { try writer.add(p) }
        counters.lock.lock()
        counters.rows += page.rowCount
        counters.lock.unlock()
    }

    func reject(_ error: DataError) throws {
        counts.read += 1
        try record(error)
    }

    /// Counts a record the output refused after it was handed over: rejected instead of loaded.
    func refuse(_ error: DataError) throws {
        counts.loaded -= 1
        try record(error)
    }

    /// Writes a rejected record (already counted as read), counts it and checks the error budget.
    func record(_ error: DataError) throws {
        counts.rejected += 1
        try rejects.write(error)
        counters.lock.lock()
        counters.rejected += 1
        let total = counters.rejected
        counters.lock.unlock()
        if case .count(let n) = budget, total > n {
            throw RunFailure(
                "more than exec.max_errors (\(n)) records were rejected (the last at \(error.location): \(error.message)); nothing was committed — see \(rejects.path)")
        }
    }
}

extension DataError {
    /// This error with `file` set to `task` when a filter left it empty.
    func located(in task: String) -> DataError {
        guard file.isEmpty else { return self }
        var e = self
        e.file = task
        return e
    }
}

/// The CPU time (user + system) the calling thread has used, in seconds.
func threadCPUSeconds() -> Double {
    var t = timespec()
    guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == 0 else { return 0 }
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// `1234567` as `1,234,567`.
func formatCount(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 && ch != "-" { out.append(",") }
        out.append(ch)
    }
    return out
}

extension String {
    func leftPad(_ width: Int, _ pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
    func rightPad(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
