import Foundation
import KuraCore
import KuraFormats

/// The variables of one session of a job, as templates and `exec` steps see them (Digdag's names).
public struct SessionVariables: Sendable {
    /// The job's name.
    public var jobName: String
    /// The session's logical time.
    public var sessionTime: Timestamp
    /// The schedule's fire time before the session, when there is one.
    public var lastSessionTime: Timestamp?
    /// The schedule's fire time after the session.
    public var nextSessionTime: Timestamp?
    /// The job's zone, for the local forms.
    public var zone: ZoneRule

    public init(job: JobSpec, sessionTime: Timestamp) {
        let schedule = job.cronSchedule
        jobName = job.name
        self.sessionTime = sessionTime
        zone = schedule.zone
        lastSessionTime = schedule.previous(atOrBefore: Timestamp(nanos: sessionTime.nanos - 1_000_000_000))
        nextSessionTime = schedule.next(after: sessionTime).first
    }

    /// `t` in the job's zone, ISO 8601 with its offset: `2024-01-02T02:30:00+09:00`.
    public func localISO(_ t: Timestamp) -> String {
        let seconds = t.nanos / 1_000_000_000
        let offset = zone.offset(atUTC: seconds)
        let c = CivilTime(epochSeconds: seconds + Int64(offset))
        var out: [UInt8] = []
        c.appendDate(to: &out)
        out.append(UInt8(ascii: "T"))
        c.appendTime(to: &out)
        return String(decoding: out, as: UTF8.self) + ZoneRule.offsetText(offset, colon: true)
    }

    /// The session's date in the job's zone, `YYYY-MM-DD`.
    public var sessionDate: String { String(localISO(sessionTime).prefix(10)) }

    /// The template variables: `session_time`, `session_date`, `session_date_compact`, `session_unixtime`,
    /// `last_session_time`, `next_session_time` (empty when there is none) and `job_name`.
    public var templateValues: [String: String] {
        [
            "session_time": localISO(sessionTime), "session_date": sessionDate,
            "session_date_compact": sessionDate.replacingOccurrences(of: "-", with: ""),
            "session_unixtime": String(sessionTime.nanos / 1_000_000_000),
            "last_session_time": lastSessionTime.map(localISO) ?? "", "next_session_time": nextSessionTime.map(localISO) ?? "",
            "job_name": jobName,
        ]
    }

    /// The environment of an `exec` step's process: `KURA_SESSION_TIME`, `KURA_SESSION_DATE`, `KURA_JOB` and
    /// `KURA_RUN_ID` (the warehouse connection is added by the runner).
    public func environment(runID: String) -> [String: String] {
        ["KURA_SESSION_TIME": localISO(sessionTime), "KURA_SESSION_DATE": sessionDate, "KURA_JOB": jobName, "KURA_RUN_ID": runID]
    }
}
