import KuraCore
import KuraFormats
import KuraRuntime

/// What to do when a session is due while the job's previous session is still running (Kubernetes' names).
public enum ConcurrencyPolicy: String, ConfigEnum, Codable, Sendable {
    /// Skip the new session (recorded as skipped); the running one goes on.
    case forbid
    /// Run both.
    case allow
    /// Stop the running session (recorded as interrupted) and run the new one.
    case replace
}

/// How often a failed session is tried again, and how long to wait in between.
public struct RetryPolicy: Equatable, Sendable, Codable {
    /// Attempts after the first (default 0).
    public var limit: Int
    /// Seconds before the first retry, doubling for each further one (default 60).
    public var backoffSeconds: Int

    public init(limit: Int = 0, backoffSeconds: Int = 60) {
        self.limit = limit
        self.backoffSeconds = backoffSeconds
    }

    /// The wait before attempt `attempt` (2 is the first retry): `backoffSeconds * 2^(attempt - 2)`, at most a day.
    public func delay(beforeAttempt attempt: Int) -> Int {
        guard attempt >= 2 else { return 0 }
        let doublings = min(attempt - 2, 16)
        return min(backoffSeconds << doublings, 86_400)
    }
}

/// One step of a job.
public enum JobStep: Equatable, Sendable {
    /// A load: a kura config inline, or the path of a config file (relative to the job file).
    case load(LoadSource)
    /// A SQL file (relative to the job file), run in the warehouse in one transaction.
    case sql(path: String)
    /// A command: a string runs through `/bin/sh -c`, a list runs as argv.
    case exec(Command)

    /// Where a load step's config comes from.
    public enum LoadSource: Equatable, Sendable {
        case inline(ConfigNode)
        case file(String)
    }

    /// How an exec step's command is given.
    public enum Command: Equatable, Sendable {
        case shell(String)
        case argv([String])
    }

    /// The step's kind as written: `load`, `sql` or `exec`.
    public var kind: String {
        switch self {
        case .load: return "load"
        case .sql: return "sql"
        case .exec: return "exec"
        }
    }
}

/// A job file, `jobs/NAME.yml`: a schedule and the steps each session runs.
public struct JobSpec: Equatable, Sendable {
    /// The job's name: its file name without `.yml`.
    public var name: String
    /// The file it was read from.
    public var file: String
    /// The cron schedule (five fields or a macro).
    public var schedule: CronExpression
    /// The zone the schedule and `session_date` are read in (default UTC).
    public var timezone: String
    /// What happens when a session is due while the previous one runs (default `forbid`).
    public var concurrencyPolicy: ConcurrencyPolicy
    /// How late a session may still start; older missed sessions are recorded as skipped (default: no limit).
    public var startingDeadlineSeconds: Int?
    /// Retries of a failed session (default none).
    public var retries: RetryPolicy
    /// How long one attempt may run before it is stopped and recorded as failed (default: no limit).
    public var timeoutSeconds: Int?
    /// Jobs whose sessions covering this one's session time must have succeeded first (default none).
    public var dependsOn: [String]
    /// Pods a sharded run on Kubernetes uses (default 1: not sharded).
    public var parallelism: Int
    /// Whether the scheduler leaves the job alone (default false).
    public var suspend: Bool
    /// The steps, in order (at least one).
    public var steps: [JobStep]
    /// The part of the job's loads this run covers (`kura jobs run --shard I/N`; default: all).
    public var shard: Shard? = nil

    /// The name its sessions are kept under in the history: the job's, or for a shard `NAME[I/N]`, so each shard
    /// has its own sessions, attempts and lock.
    public var historyName: String { shard.map { "\(name)[\($0)]" } ?? name }

    /// The keys a job file may have.
    static let keys = [
        "schedule", "timezone", "concurrency_policy", "starting_deadline_seconds", "retries", "timeout_seconds",
        "depends_on", "parallelism", "suspend", "steps",
    ]

    /// The schedule in the job's zone.
    public var cronSchedule: CronSchedule {
        CronSchedule(schedule, zone: (try? ZoneRule.resolve(timezone)) ?? .utc)
    }
}
