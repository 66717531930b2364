import Foundation
import KuraCore

/// How much of the input guess reads.
public enum SampleSize: Sendable, Equatable {
    /// At most `bytes` decoded bytes: half from the start of the first file and, when it is seekable
    /// (uncompressed, local), the other half from eight windows spread over it; all from the start otherwise.
    case bounded(bytes: Int)
    /// Every record of every file.
    case all

    /// The default budget: 1 MiB.
    public static let standard = SampleSize.bounded(bytes: 1 << 20)
}

/// The bytes guess looks at: decoded (decompressed) but still in the file's charset.
struct Sample {
    /// The first input file's name.
    var file: String
    /// Every input task.
    var tasks: [InputTask]
    /// The decoders that apply, outermost first.
    var decoders: [String]
    /// The start of the file, cut after its last line break unless `headIsWhole`.
    var head: [UInt8]
    /// Whether `head` is the whole file.
    var headIsWhole: Bool
    /// Windows from further into the file (offset, bytes from the first line start to the last line end).
    var windows: [(offset: Int64, bytes: [UInt8])]
    /// The decoded size of the file when known (for messages).
    var fileSize: Int64?

    var byteCount: Int { head.count + windows.reduce(0) { $0 + $1.bytes.count } }
}

/// Reads samples through the seed's input plugin and the decoders its first bytes call for.
struct Sampler {
    let registry: PluginRegistry
    let context: PluginContext
    let file: String?

    /// Makes the input plugin of the seed's `in:` section.
    func makeInput(_ inNode: ConfigNode) throws -> FileInputPlugin {
        guard let type = inNode["type"]?.scalarText else {
            throw ConfigError(path: "in.type", mark: inNode.mark, file: file, "missing 'type:' under 'in:'", fix: "set type: file")
        }
        guard case .input(let make)? = registry.descriptor(.input, type)?.factory else {
            throw ConfigError(
                path: "in.type", mark: inNode["type"]?.mark, file: file, "unknown input plugin '\(type)'",
                fix: "available: \(registry.names(.input).joined(separator: ", "))")
        }
        let node = inNode.removing("type").removing("decoders").removing("parser")
        return try make(PluginConfig(node: node, path: "in", file: file), context)
    }

    /// Makes the decoder plugins called `names`.
    func makeDecoders(_ names: [String]) throws -> [DecoderPlugin] {
        try names.enumerated().map { i, name in
            guard case .decoder(let make)? = registry.descriptor(.decoder, name)?.factory else {
                throw ConfigError(path: "in.decoders[\(i)].type", file: file, "unknown decoder plugin '\(name)'",
                    fix: "available: \(registry.names(.decoder).joined(separator: ", "))")
            }
            return try make(PluginConfig(node: .mapping([]), path: "in.decoders[\(i)]", file: file))
        }
    }

    /// Reads the sample of the input `inNode` (`.all` reads the default budget: the rest is read by the proof);
    /// `givenDecoders` are the seed's decoders (nil: detect them).
    func read(_ inNode: ConfigNode, givenDecoders: [String]?, size: SampleSize) throws -> Sample {
        let input = try makeInput(inNode)
        let tasks = try input.plan(context: context).tasks
        guard let first = tasks.first else {
            let prefix = inNode["path_prefix"]?.scalarText ?? "?"
            throw ConfigError(
                path: "in.path_prefix", mark: inNode["path_prefix"]?.mark, file: file,
                "no input file matches path_prefix '\(prefix)'", fix: "point path_prefix at the files to guess from")
        }
        var budget = 1 << 20
        if case .bounded(let b) = size { budget = b }
        var decoders = givenDecoders ?? []
        let head: (bytes: [UInt8], whole: Bool)
        // The first bytes, decoded by the decoders found so far, tell whether another decoder applies.
        while givenDecoders == nil, decoders.count < 3 {
            let probe = try readHead(first, input: input, decoders: try makeDecoders(decoders), budget: 16)
            guard let d = DecoderGuesser.decoder(forMagic: probe.bytes[...]) else { break }
            decoders.append(d)
        }
        let headBudget = decoders.isEmpty && (first.size ?? 0) > Int64(budget) ? budget / 2 : budget
        head = try readHead(first, input: input, decoders: try makeDecoders(decoders), budget: headBudget)
        var sample = Sample(
            file: first.name, tasks: tasks, decoders: decoders, head: head.bytes, headIsWhole: head.whole, windows: [],
            fileSize: decoders.isEmpty ? first.size : nil)
        if !head.whole { sample.head = Self.cutAfterLastLineBreak(head.bytes) }
        if decoders.isEmpty, !head.whole, let size = first.size, size > Int64(budget) {
            sample.windows = readWindows(context.resolve(first.name), size: size, count: 8, each: budget / 16)
        }
        return sample
    }

    /// The first `budget` decoded bytes of `task` (and whether that is all of it).
    func readHead(_ task: InputTask, input: FileInputPlugin, decoders: [DecoderPlugin], budget: Int) throws
        -> (bytes: [UInt8], whole: Bool)
    {
        let reader = try input.open(task, context: context)
        defer { reader.close() }
        let transforms = try decoders.map { try $0.makeDecoder(for: task) }
        var out: [UInt8] = []
        var sinks: [ByteSink] = [{ out.append(contentsOf: $0) }]
        for d in transforms.reversed() {
            let downstream = sinks.last!
            sinks.append { try d.push($0, to: downstream) }
        }
        let head = sinks.last!
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while out.count < budget {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 {
                for (i, d) in transforms.enumerated() { try d.finish(to: sinks[transforms.count - 1 - i]) }
                return (out, true)
            }
            try buffer.withUnsafeBytes { try head(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        if out.count > budget { out.removeLast(out.count - budget) }
        return (out, false)
    }

    /// `count` windows of `each` bytes spread evenly over the file at `path` (after the start), each cut to whole
    /// lines.
    func readWindows(_ path: String, size: Int64, count: Int, each: Int) -> [(offset: Int64, bytes: [UInt8])] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        var windows: [(offset: Int64, bytes: [UInt8])] = []
        for i in 1...count {
            let offset = size * Int64(i) / Int64(count + 1)
            guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let data = try? handle.read(upToCount: each) else { continue }
            let bytes = [UInt8](data)
            guard let first = bytes.firstIndex(of: 10) else { continue }
            let rest = Self.cutAfterLastLineBreak(Array(bytes[(first + 1)...]))
            if !rest.isEmpty { windows.append((offset + Int64(first + 1), rest)) }
        }
        return windows
    }

    /// `bytes` up to and including its last line feed (all of it when it has none).
    static func cutAfterLastLineBreak(_ bytes: [UInt8]) -> [UInt8] {
        guard let last = bytes.lastIndex(of: 10) ?? bytes.lastIndex(of: 13) else { return bytes }
        return Array(bytes[...last])
    }
}
