import KuraCore
import KuraFormats
@_spi(Testing) import ParserCSV
import ParserJSON

/// The fuzz targets: each takes one libFuzzer input, runs it through a plugin every way, and stops the process when
/// an invariant fails.
public enum FuzzTargets {
    static let csvTypes = ["string", "long", "double", "boolean", "timestamp", "json", "string", "timestamp"]

    /// CSV parser: the first 5 bytes choose the dialect and the columns, the rest is the body.
    ///
    /// Invariants: no crash; whole, split and byte-by-byte feeding agree; pages are well formed; strings are UTF-8
    /// and json values compact JSON; rejects are located. Without a quote character, comment marker or header
    /// line, every non-empty line is exactly one record, loaded or rejected.
    public static func csv(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 5 else { return }
        var o = OptionBytes(UnsafeRawBufferPointer(rebasing: data[0..<5]))
        let body = UnsafeRawBufferPointer(rebasing: data[5...])
        let b0 = o.next(), b1 = o.next(), b2 = o.next(), b3 = o.next(), b4 = o.next()

        let delimiter = [",", "\t", ";", "|", "::", ",,", " ", "\"\""][Int(b0 & 7)]
        let quote: String? = ["\"", "'", nil, "\""][Int((b0 >> 3) & 3)]
        let escape: String? = ["\\", "\"", nil, "'"][Int((b0 >> 5) & 3)]
        var options: [(String, ConfigNode)] = [("delimiter", .text(delimiter))]
        options.append(("quote", quote.map { .text($0) } ?? ConfigNode(.null)))
        options.append(("escape", escape.map { .text($0) } ?? ConfigNode(.null)))
        if b1 & 1 != 0 { options.append(("trim_if_not_quoted", .scalar("true"))) }
        if b1 & 2 != 0 { options.append(("allow_optional_columns", .scalar("true"))) }
        if b1 & 4 != 0 { options.append(("allow_extra_columns", .scalar("true"))) }
        if b1 & 8 != 0 {
            options.append(("quotes_in_quoted_fields", .scalar("ACCEPT_STRAY_QUOTES_ASSUMING_NO_DELIMITERS_IN_FIELDS")))
        }
        let comment = b1 & 16 != 0
        if comment { options.append(("comment_line_marker", .text("#"))) }
        if b1 & 32 != 0 { options.append(("null_string", .text(b1 & 64 != 0 ? "NULL" : ""))) }
        let skipHeader = b1 & 128 != 0
        if skipHeader { options.append(("skip_header_lines", .scalar("1"))) }
        let recognized: String? = [nil, "LF", "CRLF", "CR"][Int(b2 & 3)]
        if let recognized { options.append(("line_delimiter_recognized", .scalar(recognized))) }
        options.append(("newline", .scalar(["CRLF", "LF", "CR", "LF"][Int((b2 >> 2) & 3)])))
        if b2 & 16 != 0 { options.append(("max_quoted_size_limit", .scalar("8"))) }
        if b0 & 128 != 0 { options.append(("max_record_size", .scalar("16"))) }
        let stop = b2 & 32 != 0
        if stop { options.append(("stop_on_invalid_record", .scalar("true"))) }
        let columnCount = Int(b2 >> 6) + 1
        let typeBits = UInt32(b3) | UInt32(b4) << 8
        let columns = (0..<columnCount).map { i -> ConfigNode in
            let type = csvTypes[Int((typeBits >> (3 * UInt32(i))) & 7)]
            var pairs: [(String, ConfigNode)] = [("name", .scalar("c\(i)")), ("type", .scalar(type))]
            if type == "timestamp" && i % 2 == 0 { pairs.append(("format", .text("%Y-%m-%d %H:%M:%S"))) }
            return .mapping(pairs)
        }
        options.insert(("columns", ConfigNode(.sequence(columns))), at: 0)

        let plugin: CSVParserPlugin
        do {
            plugin = try CSVParserPlugin(config: PluginConfig(node: .mapping(options), path: "in.parser"))
        } catch {
            return  // a combination the config rejects (such as quote == delimiter) is not a parser input
        }
        let outcome = parseEveryWay(plugin, body, what: "csv")
        // The bitmap tokenizer and the general one must agree record for record.
        let general = runParser(GeneralTokenizerCSV(base: plugin), body, cuts: [])
        compare(outcome, general, what: "csv", how: "tokenized by the general tokenizer only")
        if quote == nil && !comment && !skipHeader && !stop {
            let lines = nonEmptyLines(body, recognized: recognized)
            check(
                outcome.recordCount == lines,
                "csv: \(lines) non-empty lines gave \(outcome.rows.count) records + \(outcome.rejects.count) rejects")
        }
        if let cap = outcome.rows.first?.count { check(cap == columnCount, "csv: a row has \(cap) values for \(columnCount) columns") }
    }

