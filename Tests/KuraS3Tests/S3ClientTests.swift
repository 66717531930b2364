import Foundation
import KuraCore
import Testing

@testable import KuraS3

/// The S3 server from `KURA_TEST_S3_ENDPOINT` (a local moto server, started by `scripts/test`), or `nil`.
let s3Endpoint = ProcessInfo.processInfo.environment["KURA_TEST_S3_ENDPOINT"]

/// A client for a new bucket on the test server.
func testBucket() throws -> S3Client {
    let client = S3Client(
        bucket: "kura-" + String(UInt32.random(in: 0...UInt32.max), radix: 16), region: "us-east-1", endpoint: s3Endpoint,
        credentials: S3Credentials(accessKeyID: "testing", secretAccessKey: "testing"))
    try client.createBucket()
    return client
}

@Suite struct S3ClientTests {
    @Test func urlsAndKeyEncoding() {
        let creds = S3Credentials(accessKeyID: "a", secretAccessKey: "b")
        let aws = S3Client(bucket: "data", region: "ap-northeast-1", credentials: creds)
        #expect(aws.url("kura/run 1/part-0.csv.gz") == "https://data.s3.ap-northeast-1.amazonaws.com/kura/run%201/part-0.csv.gz")
        let local = S3Client(bucket: "data", region: "us-east-1", endpoint: "http://127.0.0.1:9000/", credentials: creds)
        #expect(local.url("a/ü+b", query: "list-type=2") == "http://127.0.0.1:9000/data/a/%C3%BC%2Bb?list-type=2")
        #expect(local.url("") == "http://127.0.0.1:9000/data/")
    }

    @Test func errorsCarryS3sCodeAndAFix() {
        let body = Array("<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The bucket &amp; more</Message></Error>".utf8)
        let e = S3Client.error(status: 404, body: body, doing: "upload s3://x/k")
        #expect("\(e)".contains("404 NoSuchBucket: The bucket & more"))
        #expect("\(e)".contains("create the bucket"))
        #expect(!e.isRetryable)
        #expect(S3Client.error(status: 503, body: [], doing: "x").isRetryable)
    }

    @Test(.enabled(if: s3Endpoint != nil, "needs an S3 server (KURA_TEST_S3_ENDPOINT; scripts/test starts moto)"))
    func putGetListDeleteAgainstARealServer() throws {
        let client = try testBucket()
        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try payload.withUnsafeBytes { try client.put("stage/run a/part-0001.csv.gz", $0) }
        try Array("x".utf8).withUnsafeBytes { try client.put("stage/run a/part-0002.csv.gz", $0) }
        try Array("other".utf8).withUnsafeBytes { try client.put("elsewhere/k", $0) }
        #expect(try client.get("stage/run a/part-0001.csv.gz") == payload)
        #expect(try client.list(prefix: "stage/") == ["stage/run a/part-0001.csv.gz", "stage/run a/part-0002.csv.gz"])
        try client.delete("stage/run a/part-0001.csv.gz")
        try client.delete("stage/run a/part-0002.csv.gz")
        #expect(try client.list(prefix: "stage/") == [])
        #expect(try client.list(prefix: "") == ["elsewhere/k"])
        #expect(throws: SystemError.self) { try client.get("stage/run a/part-0001.csv.gz") }
    }

    @Test(.enabled(if: s3Endpoint != nil, "needs an S3 server (KURA_TEST_S3_ENDPOINT; scripts/test starts moto)"))
    func aMissingBucketIsAClearError() throws {
        let client = S3Client(
            bucket: "no-such-bucket-kura", region: "us-east-1", endpoint: s3Endpoint,
            credentials: S3Credentials(accessKeyID: "testing", secretAccessKey: "testing"))
        do {
            try Array("x".utf8).withUnsafeBytes { try client.put("k", $0) }
            Issue.record("the upload into a missing bucket succeeded")
        } catch {
            #expect("\(error)".contains("NoSuchBucket"), "\(error)")
        }
    }

    @Test func aRefusedConnectionIsRetryable() {
        let client = S3Client(
            bucket: "b", region: "us-east-1", endpoint: "http://127.0.0.1:1",
            credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"))
        do {
            _ = try client.get("k")
            Issue.record("a request to a closed port succeeded")
        } catch let error as SystemError {
            #expect(error.isRetryable)
            #expect("\(error)".contains("download s3://b/k"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
