import Foundation
import KuraCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints the lines of parallel tasks in task order: every line of task 0, then of task 1, and so on, each task's
/// lines in the order they were added, however the tasks are scheduled.
///
/// The first unfinished task prints as it goes; a later task's lines wait in memory, and past `memoryLimit` bytes
/// (default 4 MiB) in an unnamed temporary file, until every task before it has finished. So memory stays bounded
/// and standard output reads as the input files' order.
final class TaskOrder: @unchecked Sendable {
    private let lock = NSLock()
    private let printer: StdoutOutputPlugin.Printer
    private let memoryLimit: Int
    /// The task that may print now: every task before it has finished.
    private var front = 0
    /// Tasks after `front` that have finished, their lines still waiting.
    private var finished = Set<Int>()
    /// Lines waiting for their task's turn.
    private var waiting: [Int: Waiting] = [:]

    /// Lines of one task held back: bytes in memory, then in a temporary file once they outgrow the limit.
    private final class Waiting {
        var bytes: [UInt8] = []
        var file: UnsafeMutablePointer<FILE>? = nil

        deinit { if let file { fclose(file) } }
    }

    init(printer: @escaping StdoutOutputPlugin.Printer, memoryLimit: Int = 4 << 20) {
        self.printer = printer
        self.memoryLimit = memoryLimit
    }

    /// Prints `text`, the next lines of task `index`, or keeps them until the task's turn.
    func add(_ text: [UInt8], task index: Int) throws {
        lock.lock()
        defer { lock.unlock() }
        if index == front {
            text.withUnsafeBytes { printer($0) }
            return
        }
        let w = waiting[index] ?? Waiting()
        waiting[index] = w
        if w.file == nil && w.bytes.count + text.count <= memoryLimit {
            w.bytes.append(contentsOf: text)
            return
        }
        if w.file == nil {
            guard let f = tmpfile() else {
                throw SystemError("cannot create a temporary file to hold the output of task \(index) until its turn: \(String(cString: strerror(errno)))", retryable: false)
            }
            w.file = f
        }
        try spill(w.bytes, to: w.file!, task: index)
        w.bytes.removeAll()
        try spill(text, to: w.file!, task: index)
    }

    /// Marks task `index` finished; prints the waiting lines of the tasks whose turn has come.
    func finish(task index: Int) {
        lock.lock()
        defer { lock.unlock() }
        finished.insert(index)
        while finished.remove(front) != nil {
            front += 1
            if let w = waiting.removeValue(forKey: front) { printWaiting(w) }
        }
    }

    /// Drops the waiting lines of task `index` and lets the tasks after it print.
    func abort(task index: Int) {
        lock.lock()
        waiting[index] = nil
        lock.unlock()
        finish(task: index)
    }

    private func spill(_ bytes: [UInt8], to file: UnsafeMutablePointer<FILE>, task index: Int) throws {
        if bytes.isEmpty { return }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress!, 1, $0.count, file) }
        if written != bytes.count {
            throw SystemError("cannot write the output of task \(index) to a temporary file: \(String(cString: strerror(errno)))", retryable: false)
        }
    }

    /// Prints what `w` holds: the file's bytes first (they came first), then those in memory.
    private func printWaiting(_ w: Waiting) {
        if let file = w.file {
            rewind(file)
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress!, 1, $0.count, file) }
                if n <= 0 { break }
                chunk.withUnsafeBytes { printer(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
        }
        if !w.bytes.isEmpty { w.bytes.withUnsafeBytes { printer($0) } }
    }
}
