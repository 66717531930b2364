import KuraCore
import KuraLibPQ

/// The statements that finish a load at commit, for each mode, as SQL: a pure function of the run's names and
/// options, sent in order on the control connection before `COMMIT`.
///
/// - `insert`, `truncate_insert`, `replace`: one `INSERT INTO … SELECT` per staging table (after `TRUNCATE` for
///   `truncate_insert`); `replace` then drops the old target and renames the new table to the target's name.
/// - `insert_direct`: nothing to move (the rows went straight into the target).
/// - `merge`, `merge_direct`: per staging table (for `merge_direct`, the temporary table the COPY filled), one
///   `INSERT … ON CONFLICT` when the target has a unique index on the merge keys; else, as Embulk does, an `UPDATE`
///   of the rows whose keys match and an `INSERT` of the rest. Either way, when the loaded rows repeat a key the last
///   one wins.
///
/// `before_load` runs first in the staging modes (the direct modes ran it at begin); `after_load` runs last.
struct FinalStatements: Equatable {
    /// One step of the sequence.
    enum Step: Equatable {
        /// A statement whose result is not needed.
        case execute(String)
        /// A statement that moves rows into the target; its row count adds to the rows moved.
        case move(String)
        /// Give the indexes of `replace`'s new table the names they would have had on the target (this needs catalog
        /// queries, so the session does it).
        case renameIndexes
    }

    var mode: PostgreSQLOutputPlugin.Mode
    /// The target, quoted and schema-qualified.
    var target: String
    /// The table the rows went into (the target, or under `replace` the new table), quoted and qualified.
    var loadTable: String
    /// The target table's own name, unquoted (what `replace` renames the new table to).
    var table: String
    /// The record columns, unquoted, in order.
    var columns: [String]
    /// The columns a merge matches rows on, unquoted.
    var mergeKeys: [String]
    /// The merge's `SET` assignments as written in the options (Embulk's `S.`/`T.` references), or `nil` to update
    /// every non-key column.
    var mergeRule: [String]?
    /// SQL run before the rows move (staging modes only), or `nil`.
    var beforeLoad: String?
    /// SQL run after the rows moved, or `nil`.
    var afterLoad: String?
    /// Whether the target existed at begin (`replace` drops it then).
    var targetExisted: Bool
    /// The temporary table of `merge_direct`, quoted, or `nil`.
    var directMergeTable: String?
    /// Whether the target has a unique index on the merge keys, so `ON CONFLICT` can merge (default true).
    var mergeByUniqueIndex = true

    /// The steps that finish the load from `sources` (the staging tables of the tasks that did not abort, in task
    /// order), before `COMMIT`.
    func steps(sources: [String]) -> [Step] {
        var steps: [Step] = []
        if mode == .truncateInsert { steps.append(.execute("TRUNCATE \(target)")) }
        if !mode.isDirect, let beforeLoad { steps.append(.execute(beforeLoad)) }
        let list = columnList
        switch mode {
        case .insert, .truncateInsert, .replace:
            for source in sources {
                steps.append(.move("INSERT INTO \(loadTable) (\(list)) SELECT \(list) FROM \(source)"))
            }
        case .insertDirect:
            break
        case .merge, .mergeDirect:
            for source in directMergeTable.map({ [$0] }) ?? sources {
                if mergeByUniqueIndex {
                    steps.append(.move(mergeSQL(from: source)))
                } else {
                    steps += mergeWithoutIndexSQL(from: source).map { .move($0) }
                }
            }
        }
        if mode == .replace {
            if targetExisted { steps.append(.execute("DROP TABLE \(target)")) }
            steps.append(.execute("ALTER TABLE \(loadTable) RENAME TO \(quoteIdentifier(table))"))
            steps.append(.renameIndexes)
        }
        if let afterLoad { steps.append(.execute(afterLoad)) }
        return steps
    }

    /// The quoted column list of the COPY and of the final statements.
    var columnList: String { columns.map(quoteIdentifier).joined(separator: ", ") }