    /// The number of non-empty physical lines in `body` (after a leading byte order mark), with the CSV parser's
    /// line-break rules: CR, LF and CRLF when `recognized` is nil, else only that one.
    static func nonEmptyLines(_ body: UnsafeRawBufferPointer, recognized: String?) -> Int {
        let (cr, lf, crlf) = switch recognized {
        case "LF": (false, true, false)
        case "CRLF": (false, false, true)
        case "CR": (true, false, false)
        default: (true, true, true)
        }
        var i = body.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lines = 0
        var lineLength = 0
        while i < body.count {
            var breakLength = 0
            if body[i] == 10 && lf {
                breakLength = 1
            } else if body[i] == 13 {
                if crlf && i + 1 < body.count && body[i + 1] == 10 {
                    breakLength = 2
                } else if cr {
                    breakLength = 1
                }
            }
            if breakLength > 0 {
                if lineLength > 0 { lines += 1 }
                lineLength = 0
                i += breakLength
            } else {
                lineLength += 1
                i += 1
            }
        }
        return lines + (lineLength > 0 ? 1 : 0)
    }

    /// JSON parser: the first byte chooses the mode (one json column, typed columns, `root`, `flatten_json_array`,
    /// escape handling, stop on invalid, a 16-byte `max_record_size`), the rest is the body.
    ///
    /// Invariants: as for CSV; and in the default mode, when every non-blank line holds exactly one valid JSON
    /// value, each line is one record (loaded when it is an object, else rejected), and each loaded record is the
    /// compact form of its line.
    public static func json(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 1 else { return }
        let mode = data[0]
        let body = UnsafeRawBufferPointer(rebasing: data[1...])
        var options: [(String, ConfigNode)] = []
        let typed = mode & 1 != 0
        if typed {
            let columns: [(String, String, String?)] = [
                ("id", "long", nil), ("name", "string", nil), ("t", "timestamp", nil), ("x", "double", nil),
                ("b", "boolean", nil), ("j", "json", nil), ("deep", "string", "/a/0/b"), ("ts", "timestamp", "/a/1"),
            ]
            options.append(("columns", ConfigNode(.sequence(columns.map { name, type, pointer in
                var pairs: [(String, ConfigNode)] = [("name", .scalar(name)), ("type", .scalar(type))]
                if let pointer { pairs.append(("element_at", .text(pointer))) }
                if name == "ts" { pairs.append(("format", .text("%Y-%m-%dT%H:%M:%S%z"))) }
                return .mapping(pairs)
            }))))
        }
        let flatten = mode & 2 != 0
        if flatten { options.append(("flatten_json_array", .scalar("true"))) }
        let root = mode & 4 != 0
        if root { options.append(("root", .text("/data"))) }
        let escapes = ["PASSTHROUGH", "SKIP", "UNESCAPE", "PASSTHROUGH"][Int((mode >> 3) & 3)]
        options.append(("invalid_string_escapes", .scalar(escapes)))
        let stop = mode & 32 != 0
        if stop { options.append(("stop_on_invalid_record", .scalar("true"))) }
        let limited = mode & 64 != 0
        if limited { options.append(("max_record_size", .scalar("16"))) }

        let plugin: JSONParserPlugin
        do {
            plugin = try JSONParserPlugin(config: PluginConfig(node: .mapping(options), path: "in.parser"))
        } catch {
            return
        }
        let outcome = parseEveryWay(plugin, body, what: "json")
        if !typed && !flatten && !root && !stop && !limited && escapes == "PASSTHROUGH" && !body.starts(with: [0xEF, 0xBB, 0xBF]),
            let expected = oneValuePerLine(body)
        {
            check(
                outcome.recordCount == expected.count,
                "json: \(expected.count) one-value lines gave \(outcome.rows.count) records + \(outcome.rejects.count) rejects")
            let objects = expected.filter { $0.first == "{" }
            check(
                outcome.rows.map { $0.first } == objects.map { Value.json($0) },
                "json: loaded records \(outcome.rows.prefix(3)) differ from the compacted lines \(objects.prefix(3))")
        }
    }

    /// The compact form of each non-blank line of `body`, when every non-blank line is exactly one valid JSON value.
    static func oneValuePerLine(_ body: UnsafeRawBufferPointer) -> [String]? {
        var values: [String] = []
        var start = 0
        while start <= body.count {
            var end = start
            while end < body.count && body[end] != 10 { end += 1 }
            let line = UnsafeRawBufferPointer(rebasing: body[start..<end])
            if !line.allSatisfy(JSON.isWhitespace) {
                var out: [UInt8] = []
                do throws(JSONError) {
                    try JSON.compact(line, into: &out)
                } catch {
                    return nil
                }
                values.append(String(decoding: out, as: UTF8.self))
            }
            start = end + 1
        }
        return values
    }
}

/// The csv parser with its bitmap tokenizer switched off.
final class GeneralTokenizerCSV: ParserPlugin {
    let base: CSVParserPlugin
    init(base: CSVParserPlugin) { self.base = base }
    var schema: Schema { base.schema }
    func makeParser(for task: InputTask, context: PluginContext) throws -> RecordParser {
        try base.makeParser(for: task, context: context, fastScan: false)
    }
}
