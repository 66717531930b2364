import Foundation
import KuraCore
import KuraFormats

/// A filter run as a separate executable that speaks the plugin protocol (`docs/plugin-protocol.md`): kura sends
/// each record as a JSON object on a line, and the plugin answers each with one line, the output record or `null`
/// (filtered out).
final class ExternalFilterPlugin: FilterPlugin {
    let manifest: PluginManifest
    /// The options as JSON, checked against the manifest and completed with its defaults.
    let options: String
    let timeoutSeconds: Double

    init(manifest: PluginManifest, config: PluginConfig) throws {
        self.manifest = manifest
        (options, timeoutSeconds) = try manifest.options(from: config)
    }

    /// Starts the plugin and does the handshake; returns the process and the output schema it declared.
    func start(input: Schema) throws -> (ExternalProcess, Schema) {
        let process = try ExternalProcess(
            command: manifest.command, directory: manifest.directory, label: "filter '\(manifest.name)'", timeoutSeconds: timeoutSeconds)
        do {
            try process.send(Array(Handshake.request(kind: "filter", name: manifest.name, options: options, schema: input).utf8))
            guard let reply = try process.readLine() else {
                let status = try process.wait()
                throw process.failure("exited (status \(status)) before answering the handshake")
            }
            return (process, try Handshake.schema(fromReply: reply, process: process))
        } catch {
            process.kill()
            throw error
        }
    }

    func outputSchema(for input: Schema) throws -> Schema {
        let (process, schema) = try start(input: input)
        process.closeInput()
        _ = try? process.wait()
        process.kill()
        return schema
    }

    func makeFilter(input: Schema) throws -> PageFilter {
        let (process, schema) = try start(input: input)
        return ExternalPageFilter(process: process, input: input, output: schema)
    }
}

/// The handshake's two lines (see `docs/plugin-protocol.md`).
enum Handshake {
    /// The first line kura writes: the protocol version, the plugin's kind and name, its options and the input
    /// schema.
    /// `fields` are more members of the object, as JSON text (`"task":{…}` for outputs).
    static func request(kind: String, name: String, options: String, schema: Schema?, fields: [String] = []) -> String {
        var line = "{\"kura_plugin_protocol\":1,\"kind\":\"\(kind)\",\"name\":\(PluginManifest.quoted(name)),\"options\":\(options)"
        if let schema { line += ",\"schema\":" + json(schema) }
        for field in fields { line += "," + field }
        return line + "}\n"
    }

    /// Checks an output's reply `{"ready":true}`; throws its `{"error":…}`.
    static func ready(fromReply line: ArraySlice<UInt8>, process: ExternalProcess) throws {
        let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
        if let message = object?["error"] as? String {
            _ = try? process.wait()
            throw RunFailure("\(process.label) refused its options: \(message)")
        }
        guard object?["ready"] as? Bool == true else {
            throw process.failure("answered the handshake with \"\(String(decoding: line.prefix(200), as: UTF8.self))\", not {\"ready\": true} or {\"error\": \"...\"}")
        }
    }

    static func json(_ schema: Schema) -> String {
        "[" + schema.columns.map { "{\"name\":\(PluginManifest.quoted($0.name)),\"type\":\"\($0.type.rawValue)\"}" }.joined(separator: ",") + "]"
    }

    /// The output schema in the plugin's reply `{"schema":[{"name":…,"type":…},…]}`; throws its `{"error":…}`.
    static func schema(fromReply line: ArraySlice<UInt8>, process: ExternalProcess) throws -> Schema {
        let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
        if let message = object?["error"] as? String {
            _ = try? process.wait()
            throw RunFailure("\(process.label) refused its options: \(message)")
        }
        guard let columns = object?["schema"] as? [[String: Any]] else {
            throw process.failure("answered the handshake with \"\(String(decoding: line.prefix(200), as: UTF8.self))\", not {\"schema\": [...]} or {\"error\": \"...\"}")
        }
        var out: [(String, ColumnType)] = []
        for c in columns {
            guard let name = c["name"] as? String, let type = (c["type"] as? String).flatMap(ColumnType.init(rawValue:)) else {
                throw process.failure("declared a column without a name and a type (boolean, long, double, string, timestamp or json): \(c)")
            }
            out.append((name, type))
        }
        return Schema(out)
    }
}

