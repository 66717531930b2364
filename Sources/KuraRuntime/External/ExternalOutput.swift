import Foundation
import KuraCore
import KuraFormats

/// An output run as a separate executable that speaks the plugin protocol (`docs/plugin-protocol.md`): one process
/// per task receives the task's records as JSON Lines, prepares them when told the records ended, and makes them
/// visible only when kura sends the commit, after every task of the run has prepared.
final class ExternalOutputPlugin: OutputPlugin {
    let manifest: PluginManifest
    /// The options as JSON, checked against the manifest and completed with its defaults.
    let options: String
    let timeoutSeconds: Double

    init(manifest: PluginManifest, config: PluginConfig) throws {
        self.manifest = manifest
        (options, timeoutSeconds) = try manifest.options(from: config)
    }

    /// The options were checked against the manifest when the plugin was made; the plugin itself sees them (and may
    /// refuse them) when its tasks start.
    func plan(schema: Schema, context: PluginContext) throws {}

    func begin(schema: Schema, tasks: [InputTask], context: PluginContext) throws -> OutputSession {
        ExternalOutputSession(
            plugin: self, schema: schema, tasks: tasks, runID: context.runID ?? "", workingDirectory: context.workingDirectory)
    }
}

/// One run of an external output: a process per task, committed (or aborted) together.
final class ExternalOutputSession: OutputSession {
    let plugin: ExternalOutputPlugin
    let schema: Schema
    let tasks: [InputTask]
    let runID: String
    /// Where the config's relative paths start (the plugin runs in its manifest's folder).
    let workingDirectory: String
    private let writers = Locked<[ExternalOutputWriter]>([])

    init(plugin: ExternalOutputPlugin, schema: Schema, tasks: [InputTask], runID: String, workingDirectory: String) {
        self.plugin = plugin
        self.schema = schema
        self.tasks = tasks
        self.runID = runID
        self.workingDirectory = workingDirectory
    }

    func openTask(_ index: Int) throws -> OutputTaskWriter {
        let fields = [
            "\"task\":{\"index\":\(index),\"count\":\(tasks.count),\"name\":\(PluginManifest.quoted(tasks[index].name))}",
            "\"run_id\":\(PluginManifest.quoted(runID))",
            "\"working_directory\":\(PluginManifest.quoted(workingDirectory))",
        ]
        let writer = try ExternalOutputWriter(plugin: plugin, schema: schema, taskName: tasks[index].name, index: index, fields: fields)
        writers.withLock { $0.append(writer) }
        return writer
    }

    /// Sends the commit to every task's process in task order; each must answer `{"committed":true}` and exit 0.
    /// When one fails, the tasks not committed yet are aborted (those already committed stay committed).
    func commit(_ report: CommitReport) throws {
        let all = writers.withLock { $0 }.sorted { $0.index < $1.index }
        for writer in all where !writer.isPrepared {
            throw RunFailure("\(writer.process.label) task \(writer.index) did not prepare its records; nothing was committed")
        }
        for (i, writer) in all.enumerated() {
            do {
                try writer.commit()
            } catch {
                for rest in all[(i + 1)...] { rest.abort(reason: "another task failed to commit") }
                if i == 0 { throw error }
                throw RunFailure("\(error) (the tasks before task \(writer.index) were committed)")
            }
        }
    }

    func abort() {
        for writer in writers.withLock({ $0 }) { writer.abort(reason: "the run failed; nothing is committed") }
    }
}

/// One task's process of an external output: the handshake, the records, `["finish"]` answered by the refused
/// records and `{"prepared":…}`, then `["commit"]` or `["abort", reason]`.
final class ExternalOutputWriter: RefusingOutputTaskWriter {
    let process: ExternalProcess
    let index: Int
    let taskName: String
    let encoder: JSONRowEncoder
    /// Records sent so far.
    private(set) var sent = 0
    private(set) var refused: [DataError] = []
    private(set) var isPrepared = false

