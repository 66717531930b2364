import CIsal
import CZlib
import KuraCore

/// The inflate implementation behind a `GzipDecoder`.
public enum InflateEngine: String, Sendable, CaseIterable {
    /// ISA-L's igzip for gzip files, zlib for zlib-wrapped ones (the default).
    case automatic
    /// ISA-L's igzip: several times faster than zlib; reads gzip members only.
    case isal
    /// zlib's `inflate`: reads gzip members, and a zlib stream as the first member.
    case zlib
}

/// What one call of an `Inflater` did.
struct InflateStep {
    /// Compressed bytes consumed.
    var used: Int
    /// Decompressed bytes written.
    var produced: Int
    /// Whether the member ended (its trailer was read and checked).
    var memberEnded: Bool
}

/// Why an `Inflater` stopped.
enum InflateFailure: Error {
    /// The compressed data is invalid (`reason` as the library says it, `used` bytes into the call's input).
    case data(String, used: Int)
    /// A zlib stream that needs a preset dictionary.
    case needsDictionary(used: Int)
    /// The library could not allocate memory.
    case memory
    /// Another library error.
    case library(String)
}

/// One inflate stream over gzip members: zlib or ISA-L, behind the same calls.
protocol Inflater: AnyObject {
    /// Inflates from `input` (`count` bytes) into `output` (`capacity` bytes), stopping when the input is used up,
    /// the output is full or the member ends.
    func inflate(_ input: UnsafeMutablePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> InflateStep
    /// Prepares for the next member (a gzip member).
    func startNextMember() throws
}

/// zlib's `inflate`. The corresponding zlib functions are `inflateInit2_`, `inflate`, `inflateReset2` and `inflateEnd`.
final class ZlibInflater: Inflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 32: a 32 KiB window, and detect a gzip or zlib header automatically.
        let rc = inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw InflateFailure.library("zlib error \(rc)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func inflate(_ input: UnsafeMutablePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> InflateStep {
        stream.pointee.next_in = input
        stream.pointee.avail_in = UInt32(count)
        stream.pointee.next_out = output
        stream.pointee.avail_out = UInt32(capacity)
        let rc = CZlib.inflate(stream, Z_NO_FLUSH)
        let step = InflateStep(
            used: count - Int(stream.pointee.avail_in), produced: capacity - Int(stream.pointee.avail_out),
            memberEnded: rc == Z_STREAM_END)
        switch rc {
        // Z_BUF_ERROR only means no progress was possible: the input is used up.
        case Z_OK, Z_BUF_ERROR, Z_STREAM_END: return step
        case Z_NEED_DICT: throw InflateFailure.needsDictionary(used: step.used)
        case Z_DATA_ERROR:
            throw InflateFailure.data(stream.pointee.msg.map { String(cString: $0) } ?? "invalid compressed data", used: step.used)
        case Z_MEM_ERROR: throw InflateFailure.memory
        default: throw InflateFailure.library("zlib error \(rc)")
        }
    }

    func startNextMember() throws {
        // Later members must be gzip (31 = 15 + 16: gzip header only).
        let rc = inflateReset2(stream, 31)
        guard rc == Z_OK else { throw InflateFailure.library("zlib error \(rc)") }
    }
}

/// ISA-L's igzip inflate, reading gzip headers and checking each member's CRC-32 and length. The corresponding
/// ISA-L functions are `isal_inflate_init`, `isal_inflate` and `isal_inflate_reset`.
final class IsalInflater: Inflater {
    private let state: UnsafeMutablePointer<inflate_state>

    init() {
        state = .allocate(capacity: 1)
        state.initialize(to: inflate_state())
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    func inflate(_ input: UnsafeMutablePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> InflateStep {
        state.pointee.next_in = input
        state.pointee.avail_in = UInt32(count)
        state.pointee.next_out = output
        state.pointee.avail_out = UInt32(capacity)
        let rc = isal_inflate(state)
        let used = count - Int(state.pointee.avail_in)
        switch rc {
        case ISAL_DECOMP_OK, ISAL_END_INPUT, ISAL_OUT_OVERFLOW:
            return InflateStep(
                used: used, produced: capacity - Int(state.pointee.avail_out),
                memberEnded: state.pointee.block_state == ISAL_BLOCK_FINISH)
        case ISAL_NEED_DICT: throw InflateFailure.needsDictionary(used: used)
        default: throw InflateFailure.data(Self.reason(rc), used: used)
        }
    }

    func startNextMember() throws {
        isal_inflate_reset(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)
    }

    /// The reason for an ISA-L error code, in zlib's words where zlib has one.
    static func reason(_ rc: Int32) -> String {
        switch rc {
        case ISAL_INVALID_BLOCK: return "invalid block type or lengths"
        case ISAL_INVALID_SYMBOL: return "invalid code or literal/length symbol"
        case ISAL_INVALID_LOOKBACK: return "invalid distance too far back"
        case ISAL_INVALID_WRAPPER: return "incorrect header check"
        case ISAL_UNSUPPORTED_METHOD: return "unknown compression method"
        case ISAL_INCORRECT_CHECKSUM: return "incorrect data check"
        default: return "ISA-L error \(rc)"
        }
    }
}
