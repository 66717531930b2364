import Foundation
import KuraCore
import KuraTestSupport
import Testing

@testable import OutputNull
@testable import OutputStdout

let context = PluginContext(workingDirectory: "/tmp", sessionTime: Timestamp(nanos: 0), logger: .silent)

/// Collects printed bytes; only called under the output's print lock.
final class Collector: @unchecked Sendable {
    var bytes: [UInt8] = []
    var calls = 0
    var text: String { String(decoding: bytes, as: UTF8.self) }
}

@Suite struct NullOutputTests {
    let schema = Schema([("id", .long), ("name", .string)])

    func rowsPage(_ n: Int) -> Page { page(schema, (0..<n).map { [.long(Int64($0)), .string("r\($0)")] }) }

    @Test func countsRecordsOfFinishedTasks() throws {
        let output = try NullOutputPlugin(config: section(m()))
        try output.plan(schema: schema, context: context)
        let session = try #require(
            try output.begin(schema: schema, tasks: [InputTask(name: "a"), InputTask(name: "b"), InputTask(name: "c")], context: context)
                as? NullOutputPlugin.Session)
        let a = try session.openTask(0), b = try session.openTask(1), c = try session.openTask(2)
        try a.add(rowsPage(3))
        try a.add(rowsPage(0))
        try b.add(rowsPage(5))
        try c.add(rowsPage(7))
        try a.finish()
        #expect(session.discardedRecords == 3)
        try b.finish()
        c.abort()
        #expect(session.discardedRecords == 8)
        try session.commit(CommitReport(tasks: [], counts: [], total: RowCounts()))
        #expect(session.discardedRecords == 8)
    }

    @Test func countsFromParallelTasks() throws {
        let session = try #require(try NullOutputPlugin().begin(schema: schema, tasks: [], context: context) as? NullOutputPlugin.Session)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let w = try! session.openTask(i)
            for _ in 0..<10 { try! w.add(rowsPage(i + 1)) }
            try! w.finish()
        }
        #expect(session.discardedRecords == 10 * (1...8).reduce(0, +))
    }

    @Test func logsTheCountAtDebug() throws {
        let lines = Collector()
        let logger = Logger(level: .debug) { _, line in lines.bytes.append(contentsOf: (line + "\n").utf8) }
        let ctx = PluginContext(workingDirectory: "/tmp", sessionTime: Timestamp(nanos: 0), logger: logger)
        let session = try NullOutputPlugin().begin(schema: schema, tasks: [], context: ctx)
        let w = try session.openTask(0)
        try w.add(rowsPage(4))
        try w.finish()
        try session.commit(CommitReport(tasks: [], counts: [], total: RowCounts()))
        #expect(lines.text.contains("discarded 4 records"))
    }

    @Test func takesNoOptions() {
        let err = configError { _ = try NullOutputPlugin(config: PluginConfig(node: m(("mode", s("fast"))), path: "out")) }
        #expect(err?.path == "out.mode")
        #expect(err?.fix == "remove it")
        #expect(NullOutputPlugin.descriptor.kind == .output)
        #expect(NullOutputPlugin.descriptor.name == "null")
    }
}

@Suite struct StdoutOutputTests {
    let schema = Schema([
        ("id", .long), ("name", .string), ("at", .timestamp), ("score", .double), ("ok", .boolean), ("doc", .json),
    ])

    func printed(_ timezone: String, _ rows: [[Value]], dryRun: Bool = false) throws -> String {
        let collector = Collector()
        let output = StdoutOutputPlugin(options: .init(timezone: timezone)) { collector.bytes.append(contentsOf: $0) }
        let ctx = PluginContext(workingDirectory: "/tmp", sessionTime: Timestamp(nanos: 0), logger: .silent, isDryRun: dryRun)
        let session = try output.begin(schema: schema, tasks: [InputTask(name: "t")], context: ctx)
        let w = try session.openTask(0)
        try w.add(page(schema, rows))
        try w.finish()
        try session.commit(CommitReport(tasks: [], counts: [], total: RowCounts()))
        return collector.text
    }

