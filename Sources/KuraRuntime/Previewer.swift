import Foundation
import KuraCore
import KuraFormats

/// Reads the first records of a load (through decoders, parser and filters) without writing anything.
public struct Previewer {
    public let pipeline: LoadPipeline

    public init(pipeline: LoadPipeline) { self.pipeline = pipeline }

    /// What a preview found: the records (at most `limit`), and the records rejected on the way.
    public struct Result {
        public var schema: Schema
        public var pages: [Page]
        public var rejects: [DataError]
        public var rowCount: Int { pages.reduce(0) { $0 + $1.rowCount } }
    }

    struct Enough: Error {}

    final class Collector: RecordSink {
        let filters: [PageFilter]
        let limit: Int
        var pages: [Page] = []
        var rows = 0
        var rejects: [DataError] = []
        let logger: Logger
        /// The task's name, put into the rejects and errors of filters.
        let task: String
        init(filters: [PageFilter], limit: Int, logger: Logger, task: String) {
            self.filters = filters
            self.task = task
            self.limit = limit
            self.logger = logger
        }
        func emit(_ page: Page) throws {
            var p: Page
            do {
                p = try filters.apply(to: page) { try reject($0.located(in: task)) }.page
            } catch let e as DataError {
                throw e.located(in: task)
            }
            if limit > 0 && rows + p.rowCount > limit {
                let keep = limit - rows
                p = p.selecting(rows: (0..<p.rowCount).map { $0 < keep })
            }
            if p.rowCount > 0 { pages.append(p) }
            rows += p.rowCount
            if limit > 0 && rows >= limit { throw Enough() }
        }
        func reject(_ error: DataError) throws {
            // Debug only: the preview lists its rejected records after the records (`rejectsText`).
            logger.debug("Skipped line \(error.location) (\(error.code): \(error.message)): \(error.rawText.prefix(500))")
            rejects.append(error)
        }
    }

    /// Previews up to `limit` records (0 = all), reading tasks in order.
    public func run(limit: Int) throws -> Result {
        var ctx = pipeline.context
        if limit > 0 { ctx.pageRows = min(4096, max(16, limit)) }
        let plan = pipeline.plan
        let runner = LoadRunner(pipeline: pipeline)
        runner.showProgress = false
        var pages: [Page] = []
        var rejects: [DataError] = []
        var total = 0
        for task in plan.tasks {
            let parser = try pipeline.parser.makeParser(for: task, context: ctx)
            let filters = try pipeline.filters.enumerated().map { try $0.element.makeFilter(input: pipeline.schemas[$0.offset]) }
            let sink = Collector(filters: filters, limit: limit == 0 ? 0 : limit - total, logger: ctx.logger, task: task.name)
            do {
                try runner.streamDecoded(task) { try parser.push($0, to: sink) }
                try parser.finish(to: sink)
            } catch is Enough {
            }
            pages += sink.pages
            rejects += sink.rejects
            total += sink.rows
            if limit > 0 && total >= limit { break }
        }
        return Result(schema: pipeline.outputSchema, pages: pages, rejects: rejects)
    }
}

/// Renders preview results.
public enum PreviewFormat: String, CaseIterable, Sendable {
    case table, jsonl

    /// Renders `result` as text.
    public func render(_ result: Previewer.Result) -> String {
        switch self {
        case .jsonl:
            var out: [UInt8] = []
            for page in result.pages {
                for r in 0..<page.rowCount {
                    page.appendJSONObject(row: r, to: &out)
                    out.append(10)
                }
            }
            return String(decoding: out, as: UTF8.self)
        case .table:
            return TableRenderer.render(result) + Self.rejectsText(result)
        }
    }

