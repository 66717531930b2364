import CZlib
import KuraCore

/// The `gzip` encoder: compresses each output file into one gzip member.
public final class GzipEncoderPlugin: EncoderPlugin {
    /// The plugin's registration.
    public static let descriptor = PluginDescriptor(
        name: "gzip",
        summary: "Compresses output files with gzip.",
        example: """
            type: gzip
            level: 6
            """,
        factory: .encoder { config in GzipEncoderPlugin(options: try config.decode(Options.self)) })

    /// The decoded options.
    public let options: Options

    /// Creates the plugin from its options.
    public init(options: Options = Options()) {
        self.options = options
    }

    public func makeEncoder() throws -> ByteTransform {
        try GzipEncoder(level: options.level)
    }
}

/// An incremental gzip compressor for one file, built directly on zlib's `deflate`.
///
/// Output is handed to the sink in chunks of up to `bufferSize` bytes (a chunk is emitted when the buffer is full,
/// and the rest at `finish`, which also writes the gzip trailer).
public final class GzipEncoder: ByteTransform {
    /// The size of the output buffer: 256 KiB.
    public static let bufferSize = 256 * 1024

    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutablePointer<UInt8>
    /// Bytes waiting in `output`.
    private var buffered = 0
    /// Whether `finish` has completed the stream.
    private var finished = false

    /// Creates a compressor at `level` (0…9).
    public init(level: Int) throws {
        precondition((0...9).contains(level), "gzip level must be within 0...9")
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(capacity: GzipEncoder.bufferSize)
        // windowBits 31 = 15 + 16: a 32 KiB window with a gzip header and trailer; memLevel 8 is zlib's default.
        let rc = deflateInit2_(
            stream, Int32(level), Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            output.deallocate()
            throw SystemError("cannot initialise the gzip compressor (zlib error \(rc))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    public func push(_ input: UnsafeRawBufferPointer, to sink: ByteSink) throws {
        precondition(!finished, "push after finish")
        guard var next = input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count > 0 else { return }
        var left = input.count
        while left > 0 {
            let n = min(left, 1 << 30)
            stream.pointee.next_in = UnsafeMutablePointer(mutating: next)
            stream.pointee.avail_in = UInt32(n)
            repeat {
                try run(Z_NO_FLUSH, to: sink)
            } while stream.pointee.avail_in > 0
            next += n
            left -= n
        }
    }

    public func finish(to sink: ByteSink) throws {
        guard !finished else { return }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        while try run(Z_FINISH, to: sink) != Z_STREAM_END {}
        finished = true
        if buffered > 0 {
            try sink(UnsafeRawBufferPointer(start: output, count: buffered))
            buffered = 0
        }
    }

    /// Calls deflate once into the free part of the buffer, emitting the buffer first when it is full.
    @discardableResult
    private func run(_ flush: Int32, to sink: ByteSink) throws -> Int32 {
        if buffered == GzipEncoder.bufferSize {
            try sink(UnsafeRawBufferPointer(start: output, count: buffered))
            buffered = 0
        }
        stream.pointee.next_out = output + buffered
        stream.pointee.avail_out = UInt32(GzipEncoder.bufferSize - buffered)
        let rc = deflate(stream, flush)
        buffered = GzipEncoder.bufferSize - Int(stream.pointee.avail_out)
        switch rc {
        case Z_OK, Z_STREAM_END, Z_BUF_ERROR: return rc
        default: throw SystemError("unexpected zlib error \(rc) while compressing")
        }
    }
}
