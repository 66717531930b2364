import Foundation
import KuraCore

extension LoadPipeline {
    /// Reads `task` through the input, the decoders and the parser (no filters, no output) into `sink`, as a run
    /// reads it: decompression on a reader thread, parsing on this one.
    public func parse(_ task: InputTask, into sink: RecordSink) throws {
        let parser = try self.parser.makeParser(for: task, context: context)
        let runner = LoadRunner(pipeline: self)
        runner.showProgress = false
        try runner.streamDecoded(task) { try parser.push($0, to: sink) }
        try parser.finish(to: sink)
    }

    /// Parses `bytes`, already decoded (decompressed, in the parser's charset), as if they were the file `name`,
    /// into `sink`.
    public func parse(bytes: [UInt8], name: String, into sink: RecordSink) throws {
        let parser = try self.parser.makeParser(for: InputTask(name: name), context: context)
        try bytes.withUnsafeBytes { try parser.push($0, to: sink) }
        try parser.finish(to: sink)
    }
}

extension KuraEnvironment {
    /// Plans the load `config` (already loaded, such as a guessed one) as if read from `file`; writes nothing.
    public func pipeline(config: ConfigNode, file: String?, dryRun: Bool = true) throws -> LoadPipeline {
        let context = PluginContext(
            workingDirectory: workingDirectory, sessionTime: Timestamp(seconds: Int64(Date().timeIntervalSince1970)),
            logger: logger, isDryRun: dryRun)
        return try LoadPipeline(config: config, file: file, registry: registry, context: context)
    }

    /// Loads the config file at `path` (rendering `.liquid` templates) without planning it.
    public func loadConfig(path: String) throws -> ConfigNode {
        try ConfigLoader(vars: vars, environment: environment).load(path: path)
    }
}