    @Test func printsEmbulkLikeLines() throws {
        let text = try printed("UTC", [
            [.long(1), .string("foo, bar"), .timestamp(Timestamp(seconds: 1_704_067_200, nanosecond: 5)), .double(1.5),
             .boolean(true), .json("{\"a\":[1,2]}")],
            [.long(-2), .null, .null, .null, .boolean(false), .null],
        ])
        #expect(text == "1,foo, bar,2024-01-01 00:00:00 UTC,1.5,true,{\"a\":[1,2]}\n-2,,,,false,\n")
    }

    @Test func timestampsInTheConfiguredZone() throws {
        let row: [Value] = [.null, .null, .timestamp(Timestamp(seconds: 1_704_067_200)), .null, .null, .null]
        #expect(try printed("+09:00", [row]) == ",,2024-01-01 09:00:00 +09:00,,,\n")
        let tokyo = try printed("Asia/Tokyo", [row])
        #expect(tokyo.hasPrefix(",,2024-01-01 09:00:00 "))
    }

    @Test func dryRunPrintsNothing() throws {
        #expect(try printed("UTC", [[.long(1), .null, .null, .null, .null, .null]], dryRun: true) == "")
    }

    /// Tasks finishing in any order, on several threads, print in task order, then record order.
    @Test func parallelTasksPrintInTaskOrder() throws {
        let collector = Collector()
        let output = StdoutOutputPlugin(options: .init()) { bytes in
            // Write in two halves: without the lock, another task could slip in between.
            let half = bytes.count / 2
            collector.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<half]))
            usleep(50)
            collector.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[half...]))
        }
        let small = Schema([("task", .long), ("row", .long)])
        let session = try output.begin(schema: small, tasks: (0..<4).map { InputTask(name: "f\($0)") }, context: context)
        // Task 3 finishes first and task 0 last; each adds its pages from its own thread.
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            let w = try! session.openTask(t)
            for p in 0..<20 {
                try! w.add(page(small, (0..<10).map { [.long(Int64(t)), .long(Int64(p * 10 + $0))] }))
            }
            usleep(UInt32(3 - t) * 20_000)
            try! w.finish()
        }
        let expected = (0..<4).flatMap { t in (0..<200).map { "\(t),\($0)" } }
        #expect(collector.text.split(separator: "\n").map(String.init) == expected)
    }

    /// A task's waiting lines beyond the memory limit go through a temporary file and come out unchanged, in order.
    @Test func waitingLinesSpillToATemporaryFile() throws {
        let collector = Collector()
        let order = TaskOrder(printer: { collector.bytes.append(contentsOf: $0) }, memoryLimit: 10)
        try order.add(Array("b1\nb2\n".utf8), task: 1)
        try order.add(Array("b3 longer than the limit\n".utf8), task: 1)
        try order.add(Array("b4\n".utf8), task: 1)
        try order.add(Array("c1\n".utf8), task: 2)
        order.finish(task: 2)
        order.finish(task: 1)
        #expect(collector.text == "")
        try order.add(Array("a1\n".utf8), task: 0)
        #expect(collector.text == "a1\n")
        order.finish(task: 0)
        #expect(collector.text == "a1\nb1\nb2\nb3 longer than the limit\nb4\nc1\n")
    }

    /// An aborted task's waiting lines are dropped; the tasks after it still print in order.
    @Test func abortedTaskPrintsNothingMore() throws {
        let collector = Collector()
        let order = TaskOrder(printer: { collector.bytes.append(contentsOf: $0) })
        try order.add(Array("b\n".utf8), task: 1)
        try order.add(Array("c\n".utf8), task: 2)
        order.abort(task: 1)
        order.finish(task: 0)
        #expect(collector.text == "c\n")
    }

    @Test func optionsDecoding() throws {
        #expect(try StdoutOutputPlugin(config: PluginConfig(node: m(), path: "out")).options.timezone == "UTC")
        let err = configError { _ = try StdoutOutputPlugin(config: PluginConfig(node: m(("timezone", s("Moon/Base"))), path: "out")) }
        #expect(err?.path == "out.timezone")
        #expect(StdoutOutputPlugin.descriptor.name == "stdout")
        #expect(StdoutOutputPlugin.descriptor.kind == .output)
    }
}
