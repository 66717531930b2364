import Foundation
import KuraCore
import KuraLibPQ
import KuraS3
import KuraTestSupport
import Testing

@testable import OutputRedshift

let environment = ProcessInfo.processInfo.environment
let pgHost = environment["KURA_TEST_PG_HOST"]
let s3Endpoint = environment["KURA_TEST_S3_ENDPOINT"]
let hasPG = pgHost != nil && environment["KURA_TEST_PG_DATABASE"] != nil
let hasPGAndS3 = hasPG && s3Endpoint != nil

/// `bytes` gunzipped with the system's gzip.
func gunzip(_ bytes: [UInt8]) throws -> String {
    let path = NSTemporaryDirectory() + "kura-part-" + UUID().uuidString + ".gz"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["gzip", "-dc", path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// Loads through output redshift with the `kura` executable, against the real test PostgreSQL (a Redshift
/// development copy) and the real test S3 server.
@Suite(.serialized) struct RedshiftLoadTests {
    func psql(_ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "psql", "-X", "-q", "-t", "-A", "-h", pgHost!, "-p", environment["KURA_TEST_PG_PORT"] ?? "5432",
            "-U", environment["KURA_TEST_PG_USER"] ?? "postgres", "-d", environment["KURA_TEST_PG_DATABASE"]!, "-c", sql,
        ]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A config loading `data/` (id, name) into `table` with output redshift and the `extra` keys.
    func config(table: String, _ extra: String) -> String {
        """
        in:
          type: file
          path_prefix: data/
          parser: {type: csv, columns: [{name: id, type: long}, {name: name, type: string}]}
        out:
          type: redshift
          host: \(pgHost!)
          port: \(environment["KURA_TEST_PG_PORT"] ?? "5432")
          user: \(environment["KURA_TEST_PG_USER"] ?? "postgres")
          database: \(environment["KURA_TEST_PG_DATABASE"]!)
          table: \(table)
          aws_access_key_id: testing
          aws_secret_access_key: not-a-real-secret
        \(extra)
        """
    }

    func kura(_ args: [String], in dir: TempDir) throws -> KuraExecutable.Outcome {
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        return try KuraExecutable.run(binary, args, in: dir.path)
    }

    func table() -> String { "rs_" + String(UInt32.random(in: 0...UInt32.max), radix: 16) }

    @Test(.enabled(if: hasPG, "needs PostgreSQL (KURA_TEST_PG_HOST)"))
    func aRedshiftConfigAgainstPostgreSQLLoadsOverCopyFromStdinAndSaysSo() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", "1,one\n2,two\n")
        let t = table()
        _ = dir.write("rs.yml", config(table: t, "  s3_bucket: unused-here\n  mode: insert"))
        let run = try kura(["run", "rs.yml"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("the server is PostgreSQL, not Redshift"), "\(run.stderr)")
        #expect(try psql("SELECT string_agg(id || name, ',' ORDER BY id) FROM \(t)") == "1one,2two")
        let again = try kura(["run", "rs.yml"], in: dir)
        #expect(again.stdout.contains("skipped 1 file(s)"), "\(again.stdout)")
        #expect(try psql("SELECT count(*) FROM \(t)") == "2")
    }

    @Test(.enabled(if: hasPG, "needs PostgreSQL (KURA_TEST_PG_HOST)"))
    func batchedInsertsMergeWithTheLastRowOfAKeyWinning() throws {
        let dir = TempDir()
        let t = table()
        _ = try psql("CREATE TABLE \(t) (id BIGINT, name TEXT)")
        _ = try psql("INSERT INTO \(t) VALUES (1, 'old'), (90000, 'kept')")
        _ = dir.write("data/a.csv", "1,first\n2,two\n1,second\n")
        _ = dir.write("data/b.csv", (3..<2503).map { "\($0),n\($0)\n" }.joined() + "2,TWO\n")
        _ = dir.write("rs.yml", config(table: t, "  copy_method: insert\n  mode: merge\n  merge_keys: [id]"))
        let run = try kura(["run", "rs.yml"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try psql("SELECT count(*) FROM \(t)") == "2503")
        #expect(try psql("SELECT string_agg(id || '=' || name, ',' ORDER BY id) FROM \(t) WHERE id IN (1, 2, 2502, 90000)") == "1=second,2=TWO,2502=n2502,90000=kept")
        // The ledger is kept on PostgreSQL: the same files are not loaded twice.
        let again = try kura(["run", "rs.yml"], in: dir)
        #expect(again.stdout.contains("skipped 2 file(s)"), "\(again.stdout)")
        #expect(try psql("SELECT count(*) FROM pg_class WHERE relname LIKE '\(t)_kura_%'") == "0")
    }

    @Test(.enabled(if: hasPG, "needs PostgreSQL (KURA_TEST_PG_HOST)"))
    func batchedInsertsReplaceTruncateAndMergeRule() throws {
        let dir = TempDir()
        let t = table()
        _ = dir.write("data/a.csv", "1,a\n2,b\n")
        _ = dir.write("rs.yml", config(table: t, "  copy_method: insert\n  mode: replace"))
        #expect(try kura(["run", "rs.yml"], in: dir).status == 0)
        #expect(try kura(["run", "rs.yml"], in: dir).status == 0)
        #expect(try psql("SELECT count(*) FROM \(t)") == "2")
        _ = dir.write("rs.yml", config(table: t, "  copy_method: insert\n  mode: truncate_insert"))
        _ = dir.write("data/a.csv", "5,e\n")
        #expect(try kura(["run", "rs.yml"], in: dir).status == 0)
        #expect(try psql("SELECT string_agg(id || name, ',') FROM \(t)") == "5e")
        _ = dir.write("rs.yml", config(table: t, "  copy_method: insert\n  mode: merge\n  merge_keys: [id]\n  merge_rule: ['name = T.name || S.name']"))
        _ = dir.write("data/c.csv", "5,f\n6,g\n")  // a.csv is in the ledger now, so only c.csv loads
        #expect(try kura(["run", "rs.yml"], in: dir).status == 0)
        #expect(try psql("SELECT string_agg(id || name, ',' ORDER BY id) FROM \(t)") == "5ef,6g")
    }

    @Test(.enabled(if: hasPGAndS3, "needs PostgreSQL and an S3 server (KURA_TEST_PG_HOST, KURA_TEST_S3_ENDPOINT)"))
    func aFailedCopyFromS3CommitsNothingAndDeletesTheParts() throws {
        let bucket = "kura-rs-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let client = S3Client(bucket: bucket, region: "us-east-1", endpoint: s3Endpoint, credentials: S3Credentials(accessKeyID: "testing", secretAccessKey: "testing"))
        try client.createBucket()
        let dir = TempDir()
        let t = table()
        _ = dir.write("data/a.csv", "1,a\n2,b\n")
        _ = dir.write("rs.yml", config(table: t, "  copy_method: s3\n  s3_bucket: \(bucket)\n  s3_key_prefix: stage\n  s3_endpoint: \(s3Endpoint!)"))
        // PostgreSQL has no COPY … FROM 's3://…' MANIFEST: the parts are uploaded, the COPY fails, the run rolls back.
        let run = try kura(["run", "rs.yml"], in: dir)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("could not commit the load"), "\(run.stderr)")
        #expect(run.stderr.contains("staging gzip'd CSV parts in s3://\(bucket)/stage/"), "\(run.stderr)")
        #expect(!run.stderr.contains("not-a-real-secret"), "\(run.stderr)")
        // The run created the table in its transaction, so the rollback leaves none.
        #expect(try psql("SELECT to_regclass('\(t)') IS NULL") == "t")
        #expect(try client.list(prefix: "") == [])
    }

    @Test(.enabled(if: hasPGAndS3, "needs PostgreSQL and an S3 server (KURA_TEST_PG_HOST, KURA_TEST_S3_ENDPOINT)"))
    func checkListsTheBucketAndWritesNothing() throws {
        let bucket = "kura-check-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let dir = TempDir()
        let t = table()
        _ = dir.write("data/a.csv", "1,a\n")
        _ = dir.write("rs.yml", config(table: t, "  copy_method: s3\n  s3_bucket: \(bucket)\n  s3_endpoint: \(s3Endpoint!)"))
        let missing = try kura(["check", "rs.yml"], in: dir)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("NoSuchBucket"), "\(missing.stderr)")
        try S3Client(bucket: bucket, region: "us-east-1", endpoint: s3Endpoint, credentials: S3Credentials(accessKeyID: "testing", secretAccessKey: "testing")).createBucket()
        let ok = try kura(["check", "rs.yml"], in: dir)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("check OK"), "\(ok.stdout)")
        #expect(try psql("SELECT to_regclass('\(t)') IS NULL") == "t")
    }

    @Test(.enabled(if: s3Endpoint != nil, "needs an S3 server (KURA_TEST_S3_ENDPOINT)"))
    func partsAreGzipCSVListedByTheManifestAndDeleted() throws {
        let client = S3Client(
            bucket: "kura-parts-" + String(UInt32.random(in: 0...UInt32.max), radix: 16), region: "us-east-1",
            endpoint: s3Endpoint, credentials: S3Credentials(accessKeyID: "testing", secretAccessKey: "testing"))
        try client.createBucket()
        let schema = Schema([("id", .long), ("s", .string)])
        let stage = S3Stage(client: client, prefix: "p/run1/", partBytes: 1024)
        let writer = try S3PartWriter(stage: stage, task: 1, text: try RowText(schema: schema), withSequence: true)
        var b = PageBuilder(schema: schema, capacity: 300)
        for i in 0..<300 {
            b.set(0, .long(Int64(i)))
            b.set(1, i % 7 == 0 ? .null : .string("v\(i)"))
            b.finishRecord()
        }
        try writer.add(b.build())
        try writer.finish()
        let failed = try S3PartWriter(stage: stage, task: 2, text: try RowText(schema: schema), withSequence: true)
        try failed.add(b.build())
        let parts = stage.finishedParts
        #expect(parts.count > 2, "1 KiB parts: \(parts)")
        #expect(parts.allSatisfy { $0.hasPrefix("p/run1/part-00001-") })
        var text = ""
        for key in parts { text += try gunzip(try client.get(key)) }
        let lines = text.split(separator: "\n")
        #expect(lines.count == 300)
        #expect(lines[0] == "\"0\",\\N,\(1 << 40)")
        #expect(lines[299] == "\"299\",\"v299\",\((1 << 40) + 299)")
        let manifest = String(decoding: try client.get(String(try stage.writeManifest(parts: parts).dropFirst("s3://\(client.bucket)/".count))), as: UTF8.self)
        #expect(manifest.hasPrefix("{\"entries\":[{\"url\":\"s3://\(client.bucket)/p/run1/part-00001-00000.csv.gz\",\"mandatory\":true}"))
        #expect(!manifest.contains("part-00002"))
        stage.clean(logger: .silent)
        #expect(try client.list(prefix: "p/") == [])
    }
}
