/// The kinds of plugin in a load pipeline: input → decoders → parser → filters → output (formatter → encoders).
public enum PluginKind: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case input, decoder, parser, filter, formatter, encoder, output
    public var description: String { rawValue }
}

/// Where a byte sink's bytes go: called with each produced chunk, valid only during the call.
public typealias ByteSink = (UnsafeRawBufferPointer) throws -> Void

/// Services and facts a plugin may use at plan and run time.
public struct PluginContext: Sendable {
    /// Directory that relative paths are resolved against (default: the process's working directory).
    public var workingDirectory: String
    /// The logical time the run is for, in nanoseconds since the epoch.
    public var sessionTime: Timestamp
    /// The logger.
    public var logger: Logger
    /// Whether the run only previews or checks, so outputs must not write anything.
    public var isDryRun: Bool
    /// How many records parsers put in one page (default 4096; previews use small pages to stop early).
    public var pageRows: Int = 4096
    /// The run's identifier, once a run has one (outputs name their connections after it; default nil).
    public var runID: String? = nil

    public init(workingDirectory: String, sessionTime: Timestamp, logger: Logger, isDryRun: Bool = false) {
        self.workingDirectory = workingDirectory
        self.sessionTime = sessionTime
        self.logger = logger
        self.isDryRun = isDryRun
    }

    /// Resolves `path` against `workingDirectory` unless it is absolute.
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || workingDirectory.isEmpty { return path }
        if path.hasPrefix("./") { return workingDirectory + "/" + path.dropFirst(2) }
        return workingDirectory + "/" + path
    }
}

/// A plugin's own section of the config, with where it is, ready to decode into the plugin's `Options`.
public struct PluginConfig: Sendable {
    /// The section, without the keys the runtime handles (`type`, `decoders`, `parser`, `formatter`, `encoders`).
    public var node: ConfigNode
    /// The section's key path, such as `in.parser`.
    public var path: String
    /// The config file name, when known.
    public var file: String?

    public init(node: ConfigNode, path: String, file: String? = nil) {
        self.node = node
        self.path = path
        self.file = file
    }

    /// Decodes the options, rejecting unknown keys.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try ConfigDecoder().decode(type, from: node, path: path, file: file)
    }

    /// A config error located at `key` (a sub-path of this section).
    public func error(_ key: String, _ message: String, fix: String? = nil) -> ConfigError {
        let full = key.isEmpty ? path : (key.hasPrefix("[") ? path + key : path + "." + key)
        return ConfigError(path: full, mark: node.nearestMark(key) ?? node.mark, file: file, message, fix: fix)
    }
}

// MARK: - Byte streams

/// A source of bytes, read sequentially.
public protocol ByteReader: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Releases the source; further reads are invalid.
    func close()
}

/// A destination of bytes, written sequentially.
public protocol ByteWriter: AnyObject {
    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Flushes and closes the destination.
    func close() throws
}

/// An incremental byte-stream transformation (a decoder or an encoder).
///
/// `push` may be called with chunks of any size, including one byte or zero bytes; output goes to `sink` as it
/// becomes available. `finish` flushes and checks that the stream ended cleanly (a truncated compressed stream is
/// a `DataError`, never silent partial data).
public protocol ByteTransform: AnyObject {
    func push(_ input: UnsafeRawBufferPointer, to sink: ByteSink) throws
    func finish(to sink: ByteSink) throws
}

// MARK: - Input

/// One unit of work and of parallelism: usually one input file.
public struct InputTask: Codable, Hashable, Sendable {
    /// Display name, used in messages and reject records (the path for files).
    public var name: String
    /// Size in bytes, when known.
    public var size: Int64?
    /// Modification time in seconds since the epoch, when known.
    public var modifiedAt: Double?

    public init(name: String, size: Int64? = nil, modifiedAt: Double? = nil) {
        self.name = name
        self.size = size
        self.modifiedAt = modifiedAt
    }

    enum CodingKeys: String, CodingKey {
        case name = "path", size, modifiedAt = "mtime"
    }
}

/// What an input plans to read: its tasks, and the config diff to store after a successful run.
public struct InputPlan: Codable, Sendable {
    public var tasks: [InputTask]
    /// Keys to write under `in:` in the next config diff (for example `last_path`).
    public var configDiff: [String: String]

