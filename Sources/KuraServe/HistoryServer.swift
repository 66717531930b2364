import FlyingFox
import FlyingSocks
import Foundation
import KuraCore
import KuraFormats
import KuraJobs
import KuraWarehouse
import Mustache

/// `kura serve`: a read-only HTTP server over the warehouse's history.
///
/// Pages (HTML, no script): `/`, `/jobs/NAME`, `/jobs/NAME/sessions/TIME`, `/runs`, `/runs/RUN_ID`, `/files`; the
/// same data as JSON under `/api/` (`/api/jobs`, `/api/jobs/NAME`, `/api/jobs/NAME/sessions/TIME`, `/api/runs`,
/// `/api/runs/RUN_ID`, `/api/files`); `/healthz` and `/metrics` (Prometheus text). Only GET and HEAD are
/// answered (others get 405). With a token every path but `/healthz` needs `Authorization: Bearer TOKEN`; a server
/// that listens beyond loopback refuses to start without one.
public final class HistoryServer: @unchecked Sendable {
    let server: HTTPServer
    let router: Router
    public let address: ListenAddress

    /// A server for `catalog`'s jobs (if any) over `source`, listening on `address`; `token` (nil or empty: none)
    /// is required when `address` is not loopback.
    public init(catalog: JobCatalog?, source: HistorySource, address: ListenAddress, token: String?, logger: Logger) throws {
        let token = token.flatMap { $0.isEmpty ? nil : $0 }
        if token == nil, !address.isLoopback {
            throw SystemError(
                "kura serve would listen on \(address), which other machines can reach, without a token; set "
                    + "KURA_SERVE_TOKEN to a secret that clients send as 'Authorization: Bearer TOKEN', or listen on 127.0.0.1")
        }
        self.address = address
        let pages = HistoryPages(catalog: catalog, source: source, now: { Timestamp(seconds: Int64(Date().timeIntervalSince1970)) })
        router = Router(pages: pages, library: try Templates.library(), token: token, logger: logger)
        let socketAddress: any SocketAddress =
            address.isIPv6 ? try sockaddr_in6.inet6(ip6: address.host, port: address.port) : try sockaddr_in.inet(ip4: address.host, port: address.port)
        server = HTTPServer(address: socketAddress, timeout: 30, logger: ServerLog(logger: logger), handler: router)
    }

    /// Serves until `stop()` or until the task is cancelled.
    public func run() async throws {
        try await server.run()
    }

    /// Waits until the server listens, then returns its port (the one the system chose for port 0).
    public func waitUntilListening() async throws -> UInt16 {
        try await server.waitUntilListening()
        switch await server.listeningAddress {
        case .ip4(_, let port), .ip6(_, let port): return port
        default: return address.port
        }
    }

    /// Stops listening and lets open requests finish for up to `timeout` seconds (default 3).
    public func stop(timeout: TimeInterval = 3) async {
        await server.stop(timeout: timeout)
    }
}

/// FlyingFox's log lines into kura's logger: its errors as warnings, the rest at debug (and the cancellation a
/// requested stop causes at debug too).
struct ServerLog: FlyingSocks.Logging {
    let logger: Logger
    func logDebug(_ debug: @autoclosure () -> String) { logger.log(.trace, "http: " + debug()) }
    func logInfo(_ info: @autoclosure () -> String) { logger.log(.debug, "http: " + info()) }
    func logWarning(_ warning: @autoclosure () -> String) { logger.log(.warn, "http: " + warning()) }
    func logError(_ error: @autoclosure () -> String) { problem(.warn, error()) }
    func logCritical(_ critical: @autoclosure () -> String) { problem(.error, critical()) }

    func problem(_ level: LogLevel, _ text: String) {
        logger.log(text.contains("CancellationError") ? .debug : level, "http: " + text)
    }
}

/// A response before it goes out: status, content type and body.
struct Reply {
    var status: Int
    var contentType: String
    var body: Data
    var headers: [(String, String)] = []

    static func text(_ status: Int, _ text: String, type: String = "text/plain; charset=utf-8") -> Reply {
        Reply(status: status, contentType: type, body: Data(text.utf8))
    }
}

