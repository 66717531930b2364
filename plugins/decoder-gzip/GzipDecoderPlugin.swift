import KuraCore

/// The `gzip` decoder: decompresses gzip files, including files made of several concatenated gzip members.
///
/// Embulk's name for it is the same (`decoders: [{type: gzip}]`). A file that ends inside a member, or that has
/// bytes after its last member which do not start another member, is a `DataError`; partial data is never passed
/// on silently. An empty file is a valid, empty input.
public final class GzipDecoderPlugin: DecoderPlugin {
    /// The plugin's registration.
    public static let descriptor = PluginDescriptor(
        name: "gzip",
        summary: "Decompresses gzip files (also concatenated multi-member files).",
        example: """
            type: gzip
            """,
        factory: .decoder { config in GzipDecoderPlugin(options: try config.decode(Options.self)) })

    /// The decoded options.
    public let options: Options

    /// Creates the plugin from its options.
    public init(options: Options = Options()) {
        self.options = options
    }

    public func makeDecoder(for task: InputTask) throws -> ByteTransform {
        try GzipDecoder(name: task.name)
    }
}

/// An incremental gzip decompressor for one file, on ISA-L's igzip (zlib for a zlib-wrapped stream).
///
/// Input may arrive in chunks of any size; output is handed to the sink in chunks of up to `bufferSize` bytes
/// (a chunk is emitted when the buffer is full, and the rest at `finish`). Members, truncation and trailing
/// garbage are tracked here, the same whatever the engine.
public final class GzipDecoder: ByteTransform {
    /// The size of the output buffer: 256 KiB.
    public static let bufferSize = 256 * 1024

    /// The file (task) name used in error messages.
    public let name: String
    /// The inflate implementation asked for (default `.automatic`).
    public let engine: InflateEngine

    /// Made at the first byte, when the engine is known.
    private var inflater: Inflater?
    private let output: UnsafeMutablePointer<UInt8>
    /// Bytes waiting in `output`.
    private var buffered = 0
    /// Compressed bytes consumed so far.
    private var offset: Int64 = 0
    /// Whether a member has started (at least one of its bytes was read) and has not ended yet.
    private var inMember = false
    /// Members decoded completely.
    private var members = 0
    /// Compressed offset where the current member started.
    private var memberStart: Int64 = 0
    /// How many bytes of the gzip magic number (1f 8b) have been checked at the start of a later member.
    private var magicChecked = 2
    /// The error that stopped the stream; later calls throw it again.
    private var failure: Error?

    /// Creates a decompressor; `name` is the file named in error messages, `engine` the inflate implementation
    /// (default `.automatic`: ISA-L for a gzip file, zlib for a zlib stream).
    public init(name: String, engine: InflateEngine = .automatic) throws {
        self.name = name
        self.engine = engine
        output = .allocate(capacity: GzipDecoder.bufferSize)
    }

    deinit {
        output.deallocate()
    }

    /// The implementation for a stream whose first byte is `first`.
    private func makeInflater(first: UInt8) throws -> Inflater {
        switch engine {
        case .isal: return IsalInflater()
        case .zlib: return try ZlibInflater()
        case .automatic: return first == 0x1f ? IsalInflater() : try ZlibInflater()
        }
    }

    public func push(_ input: UnsafeRawBufferPointer, to sink: ByteSink) throws {
        if let failure { throw failure }
        guard var next = input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count > 0 else { return }
        var left = input.count
        do {
            if inflater == nil { inflater = try makeInflater(first: next[0]) }
            while left > 0 {
                if !inMember {
                    inMember = true
                    memberStart = offset
                }
                // A later member must start with the gzip magic number; anything else is trailing garbage (reported
                // at the offset where it starts).
                var i = 0
                while magicChecked < 2 && i < left {
                    let expected: UInt8 = magicChecked == 0 ? 0x1f : 0x8b
                    if next[i] != expected { throw trailingGarbage(at: memberStart) }
                    magicChecked += 1
                    i += 1
                }
                let n = min(left, 1 << 30)
                let used = try inflateChunk(UnsafeMutablePointer(mutating: next), count: n, to: sink)
                next += used
                left -= used
                offset += Int64(used)
            }
        } catch let f as InflateFailure {
            let error = describe(f)
            failure = error
            throw error
        } catch {
            failure = error
            throw error
        }
    }