    public init(tasks: [InputTask], configDiff: [String: String] = [:]) {
        self.tasks = tasks
        self.configDiff = configDiff
    }
}

/// An input plugin that produces byte streams (files), to be decoded and parsed.
public protocol FileInputPlugin: AnyObject {
    /// Lists the tasks; reads nothing but metadata.
    func plan(context: PluginContext) throws -> InputPlan
    /// Opens the bytes of one task.
    func open(_ task: InputTask, context: PluginContext) throws -> ByteReader
}

/// A decoder plugin: makes a byte transform per task (such as gunzip).
public protocol DecoderPlugin: AnyObject {
    func makeDecoder(for task: InputTask) throws -> ByteTransform
}

// MARK: - Parser

/// Where a parser's output goes: full pages, and the records it rejects.
public protocol RecordSink: AnyObject {
    /// Takes a page of parsed records.
    func emit(_ page: Page) throws
    /// Takes a record that could not be parsed; throws to stop the task (budget exceeded, or stop on invalid).
    func reject(_ error: DataError) throws
}

/// An incremental parser for one task: bytes in, pages and rejected records out.
///
/// `push` takes chunks split anywhere (even inside a multi-byte character or a quoted field); a parser keeps what
/// it cannot finish yet. `finish` handles the last record and emits the last, partial page.
public protocol RecordParser: AnyObject {
    func push(_ chunk: UnsafeRawBufferPointer, to sink: RecordSink) throws
    func finish(to sink: RecordSink) throws
}

/// A parser plugin: declares the schema at plan time and makes one `RecordParser` per task.
public protocol ParserPlugin: AnyObject {
    /// The schema of the records parsed.
    var schema: Schema { get }
    func makeParser(for task: InputTask, context: PluginContext) throws -> RecordParser
}

// MARK: - Filter

/// A per-task filter instance: pages in, pages out (possibly fewer rows: the difference counts as filtered).
public protocol PageFilter: AnyObject {
    func filter(_ page: Page) throws -> Page
}

/// A filter that rejects records it cannot process: each goes to the run's reject store with its reason and counts
/// as rejected, not filtered, so `read = loaded + rejected + filtered` still holds.
///
/// A rejected record's `DataError` leaves `file` empty (a filter does not know where a record came from); the
/// runtime fills in the task's name. Called through `filter(_:)` alone, the filter throws its first reject instead,
/// so no record is dropped unseen.
public protocol RejectingPageFilter: PageFilter {
    /// Filters `page`, handing each record it rejects to `reject`, which throws to stop the task (the error budget
    /// is spent). The result holds the records that were neither rejected nor filtered out.
    func filter(_ page: Page, rejecting reject: (DataError) throws -> Void) throws -> Page
}

extension RejectingPageFilter {
    /// Filters `page`, failing on the first record the filter rejects.
    public func filter(_ page: Page) throws -> Page {
        try filter(page, rejecting: { throw $0 })
    }
}

extension Array where Element == PageFilter {
    /// Runs `page` through the filters in order, handing records they reject to `reject`; returns the output page
    /// and how many records were rejected on the way.
    public func apply(to page: Page, rejecting reject: (DataError) throws -> Void) throws -> (page: Page, rejected: Int) {
        var p = page
        var rejected = 0
        for f in self {
            if let r = f as? RejectingPageFilter {
                p = try r.filter(p) { e in
                    rejected += 1
                    try reject(e)
                }
            } else {
                p = try f.filter(p)
            }
        }
        return (p, rejected)
    }
}

/// A filter that holds something for its task (a process, a connection): `finish()` is called after the task's
/// last page, and may fail the task.
public protocol FinishingPageFilter: PageFilter {
    func finish() throws
}

/// A filter plugin: maps the input schema to its output schema at plan time.
public protocol FilterPlugin: AnyObject {
    /// The output schema; throws a `ConfigError` when the options do not fit `input`.
    func outputSchema(for input: Schema) throws -> Schema
    /// A filter for one task.
    func makeFilter(input: Schema) throws -> PageFilter
}

// MARK: - Formatter and encoder

