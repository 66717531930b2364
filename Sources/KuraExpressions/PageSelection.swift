import KuraCore

extension Page {
    /// The rows for which `keep` is true, column by column (the page itself when every row is kept).
    public func keeping(_ keep: [Bool]) -> Page {
        var kept = 0
        for k in keep where k { kept += 1 }
        if kept == rowCount { return self }
        var vectors: [ColumnVector] = []
        vectors.reserveCapacity(columns.count)
        for v in columns {
            var out = ColumnVector(type: v.type, capacity: kept)
            for r in 0..<rowCount where keep[r] { out.validity.append(v.validity[r]) }
            switch v.type {
            case .boolean: for r in 0..<rowCount where keep[r] { out.booleans.append(v.booleans[r]) }
            case .long, .timestamp: for r in 0..<rowCount where keep[r] { out.integers.append(v.integers[r]) }
            case .double: for r in 0..<rowCount where keep[r] { out.doubles.append(v.doubles[r]) }
            case .string, .json:
                v.bytes.withUnsafeBufferPointer { b in
                    for r in 0..<rowCount where keep[r] {
                        out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: b[v.offsets[r]..<v.offsets[r + 1]]))
                        out.offsets.append(out.bytes.count)
                    }
                }
            }
            vectors.append(out)
        }
        return Page(schema: schema, columns: vectors, rowCount: kept)
    }
}

extension ExpressionError {
    /// The error as a config error at `key` of `config`: the message names the line and column in the expression,
    /// and the mark points at that column in the file when the expression is on one line.
    public func configError(_ config: PluginConfig?, key: String, expression: String, quoted: Bool = false) -> ConfigError {
        let excerpt = expression.contains("\n") ? "" : " in '\(expression)'"
        var message = (expression.contains("\n") ? "at line \(line), column \(column) of the expression: " : "at column \(column)\(excerpt): ") + self.message
        if message.hasSuffix(".") { message.removeLast() }
        guard let config else { return ConfigError(path: key, message, fix: fix) }
        var error = config.error(key, message, fix: fix)
        if let node = config.node.lookup(key), let mark = node.mark, !expression.contains("\n") {
            let isQuoted: Bool
            if case .scalar(_, let q) = node.kind { isQuoted = q } else { isQuoted = quoted }
            error.mark = SourceMark(line: mark.line, column: mark.column + column - 1 + (isQuoted ? 1 : 0))
        }
        return error
    }
}
