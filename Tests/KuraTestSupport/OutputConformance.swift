import Dispatch
import KuraCore

/// A reusable suite that any transactional `OutputPlugin` can be run through: open and close with no tasks, an
/// empty page, many pages from several tasks on several threads, a task abort, and a run abort.
///
/// Each case runs against its own target, named by the case (see `Case`), so the harness closures can give every
/// case a fresh table or directory. The suite returns its failures as sentences instead of recording them, so it
/// needs no test framework; a test asserts that the list is empty.
public enum OutputConformance {
    /// The cases, in the order they run; the raw value names the case's target.
    public enum Case: String, CaseIterable, Sendable {
        case openClose = "open_close"
        case emptyPage = "empty_page"
        case manyPages = "many_pages"
        case taskAbort = "task_abort"
        case abortLeavesNoRows = "abort_leaves_no_rows"
    }

    /// How to drive and inspect one output.
    public struct Harness {
        /// Makes a plugin that writes to the target of the given case.
        public var makePlugin: (Case) throws -> OutputPlugin
        /// The number of rows visible in the case's target (0 when the target does not exist yet).
        public var countRows: (Case) throws -> Int
        /// The rows in the case's target, as values of `OutputConformance.schema` (order does not matter).
        public var readRows: (Case) throws -> [[Value]]
        /// The context passed to `plan` and `begin`.
        public var context: PluginContext

        public init(
            context: PluginContext,
            makePlugin: @escaping (Case) throws -> OutputPlugin,
            countRows: @escaping (Case) throws -> Int,
            readRows: @escaping (Case) throws -> [[Value]]
        ) {
            self.context = context
            self.makePlugin = makePlugin
            self.countRows = countRows
            self.readRows = readRows
        }
    }

    /// The schema of the rows written: one column of each type.
    public static let schema = Schema([
        ("id", .long), ("name", .string), ("score", .double), ("flag", .boolean), ("at", .timestamp), ("doc", .json),
    ])

    /// The number of tasks in the multi-task cases.
    public static let taskCount = 4
    /// The number of pages each task writes in the multi-task cases.
    public static let pagesPerTask = 5
    /// The number of rows in each page of the multi-task cases.
    public static let rowsPerPage = 300

    /// Runs every case (or those in `cases`) and returns the failures, each naming its case.
    public static func run(_ harness: Harness, cases: [Case] = Case.allCases) -> [String] {
        var failures: [String] = []
        for c in cases {
            do {
                try run(c, harness, failures: &failures)
            } catch {
                failures.append("\(c.rawValue): threw \(error)")
            }
        }
        return failures
    }

    /// The row `row` of page `page` of task `task`: distinct ids, every type, some nulls.
    public static func row(task: Int, page: Int, row: Int) -> [Value] {
        let id = Int64(task * 1_000_000 + page * 10_000 + row)
        return [
            .long(id),
            row % 7 == 3 ? .null : .string("t\(task)-p\(page)-r\(row) \u{00E9}\u{1F600}"),
            row % 5 == 1 ? .null : .double(Double(id) / 8 - 1000.125),
            row % 11 == 4 ? .null : .boolean(row % 2 == 0),
            row % 13 == 6 ? .null : .timestamp(Timestamp(nanos: (id - 500_000) * 1_000_003_000)),
            row % 3 == 2 ? .null : .json("{\"task\":\(task),\"row\":[\(row),true,null]}"),
        ]
    }

    /// A page of `rowsPerPage` rows for task `task`.
    public static func page(task: Int, page: Int, rows: Int = rowsPerPage) -> Page {
        var builder = PageBuilder(schema: schema, capacity: rows)
        for r in 0..<rows {
            for (c, v) in row(task: task, page: page, row: r).enumerated() { builder.set(c, v) }
            builder.finishRecord()
        }
        return builder.build()
    }

    static func expectedRows(tasks: [Int]) -> [[Value]] {
        tasks.flatMap { t in
            (0..<pagesPerTask).flatMap { p in (0..<rowsPerPage).map { row(task: t, page: p, row: $0) } }
        }
    }

    static func tasks(_ n: Int) -> [InputTask] {
        (0..<n).map { InputTask(name: "task-\($0).csv", size: Int64(1000 + $0), modifiedAt: 1_700_000_000 + Double($0)) }
    }

    static func report(_ counts: [RowCounts]) -> CommitReport {
        var total = RowCounts()
        for c in counts { total += c }
        return CommitReport(tasks: tasks(counts.count), counts: counts, total: total)
    }

