import KuraCore
import OutputPostgreSQL
import Testing

@testable import OutputRedshift

/// The SQL a Redshift load runs, golden-tested without a server.
@Suite struct RedshiftStatementsTests {
    let schema = Schema([("id", .long), ("name", .string), ("at", .timestamp), ("doc", .json)])

    func statements(_ mode: PostgreSQLOutputPlugin.Mode, redshift: Bool = true, rule: [String]? = nil) -> RedshiftStatements {
        var o = PostgreSQLOutputPlugin.Options(table: "events")
        o.mode = mode
        o.mergeRule = rule
        o.columnOptions = ["name": PostgreSQLOutputPlugin.ColumnOption(type: "VARCHAR(100)")]
        return RedshiftStatements(schema: schema, options: o, isRedshift: redshift)
    }

    @Test func insertCopiesStraightIntoTheLockedTarget() {
        let s = statements(.insert)
        #expect(s.setup == [
            #"CREATE TABLE IF NOT EXISTS "public"."events" ("id" BIGINT, "name" VARCHAR(100), "at" TIMESTAMPTZ, "doc" VARCHAR(65535))"#,
            #"LOCK "public"."events""#,
        ])
        let auth = RedshiftStatements.authorization(accessKeyID: "AK", secretAccessKey: "S'K", sessionToken: "T", iamRole: nil)
        #expect(s.copy(manifestURL: "s3://b/p/run/manifest.json", authorization: auth, region: "ap-northeast-1") ==
            #"COPY "public"."events" ("id", "name", "at", "doc") FROM 's3://b/p/run/manifest.json' ACCESS_KEY_ID 'AK' SECRET_ACCESS_KEY 'S''K' SESSION_TOKEN 'T' MANIFEST GZIP CSV QUOTE AS '"' NULL AS '\\N' TIMEFORMAT 'auto' ACCEPTINVCHARS REGION 'ap-northeast-1' COMPUPDATE OFF STATUPDATE OFF"#)
        #expect(s.finish(keys: []) == [])
    }

    @Test func iamRoleAuthorization() {
        #expect(RedshiftStatements.authorization(accessKeyID: "", secretAccessKey: "", sessionToken: nil, iamRole: ("loader", "123456789012"))
            == "IAM_ROLE 'arn:aws:iam::123456789012:role/loader'")
    }

    @Test func truncateInsertDeletesInsideTheTransaction() {
        let s = statements(.truncateInsert, redshift: false)
        #expect(s.setup == [
            #"CREATE TABLE IF NOT EXISTS "public"."events" ("id" BIGINT, "name" VARCHAR(100), "at" TIMESTAMPTZ, "doc" JSONB)"#,
            #"LOCK TABLE "public"."events" IN SHARE ROW EXCLUSIVE MODE"#,
            #"DELETE FROM "public"."events""#,
        ])
    }

    @Test func replaceFillsANewTableAndSwapsIt() {
        let s = statements(.replace)
        #expect(s.loadTable == #""public"."events_kura_new""#)
        #expect(s.setup.first == #"DROP TABLE IF EXISTS "public"."events_kura_new""#)
        #expect(s.finish(keys: []) == [#"DROP TABLE IF EXISTS "public"."events""#, #"ALTER TABLE "public"."events_kura_new" RENAME TO "events""#])
    }

    @Test func mergeKeepsTheLastRowOfEachKey() {
        let s = statements(.merge)
        #expect(s.loadColumns.last == #""_kura_seq""#)
        #expect(s.setup.last == #"CREATE TEMP TABLE "events_kura_stage" ("id" BIGINT, "name" VARCHAR(100), "at" TIMESTAMPTZ, "doc" VARCHAR(65535), "_kura_seq" BIGINT)"#)
        let latest = #"(SELECT "id", "name", "at", "doc" FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "id" ORDER BY "_kura_seq" DESC) AS _kura_rank FROM "events_kura_stage") AS ranked WHERE _kura_rank = 1)"#
        #expect(s.finish(keys: ["id"]) == [
            #"DELETE FROM "public"."events" USING "events_kura_stage" AS S WHERE "public"."events"."id" = S."id""#,
            #"INSERT INTO "public"."events" ("id", "name", "at", "doc") SELECT "id", "name", "at", "doc" FROM "# + latest + " AS S",
            #"DROP TABLE "events_kura_stage""#,
        ])
        let ruled = statements(.merge, rule: [#""name" = T."name" || S."name""#]).finish(keys: ["id"])
        #expect(ruled[0] == #"UPDATE "public"."events" AS T SET "name" = T."name" || S."name" FROM "# + latest + #" AS S WHERE T."id" = S."id""#)
        #expect(ruled[1].hasSuffix(#"AS S WHERE NOT EXISTS (SELECT 1 FROM "public"."events" AS T WHERE T."id" = S."id")"#))
    }

    @Test func insertBatchesNumberTheirParameters() {
        #expect(statements(.insert).insert(rows: 2) == #"INSERT INTO "public"."events" ("id", "name", "at", "doc") VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)"#)
    }

    @Test func rowTextQuotesEveryValueAndMarksNulls() throws {
        var b = PageBuilder(schema: schema, capacity: 2)
        b.set(0, .long(7)); b.set(1, .string("a \"q\",\nb")); b.set(2, .timestamp(Timestamp(nanos: 1_500_000_123_456))); b.set(3, .null)
        b.finishRecord()
        b.set(0, .null); b.set(1, .string("")); b.set(2, .null); b.set(3, .json("{\"k\":[1,2]}"))
        b.finishRecord()
        let page = b.build()
        let text = try RowText(schema: schema)
        var out: [UInt8] = []
        text.appendCSV(page, row: 0, sequence: nil, to: &out)
        text.appendCSV(page, row: 1, sequence: 5, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "\"7\",\"a \"\"q\"\",\nb\",\"1970-01-01 00:25:00.000123+00\",\\N\n\\N,\"\",\\N,\"{\"\"k\"\":[1,2]}\",5\n")
        var params: [String?] = []
        text.parameters(page, row: 1, sequence: nil, into: &params)
        #expect(params == [nil, "", nil, "{\"k\":[1,2]}"])
        #expect(RowText.text(of: -.infinity) == "-Infinity" && RowText.text(of: .nan) == "NaN" && RowText.text(of: 0.1) == "0.1")
    }
}
