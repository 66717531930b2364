import Foundation
import KuraBuiltins
import KuraCore
import KuraRuntime
import KuraSQLite
import KuraWarehouse
import KuraTestSupport
import Testing

@testable import KuraJobs

/// Sessions run against a real SQLite warehouse file: history, skips, retries, dependencies, locks, steps.
@Suite struct JobRunnerTests {
    let dir = TempDir()

    func runner(_ jobs: [String: String], settings: String = "warehouse: wh.db\n") throws -> JobRunner {
        dir.write("jobs/kura.yml", settings)
        for (name, text) in jobs { dir.write("jobs/\(name).yml", text) }
        let env = KuraEnvironment(registry: BuiltinPlugins.registry, logger: .silent, workingDirectory: dir.path, environment: ["PATH": "/usr/bin:/bin"])
        let r = JobRunner(catalog: try JobCatalog(directory: dir.path + "/jobs", environment: [:]), environment: env)
        r.now = { Timestamp(seconds: 1_704_100_000) }
        return r
    }

    func rows(_ sql: String) throws -> [[String?]] { try SQLiteConnection(path: dir.path + "/wh.db").queryText(sql) }

    let session = Timestamp(seconds: 1_704_068_200)  // 2024-01-01T00:16:40Z is not a fire time; sessions need not be

    @Test func aSessionRunsOnceAndIsRecorded() throws {
        let r = try runner(["j": "schedule: '@daily'\nsteps:\n  - sql: s.sql\n  - exec: echo ok\n"])
        dir.write("jobs/s.sql", "CREATE TABLE IF NOT EXISTS t (d TEXT);\nDELETE FROM t WHERE d = '{{ session_date }}';\nINSERT INTO t VALUES ('{{ session_date }}');\n")
        let job = try #require(r.catalog.job("j"))
        #expect(try r.run(job, session: session) == .succeeded(attempt: 1))
        #expect(try r.run(job, session: session) == .alreadySucceeded)
        #expect(try r.run(job, session: session, force: true) == .succeeded(attempt: 2))
        #expect(try rows("SELECT d FROM t") == [["2024-01-01"]], "a forced rerun replaces the session's partition")
        let history = try JobWarehouse.sqlite(path: dir.path + "/wh.db").connect(logger: .silent).history
        #expect(try history.attempts(job: "j", sessionTime: session).map(\.status) == [.succeeded, .succeeded])
    }

