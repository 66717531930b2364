import Foundation
import KuraCore
import Testing

@testable import KuraS3

/// A server that checks SigV4 strictly (`sigv4_server.py`, beside this file), for as long as the value lives.
final class SigningServer {
    let process = Process()
    let endpoint: String

    init(keyID: String, secret: String, token: String? = nil) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("sigv4_server.py").path
        let out = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, keyID, secret] + (token.map { [$0] } ?? [])
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw SystemError("the signing test server did not start") }
            line += chunk
        }
        endpoint = "http://127.0.0.1:" + String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)  // the test process may pass SIGTERM on as ignored
        process.waitUntilExit()
    }

    func client(_ credentials: S3Credentials) -> S3Client {
        S3Client(bucket: "kura-stage", region: "ap-northeast-1", endpoint: endpoint, credentials: credentials)
    }
}

/// Every request kura sends is signed as SigV4 says, for keys and prefixes with any characters.
@Suite struct SignatureTests {
    static let keys = [
        "stage/20240101T000000Z-0a1b2c3d/part-00001.csv.gz", "stage/run a/part 2.csv.gz", "stage/ü/データ.csv",
        "stage/odd +=&;,@$:!*'()[]{}^|`<>\"#%~_-.csv", "stage//double/slash",
    ]

    @Test func putGetListAndDeleteAreSignedForAnyKey() throws {
        let server = try SigningServer(keyID: "AKIAKURATEST", secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        let client = server.client(S3Credentials(accessKeyID: "AKIAKURATEST", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"))
        for (i, key) in Self.keys.enumerated() {
            let bytes = Array("payload \(i)".utf8)
            try bytes.withUnsafeBytes { try client.put(key, $0, contentType: "application/gzip") }
            #expect(try client.get(key) == bytes, "\(key)")
        }
        #expect(try client.list(prefix: "stage/") == Self.keys.sorted())
        #expect(try client.list(prefix: "stage/odd +=&") == [Self.keys[3]])
        #expect(try client.list(prefix: "stage/ü/") == [Self.keys[2]])
        for key in Self.keys { try client.delete(key) }
        #expect(try client.list(prefix: "") == [])
    }

    @Test func temporaryCredentialsSignTheirSessionToken() throws {
        let server = try SigningServer(keyID: "ASIAKURA", secret: "s3cr3t", token: "IQoJb3JpZ2luX2VjEPT//token+/=")
        let client = server.client(S3Credentials(accessKeyID: "ASIAKURA", secretAccessKey: "s3cr3t", sessionToken: "IQoJb3JpZ2luX2VjEPT//token+/="))
        try Array("x".utf8).withUnsafeBytes { try client.put("stage/k", $0) }
        #expect(try client.list(prefix: "stage/") == ["stage/k"])
    }

    @Test func aWrongSecretIsRefusedWithAFix() throws {
        let server = try SigningServer(keyID: "AKIAKURATEST", secret: "right")
        let client = server.client(S3Credentials(accessKeyID: "AKIAKURATEST", secretAccessKey: "wrong"))
        do {
            try Array("x".utf8).withUnsafeBytes { try client.put("stage/k", $0) }
            Issue.record("a request signed with the wrong secret was accepted")
        } catch let error as SystemError {
            #expect("\(error)".contains("403 SignatureDoesNotMatch"))
            #expect("\(error)".contains("aws_secret_access_key"))
            #expect(!"\(error)".contains("wrong"), "the secret must not appear in the message")
            #expect(!error.isRetryable)
        }
    }
}
