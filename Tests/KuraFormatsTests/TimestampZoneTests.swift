import Foundation
import Testing

@testable import KuraCore
@testable import KuraFormats

struct DSTCase: CustomTestStringConvertible, Sendable {
    var zone: String
    var local: String
    var policy: DSTPolicy
    /// The expected instant, or `nil` when the policy must refuse.
    var expected: String?
    var testDescription: String { "\(zone) \(local) \(policy)" }
}

@Suite struct TimestampZoneTests {
    @Test(arguments: [
        ("JST", "2024-01-01T15:00:00Z"), ("KST", "2024-01-01T15:00:00Z"), ("HKT", "2024-01-01T16:00:00Z"),
        ("SGT", "2024-01-01T16:00:00Z"), ("PST", "2024-01-02T08:00:00Z"), ("PDT", "2024-01-02T07:00:00Z"),
        ("MST", "2024-01-02T07:00:00Z"), ("MDT", "2024-01-02T06:00:00Z"), ("CDT", "2024-01-02T05:00:00Z"),
        ("EST", "2024-01-02T05:00:00Z"), ("EDT", "2024-01-02T04:00:00Z"), ("AKST", "2024-01-02T09:00:00Z"),
        ("HST", "2024-01-02T10:00:00Z"), ("CET", "2024-01-01T23:00:00Z"), ("CEST", "2024-01-01T22:00:00Z"),
        ("EET", "2024-01-01T22:00:00Z"), ("WET", "2024-01-02T00:00:00Z"), ("AEST", "2024-01-01T14:00:00Z"),
        ("AEDT", "2024-01-01T13:00:00Z"), ("NZST", "2024-01-01T12:00:00Z"), ("UTC", "2024-01-02T00:00:00Z"),
        ("GMT", "2024-01-02T00:00:00Z"), ("Z", "2024-01-02T00:00:00Z"), ("pst", "2024-01-02T08:00:00Z"),
    ])
    func abbreviation(_ name: String, _ expected: String) throws {
        #expect(try parsedISO("%F %T %Z", "2024-01-02 00:00:00 \(name)") == expected)
        // The same abbreviation as a default zone.
        #expect(try parsedISO("%F %T", "2024-01-02 00:00:00", zone: name) == expected)
    }

