import CKuraCurl
import Foundation
import KuraCore

/// AWS credentials for signing requests (Signature Version 4).
public struct S3Credentials: Sendable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// The session token of temporary credentials (default: none).
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, when both keys are set.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> S3Credentials? {
        guard let id = env["AWS_ACCESS_KEY_ID"], !id.isEmpty, let secret = env["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else { return nil }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: env["AWS_SESSION_TOKEN"])
    }
}

/// A minimal S3 client over libcurl: put, get, delete and list objects of one bucket, signed with SigV4.
///
/// Objects are addressed virtual-host style on AWS (`https://BUCKET.s3.REGION.amazonaws.com/KEY`) and path style
/// on a custom endpoint (`ENDPOINT/BUCKET/KEY`, as S3-compatible servers expect). Keys are percent-encoded as SigV4
/// requires. Failures throw `SystemError`s with S3's error code and message; 5xx answers, throttling and transfer
/// failures are marked retryable.
public struct S3Client: Sendable {
    public var bucket: String
    public var region: String
    /// A custom endpoint such as `http://127.0.0.1:5000` (default: AWS's for the region).
    public var endpoint: String?
    public var credentials: S3Credentials
    /// Seconds to wait for a connection (default 10).
    public var connectTimeout: Int = 10
    /// Seconds one request may take in all (default 600).
    public var requestTimeout: Int = 600

    public init(bucket: String, region: String, endpoint: String? = nil, credentials: S3Credentials) {
        self.bucket = bucket
        self.region = region
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.credentials = credentials
    }

    /// The URL of `key` (or of the bucket, for an empty key), with `query` appended.
    func url(_ key: String, query: String = "") -> String {
        let path = key.isEmpty ? "" : "/" + Self.encodedKey(key)
        let q = query.isEmpty ? "" : "?" + query
        if let endpoint { return endpoint + "/" + bucket + (path.isEmpty ? "/" : path) + q }
        return "https://\(bucket).s3.\(region).amazonaws.com" + (path.isEmpty ? "/" : path) + q
    }

    /// Creates the bucket (in `region`, as the endpoint's default; for test servers and first setups).
    public func createBucket() throws {
        _ = try request("PUT", "", doing: "create the bucket \(bucket)")
    }

    /// Stores `bytes` as `key`.
    public func put(_ key: String, _ bytes: UnsafeRawBufferPointer, contentType: String = "application/octet-stream") throws {
        _ = try request("PUT", key, body: bytes, headers: ["Content-Type: " + contentType], doing: "upload s3://\(bucket)/\(key)")
    }

    /// The bytes of `key`.
    public func get(_ key: String) throws -> [UInt8] {
        try request("GET", key, doing: "download s3://\(bucket)/\(key)")
    }

    /// Deletes `key` (deleting a key that does not exist succeeds, as in S3).
    public func delete(_ key: String) throws {
        _ = try request("DELETE", key, doing: "delete s3://\(bucket)/\(key)")
    }

    /// The keys under `prefix`, in S3's order (all pages).
    public func list(prefix: String) throws -> [String] {
        var keys: [String] = []
        var token: String?
        repeat {
            var query = "list-type=2&prefix=" + Self.encodedComponent(prefix)
            if let token { query = "continuation-token=" + Self.encodedComponent(token) + "&" + query }
            let body = String(decoding: try request("GET", "", query: query, doing: "list s3://\(bucket)/\(prefix)"), as: UTF8.self)
            keys += Self.elements("Key", in: body).map(Self.xmlUnescaped)
            token = Self.elements("IsTruncated", in: body).first == "true"
                ? Self.elements("NextContinuationToken", in: body).first.map(Self.xmlUnescaped) : nil
        } while token != nil
        return keys
    }

    /// Sends one signed request and returns the body of a 2xx answer.
    func request(
        _ method: String, _ key: String, query: String = "", body: UnsafeRawBufferPointer? = nil, headers: [String] = [],
        doing what: String
    ) throws -> [UInt8] {
        var all = headers
        if let token = credentials.sessionToken { all.append("x-amz-security-token: " + token) }
        var response = kura_http_response()
        let sigv4 = "aws:amz:\(region):s3"
        let userpwd = credentials.accessKeyID + ":" + credentials.secretAccessKey
        let target = url(key, query: query)
        let rc = withCStrings(all) { pointers in
            kura_http_request(
                method, target, sigv4, userpwd, pointers, Int32(all.count), body?.baseAddress, body?.count ?? 0,
                connectTimeout, requestTimeout, &response)
        }
        defer { free(response.body) }
        let bytes = response.body.map { Array(UnsafeBufferPointer(start: $0, count: response.body_length)) } ?? []
        if rc != 0 {
            let message = withUnsafeBytes(of: response.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw SystemError("could not \(what): \(message) (\(redacted(target)))", retryable: true)
        }
        guard (200..<300).contains(response.status) else {
            throw Self.error(status: response.status, body: bytes, doing: what)
        }
        return bytes
    }

    /// `url` without its query (which may hold a continuation token, never a secret, but is long).
    func redacted(_ url: String) -> String { String(url.prefix { $0 != "?" }) }

    /// The error for an S3 answer outside 2xx, from its XML `<Code>` and `<Message>`.
    static func error(status: Int, body: [UInt8], doing what: String) -> SystemError {
        let text = String(decoding: body, as: UTF8.self)
        let code = elements("Code", in: text).first ?? "HTTP \(status)"
        let message = elements("Message", in: text).first.map(xmlUnescaped) ?? ""
        var fix = ""
        switch code {
        case "NoSuchBucket": fix = "; create the bucket or fix s3_bucket"
        case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
            fix = "; check aws_access_key_id / aws_secret_access_key and the bucket's policy"
        case "PermanentRedirect", "AuthorizationHeaderMalformed": fix = "; set s3_region to the bucket's region"
        default: break
        }
        let retryable = status >= 500 || status == 429 || code == "SlowDown" || code == "RequestTimeout"
        return SystemError("could not \(what): S3 answered \(status) \(code)\(message.isEmpty ? "" : ": " + message)\(fix)", retryable: retryable)
    }

    /// The texts of every `<name>…</name>` element in `xml` (S3's answers are flat enough for this).
    static func elements(_ name: String, in xml: String) -> [String] {
        var out: [String] = []
        var rest = xml[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest[open.upperBound...].range(of: "</\(name)>") {
            out.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return out
    }

    static func xmlUnescaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// `key` percent-encoded for a URL path, keeping `/` (SigV4's canonical URI for S3).
    static func encodedKey(_ key: String) -> String {
        key.split(separator: "/", omittingEmptySubsequences: false).map { encodedComponent(String($0)) }.joined(separator: "/")
    }

    /// `text` with every byte but SigV4's unreserved ones (`A-Z a-z 0-9 - _ . ~`) percent-encoded.
    static func encodedComponent(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

/// Calls `body` with `strings` as an array of C strings that live for the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
