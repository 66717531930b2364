/// A five-field cron schedule with the semantics of Vixie/ISC cron.
///
/// Fields: minute (0–59), hour (0–23), day of month (1–31), month (1–12 or `jan`–`dec`), day of week (0–7 or
/// `sun`–`sat`, 0 and 7 both Sunday). Each field is `*` or a comma-separated list of `N`, `A-B`, `*/S`, `A-B/S`
/// and `N/S` (from N to the field's maximum, every S). Names are three letters in any case and may form ranges.
/// The macros `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly` stand for their
/// usual five fields.
///
/// Days: when both day fields are restricted, a day matching either fires; a day field that starts with `*`
/// (including `*/2`) counts as unrestricted, so the other one alone decides.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// The text as given.
    public let text: String
    /// Bit `m` is set when minute `m` matches.
    let minutes: UInt64
    /// Bit `h` is set when hour `h` matches.
    let hours: UInt64
    /// Bit `d` is set when day of month `d` (1–31) matches.
    let days: UInt64
    /// Bit `m` is set when month `m` (1–12) matches.
    let months: UInt64
    /// Bit `w` is set when weekday `w` (0 = Sunday … 6) matches.
    let weekdays: UInt64
    /// Whether the day-of-month field starts with `*`.
    let dayIsStar: Bool
    /// Whether the day-of-week field starts with `*`.
    let weekdayIsStar: Bool
    /// Whether neither the minute nor the hour field starts with `*`: such a job runs at fixed times of day, and
    /// daylight-saving changes move it rather than skip or repeat it (see `CronSchedule`).
    public let isFixedTime: Bool
    /// The matching hours, ascending.
    let hourList: [Int]
    /// The matching minutes, ascending.
    let minuteList: [Int]

    public var description: String { text }

    /// The field names, in order, for messages.
    static let fieldNames = ["minute", "hour", "day-of-month", "month", "day-of-week"]

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Parses `text`; throws a `CronError` naming the field and what is wrong with it.
    public init(_ text: String) throws {
        self.text = text
        let trimmed = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        var expanded = trimmed
        if trimmed.hasPrefix("@") {
            guard let fields = Self.macros[trimmed.lowercased()] else {
                throw CronError(text, field: nil, "unknown macro '\(trimmed)'",
                    fix: "use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly, or five fields")
            }
            expanded = fields
        }
        let fields = expanded.split(separator: " ").map(String.init)
        guard fields.count == 5 else {
            throw CronError(text, field: nil, "expected 5 fields (minute hour day-of-month month day-of-week), got \(fields.count)",
                fix: "write for example '30 2 * * *' (02:30 every day)")
        }
        minutes = try Self.field(fields[0], 0, in: 0...59, names: [:], text: text)
        hours = try Self.field(fields[1], 1, in: 0...23, names: [:], text: text)
        days = try Self.field(fields[2], 2, in: 1...31, names: [:], text: text)
        months = try Self.field(fields[3], 3, in: 1...12, names: CronNames.months, text: text)
        let week = try Self.field(fields[4], 4, in: 0...7, names: CronNames.weekdays, text: text)
        weekdays = (week | (week >> 7)) & 0x7F  // 7 is Sunday too
        dayIsStar = fields[2].hasPrefix("*")
        weekdayIsStar = fields[4].hasPrefix("*")
        isFixedTime = !fields[0].hasPrefix("*") && !fields[1].hasPrefix("*")
        hourList = (0...23).filter { [hours] in hours & (1 << UInt64($0)) != 0 }
        minuteList = (0...59).filter { [minutes] in minutes & (1 << UInt64($0)) != 0 }
    }

    /// Whether the civil date `year-month-day` (with `weekday`, 0 = Sunday) matches the day and month fields.
    func matchesDay(month: Int, day: Int, weekday: Int) -> Bool {
        guard months & (1 << UInt64(month)) != 0 else { return false }
        let dayOK = days & (1 << UInt64(day)) != 0
        let weekdayOK = weekdays & (1 << UInt64(weekday)) != 0
        if dayIsStar || weekdayIsStar { return dayOK && weekdayOK }
        return dayOK || weekdayOK
    }


    /// The bit set of field `index` written as `spec`, whose values lie in `range`.
    static func field(_ spec: String, _ index: Int, in range: ClosedRange<Int>, names: [String: Int], text: String) throws -> UInt64 {
        var bits: UInt64 = 0
        for item in spec.split(separator: ",", omittingEmptySubsequences: false) {
            do {
                bits |= try element(String(item), in: range, names: names)
            } catch let problem as FieldProblem {
                throw CronError(text, field: index, "'\(spec)': \(problem.message)", fix: problem.fix)
            }
        }
        return bits
    }

    /// A problem inside one field, before it is placed in its expression.
    struct FieldProblem: Error {
        var message: String
        var fix: String
    }

    /// The bits of one list element: `*`, `N`, `A-B`, each optionally `/S`.
    static func element(_ item: String, in range: ClosedRange<Int>, names: [String: Int]) throws -> UInt64 {
        guard !item.isEmpty else {
            throw FieldProblem(message: "an empty list item", fix: "remove the extra comma")
        }
        let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        var step = 1
        if parts.count == 2 {
            guard let s = Int(parts[1]), s >= 1 else {
                throw FieldProblem(message: "step '\(parts[1])' is not a positive number", fix: "write for example */5")
            }
            step = s
        }
        let base = String(parts[0])
        var low = range.lowerBound, high = range.upperBound
        if base != "*" {
            let bounds = base.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            low = try value(String(bounds[0]), in: range, names: names)
            if bounds.count == 2 {
                high = try value(String(bounds[1]), in: range, names: names)
            } else if parts.count == 1 {
                high = low
            }
            guard low <= high else {
                throw FieldProblem(
                    message: "range \(base) runs backwards", fix: "write the smaller value first (\(high)-\(low))")
            }
        }
        var bits: UInt64 = 0
        for v in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(v) }
        return bits
    }

    /// One value: a number in `range` or a name.
    static func value(_ text: String, in range: ClosedRange<Int>, names: [String: Int]) throws -> Int {
        if let n = Int(text), text.allSatisfy(\.isNumber) {
            guard range.contains(n) else {
                throw FieldProblem(
                    message: "\(n) is out of range \(range.lowerBound)-\(range.upperBound)",
                    fix: "use a value from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        if let n = names[text.lowercased()] { return n }
        let known = names.isEmpty ? "numbers" : "numbers or names such as \(names.sorted { $0.value < $1.value }.prefix(3).map(\.key).joined(separator: ", "))"
        throw FieldProblem(message: "'\(text)' is not a value", fix: "use \(known)")
    }
}

/// Month and weekday names of cron fields.
enum CronNames {
    static let months: [String: Int] = [
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
        "nov": 11, "dec": 12,
    ]
    static let weekdays: [String: Int] = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
}

/// A cron expression that cannot be read: which one, which field, what is wrong and how to fix it.
public struct CronError: Error, CustomStringConvertible, Sendable {
    /// The expression.
    public var expression: String
    /// The field's position (0 = minute … 4 = day-of-week), when one field is at fault.
    public var field: Int?
    public var message: String
    public var fix: String

    init(_ expression: String, field: Int?, _ message: String, fix: String) {
        self.expression = expression
        self.field = field
        self.message = message
        self.fix = fix
    }

    public var description: String {
        let place = field.map { " \(CronExpression.fieldNames[$0]) field (\($0 + 1) of 5)" } ?? ""
        return "cron expression '\(expression)'\(place): \(message); \(fix)"
    }
}