    @Test(arguments: ["CST", "IST", "BST", "AST", "cst"])
    func ambiguousAbbreviationsAreRefused(_ name: String) {
        let m = parseFailure("%F %T %Z", "2024-01-02 00:00:00 \(name)")
        #expect(m.contains("time zone abbreviation '\(name)' is ambiguous"))
        #expect(m.contains("IANA name"))
        #expect(ZoneRule(name: name) == nil)
        #expect {
            try ZoneRule.resolve(name)
        } throws: { "\($0)".contains("ambiguous") }
    }

    @Test func cstNamesBothMeanings() {
        let m = parseFailure("%F %T %Z", "2024-01-02 00:00:00 CST")
        #expect(m.contains("US Central") && m.contains("China"))
    }

    @Test(arguments: ["XYZ", "ABCDE", "Foo/Bar", "PT"])
    func unknownZonesAreRefusedWithAdvice(_ name: String) {
        let m = parseFailure("%F %T %Z", "2024-01-02 00:00:00 \(name)")
        #expect(m.contains("unknown time zone '\(name)'"))
        #expect(m.contains("+09:00") && m.contains("America/New_York"))
        #expect(ZoneRule(name: name) == nil)
    }

    @Test func zoneRuleResolvesNamesAndOffsets() throws {
        #expect(ZoneRule(name: "+09:00")?.offset(atUTC: 0) == 32_400)
        #expect(ZoneRule(name: "-0530")?.offset(atUTC: 0) == -19_800)
        #expect(ZoneRule(name: "+09")?.offset(atUTC: 0) == 32_400)
        #expect(ZoneRule(name: "+09:00")?.isFixed == true)
        #expect(ZoneRule(name: "UTC")?.offset(atUTC: 0) == 0)
        #expect(ZoneRule.parseOffset("+24:00") == nil)
        #expect(ZoneRule.parseOffset("+09:60") == nil)
        #expect(ZoneRule.parseOffset("09:00") == nil)
        #expect(ZoneRule.parseOffset("+09:00x") == nil)
        let ny = try #require(ZoneRule(name: "America/New_York"))
        #expect(ny.identifier == "America/New_York")
        #expect(!ny.isFixed)
        #expect(ny.offset(atUTC: 1_704_067_200) == -18_000)  // 2024-01-01
        #expect(ny.offset(atUTC: 1_719_792_000) == -14_400)  // 2024-07-01
        #expect(ny.offset(atUTC: -2_208_988_800) == -18_000)  // 1900
        #expect(ny.offset(atUTC: 4_118_083_200) == -14_400)  // 2100-07-01
        #expect(ny.offset(atUTC: 9_009_360_000) == -14_400)  // 2255-07-01
        #expect(ny.offset(atUTC: -3_000_000_000) == -17_762)  // 1874, local mean time
        let tokyo = try #require(ZoneRule(name: "Asia/Tokyo"))
        #expect(tokyo.offset(atUTC: 0) == 32_400)
    }

    @Test func transitionTablesAreSharedAndCoverTheRange() throws {
        let a = try #require(ZoneTransitions.shared("Europe/Berlin"))
        let b = try #require(ZoneTransitions.shared("Europe/Berlin"))
        #expect(a === b)
        #expect(a.transitions.count > 400)  // every spring and autumn until 2262
        #expect(a.transitions == a.transitions.sorted())
        #expect(a.offsets.count == a.transitions.count + 1)
        #expect(ZoneTransitions.shared("JST") == nil)  // abbreviations go through the explicit table
    }

    static let dstCases: [DSTCase] = [
        // America/New_York, spring forward 2024-03-10 02:00 EST → 03:00 EDT (07:00Z).
        .init(zone: "America/New_York", local: "2024-03-10 02:30:00", policy: .earlier, expected: "2024-03-10T07:30:00Z"),
        .init(zone: "America/New_York", local: "2024-03-10 02:30:00", policy: .later, expected: "2024-03-10T06:30:00Z"),
        .init(zone: "America/New_York", local: "2024-03-10 02:30:00", policy: .error, expected: nil),
        .init(zone: "America/New_York", local: "2024-03-10 01:59:59", policy: .error, expected: "2024-03-10T06:59:59Z"),
        .init(zone: "America/New_York", local: "2024-03-10 03:00:00", policy: .error, expected: "2024-03-10T07:00:00Z"),
        // Fall back 2024-11-03 02:00 EDT → 01:00 EST (06:00Z): 01:00–01:59 happen twice.
        .init(zone: "America/New_York", local: "2024-11-03 01:30:00", policy: .earlier, expected: "2024-11-03T05:30:00Z"),
        .init(zone: "America/New_York", local: "2024-11-03 01:30:00", policy: .later, expected: "2024-11-03T06:30:00Z"),
        .init(zone: "America/New_York", local: "2024-11-03 01:30:00", policy: .error, expected: nil),
        .init(zone: "America/New_York", local: "2024-11-03 00:59:59", policy: .error, expected: "2024-11-03T04:59:59Z"),
        .init(zone: "America/New_York", local: "2024-11-03 02:00:00", policy: .error, expected: "2024-11-03T07:00:00Z"),
        // Europe/Berlin, spring forward 2024-03-31 02:00 CET → 03:00 CEST (01:00Z).
        .init(zone: "Europe/Berlin", local: "2024-03-31 02:30:00", policy: .earlier, expected: "2024-03-31T01:30:00Z"),
        .init(zone: "Europe/Berlin", local: "2024-03-31 02:30:00", policy: .later, expected: "2024-03-31T00:30:00Z"),
        .init(zone: "Europe/Berlin", local: "2024-03-31 02:30:00", policy: .error, expected: nil),
        // Fall back 2024-10-27 03:00 CEST → 02:00 CET (01:00Z).
        .init(zone: "Europe/Berlin", local: "2024-10-27 02:30:00", policy: .earlier, expected: "2024-10-27T00:30:00Z"),
        .init(zone: "Europe/Berlin", local: "2024-10-27 02:30:00", policy: .later, expected: "2024-10-27T01:30:00Z"),
        .init(zone: "Europe/Berlin", local: "2024-10-27 02:30:00", policy: .error, expected: nil),
        // Far from the epoch: the rules still apply in 2100 and 1950.
        .init(zone: "America/New_York", local: "2100-03-14 02:30:00", policy: .earlier, expected: "2100-03-14T07:30:00Z"),
        .init(zone: "America/New_York", local: "2100-11-07 01:30:00", policy: .later, expected: "2100-11-07T06:30:00Z"),
        .init(zone: "Europe/Berlin", local: "2200-10-26 02:30:00", policy: .earlier, expected: "2200-10-26T00:30:00Z"),
        .init(zone: "America/New_York", local: "1950-04-30 02:30:00", policy: .error, expected: nil),
    ]

    @Test(arguments: dstCases)
    func dstPolicy(_ c: DSTCase) throws {
        // Both the fast path and the interpreter.
        for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%N %z", "%Y-%m-%d %H:%M:%S "] {
            if let expected = c.expected {
                #expect(try parsedISO(format, c.local, zone: c.zone, policy: c.policy) == expected, "\(format)")
            } else {
                let m = parseFailure(format, c.local, zone: c.zone, policy: c.policy)
                #expect(m.contains("dst_policy: earlier or later"), "\(format): \(m)")
                #expect(m.contains(c.zone))
            }
        }
    }

    /// The table gives Foundation's offset at every transition (both sides) and between them, for zones with
    /// unusual rules: half-hour DST, a negative DST (Dublin), local mean time with seconds.
    @Test(arguments: ["Australia/Lord_Howe", "Europe/Dublin", "Africa/Casablanca", "Asia/Kolkata", "America/Sao_Paulo"])
    func tableMatchesFoundation(_ name: String) throws {
        let table = try #require(ZoneTransitions.shared(name))
        let tz = try #require(TimeZone(identifier: name))
        for t in table.transitions {
            for d: Int64 in [-1, 0, 86_400 * 10] {
                #expect(table.offset(atUTC: t + d) == tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t + d))))
            }
        }
    }

    @Test func dstErrorsSayWhichKind() {
        let gap = parseFailure("%F %T", "2024-03-10 02:30:00", zone: "America/New_York", policy: .error)
        #expect(gap.contains("does not exist") && gap.contains("2024-03-10T07:00:00Z"))
        let overlap = parseFailure("%F %T", "2024-11-03 01:30:00", zone: "America/New_York", policy: .error)
        #expect(overlap.contains("occurs twice") && overlap.contains("2024-11-03T06:00:00Z"))
    }

    @Test func zoneInTextIsNotSubjectToPolicyWhenItIsAnOffset() throws {
        #expect(
            try parsedISO("%F %T %z", "2024-03-10 02:30:00 -05:00", zone: "America/New_York", policy: .error)
                == "2024-03-10T07:30:00Z")
        #expect(
            parseFailure("%F %T %Z", "2024-03-10 02:30:00 America/New_York", policy: .error).contains("does not exist"))
    }

    @Test func dstPolicyDecodesFromConfigStrings() {
        #expect(DSTPolicy(rawValue: "earlier") == .earlier)
        #expect(DSTPolicy(rawValue: "later") == .later)
        #expect(DSTPolicy(rawValue: "error") == .error)
        #expect(DSTPolicy.allCases.count == 3)
    }

    @Test func manyParsesInOneZoneAgreeWithFoundationOffsets() throws {
        // Every day at noon from 1960 to 2060 in New York: the offset is -5h or -4h, and matches the table.
        let p = try TimestampParser(format: "%Y-%m-%d %H:%M:%S", defaultZone: "America/New_York")
        let ny = try #require(ZoneRule(name: "America/New_York"))
        let foundation = try #require(TimeZone(identifier: "America/New_York"))
        var day = daysFromCivil(1960, 1, 1)
        var summer = 0
        while day < daysFromCivil(2060, 1, 1) {
            let c = CivilTime(epochSeconds: day * 86_400 + 12 * 3600)
            var text: [UInt8] = []
            c.appendDate(to: &text)
            text.append(32)
            c.appendTime(to: &text)
            let nanos = try text.withUnsafeBytes { try p.parse($0) }
            let utc = nanos / 1_000_000_000
            let offset = Int(c.epochSeconds - utc)
            #expect(offset == ny.offset(atUTC: utc))
            #expect(offset == foundation.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utc))))
            #expect(offset == -18_000 || offset == -14_400)
            if offset == -14_400 { summer += 1 }
            day += 1
        }
        #expect(summer > 100 * 150)
    }
}
