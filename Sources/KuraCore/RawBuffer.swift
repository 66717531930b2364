/// A growable buffer of trivial values on manually managed memory: appends without uniqueness checks, for hot
/// loops that refill the same buffer millions of times (a tokenizer's field lists, a reader's chunks).
///
/// Copies of the value share storage: keep one owner.
public struct RawBuffer<T> {
    @usableFromInline
    final class Storage {
        @usableFromInline var pointer: UnsafeMutablePointer<T>
        init(capacity: Int) { pointer = .allocate(capacity: capacity) }
        deinit { pointer.deallocate() }
    }

    @usableFromInline let storage: Storage
    /// Where the values start (moves when the buffer grows).
    public private(set) var base: UnsafeMutablePointer<T>
    @usableFromInline var capacity: Int
    /// The number of values held.
    public var count = 0

    /// Creates an empty buffer with room for `capacity` values (at least 16).
    public init(capacity: Int) {
        self.capacity = max(16, capacity)
        storage = Storage(capacity: self.capacity)
        base = storage.pointer
    }

    @inlinable @inline(__always)
    public subscript(i: Int) -> T { base[i] }

    /// Appends one value.
    @inlinable @inline(__always)
    public mutating func append(_ v: T) {
        if count == capacity { grow(to: capacity * 2) }
        (base + count).initialize(to: v)
        count += 1
    }

    /// Appends `n` values from `source`.
    @inlinable @inline(__always)
    public mutating func append(_ source: UnsafePointer<T>, count n: Int) {
        if count + n > capacity { grow(to: max(capacity * 2, count + n)) }
        (base + count).initialize(from: source, count: n)
        count += n
    }

    /// Empties the buffer, keeping its memory.
    @inlinable @inline(__always)
    public mutating func removeAll() { count = 0 }

    /// Makes room for `n` more values and returns where they go; the caller initializes them and adds to `count`.
    @inlinable @inline(__always)
    public mutating func reserve(_ n: Int) -> UnsafeMutablePointer<T> {
        if count + n > capacity { grow(to: max(capacity * 2, count + n)) }
        return base + count
    }

    @usableFromInline
    mutating func grow(to newCapacity: Int) {
        let p = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
        p.initialize(from: base, count: count)
        storage.pointer.deallocate()
        storage.pointer = p
        base = p
        capacity = newCapacity
    }
}
