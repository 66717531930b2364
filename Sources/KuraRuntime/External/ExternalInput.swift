import Foundation
import KuraCore

/// An input run as a separate executable that speaks the plugin protocol (`docs/plugin-protocol.md`): kura writes
/// the handshake (the options) to its standard input and closes it; what the plugin writes to standard output is
/// the task's bytes, read by the config's decoders and parser (JSON Lines with `parser: {type: jsonl, …}`, CSV…).
final class ExternalInputPlugin: FileInputPlugin {
    let manifest: PluginManifest
    let options: String
    let timeoutSeconds: Double

    init(manifest: PluginManifest, config: PluginConfig) throws {
        self.manifest = manifest
        (options, timeoutSeconds) = try manifest.options(from: config)
    }

    /// One task, named after the plugin.
    func plan(context: PluginContext) throws -> InputPlan {
        InputPlan(tasks: [InputTask(name: "\(manifest.name):")])
    }

    func open(_ task: InputTask, context: PluginContext) throws -> ByteReader {
        let process = try ExternalProcess(
            command: manifest.command, directory: manifest.directory, label: "input '\(manifest.name)'", timeoutSeconds: timeoutSeconds)
        try process.send(Array(Handshake.request(kind: "input", name: manifest.name, options: options, schema: nil).utf8))
        process.closeInput()
        return ProcessOutputReader(process: process)
    }
}

/// The standard output of an input plugin as a `ByteReader`: at its end, the plugin must exit with status 0.
final class ProcessOutputReader: ByteReader {
    let process: ExternalProcess
    var line: ArraySlice<UInt8> = []
    var done = false

    init(process: ExternalProcess) { self.process = process }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if line.isEmpty && !done {
            // Lines keep their line break: the parser sees the bytes as written.
            if let next = try process.readLine() {
                line = next + [10]
            } else {
                done = true
                let status = try process.wait()
                if status != 0 { throw process.failure("exited with status \(status); nothing was committed") }
            }
        }
        let n = min(buffer.count, line.count)
        if n == 0 { return 0 }
        line.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
        line = line.dropFirst(n)
        return n
    }

    func close() { process.kill() }
}