    /// `INSERT … ON CONFLICT (keys) DO UPDATE` from one staging table; within it the last row of a key wins.
    func mergeSQL(from source: String) -> String {
        let q = quoteIdentifier
        let keys = mergeKeys.map(q).joined(separator: ", ")
        let assignments: String
        if let rule = mergeRule {
            assignments = rule.map(rewriteMergeRule).joined(separator: ", ")
        } else {
            let set = columns.filter { !mergeKeys.contains($0) }.map { "\(q($0)) = EXCLUDED.\(q($0))" }
            assignments = set.joined(separator: ", ")
        }
        let action = assignments.isEmpty ? "DO NOTHING" : "DO UPDATE SET \(assignments)"
        let list = columnList
        return """
            INSERT INTO \(loadTable) AS t (\(list))
            SELECT DISTINCT ON (\(keys)) \(list) FROM \(source) ORDER BY \(keys), ctid DESC
            ON CONFLICT (\(keys)) \(action)
            """
    }
}

extension FinalStatements {
    /// The last row of each key in `source`, as a subquery aliased `s`.
    func lastRows(_ source: String) -> String {
        let keys = mergeKeys.map(quoteIdentifier).joined(separator: ", ")
        return "(SELECT DISTINCT ON (\(keys)) \(columnList) FROM \(source) ORDER BY \(keys), ctid DESC) AS s"
    }

    /// An `UPDATE` of the target's rows whose keys match a row of `source` (the last one of its key), then an
    /// `INSERT` of `source`'s other keys: a merge that needs no unique index. A key that is null matches nothing.
    func mergeWithoutIndexSQL(from source: String) -> [String] {
        let q = quoteIdentifier
        let match = mergeKeys.map { "t.\(q($0)) = s.\(q($0))" }.joined(separator: " AND ")
        let assignments = mergeRule.map { $0.joined(separator: ", ") }
            ?? columns.filter { !mergeKeys.contains($0) }.map { "\(q($0)) = s.\(q($0))" }.joined(separator: ", ")
        var out: [String] = []
        if !assignments.isEmpty {
            out.append("""
                UPDATE \(loadTable) AS t SET \(Self.lowercasingAliases(assignments))
                FROM \(lastRows(source))
                WHERE \(match)
                """)
        }
        out.append("""
            INSERT INTO \(loadTable) (\(columnList))
            SELECT \(columns.map { "s.\(q($0))" }.joined(separator: ", ")) FROM \(lastRows(source))
            WHERE NOT EXISTS (SELECT 1 FROM \(loadTable) AS t WHERE \(match))
            """)
        return out
    }

    /// A merge rule's `S.` and `T.` references (Embulk's) as the lower-case aliases `s.` and `t.` of the statements
    /// above; quoted text and identifiers are left alone.
    static func lowercasingAliases(_ rule: String) -> String {
        var out = ""
        var quote: Character? = nil
        var previous: Character? = nil
        let chars = Array(rule)
        for (i, c) in chars.enumerated() {
            if let q = quote {
                out.append(c)
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
                out.append(c)
            } else if (c == "S" || c == "T"), i + 1 < chars.count, chars[i + 1] == ".",
                previous.map({ !($0.isLetter || $0.isNumber || $0 == "_") }) ?? true
            {
                out.append(c == "S" ? "s" : "t")
            } else {
                out.append(c)
            }
            previous = c
        }
        return out
    }
}

/// `rule` with each table reference `S.` (the new row, in Embulk's merge rules) written as PostgreSQL's `EXCLUDED.`;
/// `T.` (the target row) already names the target, whose alias is `t`. Quoted text and identifiers are left alone.
func rewriteMergeRule(_ rule: String) -> String {
    let b = Array(rule.utf8)
    var out: [UInt8] = []
    var i = 0
    var quote: UInt8? = nil
    while i < b.count {
        let c = b[i]
        if let q = quote {
            out.append(c)
            if c == q { quote = nil }
            i += 1
            continue
        }
        if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
            quote = c
            out.append(c)
            i += 1
            continue
        }
        let startsWord = i == 0 || !(isWordByte(b[i - 1]) || b[i - 1] == UInt8(ascii: "."))
        if startsWord && (c == UInt8(ascii: "S") || c == UInt8(ascii: "s")) && i + 1 < b.count && b[i + 1] == UInt8(ascii: ".") {
            out.append(contentsOf: "EXCLUDED".utf8)
            i += 1
            continue
        }
        out.append(c)
        i += 1
    }
    return String(decoding: out, as: UTF8.self)
}