/// Turns pages into bytes for one output file.
public protocol PageFormatter: AnyObject {
    /// Writes whatever precedes the records (a header line, for example).
    func begin(to sink: ByteSink) throws
    func format(_ page: Page, to sink: ByteSink) throws
    func finish(to sink: ByteSink) throws
}

/// A formatter plugin.
public protocol FormatterPlugin: AnyObject {
    func makeFormatter(schema: Schema) throws -> PageFormatter
}

/// An encoder plugin: makes a byte transform per output file (such as gzip).
public protocol EncoderPlugin: AnyObject {
    func makeEncoder() throws -> ByteTransform
}

// MARK: - Output

/// Counts for one task or one run: every record read is loaded, rejected or filtered.
public struct RowCounts: Codable, Hashable, Sendable {
    public var read = 0
    public var loaded = 0
    public var rejected = 0
    public var filtered = 0
    public init(read: Int = 0, loaded: Int = 0, rejected: Int = 0, filtered: Int = 0) {
        self.read = read
        self.loaded = loaded
        self.rejected = rejected
        self.filtered = filtered
    }
    /// Whether `read == loaded + rejected + filtered`.
    public var addsUp: Bool { read == loaded + rejected + filtered }
    public static func += (a: inout RowCounts, b: RowCounts) {
        a.read += b.read
        a.loaded += b.loaded
        a.rejected += b.rejected
        a.filtered += b.filtered
    }
}

/// What the runtime tells an output at commit: the tasks and their counts.
public struct CommitReport: Sendable {
    public var tasks: [InputTask]
    public var counts: [RowCounts]
    public var total: RowCounts
    public init(tasks: [InputTask], counts: [RowCounts], total: RowCounts) {
        self.tasks = tasks
        self.counts = counts
        self.total = total
    }
}

/// Receives the pages of one task.
public protocol OutputTaskWriter: AnyObject {
    func add(_ page: Page) throws
    /// The task's last page was added.
    func finish() throws
    /// The task failed; discard what it wrote.
    func abort()
}

/// A task writer that may refuse some of the records it was given (an out-of-process output, for example): once
/// `finish()` has returned, the runtime counts the refused records as rejected instead of loaded and writes them to
/// the rejects with their reasons.
public protocol RefusingOutputTaskWriter: OutputTaskWriter {
    /// The records refused by the task, each with its reason (code `REFUSED_BY_OUTPUT`); read once after `finish()`.
    var refused: [DataError] { get }
}

/// One run of an output: tasks write (in parallel), then the run commits all at once, or aborts.
public protocol OutputSession: AnyObject {
    func openTask(_ index: Int) throws -> OutputTaskWriter
    /// Makes everything the tasks wrote visible at once (one transaction).
    func commit(_ report: CommitReport) throws
    /// Discards everything; nothing becomes visible.
    func abort()
}

/// An output plugin that receives pages.
public protocol OutputPlugin: AnyObject {
    /// Validates the options against the final schema; no side effects.
    func plan(schema: Schema, context: PluginContext) throws
    /// Starts a run (creating staging state as needed).
    func begin(schema: Schema, tasks: [InputTask], context: PluginContext) throws -> OutputSession
}

/// One run of a file output: per task a file, made visible at commit.
public protocol FileOutputSession: AnyObject {
    /// Opens the file for task `index`.
    func openFile(task index: Int) throws -> ByteWriter
    /// Makes the files visible (renames them into place); returns their paths.
    func commit() throws -> [String]
    func abort()
}

/// An output plugin that writes byte streams; the runtime puts the formatter and encoders in front of it.
public protocol FileOutputPlugin: AnyObject {
    func begin(taskCount: Int, context: PluginContext) throws -> FileOutputSession
}

// MARK: - Registry

/// How to make a plugin of each kind from its config section.
public enum PluginFactory: Sendable {
    case input(@Sendable (PluginConfig, PluginContext) throws -> FileInputPlugin)
    case decoder(@Sendable (PluginConfig) throws -> DecoderPlugin)
    case parser(@Sendable (PluginConfig) throws -> ParserPlugin)
    case filter(@Sendable (PluginConfig) throws -> FilterPlugin)
    case formatter(@Sendable (PluginConfig) throws -> FormatterPlugin)
    case encoder(@Sendable (PluginConfig) throws -> EncoderPlugin)
    case output(@Sendable (PluginConfig, PluginContext) throws -> OutputPlugin)
    case fileOutput(@Sendable (PluginConfig, PluginContext) throws -> FileOutputPlugin)