    /// The records as blocks, one line per column (`name:type: value`), then the rejected records.
    public static func renderVertical(_ result: Previewer.Result) -> String {
        let schema = result.schema
        let labels = schema.columns.map { "\($0.name):\($0.type)" }
        let width = labels.map(TableRenderer.width).max() ?? 0
        var out: [String] = []
        var n = 0
        for page in result.pages {
            for r in 0..<page.rowCount {
                n += 1
                out.append("*************************** \(n) ***************************")
                for (c, label) in labels.enumerated() {
                    let pad = String(repeating: " ", count: width - TableRenderer.width(label))
                    let value = page.isNull(row: r, column: c) ? "null" : TableRenderer.cell(page, r, c)
                    out.append(pad + label + ": " + value)
                }
            }
        }
        return out.joined(separator: "\n") + (out.isEmpty ? "" : "\n") + rejectsText(result)
    }

    /// The records the preview rejected, one line each with its place and reason (empty when none).
    public static func rejectsText(_ result: Previewer.Result) -> String {
        guard !result.rejects.isEmpty else { return "" }
        var lines = ["\(result.rejects.count) record(s) rejected (a run would reject them too):"]
        for e in result.rejects.prefix(100) {
            let column = e.column.map { " column '\($0)'" } ?? ""
            lines.append("  \(e.location)\(column) [\(e.code)]: \(e.message)")
            lines.append("    raw: " + TableRenderer.escapeControls(String(e.rawText.prefix(200))))
        }
        if result.rejects.count > 100 { lines.append("  … and \(result.rejects.count - 100) more") }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Draws records as an aligned text table, like Embulk's preview.
enum TableRenderer {
    static func cell(_ page: Page, _ r: Int, _ c: Int) -> String {
        if page.isNull(row: r, column: c) { return "" }
        switch page.schema[c].type {
        case .boolean: return page.boolean(row: r, column: c) ? "true" : "false"
        case .long: return String(page.long(row: r, column: c))
        case .double: return page.double(row: r, column: c).shortestText
        case .timestamp:
            let t = Timestamp(nanos: page.timestampNanos(row: r, column: c))
            var out: [UInt8] = []
            let civil = CivilTime(epochSeconds: t.epochSeconds)
            civil.appendDateForTable(to: &out)
            appendFraction(t.nanosecond, trim: true, to: &out)
            return String(decoding: out, as: UTF8.self) + " UTC"
        case .string, .json:
            return escapeControls(page.string(row: r, column: c))
        }
    }

    static func escapeControls(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F { out += "\\x" + String(u.value, radix: 16).leftPad(2) } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    /// Terminal columns taken by `s` (East Asian wide characters take two).
    static func width(_ s: String) -> Int {
        var w = 0
        for u in s.unicodeScalars {
            let v = u.value
            if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v)
            {
                w += 2
            } else if u.properties.generalCategory == .nonspacingMark {
                continue
            } else {
                w += 1
            }
        }
        return w
    }

    static func render(_ result: Previewer.Result) -> String {
        let schema = result.schema
        let headers = schema.columns.map { "\($0.name):\($0.type)" }
        var rows: [[String]] = []
        for page in result.pages {
            for r in 0..<page.rowCount { rows.append((0..<schema.count).map { cell(page, r, $0) }) }
        }
        var widths = headers.map(width)
        for row in rows { for (i, v) in row.enumerated() { widths[i] = max(widths[i], width(v)) } }
        let rightAligned = schema.columns.map { $0.type == .long || $0.type == .double }
        let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+"
        func line(_ cells: [String], align: Bool) -> String {
            "| " + cells.enumerated().map { i, v in
                let pad = String(repeating: " ", count: widths[i] - width(v))
                return align && rightAligned[i] ? pad + v : v + pad
            }.joined(separator: " | ") + " |"
        }
        var out = [rule, line(headers, align: false), rule]
        for row in rows { out.append(line(row, align: true)) }
        out.append(rule)
        return out.joined(separator: "\n") + "\n"
    }
}

extension CivilTime {
    /// `YYYY-MM-DD HH:MM:SS`.
    func appendDateForTable(to out: inout [UInt8]) {
        appendPadded(year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(Int64(month), width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(Int64(day), width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        appendPadded(Int64(hour), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int64(minute), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int64(second), width: 2, to: &out)
    }
}
