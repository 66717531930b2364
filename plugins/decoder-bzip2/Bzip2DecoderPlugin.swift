import CBzip2
import KuraCore

/// The `bzip2` decoder: decompresses bzip2 files, including files made of several concatenated bzip2 streams.
///
/// A file that ends inside a stream, or that has bytes after its last stream which do not start another stream,
/// is a `DataError`; partial data is never passed on silently. An empty file is a valid, empty input.
public final class Bzip2DecoderPlugin: DecoderPlugin {
    /// The plugin's registration.
    public static let descriptor = PluginDescriptor(
        name: "bzip2",
        summary: "Decompresses bzip2 files (also concatenated multi-stream files).",
        example: """
            type: bzip2
            """,
        factory: .decoder { config in Bzip2DecoderPlugin(options: try config.decode(Options.self)) })

    /// The decoded options.
    public let options: Options

    /// Creates the plugin from its options.
    public init(options: Options = Options()) {
        self.options = options
    }

    public func makeDecoder(for task: InputTask) throws -> ByteTransform {
        Bzip2Decoder(name: task.name)
    }
}

/// An incremental bzip2 decompressor for one file, built directly on libbz2's `BZ2_bzDecompress`.
///
/// Input may arrive in chunks of any size; output is handed to the sink in chunks of up to `bufferSize` bytes
/// (a chunk is emitted when the buffer is full, and the rest at `finish`).
public final class Bzip2Decoder: ByteTransform {
    /// The size of the output buffer: 256 KiB.
    public static let bufferSize = 256 * 1024

    /// The file (task) name used in error messages.
    public let name: String

    private let stream: UnsafeMutablePointer<bz_stream>
    private let output: UnsafeMutablePointer<UInt8>
    /// Whether `stream` is initialised (from the first byte of a stream to its end).
    private var active = false
    /// Bytes waiting in `output`.
    private var buffered = 0
    /// Compressed bytes consumed so far.
    private var offset: Int64 = 0
    /// Streams decoded completely.
    private var streams = 0
    /// Compressed offset where the current stream started.
    private var streamStart: Int64 = 0
    /// The error that stopped the decoding; later calls throw it again.
    private var failure: Error?

    /// Creates a decompressor; `name` is the file named in error messages.
    public init(name: String) {
        self.name = name
        stream = .allocate(capacity: 1)
        stream.initialize(to: bz_stream())
        output = .allocate(capacity: Bzip2Decoder.bufferSize)
    }

    deinit {
        if active { BZ2_bzDecompressEnd(stream) }
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
                if !active { try startStream() }
                let n = min(left, 1 << 30)
                let used = try decompress(UnsafeMutableRawPointer(mutating: next), count: n, to: sink)
                next += used
                left -= used
                offset += Int64(used)
            }
        } catch {
            failure = error
            throw error
        }
    }

    private func startStream() throws {
        stream.pointee = bz_stream()
        let rc = BZ2_bzDecompressInit(stream, 0, 0)
        guard rc == BZ_OK else {
            throw SystemError("cannot initialise the bzip2 decompressor for \(name) (libbz2 error \(rc))")
        }
        active = true
        streamStart = offset
    }

    /// Feeds up to `count` bytes to libbz2, stopping early at the end of a stream; returns the bytes consumed.
    private func decompress(_ bytes: UnsafeMutableRawPointer, count: Int, to sink: ByteSink) throws -> Int {
        stream.pointee.next_in = bytes.assumingMemoryBound(to: CChar.self)
        stream.pointee.avail_in = UInt32(count)
        while true {
            if buffered == Bzip2Decoder.bufferSize { try flush(to: sink) }
            stream.pointee.next_out = UnsafeMutableRawPointer(output + buffered).assumingMemoryBound(to: CChar.self)
            stream.pointee.avail_out = UInt32(Bzip2Decoder.bufferSize - buffered)
            let rc = BZ2_bzDecompress(stream)
            buffered = Bzip2Decoder.bufferSize - Int(stream.pointee.avail_out)
            let used = count - Int(stream.pointee.avail_in)
            switch rc {
            case BZ_OK:
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return used }
            case BZ_STREAM_END:
                streams += 1
                BZ2_bzDecompressEnd(stream)
                active = false
                return used
            case BZ_DATA_ERROR_MAGIC:
                if streams == 0 {
                    throw DataError(
                        .corruptInput, file: name, byteOffset: streamStart,
                        message: "the file is not bzip2-compressed (it does not start with 'BZh'); remove the "
                            + "bzip2 decoder from 'in.decoders' if the file is plain, or check that this is the "
                            + "right file")
                }
                // The garbage starts where the next stream would have.
                throw DataError(
                    .corruptInput, file: name, byteOffset: streamStart,
                    message: "unexpected bytes after bzip2 stream \(streams) at compressed byte \(streamStart) "
                        + "(trailing garbage that does not start another bzip2 stream); remove the extra bytes, "
                        + "for example by re-compressing the file, or check that nothing was appended to it")
            case BZ_DATA_ERROR:
                let position = offset + Int64(used)
                throw DataError(
                    .corruptInput, file: name, byteOffset: position,
                    message: "corrupt bzip2 data in stream \(streams + 1) near compressed byte \(position) (a "
                        + "checksum or block is invalid); the file is damaged: re-create or re-download it")
            case BZ_MEM_ERROR:
                throw SystemError("out of memory while decompressing \(name)")
            default:
                throw SystemError("unexpected libbz2 error \(rc) while decompressing \(name)")
            }
        }
    }

    public func finish(to sink: ByteSink) throws {
        if let failure { throw failure }
        if active {
            let error = DataError(
                .corruptInput, file: name, byteOffset: offset,
                message: "truncated bzip2 stream: the file ends inside bzip2 stream \(streams + 1) (which starts "
                    + "at byte \(streamStart)) after \(offset) compressed bytes; the file is incomplete (an "
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
}