    static func loaded(_ n: Int) -> RowCounts { RowCounts(read: n, loaded: n) }

    /// Writes `pagesPerTask` pages for each task index in `indices`, each task on its own thread; `abortTask`, when
    /// given, aborts instead of finishing. Returns the errors thrown by the tasks.
    static func writeConcurrently(_ session: OutputSession, indices: [Int], abortTask: Int? = nil) throws -> [String] {
        let writers = try indices.map { try session.openTask($0) }
        let box = ErrorBox()
        let shared = UncheckedBox(writers)
        DispatchQueue.concurrentPerform(iterations: indices.count) { i in
            let writer = shared.value[i]
            do {
                for p in 0..<pagesPerTask {
                    try writer.add(page(task: indices[i], page: p))
                }
                if indices[i] == abortTask { writer.abort() } else { try writer.finish() }
            } catch {
                writer.abort()
                box.append("task \(indices[i]): \(error)")
            }
        }
        return box.items
    }

    static func run(_ c: Case, _ h: Harness, failures: inout [String]) throws {
        func fail(_ message: String) { failures.append("\(c.rawValue): \(message)") }
        let plugin = try h.makePlugin(c)
        try plugin.plan(schema: schema, context: h.context)
        switch c {
        case .openClose:
            let session = try plugin.begin(schema: schema, tasks: [], context: h.context)
            try session.commit(report([]))
            let n = try h.countRows(c)
            if n != 0 { fail("a run with no tasks left \(n) rows") }
            let again = try h.makePlugin(c).begin(schema: schema, tasks: [], context: h.context)
            again.abort()
            let m = try h.countRows(c)
            if m != 0 { fail("an aborted run with no tasks left \(m) rows") }

        case .emptyPage:
            let session = try plugin.begin(schema: schema, tasks: tasks(1), context: h.context)
            let writer = try session.openTask(0)
            try writer.add(Page.empty(schema))
            try writer.finish()
            try session.commit(report([RowCounts()]))
            let n = try h.countRows(c)
            if n != 0 { fail("an empty page left \(n) rows") }

        case .manyPages:
            let session = try plugin.begin(schema: schema, tasks: tasks(taskCount), context: h.context)
            let errors = try writeConcurrently(session, indices: Array(0..<taskCount))
            for e in errors { fail(e) }
            let before = try h.countRows(c)
            if before != 0 { fail("\(before) rows were visible before commit") }
            let perTask = pagesPerTask * rowsPerPage
            try session.commit(report(Array(repeating: loaded(perTask), count: taskCount)))
            try compare(try h.readRows(c), expectedRows(tasks: Array(0..<taskCount)), fail)

        case .taskAbort:
            let session = try plugin.begin(schema: schema, tasks: tasks(taskCount), context: h.context)
            let errors = try writeConcurrently(session, indices: Array(0..<taskCount), abortTask: 1)
            for e in errors { fail(e) }
            let perTask = pagesPerTask * rowsPerPage
            var counts = Array(repeating: loaded(perTask), count: taskCount)
            counts[1] = RowCounts()
            try session.commit(report(counts))
            try compare(try h.readRows(c), expectedRows(tasks: [0, 2, 3]), fail)

        case .abortLeavesNoRows:
            let session = try plugin.begin(schema: schema, tasks: tasks(taskCount), context: h.context)
            let errors = try writeConcurrently(session, indices: Array(0..<taskCount))
            for e in errors { fail(e) }
            session.abort()
            let n = try h.countRows(c)
            if n != 0 { fail("an aborted run left \(n) rows") }
        }
    }

    static func compare(_ got: [[Value]], _ want: [[Value]], _ fail: (String) -> Void) throws {
        if got.count != want.count {
            fail("read back \(got.count) rows, expected \(want.count)")
            return
        }
        let key: ([Value]) -> Int64 = { if case .long(let id) = $0[0] { return id } else { return Int64.min } }
        let g = got.sorted { key($0) < key($1) }
        let w = want.sorted { key($0) < key($1) }
        var shown = 0
        for (a, b) in zip(g, w) where a != b {
            fail("row \(b[0]) read back as \(a), expected \(b)")
            shown += 1
            if shown == 3 { break }
        }
    }
}

/// A thread-safe list of error descriptions.
final class ErrorBox: @unchecked Sendable {
    private let queue = DispatchQueue(label: "kura.conformance.errors")
    private var storage: [String] = []
    func append(_ s: String) { queue.sync { storage.append(s) } }
    var items: [String] { queue.sync { storage } }
}

/// Hands a value to concurrent closures; the suite only reads it, and each thread uses its own element.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