    init(plugin: ExternalOutputPlugin, schema: Schema, taskName: String, index: Int, fields: [String]) throws {
        let manifest = plugin.manifest
        process = try ExternalProcess(
            command: manifest.command, directory: manifest.directory, label: "output '\(manifest.name)'",
            timeoutSeconds: plugin.timeoutSeconds)
        self.index = index
        self.taskName = taskName
        encoder = JSONRowEncoder(schema: schema)
        do {
            let hello = Handshake.request(kind: "output", name: manifest.name, options: plugin.options, schema: schema, fields: fields)
            try process.send(Array(hello.utf8))
            guard let reply = try process.readLine() else {
                let status = try process.wait()
                throw process.failure("exited (status \(status)) before answering the handshake")
            }
            try Handshake.ready(fromReply: reply, process: process)
        } catch {
            process.kill()
            throw error
        }
    }

    deinit { process.kill() }

    func add(_ page: Page) throws {
        if page.rowCount == 0 { return }
        sent += page.rowCount
        try process.send(encoder.encode(page))
    }

    /// Sends `["finish"]`, then reads the refused records and `{"prepared":{"received":N}}`, N being the records
    /// sent.
    func finish() throws {
        try process.send(Array("[\"finish\"]\n".utf8))
        var numbers = Set<Int>()
        while true {
            guard let line = try process.readLine() else { throw exited("before answering [\"finish\"]") }
            let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            if let reject = object?["reject"] as? [String: Any] {
                try refuse(reject, line: line, numbers: &numbers)
            } else if let prepared = object?["prepared"] as? [String: Any], let received = prepared["received"] as? Int {
                guard received == sent else {
                    throw garbage("said it received \(received) record(s), but kura sent \(sent); nothing was committed")
                }
                isPrepared = true
                return
            } else {
                throw garbage("answered [\"finish\"] with \"\(Self.text(line))\", not {\"reject\": {...}} or {\"prepared\": {\"received\": N}}")
            }
        }
    }

    /// Records one `{"reject":{"record":N,"reason":"…","column":"…"}}` answer.
    private func refuse(_ reject: [String: Any], line: ArraySlice<UInt8>, numbers: inout Set<Int>) throws {
        guard let number = reject["record"] as? Int, let reason = reject["reason"] as? String else {
            throw garbage("wrote \"\(Self.text(line))\": a reject needs \"record\" (a number) and \"reason\" (a string)")
        }
        guard number >= 1 && number <= sent else {
            throw garbage("rejected record \(number), but kura sent records 1 to \(sent)")
        }
        guard numbers.insert(number).inserted else { throw garbage("rejected record \(number) twice") }
        refused.append(DataError(
            .refusedByOutput, file: taskName, column: reject["column"] as? String,
            message: "\(process.label) refused record \(number) of the task: \(reason)"))
    }

    /// Sends `["commit"]`; the plugin must answer `{"committed":true}` and exit with status 0.
    func commit() throws {
        try process.send(Array("[\"commit\"]\n".utf8))
        process.closeInput()
        guard let line = try process.readLine() else { throw exited("before answering [\"commit\"]") }
        let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
        guard object?["committed"] as? Bool == true else {
            throw garbage("answered [\"commit\"] with \"\(Self.text(line))\", not {\"committed\": true}")
        }
        let status = try process.wait()
        if status != 0 { throw process.failure("exited with status \(status) after committing") }
    }

    /// The task failed: the plugin is told to discard what it wrote, then stopped.
    func abort() { abort(reason: "the task failed; nothing is committed") }

    /// Sends `["abort", reason]` to a plugin still running and gives it `timeout_seconds` to exit, then kills its
    /// process group.
    func abort(reason: String) {
        if process.isRunning {
            var line: [UInt8] = Array("[\"abort\",".utf8)
            JSON.appendQuoted(reason, to: &line)
            line.append(contentsOf: Array("]\n".utf8))
            if (try? process.send(line)) != nil {
                process.closeInput()
                _ = try? process.wait()
            }
        }
        process.kill()
    }

    /// The plugin's standard output ended: its status and the end of its standard error.
    private func exited(_ when: String) -> RunFailure {
        let status = (try? process.wait()).map { "exited (status \($0))" } ?? "stopped"
        return process.failure("\(status) after receiving \(sent) record(s), \(when); nothing was committed")
    }

    /// The plugin broke the protocol: it is stopped.
    private func garbage(_ what: String) -> RunFailure {
        process.kill()
        return process.failure(what)
    }

    static func text(_ line: ArraySlice<UInt8>) -> String { String(decoding: line.prefix(200), as: UTF8.self) }
}