/// Answers every request: method and token checks, then the page, its JSON, `/healthz` or `/metrics`.
struct Router: HTTPHandler {
    let pages: HistoryPages
    let library: MustacheLibrary
    let token: String?
    let logger: Logger

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        let reply = await reply(to: request)
        var headers = HTTPHeaders()
        headers[.contentType] = reply.contentType
        headers[HTTPHeader("Cache-Control")] = "no-store"
        headers[HTTPHeader("X-Content-Type-Options")] = "nosniff"
        headers[HTTPHeader("X-Frame-Options")] = "DENY"
        headers[HTTPHeader("Referrer-Policy")] = "no-referrer"
        headers[HTTPHeader("Content-Security-Policy")] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'"
        for (k, v) in reply.headers { headers[HTTPHeader(k)] = v }
        let status = HTTPStatusCode(reply.status, phrase: Self.phrase(reply.status))
        if request.method == .HEAD {
            headers[.contentLength] = String(reply.body.count)
            return HTTPResponse(statusCode: status, headers: headers, body: Data())
        }
        return HTTPResponse(statusCode: status, headers: headers, body: reply.body)
    }

    func reply(to request: HTTPRequest) async -> Reply {
        guard request.method == .GET || request.method == .HEAD else {
            var r = Reply.text(405, "405 Method Not Allowed: kura serve is read-only; use GET or HEAD\n")
            r.headers = [("Allow", "GET, HEAD")]
            return r
        }
        let parts = request.path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        if parts == ["healthz"] { return await blocking { health() } }
        if let token, !Self.authorized(request.headers[.authorization], token: token) {
            var r = Reply.text(401, "401 Unauthorized: send the server's token as 'Authorization: Bearer TOKEN'\n")
            r.headers = [("WWW-Authenticate", "Bearer realm=\"kura\"")]
            return r
        }
        let query = Dictionary(request.query.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        let json = parts.first == "api"
        return await blocking { route(json ? Array(parts.dropFirst()) : parts, query: query, json: json) }
    }

    /// Runs `body` (which reads the warehouse and may block) off Swift's cooperative threads.
    func blocking(_ body: @escaping @Sendable () -> Reply) async -> Reply {
        await withCheckedContinuation { done in
            DispatchQueue.global().async { done.resume(returning: body()) }
        }
    }

    func health() -> Reply {
        do {
            let version = try pages.source.read { try $0.checkVersion() }
            return .text(200, "ok: warehouse \(pages.source.location), kura schema version \(version)\n")
        } catch {
            return .text(503, "unavailable: \(Redaction.text(String(describing: error)))\n")
        }
    }

    func route(_ parts: [String], query: [String: String], json: Bool) -> Reply {
        do {
            switch (parts.first, parts.count, json) {
            case (nil, _, false), ("jobs", 1, _): return try render(pages.home(), "home", json)
            case ("metrics", 1, false): return metrics()
            case ("jobs", 2, _):
                let limit = try Self.limit(query, default: HistoryPages.defaultLimit)
                return try render(pages.job(parts[1], before: try Self.time(query["before"], "before"), limit: limit), "job", json)
            case ("jobs", 4, _) where parts[2] == "sessions":
                guard let t = try Self.time(parts[3], "the session in the path") else { throw HTTPProblem.badRequest("no session time") }
                return try render(pages.session(job: parts[1], at: t), "session", json)
            case ("runs", 1, _):
                return try render(pages.runs(offset: try Self.offset(query), limit: try Self.limit(query, default: HistoryPages.defaultLimit)), "runs", json)
            case ("runs", 2, _):
                let after = try query["after"].map { text -> Int64 in
                    guard let n = Int64(text), n >= 0 else { throw HTTPProblem.badRequest("after=\(text) is not a record number; use the next link's value") }
                    return n
                }
                return try render(pages.run(parts[1], after: after, limit: try Self.limit(query, default: HistoryPages.defaultRejects)), "run", json)
            case ("files", 1, _):
                return try render(pages.files(offset: try Self.offset(query), limit: try Self.limit(query, default: HistoryPages.defaultLimit)), "files", json)
            default:
                throw HTTPProblem.notFound("there is no page at /\(parts.joined(separator: "/")); see / for the jobs")
            }
        } catch let p as HTTPProblem {
            return problem(p, json: json)
        } catch {
            let message = Redaction.text("could not read the warehouse \(pages.source.location): \(error)")
            logger.warn("kura serve: \(message)")
            return problem(HTTPProblem(status: 503, title: "Service Unavailable", message: message), json: json)
        }
    }

    func metrics() -> Reply {
        do {
            return .text(200, try pages.source.read { try MetricsPage.text($0) }, type: "text/plain; version=0.0.4; charset=utf-8")
        } catch {
            logger.warn("kura serve: /metrics: \(Redaction.text(String(describing: error)))")
            return .text(200, MetricsPage.down, type: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    func render<Page: Encodable>(_ page: Page, _ template: String, _ json: Bool) throws -> Reply {
        if json { return Reply(status: 200, contentType: "application/json; charset=utf-8", body: try Self.encoder.encode(page)) }
        guard let html = library.render(page, withTemplate: template) else {
            throw SystemError("kura serve has no template '\(template)'")
        }
        return .text(200, html, type: "text/html; charset=utf-8")
    }

    func problem(_ p: HTTPProblem, json: Bool) -> Reply {
        if json {
            let body = (try? Self.encoder.encode(["status": String(p.status), "error": p.message])) ?? Data()
            return Reply(status: p.status, contentType: "application/json; charset=utf-8", body: body)
        }
        let f = pages.frame(p.title)
        let page = ["title": f.title, "warehouse": f.warehouse, "generatedAt": f.generatedAt, "status": String(p.status), "message": p.message]
        return Reply(status: p.status, contentType: "text/html; charset=utf-8", body: Data((library.render(page, withTemplate: "error") ?? p.message).utf8))
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// Whether `header` is `Bearer TOKEN`, compared in constant time.
    static func authorized(_ header: String?, token: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.dropFirst("Bearer ".count).utf8), expected = Array(token.utf8)
        var diff = given.count == expected.count ? 0 : 1
        for i in 0..<min(given.count, expected.count) { diff |= Int(given[i] ^ expected[i]) }
        return diff == 0
    }

    static func limit(_ query: [String: String], default value: Int) throws -> Int {
        guard let text = query["limit"] else { return value }
        guard let n = Int(text), (1...HistoryPages.maxLimit).contains(n) else {
            throw HTTPProblem.badRequest("limit=\(text) is not a page size; use 1 to \(HistoryPages.maxLimit)")
        }
        return n
    }

    static func offset(_ query: [String: String]) throws -> Int {
        guard let text = query["offset"] else { return 0 }
        guard let n = Int(text), n >= 0 else { throw HTTPProblem.badRequest("offset=\(text) is not a count; use 0 or more") }
        return n
    }

    static func time(_ text: String?, _ what: String) throws -> Timestamp? {
        guard let text else { return nil }
        guard let t = TimeText.instant(text, zone: .utc) else {
            throw HTTPProblem.badRequest("\(what) '\(text)' is not a time; write it like 2024-01-02T00:30:00Z")
        }
        return t
    }

    static func phrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}
