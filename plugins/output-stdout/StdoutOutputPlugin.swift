import Foundation
import KuraCore
import KuraFormats

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `stdout` output: prints each record as one line of its values joined by `,`, as Embulk's `stdout` output.
///
/// Nulls print as nothing, strings and json as they are (unquoted), doubles in their shortest form, and timestamps
/// as `2024-01-01 00:00:00 UTC` in `timezone`. Records print in task order, then record order (the input files'
/// order, whatever the number of threads): see `TaskOrder`. Nothing is printed in a dry run.
public final class StdoutOutputPlugin: OutputPlugin {
    /// The registry entry of the output.
    public static let descriptor = PluginDescriptor(
        name: "stdout",
        summary: "Prints records to standard output, one comma-separated line per record.",
        example: """
            type: stdout
            timezone: UTC
            """,
        factory: .output { config, _ in try StdoutOutputPlugin(config: config) })

    /// Where printed bytes go: a whole page's lines at once.
    public typealias Printer = @Sendable (UnsafeRawBufferPointer) -> Void

    /// The decoded options.
    public let options: Options
    let printer: Printer

    /// Creates the output from its config section.
    public init(config: PluginConfig) throws {
        self.options = try config.decode(Options.self)
        self.printer = StdoutOutputPlugin.writeToStandardOutput
    }

    /// Creates the output with `printer` as the destination (standard output by default).
    public init(options: Options, printer: Printer? = nil) {
        self.options = options
        self.printer = printer ?? StdoutOutputPlugin.writeToStandardOutput
    }

    /// Held while bytes are printed, so that pages of runs in the same process never interleave.
    static let printLock = NSLock()

    /// Writes all of `bytes` to file descriptor 1.
    static let writeToStandardOutput: Printer = { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return
            }
            offset += n
        }
    }

    public func plan(schema: Schema, context: PluginContext) throws {}

    public func begin(schema: Schema, tasks: [InputTask], context: PluginContext) throws -> OutputSession {
        Session(schema: schema, zone: ZoneRule(name: options.timezone)!, timezone: options.timezone,
                printer: printer, dryRun: context.isDryRun)
    }

    /// One run: hands out task writers that print in task order; commit and abort have nothing to do.
    final class Session: OutputSession {
        let schema: Schema
        let zone: ZoneRule
        let timezone: String
        let order: TaskOrder
        let dryRun: Bool

        init(schema: Schema, zone: ZoneRule, timezone: String, printer: @escaping Printer, dryRun: Bool) {
            self.schema = schema
            self.zone = zone
            self.timezone = timezone
            self.order = TaskOrder(printer: { bytes in StdoutOutputPlugin.printLock.withLock { printer(bytes) } })
            self.dryRun = dryRun
        }

        func openTask(_ index: Int) throws -> OutputTaskWriter {
            LinePrinter(schema: schema, zone: zone, timezone: timezone, order: order, task: index, dryRun: dryRun)
        }

        func commit(_ report: CommitReport) throws {}
        func abort() {}
    }
}

/// Prints the pages of one task.
final class LinePrinter: OutputTaskWriter {
    let schema: Schema
    let types: [ColumnType]
    let zone: ZoneRule
    let order: TaskOrder
    let task: Int
    let dryRun: Bool
    /// The zone's fixed offset and the name printed after timestamps, for UTC and `+09:00`-style zones.
    let fixed: (offset: Int, name: [UInt8])?
    let foundationZone: TimeZone?
    var buffer: [UInt8] = []

    init(schema: Schema, zone: ZoneRule, timezone: String, order: TaskOrder, task: Int, dryRun: Bool) {
        self.schema = schema
        self.types = schema.columns.map(\.type)
        self.zone = zone
        self.order = order
        self.task = task
        self.dryRun = dryRun
        if ["UTC", "Z", "GMT", "UT"].contains(timezone.uppercased()) {
            fixed = (0, Array("UTC".utf8))
        } else if let offset = ZoneRule.parseOffset(timezone) {
            var name: [UInt8] = []
            LinePrinter.appendOffset(offset, to: &name)
            fixed = (offset, name)
        } else {
            fixed = nil
        }
        foundationZone = fixed == nil ? TimeZone(identifier: timezone) : nil
    }

    static func appendOffset(_ offset: Int, to out: inout [UInt8]) {
        out.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let minutes = abs(offset) / 60
        appendPadded(Int64(minutes / 60), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int64(minutes % 60), width: 2, to: &out)
    }

    /// Appends `2024-01-01 00:00:00 UTC` (Embulk's `%Y-%m-%d %H:%M:%S %Z`) for `nanos`.
    func appendTimestamp(_ nanos: Int64, to out: inout [UInt8]) {
        let secs = Timestamp(nanos: nanos).epochSeconds
        let offset = fixed?.offset ?? zone.offset(atUTC: secs)
        let c = CivilTime(epochSeconds: secs + Int64(offset))
        if c.year < 0 { out.append(UInt8(ascii: "-")) }
        appendPadded(c.year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(Int64(c.month), width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(Int64(c.day), width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        appendPadded(Int64(c.hour), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int64(c.minute), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int64(c.second), width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        if let fixed {
            out.append(contentsOf: fixed.name)
        } else if let abbreviation = foundationZone?.abbreviation(for: Date(timeIntervalSince1970: Double(secs))) {
            out.append(contentsOf: abbreviation.utf8)
        } else {
            LinePrinter.appendOffset(offset, to: &out)
        }
    }

    /// The lines of `page`, as printed.
    func lines(of page: Page) -> [UInt8] {
        buffer.removeAll(keepingCapacity: true)
        for row in 0..<page.rowCount {
            for c in 0..<types.count {
                if c > 0 { buffer.append(UInt8(ascii: ",")) }
                if page.isNull(row: row, column: c) { continue }
                switch types[c] {
                case .boolean: buffer.append(contentsOf: page.boolean(row: row, column: c) ? "true".utf8 : "false".utf8)
                case .long:
                    let v = page.long(row: row, column: c)
                    if v < 0 { buffer.append(UInt8(ascii: "-")) }
                    appendPadded(v, width: 1, to: &buffer)
                case .double: buffer.append(contentsOf: page.double(row: row, column: c).shortestText.utf8)
                case .timestamp: appendTimestamp(page.timestampNanos(row: row, column: c), to: &buffer)
                case .string, .json: page.withBytes(row: row, column: c) { buffer.append(contentsOf: $0) }
                }
            }
            buffer.append(10)
        }
        return buffer
    }

    func add(_ page: Page) throws {
        guard !dryRun, page.rowCount > 0 else { return }
        try order.add(lines(of: page), task: task)
    }

    func finish() throws { order.finish(task: task) }
    func abort() { order.abort(task: task) }
}
