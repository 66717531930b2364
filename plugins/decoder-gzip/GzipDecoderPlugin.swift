import CZlib
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

/// An incremental gzip decompressor for one file, built directly on zlib's `inflate`.
///
/// Input may arrive in chunks of any size; output is handed to the sink in chunks of up to `bufferSize` bytes
/// (a chunk is emitted when the buffer is full, and the rest at `finish`).
public final class GzipDecoder: ByteTransform {
    /// The size of the output buffer: 256 KiB.
    public static let bufferSize = 256 * 1024

    /// The file (task) name used in error messages.
    public let name: String

    private let stream: UnsafeMutablePointer<z_stream>
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

    /// Creates a decompressor; `name` is the file named in error messages.
    public init(name: String) throws {
        self.name = name
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(capacity: GzipDecoder.bufferSize)
        // 15 + 32: a 32 KiB window, and detect a gzip or zlib header automatically.
        let rc = inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            output.deallocate()
            throw SystemError("cannot initialise the gzip decompressor for \(name) (zlib error \(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    public func push(_ input: UnsafeRawBufferPointer, to sink: ByteSink) throws {
        if let failure { throw failure }
        guard var next = input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count > 0 else { return }
        var left = input.count
        do {
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
        } catch {
            failure = error
            throw error
        }
    }

    /// Feeds up to `count` bytes to inflate, stopping early at the end of a member; returns the bytes consumed.
    private func inflateChunk(_ bytes: UnsafeMutablePointer<UInt8>, count: Int, to sink: ByteSink) throws -> Int {
        stream.pointee.next_in = bytes
        stream.pointee.avail_in = UInt32(count)
        while true {
            if buffered == GzipDecoder.bufferSize { try flush(to: sink) }
            stream.pointee.next_out = output + buffered
            stream.pointee.avail_out = UInt32(GzipDecoder.bufferSize - buffered)
            let rc = inflate(stream, Z_NO_FLUSH)
            buffered = GzipDecoder.bufferSize - Int(stream.pointee.avail_out)
            let used = count - Int(stream.pointee.avail_in)
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                // Z_BUF_ERROR only means no progress was possible: the input is used up.
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return used }
            case Z_STREAM_END:
                members += 1
                inMember = false
                magicChecked = 0
                // Later members must be gzip (31 = 15 + 16: gzip header only).
                let reset = inflateReset2(stream, 31)
                guard reset == Z_OK else {
                    throw SystemError("cannot reset the gzip decompressor for \(name) (zlib error \(reset))")
                }
                return used
            case Z_NEED_DICT:
                throw corrupt(
                    at: offset + Int64(used),
                    "the data is a zlib stream that needs a preset dictionary, which a file cannot supply")
            case Z_DATA_ERROR:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "invalid compressed data"
                if members == 0 && offset + Int64(used) <= memberStart + 2 {
                    throw DataError(
                        .corruptInput, file: name, byteOffset: offset + Int64(used),
                        message: "the file is not gzip-compressed (\(reason)); remove the gzip decoder from "
                            + "'in.decoders' if the file is plain, or check that this is the right file")
                }
                throw corrupt(at: offset + Int64(used), reason)
            case Z_MEM_ERROR:
                throw SystemError("out of memory while decompressing \(name)")
            default:
                throw SystemError("unexpected zlib error \(rc) while decompressing \(name)")
            }
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
