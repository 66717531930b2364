import Foundation
import KuraBuiltins
import KuraCore
import KuraRuntime
import KuraTestSupport
import Testing

@testable import KuraJobs

/// Job files and the folder's settings: what is read, what defaults apply, and every located error.
@Suite struct JobCatalogTests {
    func errors(_ dir: TempDir) -> [String] {
        do {
            _ = try JobCatalog(directory: dir.path + "/jobs", environment: [:])
            return []
        } catch let e as ConfigErrors {
            return e.errors.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func aJobFileWithEveryKeyAndTheSettingsDefaults() throws {
        let dir = TempDir()
        _ = dir.write("jobs/kura.yml", "warehouse: wh.db\ndefaults: {timezone: Asia/Tokyo, retries: 3}\nvars: {region: apac}\n")
        _ = dir.write("jobs/user_features.yml", """
            schedule: "30 2 * * *"
            concurrency_policy: replace
            starting_deadline_seconds: 3600
            retries: {limit: 1, backoff_seconds: 30}
            timeout_seconds: 600
            depends_on: [events_import]
            steps:
              - load: {in: {type: file, path_prefix: data/, parser: {type: json}}, out: {type: "null"}}
              - load: loads/events.yml.liquid
              - sql: sql/features.sql
              - exec: python3 ml/train.py --features user_features
              - exec: [python3, ml/train.py]
            """)
        _ = dir.write("jobs/events_import.yml", "schedule: '@hourly'\nsteps:\n  - load: loads/events.yml\n")
        let catalog = try JobCatalog(directory: dir.path + "/jobs", environment: [:])
        #expect(catalog.jobs.map(\.name) == ["events_import", "user_features"])
        #expect(catalog.settings.warehouse == "wh.db" && catalog.settings.vars == ["region": "apac"])
        let job = try #require(catalog.job("user_features"))
        #expect(job.timezone == "Asia/Tokyo", "from the settings' defaults")
        #expect(job.retries == RetryPolicy(limit: 1, backoffSeconds: 30), "the job's own key wins")
        #expect(job.concurrencyPolicy == .replace && job.startingDeadlineSeconds == 3600 && job.timeoutSeconds == 600)
        #expect(job.steps.map(\.kind) == ["load", "load", "sql", "exec", "exec"])
        #expect(job.steps[3] == .exec(.shell("python3 ml/train.py --features user_features")))
        #expect(job.steps[4] == .exec(.argv(["python3", "ml/train.py"])))
        #expect(catalog.job("events_import")?.retries == RetryPolicy(limit: 3))
        #expect(catalog.withDependencies("user_features") == ["events_import", "user_features"])
        #expect(catalog.resolve("sql/features.sql", of: job) == dir.path + "/jobs/sql/features.sql")
    }

    @Test func everyProblemIsReportedWithItsPlace() throws {
        let dir = TempDir()
        _ = dir.write("jobs/a.yml", """
            schedule: "61 * * * *"
            timezone: Mars/Olympus
            concurency_policy: forbid
            retries: {limit: -1}
            steps:
              - lod: x
            """)
        _ = dir.write("jobs/b.yml", "schedule: '@daily'\ndepends_on: [c]\nsteps: []\n")
        let found = errors(dir)
        for expected in [
            "a.yml:1:11 (schedule): cron expression '61 * * * *' minute field", "unknown time zone 'Mars/Olympus'",
            "(concurency_policy): unknown key 'concurency_policy'; did you mean 'concurrency_policy'?",
            "(retries.limit)", "(steps[0].lod): unknown step 'lod'; did you mean 'load'?", "b.yml", "non-empty 'steps:'",
        ] {
            #expect(found.contains { $0.contains(expected) }, "missing: \(expected) in \(found)")
        }
    }

    @Test func unknownDependenciesAndCyclesAreErrors() throws {
        let dir = TempDir()
        _ = dir.write("jobs/a.yml", "schedule: '@daily'\ndepends_on: [bb]\nsteps: [{exec: 'true'}]\n")
        _ = dir.write("jobs/b.yml", "schedule: '@daily'\nsteps: [{exec: 'true'}]\n")
        #expect(errors(dir).contains { $0.contains("'bb', which is not a job") && $0.contains("did you mean 'b'?") })
        _ = dir.write("jobs/a.yml", "schedule: '@daily'\ndepends_on: [b]\nsteps: [{exec: 'true'}]\n")
        _ = dir.write("jobs/b.yml", "schedule: '@daily'\ndepends_on: [a]\nsteps: [{exec: 'true'}]\n")
        #expect(errors(dir).contains { $0.contains("cycle: a → b → a") })
    }

    @Test func stepFilesMustExistRenderAndPlan() throws {
        let dir = TempDir()
        _ = dir.write("jobs/j.yml", "schedule: '@daily'\nsteps:\n  - sql: sql/f.sql\n  - load: loads/l.yml\n  - sql: sql/none.sql\n")
        _ = dir.write("jobs/sql/f.sql", "SELECT '{{ session_date | bogus }}'\n")
        _ = dir.write("jobs/loads/l.yml", "in: {type: file, path_prefix: 'data/{{ session_date_compact }}', parser: {type: csv, columns: [{name: a, type: long}], delimter: ','}}\nout: {type: 'null'}\n")
        let catalog = try JobCatalog(directory: dir.path + "/jobs", environment: [:])
        let env = KuraEnvironment(registry: BuiltinPlugins.registry, logger: .silent, workingDirectory: dir.path, environment: [:])
        let found = catalog.validateSteps(environment: env, now: Timestamp(seconds: 1_700_000_000)).map(\.description)
        #expect(found.contains { $0.contains("unsupported template filter 'bogus'") })
        #expect(found.contains { $0.contains("unknown key 'delimter'") && $0.contains("did you mean 'delimiter'?") })
        #expect(found.contains { $0.contains("'sql/none.sql' does not exist") })
        #expect(found.count == 3)
    }

    @Test func sessionVariablesUseTheJobsZone() throws {
        let dir = TempDir()
        _ = dir.write("jobs/j.yml", "schedule: '30 2 * * *'\ntimezone: Asia/Tokyo\nsteps: [{exec: 'true'}]\n")
        let job = try #require(try JobCatalog(directory: dir.path + "/jobs", environment: [:]).job("j"))
        let session = try #require(TimeText.instant("2024-01-01T17:30:00Z", zone: .utc))
        let v = SessionVariables(job: job, sessionTime: session).templateValues
        #expect(v["session_time"] == "2024-01-02T02:30:00+09:00")
        #expect(v["session_date"] == "2024-01-02" && v["session_date_compact"] == "20240102")
        #expect(v["session_unixtime"] == "1704130200")
        #expect(v["last_session_time"] == "2024-01-01T02:30:00+09:00" && v["next_session_time"] == "2024-01-03T02:30:00+09:00")
        #expect(v["job_name"] == "j")
    }

    @Test func backfillsCoverEverySessionOfTheDatesInTheJobsZone() throws {
        let tokyo = try CronSchedule("0 */6 * * *", zone: "Asia/Tokyo")
        let s = try #require(BackfillPlanner.sessions(tokyo, from: "2024-01-01", to: "2024-01-02"))
        #expect(s.count == 8)
        #expect(s.first?.iso8601 == "2023-12-31T15:00:00Z" && s.last?.iso8601 == "2024-01-02T09:00:00Z")
        let ny = try CronSchedule("30 2 * * *", zone: "America/New_York")
        #expect(BackfillPlanner.sessions(ny, from: "2024-03-09", to: "2024-03-11")?.map(\.iso8601)
            == ["2024-03-09T07:30:00Z", "2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z"])
        #expect(BackfillPlanner.sessions(ny, from: "2024-03-11", to: "2024-03-09") == nil)
        #expect(BackfillPlanner.sessions(ny, from: "2024-02-30", to: "2024-03-01") == nil)
    }

    @Test func retriesBackOffByDoubling() {
        let p = RetryPolicy(limit: 5, backoffSeconds: 30)
        #expect((1...5).map { p.delay(beforeAttempt: $0) } == [0, 30, 60, 120, 240])
        #expect(RetryPolicy(limit: 40, backoffSeconds: 3600).delay(beforeAttempt: 40) == 86_400)
    }
}
