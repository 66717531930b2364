/// `name` as a quoted SQL identifier: in double quotes, with each double quote doubled.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// `text` as an SQL string literal for standard_conforming_strings (on since PostgreSQL 9.1): quotes doubled.
public func quoteLiteral(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}
