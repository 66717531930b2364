import Foundation
import KuraCore

/// A first-in, first-out queue with a capacity, for handing chunks between threads with bounded memory.
final class BoundedQueue<Element> {
    private var items: [Element] = []
    private var head = 0
    private let capacity: Int
    private var closed = false
    private var cancelled = false
    private let condition = NSCondition()

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Adds `item`, waiting while the queue is full; returns false when the queue was cancelled.
    @discardableResult
    func put(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Adds `item`, waiting at most `seconds` while the queue is full; returns false when the queue was cancelled,
    /// nil when the time ran out (the item is then not added).
    func put(_ item: Element, waitingAtMost seconds: Double) -> Bool? {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= capacity && !cancelled {
            if !condition.wait(until: deadline) && items.count - head >= capacity && !cancelled { return nil }
        }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Removes the oldest item, waiting while the queue is empty; nil once closed and drained, or cancelled.
    func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed && !cancelled { condition.wait() }
        if cancelled || items.count == head { return nil }
        let item = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    /// No more items will be put; takers drain what is left.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Drops everything and wakes every waiter.
    func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        head = 0
        condition.broadcast()
        condition.unlock()
    }
}

/// A flag raised once to stop a run (an error in one task, a signal), with the reason.
final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var _error: Error?

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return _error != nil
    }

    var error: Error? {
        lock.lock()
        defer { lock.unlock() }
        return _error
    }

    /// Records the first reason; later ones are ignored.
    func cancel(_ error: Error) {
        lock.lock()
        if _error == nil { _error = error }
        lock.unlock()
    }
}

/// Runs `body` on a new thread with a large stack; `join()` waits for it.
final class WorkerThread {
    private let done = DispatchSemaphore(value: 0)
    private let thread: Thread

    init(name: String, _ body: @escaping () -> Void) {
        let done = self.done
        thread = Thread {
            body()
            done.signal()
        }
        thread.name = name
        thread.stackSize = 16 << 20
    }

    func start() { thread.start() }

    func join() { done.wait() }
}

/// A lock-protected value.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// A byte buffer handed from the reader thread to the parse thread and back, so a task reuses a few buffers
/// instead of allocating (and page-faulting in) one per chunk.
final class ChunkBuffer: @unchecked Sendable {
    private var storage: RawBuffer<UInt8>

    init(capacity: Int) { storage = RawBuffer(capacity: capacity) }

    /// The number of bytes held.
    var count: Int { storage.count }

    /// Appends `bytes`, growing the buffer when they do not fit.
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        storage.append(src.assumingMemoryBound(to: UInt8.self), count: bytes.count)
    }

    /// Empties the buffer, keeping its memory.
    func removeAll() { storage.removeAll() }

    /// The bytes held.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.base, count: storage.count) }
}