    /// Feeds up to `count` bytes to the inflater, stopping early at the end of a member; returns the bytes consumed.
    private func inflateChunk(_ bytes: UnsafeMutablePointer<UInt8>, count: Int, to sink: ByteSink) throws -> Int {
        let inflater = inflater!
        var used = 0
        while true {
            if buffered == GzipDecoder.bufferSize { try flush(to: sink) }
            let step: InflateStep
            do {
                step = try inflater.inflate(
                    bytes + used, count: count - used, into: output + buffered, capacity: GzipDecoder.bufferSize - buffered)
            } catch InflateFailure.data(let reason, let at) {
                throw InflateFailure.data(reason, used: used + at)
            } catch InflateFailure.needsDictionary(let at) {
                throw InflateFailure.needsDictionary(used: used + at)
            }
            used += step.used
            buffered += step.produced
            if step.memberEnded {
                members += 1
                inMember = false
                magicChecked = 0
                try inflater.startNextMember()
                return used
            }
            if used == count && buffered < GzipDecoder.bufferSize { return used }
            if step.used == 0 && step.produced == 0 && buffered < GzipDecoder.bufferSize {
                throw SystemError("the gzip decompressor made no progress on \(name) at compressed byte \(offset + Int64(used))")
            }
        }
    }

    /// The error for an inflater's failure, `used` bytes after `offset`.
    private func describe(_ failure: InflateFailure) -> Error {
        switch failure {
        case .data(let reason, let used):
            let position = offset + Int64(used)
            // ISA-L reads the whole header before judging it, so its "incorrect header check" may come later.
            if members == 0 && (position <= memberStart + 2 || reason == "incorrect header check") {
                return DataError(
                    .corruptInput, file: name, byteOffset: position,
                    message: "the file is not gzip-compressed (\(reason)); remove the gzip decoder from "
                        + "'in.decoders' if the file is plain, or check that this is the right file")
            }
            return corrupt(at: position, reason)
        case .needsDictionary(let used):
            return corrupt(
                at: offset + Int64(used), "the data is a zlib stream that needs a preset dictionary, which a file cannot supply")
        case .memory:
            return SystemError("out of memory while decompressing \(name)")
        case .library(let message):
            return SystemError("cannot decompress \(name): \(message)")
        }
    }

    public func finish(to sink: ByteSink) throws {
        if let failure { throw failure }
        if inMember {
            let error = DataError(
                .corruptInput, file: name, byteOffset: offset,
                message: "truncated gzip stream: the file ends inside gzip member \(members + 1) (which starts at "
                    + "byte \(memberStart)) after \(offset) compressed bytes; the file is incomplete (an "
                    + "interrupted copy or download?): re-create or re-download it")
            failure = error
            throw error
        }
        try flush(to: sink)
    }

    private func flush(to sink: ByteSink) throws {
        guard buffered > 0 else { return }
        try sink(UnsafeRawBufferPointer(start: output, count: buffered))
        buffered = 0
    }

    private func corrupt(at position: Int64, _ reason: String) -> DataError {
        DataError(
            .corruptInput, file: name, byteOffset: position,
            message: "corrupt gzip data in member \(members + 1) near compressed byte \(position) (\(reason)); "
                + "the file is damaged: re-create or re-download it")
    }

    private func trailingGarbage(at position: Int64) -> DataError {
        DataError(
            .corruptInput, file: name, byteOffset: position,
            message: "unexpected bytes after gzip member \(members) at compressed byte \(position) (trailing "
                + "garbage that does not start another gzip member); remove the extra bytes, for example by "
                + "re-compressing the file, or check that nothing was appended to it")
    }
}
