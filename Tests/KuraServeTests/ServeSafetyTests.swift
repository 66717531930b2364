import Foundation
import KuraTestSupport
import KuraCore
import KuraWarehouse
import Testing

@testable import KuraServe

/// The token, the refusal to listen beyond loopback without one, and the templates' escaping.
@Suite struct ServeSafetyTests {
    @Test func withATokenEveryPathButHealthzNeedsIt() throws {
        let f = try ServeFixture.get()
        let server = try ServeProcess(["--jobs", "jobs"], in: f.dir.path, environment: ["KURA_SERVE_TOKEN": "t0ken-42"])
        for path in ["/", "/api/jobs", "/metrics", "/jobs/user_features", "/runs/" + f.hostileRun] {
            let none = try server.request(path)
            #expect(none.status == 401, "\(path)")
            #expect(none.headers["www-authenticate"] == "Bearer realm=\"kura\"")
            #expect(try server.request(path, headers: ["Authorization": "Bearer wrong-42"]).status == 401)
            #expect(try server.request(path, headers: ["Authorization": "t0ken-42"]).status == 401, "the Bearer scheme is needed")
            #expect(try server.request(path, headers: ["Authorization": "Bearer t0ken-42"]).status == 200, "\(path)")
        }
        #expect(try server.request("/healthz").status == 200, "probes need no token")
        #expect(try server.request("/", method: "POST", headers: ["Authorization": "Bearer t0ken-42"]).status == 405)
        #expect(server.stop() == 0, "SIGTERM stops the server cleanly")
    }

    @Test func listeningBeyondLoopbackWithoutATokenIsRefused() throws {
        let f = try ServeFixture.get()
        let binary = try #require(KuraExecutable.path)
        let r = try KuraExecutable.run(binary, ["serve", "--jobs", "jobs", "--listen", "0.0.0.0:0"], in: f.dir.path)
        #expect(r.status == 2)
        #expect(r.stderr.contains("which other machines can reach, without a token; set KURA_SERVE_TOKEN"), "\(r.stderr)")
        let bad = try KuraExecutable.run(binary, ["serve", "--listen", "localhost:http"], in: f.dir.path)
        #expect(bad.status == 2 && bad.stderr.contains("'http' is not a port (0 to 65535)"), "\(bad.stderr)")
    }

    @Test func listenAddresses() throws {
        #expect(try ListenAddress(parsing: "127.0.0.1:8080") == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(try ListenAddress(parsing: "[::1]:9") == ListenAddress(host: "::1", port: 9))
        #expect(try ListenAddress(parsing: ":81").host == "127.0.0.1")
        #expect(try ListenAddress(parsing: "localhost:82").isLoopback)
        #expect(try ListenAddress(parsing: "127.1.2.3:1").isLoopback)
        #expect(try !ListenAddress(parsing: "0.0.0.0:8080").isLoopback)
        #expect(try !ListenAddress(parsing: "[::]:8080").isLoopback)
        #expect(throws: (any Error).self) { try ListenAddress(parsing: "db.internal:80") }
        #expect(throws: (any Error).self) { try ListenAddress(parsing: "::1:80") }
        #expect(throws: (any Error).self) { try ListenAddress(parsing: "127.0.0.1:70000") }
    }

    @Test func noTemplateInsertsUnescapedText() throws {
        #expect(Templates.sources.count == 9)
        for (name, text) in Templates.sources {
            #expect(!text.contains("{{{") && !text.contains("{{&"), "template \(name) has an unescaped insertion")
            #expect(!text.lowercased().contains("<script"), "template \(name) has a script")
        }
        _ = try Templates.library()
    }

    @Test func runsAreMatchedToTheAttemptThatRecordedThem() {
        let s = Timestamp(seconds: 1_000)
        let attempts = [
            JobAttempt(job: "j", sessionTime: s, attempt: 1, status: .failed, startedAt: Timestamp(seconds: 2_000), finishedAt: Timestamp(seconds: 2_010), runID: "a"),
            JobAttempt(job: "j", sessionTime: s, attempt: 2, status: .succeeded, startedAt: Timestamp(seconds: 3_000), finishedAt: Timestamp(seconds: 3_010), runID: "b"),
        ]
        func run(_ id: String, session: Timestamp = s, at t: Int64) -> RunRecord {
            RunRecord(id: id, configHash: "h", target: "t", mode: "insert", sessionTime: session, recordedAt: Timestamp(seconds: t), taskCount: 1, counts: RowCounts(read: 1, loaded: 1))
        }
        let runs = [run("in-2", at: 3_005), run("between", at: 2_500), run("other-session", session: Timestamp(seconds: 5), at: 3_005), run("edge", at: 3_011)]
        #expect(matchRuns(runs, to: attempts)[s]?.map(\.id) == ["in-2", "edge"])
        // A run named after an attempt belongs to it whenever it was recorded; one named after another job's
        // attempt, though inside this attempt's time, does not.
        let named = [run("b.1", at: 9_999), run("other-job.1", at: 3_005), run("a.2", at: 2_005)]
        #expect(matchRuns(named, to: attempts)[s]?.map(\.id) == ["b.1", "a.2"])
    }
}
