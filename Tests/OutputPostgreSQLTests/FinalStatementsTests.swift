import Testing

@testable import OutputPostgreSQL

/// The statements each mode sends at commit, as exact SQL, with names that need quoting: quotes, spaces, mixed case,
/// non-ASCII letters and a name that tries to end the statement.
@Suite struct FinalStatementsTests {
    typealias Step = FinalStatements.Step

    static let target = #""Sch ema"."We""ird Tbl""#
    static let columns = ["id", "\"; DROP TABLE t; --", "Ünïcode 列", "MixedCase"]
    static let list = #""id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase""#
    static let sources = [#""Sch ema"."We""ird Tbl_kura_0000abcd_0""#, #""Sch ema"."We""ird Tbl_kura_0000abcd_2""#]
    static let newTable = #""Sch ema"."We""ird Tbl_kura_0000abcd_new""#

    func statements(
        _ mode: PostgreSQLOutputPlugin.Mode, loadTable: String = target, mergeKeys: [String] = [],
        mergeRule: [String]? = nil, beforeLoad: String? = nil, afterLoad: String? = nil, targetExisted: Bool = true,
        directMergeTable: String? = nil, mergeByUniqueIndex: Bool = true
    ) -> FinalStatements {
        FinalStatements(
            mode: mode, target: Self.target, loadTable: loadTable, table: "We\"ird Tbl", columns: Self.columns,
            mergeKeys: mergeKeys, mergeRule: mergeRule, beforeLoad: beforeLoad, afterLoad: afterLoad,
            targetExisted: targetExisted, directMergeTable: directMergeTable, mergeByUniqueIndex: mergeByUniqueIndex)
    }

    @Test func mergeWithoutAUniqueIndex() {
        let s = statements(.merge, mergeKeys: ["id", "MixedCase"], mergeByUniqueIndex: false)
        let last = #"(SELECT DISTINCT ON ("id", "MixedCase") "id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase" FROM "Sch ema"."We""ird Tbl_kura_0000abcd_0" ORDER BY "id", "MixedCase", ctid DESC) AS s"#
        #expect(s.steps(sources: [Self.sources[0]]) == [
            .move("UPDATE \(Self.target) AS t SET " + #""""; DROP TABLE t; --" = s."""; DROP TABLE t; --", "Ünïcode 列" = s."Ünïcode 列""# + "\nFROM \(last)\nWHERE " + #"t."id" = s."id" AND t."MixedCase" = s."MixedCase""#),
            .move("INSERT INTO \(Self.target) (\(Self.list))\nSELECT " + #"s."id", s."""; DROP TABLE t; --", s."Ünïcode 列", s."MixedCase""# + " FROM \(last)\nWHERE NOT EXISTS (SELECT 1 FROM \(Self.target) AS t WHERE " + #"t."id" = s."id" AND t."MixedCase" = s."MixedCase")"#),
        ])
        let ruled = statements(.merge, mergeKeys: ["id"], mergeRule: ["\"MixedCase\" = T.\"MixedCase\" + S.\"MixedCase\"", "note = 'S.x'"], mergeByUniqueIndex: false)
        guard case .move(let update)? = ruled.steps(sources: [Self.sources[0]]).first else { Issue.record("no update"); return }
        #expect(update.hasPrefix(#"UPDATE "Sch ema"."We""ird Tbl" AS t SET "MixedCase" = t."MixedCase" + s."MixedCase", note = 'S.x'"#))
    }

    @Test func insert() {
        let s = statements(.insert, beforeLoad: "SET work_mem = '64MB'", afterLoad: "ANALYZE \"Sch ema\".\"We\"\"ird Tbl\"")
        #expect(
            s.steps(sources: Self.sources) == [
                .execute("SET work_mem = '64MB'"),
                .move(#"INSERT INTO "Sch ema"."We""ird Tbl" ("id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase") SELECT "id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase" FROM "Sch ema"."We""ird Tbl_kura_0000abcd_0""#),
                .move(#"INSERT INTO "Sch ema"."We""ird Tbl" ("id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase") SELECT "id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase" FROM "Sch ema"."We""ird Tbl_kura_0000abcd_2""#),
                .execute(#"ANALYZE "Sch ema"."We""ird Tbl""#),
            ])
        #expect(s.columnList == Self.list)
        #expect(statements(.insert).steps(sources: []) == [])
    }

    @Test func insertDirect() {
        // The rows went straight into the target; before_load ran at begin.
        #expect(statements(.insertDirect, beforeLoad: "SELECT 1").steps(sources: Self.sources) == [])
        #expect(statements(.insertDirect, afterLoad: "SELECT 2").steps(sources: []) == [.execute("SELECT 2")])
    }

    @Test func truncateInsert() {
        #expect(
            statements(.truncateInsert, beforeLoad: "SELECT 1").steps(sources: [Self.sources[0]]) == [
                .execute(#"TRUNCATE "Sch ema"."We""ird Tbl""#),
                .execute("SELECT 1"),
                .move(#"INSERT INTO "Sch ema"."We""ird Tbl" ("id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase") SELECT "id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase" FROM "Sch ema"."We""ird Tbl_kura_0000abcd_0""#),
            ])
    }

    @Test func replace() {
        #expect(
            statements(.replace, loadTable: Self.newTable).steps(sources: [Self.sources[1]]) == [
                .move(#"INSERT INTO "Sch ema"."We""ird Tbl_kura_0000abcd_new" ("id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase") SELECT "id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase" FROM "Sch ema"."We""ird Tbl_kura_0000abcd_2""#),
                .execute(#"DROP TABLE "Sch ema"."We""ird Tbl""#),
                .execute(#"ALTER TABLE "Sch ema"."We""ird Tbl_kura_0000abcd_new" RENAME TO "We""ird Tbl""#),
                .renameIndexes,
            ])
        // A target that did not exist is not dropped.
        #expect(
            statements(.replace, loadTable: Self.newTable, targetExisted: false).steps(sources: []) == [
                .execute(#"ALTER TABLE "Sch ema"."We""ird Tbl_kura_0000abcd_new" RENAME TO "We""ird Tbl""#),
                .renameIndexes,
            ])
    }

    @Test func merge() {
        let keys = ["id", "MixedCase"]
        #expect(
            statements(.merge, mergeKeys: keys).steps(sources: [Self.sources[0]]) == [
                .move(
                    #"""
                    INSERT INTO "Sch ema"."We""ird Tbl" AS t ("id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase")
                    SELECT DISTINCT ON ("id", "MixedCase") "id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase" FROM "Sch ema"."We""ird Tbl_kura_0000abcd_0" ORDER BY "id", "MixedCase", ctid DESC
                    ON CONFLICT ("id", "MixedCase") DO UPDATE SET """; DROP TABLE t; --" = EXCLUDED."""; DROP TABLE t; --", "Ünïcode 列" = EXCLUDED."Ünïcode 列"
                    """#)
            ])
        // A merge rule names the new row `S.`, which becomes EXCLUDED.
        #expect(
            statements(.merge, mergeKeys: ["id"], mergeRule: ["\"MixedCase\" = T.\"MixedCase\" + S.\"MixedCase\""])
                .mergeSQL(from: "s") == #"""
                INSERT INTO "Sch ema"."We""ird Tbl" AS t ("id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase")
                SELECT DISTINCT ON ("id") "id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase" FROM s ORDER BY "id", ctid DESC
                ON CONFLICT ("id") DO UPDATE SET "MixedCase" = T."MixedCase" + EXCLUDED."MixedCase"
                """#)
        // When every column is a key there is nothing to update.
        #expect(statements(.merge, mergeKeys: Self.columns).mergeSQL(from: "s").hasSuffix(#"ON CONFLICT ("id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase") DO NOTHING"#))
    }

    @Test func mergeDirect() {
        // The rows come from the temporary table the COPY filled, whatever the staging tables.
        #expect(
            statements(.mergeDirect, mergeKeys: ["Ünïcode 列"], afterLoad: "SELECT 3", directMergeTable: #""kura_merge_0000abcd""#)
                .steps(sources: []) == [
                    .move(
                        #"""
                        INSERT INTO "Sch ema"."We""ird Tbl" AS t ("id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase")
                        SELECT DISTINCT ON ("Ünïcode 列") "id", """; DROP TABLE t; --", "Ünïcode 列", "MixedCase" FROM "kura_merge_0000abcd" ORDER BY "Ünïcode 列", ctid DESC
                        ON CONFLICT ("Ünïcode 列") DO UPDATE SET "id" = EXCLUDED."id", """; DROP TABLE t; --" = EXCLUDED."""; DROP TABLE t; --", "MixedCase" = EXCLUDED."MixedCase"
                        """#),
                    .execute("SELECT 3"),
                ])
    }
}