    @Test func aFailedAttemptIsRetriedWithDoublingWaitsAndRecorded() throws {
        let r = try runner(["j": "schedule: '@daily'\nretries: {limit: 2, backoff_seconds: 7}\nsteps: [{exec: 'exit 3'}]\n"])
        var waits: [Int] = []
        r.sleep = { waits.append($0) }
        let outcome = try r.run(try #require(r.catalog.job("j")), session: session)
        guard case .failed(let attempt, let error) = outcome else { Issue.record("\(outcome)"); return }
        #expect(attempt == 3 && error.contains("step 1 (exec) failed: the command exited with status 3"))
        #expect(waits == [7, 14])
        let statuses = try rows("SELECT attempt, status FROM _kura_job_attempts WHERE job = 'j' ORDER BY attempt")
        #expect(statuses == [["1", "failed"], ["2", "failed"], ["3", "failed"]])
        // The budget is the session's, whichever process asks: nothing more runs until --force.
        waits = []
        let second = try r.run(try #require(r.catalog.job("j")), session: session)
        guard case .failed(_, let again) = second else { Issue.record("\(second)"); return }
        #expect(again.contains("no attempts left") && waits == [])
        #expect(try rows("SELECT count(*) FROM _kura_job_attempts WHERE job = 'j'") == [["3"]])
        let third = try r.run(try #require(r.catalog.job("j")), session: session, force: true)
        guard case .failed(let forced, _) = third else { Issue.record("\(third)"); return }
        #expect(forced == 6)
    }

    @Test func aJobWaitsForTheSessionsItDependsOn() throws {
        let r = try runner([
            "a": "schedule: '0 0 * * *'\nsteps: [{exec: 'true'}]\n",
            "b": "schedule: '0 1 * * *'\ndepends_on: [a]\nsteps: [{exec: 'true'}]\n",
        ])
        let a = try #require(r.catalog.job("a")), b = try #require(r.catalog.job("b"))
        let day = Timestamp(seconds: 1_704_067_200)  // 2024-01-01T00:00:00Z
        let bSession = Timestamp(seconds: day.nanos / 1_000_000_000 + 3600)
        #expect(try r.run(b, session: bSession) == .waitingForDependency("job a session 2024-01-01T00:00:00Z to succeed"))
        #expect(try r.run(a, session: day) == .succeeded(attempt: 1))
        #expect(try r.run(b, session: bSession) == .succeeded(attempt: 1))
    }

    @Test func aSessionHeldByAnotherRunIsNotStartedTwice() throws {
        let r = try runner(["j": "schedule: '@daily'\nsteps: [{exec: 'true'}]\n"])
        let held = try SessionLock.acquire(
            job: "j", session: session, warehouse: r.warehouse, connection: try r.warehouse.connect(logger: .silent))
        #expect(held != nil)
        #expect(try r.run(try #require(r.catalog.job("j")), session: session) == .runningElsewhere)
        held?.unlock()
        #expect(try r.run(try #require(r.catalog.job("j")), session: session) == .succeeded(attempt: 1))
    }

    @Test func execStepsGetTheSessionAndTheWarehouse() throws {
        let r = try runner(["j": "schedule: '30 2 * * *'\ntimezone: Asia/Tokyo\nsteps:\n  - exec: [sh, -c, 'env | grep ^KURA_ | sort > env.txt']\n"])
        let session = Timestamp(seconds: 1_704_130_200)  // 2024-01-01T17:30:00Z = 02:30 JST on the 2nd
        #expect(try r.run(try #require(r.catalog.job("j")), session: session) == .succeeded(attempt: 1))
        let env = try String(contentsOfFile: dir.path + "/jobs/env.txt", encoding: .utf8)
        #expect(env.contains("KURA_JOB=j\n") && env.contains("KURA_SESSION_DATE=2024-01-02\n"))
        #expect(env.contains("KURA_SESSION_TIME=2024-01-02T02:30:00+09:00\n"))
        #expect(env.contains("KURA_WAREHOUSE_URL=sqlite:\(dir.path)/wh.db\n") && env.contains("KURA_RUN_ID=20240101T"))
    }

    @Test func aFailingSqlStepCommitsNothing() throws {
        let r = try runner(["j": "schedule: '@daily'\nsteps: [{sql: s.sql}]\n"])
        try SQLiteConnection(path: dir.path + "/wh.db").exec("CREATE TABLE t (x INTEGER)")
        dir.write("jobs/s.sql", "INSERT INTO t VALUES (1);\nINSERT INTO no_such_table VALUES (2);\n")
        guard case .failed(_, let error) = try r.run(try #require(r.catalog.job("j")), session: session) else {
            Issue.record("the session did not fail")
            return
        }
        #expect(error.contains("no_such_table"))
        #expect(try rows("SELECT count(*) FROM t") == [["0"]])
    }

    @Test func anAttemptPastItsTimeoutFails() throws {
        let r = try runner(["j": "schedule: '@daily'\ntimeout_seconds: 1\nsteps: [{exec: 'sleep 20'}]\n"])
        let start = Date()
        guard case .failed(_, let error) = try r.run(try #require(r.catalog.job("j")), session: session) else {
            Issue.record("the session did not fail")
            return
        }
        #expect(error.contains("timeout_seconds (1)"))
        #expect(Date().timeIntervalSince(start) < 15)
    }

    @Test func loadStepsLoadTheSessionsFilesOnce() throws {
        dir.write("data/2024-01-01.csv", "1,a\n2,b\n")
        dir.write("data/2024-01-02.csv", "3,c\n")
        dir.write("jobs/loads/load.yml", """
            in: {type: file, path_prefix: 'data/{{ session_date }}', parser: {type: csv, columns: [{name: id, type: long}, {name: s, type: string}]}}
            out: {type: sqlite, path: wh.db, table: t, mode: insert}
            """)
        let r = try runner(["j": "schedule: '0 0 * * *'\nsteps: [{load: loads/load.yml}]\n"])
        let job = try #require(r.catalog.job("j"))
        for day in [0, 1, 0] {
            _ = try r.run(job, session: Timestamp(seconds: 1_704_067_200 + Int64(day) * 86_400), force: true)
        }
        #expect(try rows("SELECT id FROM t ORDER BY id") == [["1"], ["2"], ["3"]], "the ledger keeps each file once")
        // Each load is named after its attempt and step, so the history knows whose run it was.
        let attempts = Set(try rows("SELECT run_id FROM _kura_job_attempts WHERE job = 'j'").compactMap { $0[0] })
        let loads = try rows("SELECT run_id FROM _kura_runs").compactMap { $0[0] }
        #expect(loads.count == 3 && loads.allSatisfy { $0.hasSuffix(".1") && attempts.contains(String($0.dropLast(2))) }, "\(loads)")
    }

    @Test func aParallelBackfillRunsEverySessionOnceAndResumes() throws {
        let r = try runner(["j": "schedule: '0 */6 * * *'\nsteps: [{exec: 'echo $KURA_SESSION_TIME >> sessions.txt'}]\n"])
        let job = try #require(r.catalog.job("j"))
        let sessions = try #require(BackfillPlanner.sessions(job.cronSchedule, from: "2024-01-01", to: "2024-01-03"))
        #expect(sessions.count == 12)
        let first = try r.backfill(job, sessions: Array(sessions.prefix(7)), parallel: 3)
        #expect(first.allSatisfy { $0 == .succeeded(attempt: 1) })
        let resumed = try r.backfill(job, sessions: sessions, parallel: 3)
        #expect(resumed.filter { $0 == .alreadySucceeded }.count == 7 && resumed.filter { $0 == .succeeded(attempt: 1) }.count == 5)
        let lines = try String(contentsOfFile: dir.path + "/jobs/sessions.txt", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 12 && Set(lines).count == 12, "each session ran exactly once")
    }

    @Test func anAttemptLeftRunningByAKilledProcessIsRecordedAsInterruptedAndTheSessionRunsAgain() throws {
        let r = try runner(["j": "schedule: '@daily'\nsteps: [{exec: 'true'}]\n"])
        let history = try r.warehouse.connect(logger: .silent)
        try history.prepareHistory()
        try history.history.insertAttempt(JobAttempt(job: "j", sessionTime: session, attempt: 1, status: .running, startedAt: session, runID: "gone"))
        #expect(try r.run(try #require(r.catalog.job("j")), session: session) == .succeeded(attempt: 2))
        let attempts = try history.history.attempts(job: "j", sessionTime: session)
        #expect(attempts.map(\.status) == [.interrupted, .succeeded])
        #expect(attempts[0].error?.contains("ended before it finished") == true)
    }

    @Test func forbidSkipsASessionWhileAnotherProcessRunsThePreviousOne() throws {
        let r = try runner(["j": "schedule: '@daily'\nconcurrency_policy: forbid\nsteps: [{exec: 'true'}]\n"])
        let job = try #require(r.catalog.job("j"))
        let earlier = Timestamp(seconds: session.nanos / 1_000_000_000 - 86_400)
        let other = try r.warehouse.connect(logger: .silent)
        try other.prepareHistory()
        try other.history.insertAttempt(JobAttempt(job: "j", sessionTime: earlier, attempt: 1, status: .running, startedAt: earlier, runID: "busy"))
        let held = try SessionLock.acquire(job: "j", session: earlier, warehouse: r.warehouse, connection: other)
        guard case .skipped(let reason) = try r.run(job, session: session) else { Issue.record("not skipped"); return }
        #expect(reason.contains("is still running (concurrency_policy: forbid)"))
        #expect(try other.history.attempts(job: "j", sessionTime: session).map(\.status) == [.skipped])
        held?.unlock()
        #expect(try r.run(job, session: session) == .succeeded(attempt: 2), "a running record whose lock nobody holds is stale")
    }

    @Test func threeShardsStartedTogetherLoadEveryFileOnceAndAgainNothing() throws {
        for i in 0..<12 { dir.write("data/f\(i).csv", "\(i),x\n\(i + 100),y\n") }
        dir.write("jobs/loads/all.yml", """
            in: {type: file, path_prefix: data/, parser: {type: csv, columns: [{name: id, type: long}, {name: s, type: string}]}}
            out: {type: sqlite, path: wh.db, table: t, mode: insert}
            """)
        let r = try runner(["j": "schedule: '@daily'\nparallelism: 3\nsteps: [{load: loads/all.yml}]\n"])
        let base = try #require(r.catalog.job("j"))
        for round in 0..<2 {
            let group = DispatchGroup()
            let results = Outcomes()
            for i in 0..<3 {
                let job = { () -> JobSpec in
                    var j = base
                    j.shard = Shard(index: i, count: 3)
                    return j
                }()
                group.enter()
                Thread {
                    let o: SessionOutcome
                    do { o = try r.run(job, session: session, force: round == 1) } catch { o = .failed(attempt: 0, error: "\(error)") }
                    results.append(o)
                    group.leave()
                }.start()
            }
            group.wait()
            let outcomes = results.all
            let allSucceeded = outcomes.allSatisfy { $0.isSuccess }
            #expect(allSucceeded, "\(outcomes)")
            let counts = try rows("SELECT count(*), count(DISTINCT id) FROM t")
            #expect(counts == [["24", "24"]], "round \(round)")
        }
        let shards = try rows("SELECT DISTINCT job FROM _kura_job_attempts ORDER BY job").compactMap { $0[0] }
        #expect(shards == ["j[0/3]", "j[1/3]", "j[2/3]"])
    }
}

/// Session outcomes collected from several threads.
final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [SessionOutcome] = []
    func append(_ o: SessionOutcome) { lock.withLock { items.append(o) } }
    var all: [SessionOutcome] { lock.withLock { items } }
}
