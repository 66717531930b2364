import ArgumentParser
import Foundation
import KuraCore
import KuraFormats
import KuraJobs

/// `kura cron`: cron expressions as kura's scheduler reads them.
struct CronCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron",
        abstract: "Work with cron expressions as kura's scheduler reads them.",
        subcommands: [Next.self])

    /// `kura cron next EXPR`: the next fire times of an expression.
    struct Next: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "next",
            abstract: "Print the next fire times of a cron expression, one per line, as ISO 8601 UTC.",
            discussion: """
                Five fields (minute hour day-of-month month day-of-week) or a macro (@hourly, @daily, @weekly, \
                @monthly, @yearly), matched against wall-clock time in --tz. A time the clocks skip fires once when \
                the gap ends and a repeated time fires once, on its first pass, for jobs whose minute and hour \
                fields do not start with '*'; jobs with '*' there fire at every real instant that matches.
                """)

        @Argument(help: "The cron expression, quoted: '30 2 * * *'.")
        var expression: String

        @Option(name: .long, help: "Print fire times strictly after this time: ISO 8601 (2024-03-10T07:00:00Z), or a date and time without a zone, read in --tz (default: now).")
        var from: String?

        @Option(name: .long, help: "How many fire times to print.")
        var count = 5

        @Option(name: .long, help: "The zone the expression is read in: an IANA name, UTC or an offset.")
        var tz = "UTC"

        func validate() throws {
            guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        }

        func run() throws {
            let zone: ZoneRule
            do { zone = try ZoneRule.resolve(tz) } catch { throw usageError("--tz: \(error)") }
            let schedule: CronSchedule
            do { schedule = CronSchedule(try CronExpression(expression), zone: zone) } catch let e as CronError {
                throw usageError("\(e)")
            }
            var start = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
            if let from {
                guard let t = TimeText.instant(from, zone: zone) else {
                    throw usageError("--from '\(from)' is not a time; write it like 2024-03-10T07:00:00Z or 2024-03-10 02:00")
                }
                start = t
            }
            let times = schedule.next(after: start, count: count)
            for t in times { print(t.iso8601) }
            if times.isEmpty {
                throw usageError("'\(expression)' never fires within 400 years after \(start.iso8601)")
            }
        }
    }
}