/// One task's side of an external filter: sends each page's records and reads one answer line per record.
///
/// When the output schema is the input schema, an answer identical to the line sent keeps the record as it is,
/// without decoding it (a filter that passes most records through unchanged costs little more than the pipes).
final class ExternalPageFilter: FinishingPageFilter {
    let process: ExternalProcess
    let output: Schema
    let decoder: JSONRowDecoder
    let encoder: JSONRowEncoder
    let sameSchema: Bool
    /// Records answered so far, for messages.
    var answered = 0

    init(process: ExternalProcess, input: Schema, output: Schema) {
        self.process = process
        self.output = output
        decoder = JSONRowDecoder(schema: output)
        encoder = JSONRowEncoder(schema: input)
        sameSchema = input == output
    }

    deinit { process.kill() }

    func filter(_ page: Page) throws -> Page {
        let lines = encoder.encode(page)
        if !lines.isEmpty { try process.send(lines) }
        // Rows answered unchanged, in order, while every answer so far was; the builder starts at the first other.
        var unchanged = 0
        var builder: PageBuilder? = nil
        try lines.withUnsafeBytes { sent in
            for row in 0..<page.rowCount {
                guard let line = try process.readLine() else {
                    let status = try process.wait()
                    throw process.failure("exited (status \(status)) after answering \(answered) record(s), before answering them all")
                }
                answered += 1
                let start = row == 0 ? 0 : encoder.lineEnds[row - 1]
                let same = sameSchema && Self.equal(line, UnsafeRawBufferPointer(rebasing: sent[start..<(encoder.lineEnds[row] - 1)]))
                if same && builder == nil {
                    unchanged += 1
                    continue
                }
                if builder == nil {
                    builder = PageBuilder(schema: output, capacity: max(page.rowCount, 1))
                    for r in 0..<unchanged { builder!.copyRow(r, of: page) }
                }
                if same {
                    builder!.copyRow(row, of: page)
                } else {
                    try decode(line, into: &builder!)
                }
            }
        }
        return builder?.build() ?? page
    }

    private func decode(_ line: ArraySlice<UInt8>, into builder: inout PageBuilder) throws {
        do {
            try decoder.append(line, to: &builder)
        } catch let e as JSONRowDecoder.Failure {
            process.kill()
            throw process.failure("answered record \(answered) with \"\(String(decoding: line.prefix(200), as: UTF8.self))\": \(e.message)")
        }
    }

    static func equal(_ line: ArraySlice<UInt8>, _ sent: UnsafeRawBufferPointer) -> Bool {
        line.count == sent.count && line.withUnsafeBytes { memcmp($0.baseAddress!, sent.baseAddress!, sent.count) == 0 }
    }

    func finish() throws {
        process.closeInput()
        if let extra = try process.readLine() {
            process.kill()
            throw process.failure("wrote more lines than records it was sent: \"\(String(decoding: extra.prefix(200), as: UTF8.self))\"")
        }
        let status = try process.wait()
        if status != 0 { throw process.failure("exited with status \(status)") }
    }
}

/// Reads one JSON Lines record (an object keyed by column name, or `null`) into a `PageBuilder`.
final class JSONRowDecoder {
    struct Failure: Error { let message: String }

    let schema: Schema
    let scanner = JSONScanner(maxDepth: JSON.defaultMaxDepth, invalidEscapes: .passthrough)
    /// Compacts values for string and json columns (apart from `scanner`, whose spans are being read).
    let compactor = JSONScanner(maxDepth: JSON.defaultMaxDepth, invalidEscapes: .passthrough)
    let tree: JSONPointerTree
    let timestamps: TimestampParser
    var scratch: [UInt8] = []
    var text: [UInt8] = []
    var ignored: [UInt8] = []

    init(schema: Schema) {
        self.schema = schema
        tree = JSONPointerTree(schema.columns.map { JSONPointer(tokens: [Array($0.name.utf8)]) })
        timestamps = try! TimestampParser(format: TimestampParser.defaultFormat)
    }

