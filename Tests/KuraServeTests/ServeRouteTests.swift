import Foundation
import KuraTestSupport
import Testing

/// `kura serve` over a real SQLite warehouse (`ServeFixture`), asked over loopback HTTP.
@Suite(.serialized) struct ServeRouteTests {
    func get(_ path: String, method: String = "GET", headers: [String: String] = [:]) throws -> ServeProcess.Response {
        try ServeFixture.get().server.request(path, method: method, headers: headers)
    }

    func json(_ path: String) throws -> [String: Any] {
        let r = try get(path)
        #expect(r.status == 200, "\(path): \(r.body)")
        #expect(r.headers["content-type"]?.hasPrefix("application/json") == true)
        return try #require(try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any])
    }

    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func theHomePageListsEveryJobWithItsSessionsAndTheLatestRuns() throws {
        let r = try get("/")
        #expect(r.status == 200)
        #expect(r.headers["content-type"] == "text/html; charset=utf-8")
        for job in ["events_import", "train_model", "user_features"] { #expect(r.body.contains("data-job=\"\(job)\"")) }
        #expect(count("class=\"cell succeeded\"", in: r.body) == 6, "three sessions each of user_features and train_model")
        #expect(r.body.contains("href=\"/jobs/user_features/sessions/2024-01-03T00:30:00Z\""))
        #expect(r.body.contains("30 0 * * *") && r.body.contains("@hourly"))
        #expect(r.body.contains(ServeFixture.hostileTarget), "the latest runs include the hostile load")
    }

    @Test func hostileNamesRowsAndErrorsRenderAsTextAndSecretsAreMasked() throws {
        let f = try ServeFixture.get()
        for path in ["/", "/jobs/" + pct(ServeFixture.hostileJob), "/runs/" + f.hostileRun, "/files"] {
            let r = try get(path)
            #expect(r.status == 200, "\(path): \(r.status)")
            #expect(!r.body.contains("<script>alert") && !r.body.contains("<img src=x"), "\(path) lets markup through")
            #expect(!r.body.contains(ServeFixture.secret), "\(path) shows the password")
        }
        let home = try get("/").body
        #expect(home.contains("evil&lt;script&gt;job"))
        let job = try get("/jobs/" + pct(ServeFixture.hostileJob)).body
        #expect(job.contains("&lt;script&gt;alert(&#39;err&#39;)&lt;/script&gt;") || job.contains("&lt;script&gt;alert(&#x27;err&#x27;)"))
        #expect(job.contains("postgresql://loader:********@db/wh"))
        let run = try get("/runs/" + f.hostileRun).body
        #expect(run.contains("&lt;img src=x onerror=alert(1)&gt;.csv"))
        #expect(run.contains("&lt;script&gt;alert(&quot;raw4&quot;)&lt;/script&gt;"))
        #expect(try get("/files").body.contains("&lt;img src=x onerror=alert(1)&gt;.csv"))
    }

    @Test func aJobPageShowsSessionsRunsRowsAndPlots() throws {
        let r = try get("/jobs/user_features")
        #expect(r.status == 200)
        #expect(count("<tr class=\"session\"", in: r.body) == 3)
        #expect(count("<svg", in: r.body) == 2 && r.body.contains("<polyline points=\""))
        #expect(count("<td class=\"n\">120</td>", in: r.body) == 3, "each session's load loaded 120 rows")
        let api = try json("/api/jobs/user_features")
        let sessions = try #require(api["sessions"] as? [[String: Any]])
        #expect(sessions.map { $0["session_time"] as? String } == ["2024-01-03T00:30:00Z", "2024-01-02T00:30:00Z", "2024-01-01T00:30:00Z"])
        #expect(sessions.allSatisfy { ($0["runs"] as? [[String: Any]])?.count == 1 && $0["rows_loaded"] as? Int == 120 })
        #expect(sessions.allSatisfy { $0["status"] as? String == "succeeded" && $0["attempts"] as? Int == 1 })
    }

    @Test func sessionsPageWithBeforeAndLimit() throws {
        let first = try get("/jobs/user_features?limit=2")
        #expect(count("<tr class=\"session\"", in: first.body) == 2)
        let older = "/jobs/user_features?before=2024-01-02T00:30:00Z&amp;limit=2"
        #expect(first.body.contains("href=\"\(older)\""))
        let second = try get(older.replacingOccurrences(of: "&amp;", with: "&"))
        #expect(count("<tr class=\"session\"", in: second.body) == 1 && second.body.contains("2024-01-01T00:30:00Z"))
        #expect(!second.body.contains("rel=\"next\""), "the last page has no older link")
    }

    @Test func aRunPagePagesThroughItsRejectedRecords() throws {
        let f = try ServeFixture.get()
        let page = try json("/api/runs/\(f.hostileRun)")
        let run = try #require(page["run"] as? [String: Any])
        #expect(run["read"] as? Int == 10 && run["loaded"] as? Int == 3 && run["rejected"] as? Int == 7)
        let files = try #require(page["files"] as? [[String: Any]])
        #expect(files.count == 1 && (files.first?["path"] as? String)?.hasSuffix("hostile/" + ServeFixture.hostileFile) == true)
        var seen: [Int] = []
        var raws: [String] = []
        var path: String? = "/api/runs/\(f.hostileRun)?limit=3"
        while let p = path {
            let o = try json(p)
            let rejects = try #require(o["rejects"] as? [[String: Any]])
            #expect(rejects.count <= 3)
            seen += rejects.compactMap { $0["number"] as? Int }
            raws += rejects.compactMap { $0["raw"] as? String }
            let rows = try #require(rejects.first)
            #expect(rows["code"] as? String != nil && rows["line"] as? Int != nil && (rows["file"] as? String)?.hasSuffix("hostile/" + ServeFixture.hostileFile) == true)
            path = (o["next_href"] as? String).map { $0.replacingOccurrences(of: "/runs/", with: "/api/runs/") }
        }
        #expect(seen.count == 7 && Set(seen).count == 7 && seen == seen.sorted(), "every reject once, in order: \(seen)")
        #expect(raws.first == "4<script>alert(\"raw4\")</script>,bad", "JSON keeps the raw text as it was")
    }

    @Test func theLedgerAndRunListsPage() throws {
        let files = try json("/api/files?limit=2")
        #expect((files["files"] as? [[String: Any]])?.count == 2)
        #expect(files["next_href"] as? String == "/files?offset=2&limit=2")
        let all = try json("/api/files")
        let paths = try #require(all["files"] as? [[String: Any]]).compactMap { $0["path"] as? String }
        #expect(paths.count == 4 && paths.contains { $0.hasSuffix("hostile/" + ServeFixture.hostileFile) }, "\(paths)")
        let runs = try json("/api/runs")
        #expect((runs["runs"] as? [[String: Any]])?.count == 4, "three event loads and the hostile one")
    }

    @Test func statusCodesForUnknownPagesBadParametersAndOtherMethods() throws {
        #expect(try get("/jobs/no_such_job").status == 404)
        #expect(try get("/runs/no-such-run").status == 404)
        #expect(try get("/nowhere").status == 404)
        #expect(try get("/api/jobs/no_such_job").body.contains("\"error\""))
        let bad = try get("/jobs/user_features?limit=0")
        #expect(bad.status == 400 && bad.body.contains("limit=0 is not a page size; use 1 to 500"))
        #expect(try get("/jobs/user_features?before=yesterday").status == 400)
        #expect(try get("/runs/x?after=-1").status == 400)
        for method in ["POST", "PUT", "DELETE", "PATCH"] {
            let r = try get("/", method: method)
            #expect(r.status == 405, "\(method)")
            #expect(r.headers["allow"] == "GET, HEAD")
        }
        let head = try get("/", method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(Int(head.headers["content-length"] ?? "") ?? 0 > 1000)
    }

    @Test func healthAndMetrics() throws {
        let health = try get("/healthz")
        #expect(health.status == 200 && health.body.hasPrefix("ok: warehouse "))
        let m = try get("/metrics")
        #expect(m.status == 200 && m.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(m.body.contains("kura_sessions{kura_job=\"user_features\",status=\"succeeded\"} 3\n"))
        #expect(m.body.contains("kura_sessions{kura_job=\"evil<script>job\",status=\"failed\"} 1\n"))
        #expect(m.body.contains("kura_rows_total{target=\"events\",outcome=\"loaded\"} 360\n"))
        #expect(m.body.contains("kura_rows_total{target=\"hostile_rows\",outcome=\"rejected\"} 7\n"))
        #expect(m.body.contains("kura_last_success_timestamp_seconds{kura_job=\"train_model\"} "))
        #expect(m.body.contains("kura_warehouse_up 1\n"))
    }

    func pct(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s
    }
}