    /// The kind of plugin the factory makes.
    public var kind: PluginKind {
        switch self {
        case .input: return .input
        case .decoder: return .decoder
        case .parser: return .parser
        case .filter: return .filter
        case .formatter: return .formatter
        case .encoder: return .encoder
        case .output, .fileOutput: return .output
        }
    }
}

/// A built-in plugin's name, kind, one-line summary, example config and factory.
public struct PluginDescriptor: Sendable {
    public let name: String
    public let summary: String
    /// A YAML snippet of the plugin's own section, as it would appear in a config.
    public let example: String
    public let factory: PluginFactory
    public var kind: PluginKind { factory.kind }

    public init(name: String, summary: String, example: String, factory: PluginFactory) {
        self.name = name
        self.summary = summary
        self.example = example
        self.factory = factory
    }
}

/// The one explicit list of plugins a run may use, looked up by kind and name.
public struct PluginRegistry: Sendable {
    /// The descriptors in registration order.
    public let descriptors: [PluginDescriptor]

    /// Creates a registry; traps on two plugins of the same kind and name, naming them.
    public init(_ descriptors: [PluginDescriptor]) {
        var seen = Set<String>()
        for d in descriptors {
            let key = "\(d.kind)/\(d.name)"
            precondition(seen.insert(key).inserted, "duplicate plugin registration: \(d.kind) '\(d.name)'")
        }
        self.descriptors = descriptors
    }

    /// The plugin of `kind` called `name`.
    public func descriptor(_ kind: PluginKind, _ name: String) -> PluginDescriptor? {
        descriptors.first { $0.kind == kind && $0.name == name }
    }

    /// The names registered for `kind`, in order.
    public func names(_ kind: PluginKind) -> [String] {
        descriptors.filter { $0.kind == kind }.map(\.name)
    }
}

// MARK: - Logging

/// Log severity, from most to least severe.
public enum LogLevel: Int, Comparable, CaseIterable, Sendable {
    case error, warn, info, debug, trace
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
    public var name: String { ["error", "warn", "info", "debug", "trace"][rawValue] }
    public init?(name: String) {
        guard let l = LogLevel.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = l
    }
}

/// A leveled logger that hands lines to a sink chosen by the runtime (stderr by default).
///
/// A logger may carry fields (`with(_:)`): context such as the job, the session or the run id, which a structured
/// sink writes beside the message (the JSON log format) and a plain sink leaves out.
public final class Logger: @unchecked Sendable {
    /// Messages less severe than this are dropped (default `info`).
    public let level: LogLevel
    /// The context every message of this logger carries, in order (default none).
    public let fields: [(String, String)]
    let sink: @Sendable (LogLevel, String, [(String, String)]) -> Void

    /// A logger whose sink takes the level and the message.
    public convenience init(level: LogLevel = .info, sink: @escaping @Sendable (LogLevel, String) -> Void) {
        self.init(level: level, fields: [], structured: { l, m, _ in sink(l, m) })
    }

    /// A logger whose sink also takes the fields.
    public init(level: LogLevel = .info, fields: [(String, String)] = [], structured: @escaping @Sendable (LogLevel, String, [(String, String)]) -> Void) {
        self.level = level
        self.fields = fields
        self.sink = structured
    }

    /// A logger that drops everything.
    public static let silent = Logger(level: .error) { _, _ in }

    /// This logger with `more` fields after its own (a field of the same name replaces the earlier one).
    public func with(_ more: [(String, String)]) -> Logger {
        let names = Set(more.map(\.0))
        return Logger(level: level, fields: fields.filter { !names.contains($0.0) } + more, structured: sink)
    }

    public func log(_ l: LogLevel, _ message: @autoclosure () -> String) {
        if l <= level { sink(l, message(), fields) }
    }
    public func error(_ m: @autoclosure () -> String) { log(.error, m()) }
    public func warn(_ m: @autoclosure () -> String) { log(.warn, m()) }
    public func info(_ m: @autoclosure () -> String) { log(.info, m()) }
    public func debug(_ m: @autoclosure () -> String) { log(.debug, m()) }
}
