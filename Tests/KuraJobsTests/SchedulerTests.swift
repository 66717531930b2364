import Foundation
import KuraBuiltins
import KuraCore
import KuraRuntime
import KuraSQLite
import KuraTestSupport
import Testing

@testable import KuraJobs

/// The scheduler's decisions with explicit times (no clock, no sleeping), and one real run of a few seconds.
@Suite struct SchedulerTests {
    func job(_ name: String, _ yaml: String) throws -> JobSpec {
        try JobSpec(name: name, file: "\(name).yml", node: ConfigLoader(environment: [:]).parse(yaml: yaml + "\nsteps: [{exec: 'true'}]\n"))
    }

    func t(_ text: String) -> Timestamp { TimeText.instant(text, zone: .utc)! }

    @Test func dueSessionsStartAndNothingBeforeTheStartIsRun() throws {
        let j = try job("j", "schedule: '*/10 * * * *'")
        var core = SchedulerCore(jobs: [j], startedAt: t("2024-01-01T00:05:00Z"), lastSessions: [:])
        #expect(core.actions(at: t("2024-01-01T00:09:59Z")) == [])
        #expect(core.nextWakeUp(after: t("2024-01-01T00:09:59Z")) == t("2024-01-01T00:10:00Z"))
        #expect(core.actions(at: t("2024-01-01T00:10:00Z")) == [.start(job: "j", session: t("2024-01-01T00:10:00Z"))])
        #expect(core.actions(at: t("2024-01-01T00:10:30Z")) == [], "a session starts once")
    }

    @Test func forbidSkipsANewSessionWhileThePreviousRuns() throws {
        let j = try job("j", "schedule: '*/10 * * * *'\nconcurrency_policy: forbid")
        var core = SchedulerCore(jobs: [j], startedAt: t("2024-01-01T00:05:00Z"), lastSessions: [:])
        _ = core.actions(at: t("2024-01-01T00:10:00Z"))
        #expect(core.actions(at: t("2024-01-01T00:20:00Z")) == [
            .skip(job: "j", session: t("2024-01-01T00:20:00Z"), reason: "the session 2024-01-01T00:10:00Z is still running (concurrency_policy: forbid)")
        ])
        core.finished(job: "j", session: t("2024-01-01T00:10:00Z"))
        #expect(core.actions(at: t("2024-01-01T00:30:00Z")) == [.start(job: "j", session: t("2024-01-01T00:30:00Z"))])
    }

    @Test func replaceInterruptsTheRunningSessionAndAllowRunsBoth() throws {
        let r = try job("r", "schedule: '*/10 * * * *'\nconcurrency_policy: replace")
        let a = try job("a", "schedule: '*/10 * * * *'\nconcurrency_policy: allow")
        var core = SchedulerCore(jobs: [r, a], startedAt: t("2024-01-01T00:05:00Z"), lastSessions: [:])
        _ = core.actions(at: t("2024-01-01T00:10:00Z"))
        #expect(core.actions(at: t("2024-01-01T00:20:00Z")) == [
            .interrupt(job: "r", session: t("2024-01-01T00:10:00Z")), .start(job: "r", session: t("2024-01-01T00:20:00Z")),
            .start(job: "a", session: t("2024-01-01T00:20:00Z")),
        ])
        #expect(core.running["a"] == [t("2024-01-01T00:10:00Z"), t("2024-01-01T00:20:00Z")])
        #expect(core.running["r"] == [t("2024-01-01T00:20:00Z")])
    }

    @Test func missedSessionsAreCaughtUpInOrderWithinTheDeadlineAndOlderOnesSkipped() throws {
        let j = try job("j", "schedule: '0 * * * *'\nstarting_deadline_seconds: 7200")
        // Last recorded session 00:00; the scheduler comes back at 05:30: 01:00…05:00 were missed.
        var core = SchedulerCore(jobs: [j], startedAt: t("2024-01-01T05:30:00Z"), lastSessions: ["j": t("2024-01-01T00:00:00Z")])
        let now = t("2024-01-01T05:30:00Z")
        #expect(core.actions(at: now) == [
            .skip(job: "j", session: t("2024-01-01T01:00:00Z"), reason: "missed by more than starting_deadline_seconds (7200)"),
            .skip(job: "j", session: t("2024-01-01T02:00:00Z"), reason: "missed by more than starting_deadline_seconds (7200)"),
            .skip(job: "j", session: t("2024-01-01T03:00:00Z"), reason: "missed by more than starting_deadline_seconds (7200)"),
            .start(job: "j", session: t("2024-01-01T04:00:00Z")),
        ])
        #expect(core.actions(at: t("2024-01-01T05:31:00Z")) == [], "the next caught-up session waits for the running one")
        core.finished(job: "j", session: t("2024-01-01T04:00:00Z"))
        #expect(core.actions(at: t("2024-01-01T05:32:00Z")) == [.start(job: "j", session: t("2024-01-01T05:00:00Z"))])
        core.finished(job: "j", session: t("2024-01-01T05:00:00Z"))
        #expect(core.actions(at: t("2024-01-01T06:00:00Z")) == [.start(job: "j", session: t("2024-01-01T06:00:00Z"))])
    }

    @Test func suspendedJobsAreLeftAlone() throws {
        let j = try job("j", "schedule: '* * * * *'\nsuspend: true")
        var core = SchedulerCore(jobs: [j], startedAt: t("2024-01-01T00:00:00Z"), lastSessions: [:])
        #expect(core.actions(at: t("2024-01-01T01:00:00Z")) == [])
        #expect(core.nextWakeUp(after: t("2024-01-01T01:00:00Z")) == nil)
    }

    /// The real scheduler for a few seconds with an every-minute job: its clock is shifted so that a minute
    /// boundary comes two seconds after the start, then it is stopped as SIGTERM would.
    @Test func theSchedulerRunsAnEveryMinuteJobForRealAndStopsCleanly() throws {
        let dir = TempDir()
        dir.write("jobs/kura.yml", "warehouse: wh.db\n")
        dir.write("jobs/tick.yml", "schedule: '* * * * *'\nsteps: [{exec: 'echo tick >> ticks.txt'}]\n")
        let env = KuraEnvironment(registry: BuiltinPlugins.registry, logger: .silent, workingDirectory: dir.path, environment: ["PATH": "/usr/bin:/bin"])
        let runner = JobRunner(catalog: try JobCatalog(directory: dir.path + "/jobs", environment: [:]), environment: env)
        let scheduler = Scheduler(runner: runner)
        let real = Date().timeIntervalSince1970
        let shift = (60 - real.truncatingRemainder(dividingBy: 60)) - 2  // the next minute starts 2 s from now
        scheduler.now = { Timestamp(nanos: Int64((Date().timeIntervalSince1970 + shift) * 1e9)) }
        let done = DispatchSemaphore(value: 0)
        Thread {
            try? scheduler.run()
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 4.5)
        scheduler.stop()
        #expect(done.wait(timeout: .now() + 20) == .success, "the scheduler did not stop")
        let ticks = (try? String(contentsOfFile: dir.path + "/jobs/ticks.txt", encoding: .utf8)) ?? ""
        #expect(ticks == "tick\n", "one session in 4.5 s of an every-minute job: \(ticks)")
        let rows = try SQLiteConnection(path: dir.path + "/wh.db").queryText("SELECT status, count(*) FROM _kura_job_attempts GROUP BY status")
        #expect(rows == [["succeeded", "1"]])
    }
}