    /// Appends the record in `line` (a `null` line appends nothing: the record is filtered out).
    func append(_ line: ArraySlice<UInt8>, to builder: inout PageBuilder) throws {
        do {
            try appendStrict(line, to: &builder)
        } catch let failure as Failure {
            // The protocol lets doubles be bare `NaN`, `Infinity` and `-Infinity`, which JSON has not: quote them
            // (a double column reads them back) and try once more.
            guard let quoted = Self.quotingNonFiniteNumbers(line) else { throw failure }
            try appendStrict(quoted[...], to: &builder)
        }
    }

    /// `line` with every bare `NaN`, `Infinity` and `-Infinity` outside strings quoted, or nil when it has none.
    static func quotingNonFiniteNumbers(_ line: ArraySlice<UInt8>) -> [UInt8]? {
        let words: [[UInt8]] = [Array("-Infinity".utf8), Array("Infinity".utf8), Array("NaN".utf8)]
        var out: [UInt8] = []
        out.reserveCapacity(line.count + 8)
        var inString = false, escaped = false, changed = false
        var i = line.startIndex
        outer: while i < line.endIndex {
            let b = line[i]
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else {
                for w in words where line[i...].starts(with: w) {
                    out.append(UInt8(ascii: "\""))
                    out += w
                    out.append(UInt8(ascii: "\""))
                    i += w.count
                    changed = true
                    continue outer
                }
            }
            out.append(b)
            i += 1
        }
        return changed ? out : nil
    }

    private func appendStrict(_ line: ArraySlice<UInt8>, to builder: inout PageBuilder) throws {
        try line.withUnsafeBytes { v in
            var i = 0
            while i < v.count && (v[i] == 32 || v[i] == 9 || v[i] == 13) { i += 1 }
            if v.count - i >= 4 && v[i] == 110 && v[i + 1] == 117 && v[i + 2] == 108 && v[i + 3] == 108 { return }
            guard i < v.count && v[i] == UInt8(ascii: "{") else { throw Failure(message: "not a JSON object or null") }
            switch scanner.scan(v, from: i, isFinal: true, tree: tree, compactInto: &ignored, compacting: false) {
            case .complete: break
            case .needMoreData: throw Failure(message: "the JSON text ends too early")
            case .invalid(let e): throw Failure(message: e.message)
            }
            try convert(v, into: &builder)
        }
    }

    private func convert(_ v: UnsafeRawBufferPointer, into builder: inout PageBuilder) throws {
        for c in 0..<schema.count {
            let s = scanner.spanStart(c)
            if s < 0 || v[s] == UInt8(ascii: "n") {
                builder.setNull(c)
                continue
            }
            let value = UnsafeRawBufferPointer(rebasing: v[s..<scanner.spanEnd(c)])
            do {
                switch schema.columns[c].type {
                case .long: builder.setLong(c, try JSON.int64(value, invalidEscapes: .passthrough, scratch: &scratch))
                case .double: builder.setDouble(c, try JSON.double(value, invalidEscapes: .passthrough, scratch: &scratch))
                case .boolean: builder.setBoolean(c, try JSON.boolean(value, invalidEscapes: .passthrough, scratch: &scratch))
                case .timestamp:
                    builder.setTimestamp(c, nanos: try JSON.timestampNanos(value, parser: timestamps, invalidEscapes: .passthrough, scratch: &scratch))
                case .string:
                    text.removeAll(keepingCapacity: true)
                    try JSON.appendText(value, scanner: compactor, to: &text)
                    text.withUnsafeBytes { builder.setBytes(c, $0) }
                case .json:
                    text.removeAll(keepingCapacity: true)
                    JSON.appendCompact(value, scanner: compactor, to: &text)
                    text.withUnsafeBytes { builder.setBytes(c, $0) }
                }
            } catch {
                builder.discardRecord()
                throw Failure(message: "column '\(schema.columns[c].name)' (\(schema.columns[c].type)): \(error.message)")
            }
        }
        builder.finishRecord()
    }
}
