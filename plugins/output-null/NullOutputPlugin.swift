import Foundation
import KuraCore

/// The `null` output: discards every record and counts them, for benchmarks and for checking inputs and filters.
public final class NullOutputPlugin: OutputPlugin {
    /// The registry entry of the output.
    public static let descriptor = PluginDescriptor(
        name: "null",
        summary: "Discards all records (counting them); useful to measure or check the input side of a load.",
        example: """
            type: "null"
            """,
        factory: .output { config, _ in try NullOutputPlugin(config: config) })

    /// The decoded options.
    public let options: Options

    /// Creates the output from its config section.
    public init(config: PluginConfig) throws {
        self.options = try config.decode(Options.self)
    }

    /// Creates the output.
    public init() {
        self.options = Options()
    }

    public func plan(schema: Schema, context: PluginContext) throws {}

    public func begin(schema: Schema, tasks: [InputTask], context: PluginContext) throws -> OutputSession {
        Session(logger: context.logger)
    }

    /// One run: counts what its tasks discard.
    public final class Session: OutputSession, @unchecked Sendable {
        let logger: Logger
        let lock = NSLock()
        var finished = 0

        init(logger: Logger) { self.logger = logger }

        /// The records discarded by tasks that finished (aborted tasks do not count).
        public var discardedRecords: Int { lock.withLock { finished } }

        public func openTask(_ index: Int) throws -> OutputTaskWriter { TaskWriter(session: self, index: index) }

        public func commit(_ report: CommitReport) throws {
            logger.debug("null output: discarded \(discardedRecords) records")
        }

        public func abort() {
            logger.debug("null output: aborted after discarding \(discardedRecords) records")
        }

        func add(_ count: Int) { lock.withLock { finished += count } }
    }

    /// Counts the records of one task.
    final class TaskWriter: OutputTaskWriter {
        let session: Session
        let index: Int
        var records = 0

        init(session: Session, index: Int) {
            self.session = session
            self.index = index
        }

        func add(_ page: Page) throws { records += page.rowCount }

        func finish() throws {
            session.add(records)
            session.logger.debug("null output: task \(index) discarded \(records) records")
        }

        func abort() { records = 0 }
    }
}
