import KuraCore

/// Puts a formatter and encoders in front of a file output, so it receives pages like any output.
final class FormattedFileOutput: OutputPlugin {
    let file: FileOutputPlugin
    let formatter: FormatterPlugin
    let encoders: [EncoderPlugin]

    init(file: FileOutputPlugin, formatter: FormatterPlugin, encoders: [EncoderPlugin]) {
        self.file = file
        self.formatter = formatter
        self.encoders = encoders
    }

    func plan(schema: Schema, context: PluginContext) throws {
        _ = try formatter.makeFormatter(schema: schema)
        _ = try encoders.map { try $0.makeEncoder() }
    }

    func begin(schema: Schema, tasks: [InputTask], context: PluginContext) throws -> OutputSession {
        Session(file: try file.begin(taskCount: tasks.count, context: context), owner: self, schema: schema)
    }

    final class Session: OutputSession {
        let file: FileOutputSession
        let owner: FormattedFileOutput
        let schema: Schema
        init(file: FileOutputSession, owner: FormattedFileOutput, schema: Schema) {
            self.file = file
            self.owner = owner
            self.schema = schema
        }
        func openTask(_ index: Int) throws -> OutputTaskWriter {
            let writer = try file.openFile(task: index)
            let formatter = try owner.formatter.makeFormatter(schema: schema)
            let encoders = try owner.encoders.map { try $0.makeEncoder() }
            let t = TaskWriter(writer: writer, formatter: formatter, encoders: encoders)
            try formatter.begin(to: t.sinkAt(0))
            return t
        }
        func commit(_ report: CommitReport) throws { _ = try file.commit() }
        func abort() { file.abort() }
    }

    /// Formatter → encoders → file, as a chain of sinks.
    final class TaskWriter: OutputTaskWriter {
        let writer: ByteWriter
        let formatter: PageFormatter
        let encoders: [ByteTransform]
        init(writer: ByteWriter, formatter: PageFormatter, encoders: [ByteTransform]) {
            self.writer = writer
            self.formatter = formatter
            self.encoders = encoders
        }
        /// The sink that feeds encoder `i` (or the file when `i == encoders.count`).
        func sinkAt(_ i: Int) -> ByteSink {
            if i == encoders.count { return { [writer] in try writer.write($0) } }
            let next = sinkAt(i + 1)
            let enc = encoders[i]
            return { try enc.push($0, to: next) }
        }
        func add(_ page: Page) throws { try formatter.format(page, to: sinkAt(0)) }
        func finish() throws {
            try formatter.finish(to: sinkAt(0))
            for i in 0..<encoders.count { try encoders[i].finish(to: sinkAt(i + 1)) }
            try writer.close()
        }
        func abort() { try? writer.close() }
    }
}
