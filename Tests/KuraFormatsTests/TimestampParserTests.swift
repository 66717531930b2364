import Testing

@testable import KuraCore
@testable import KuraFormats
import KuraTestSupport

/// Parses `text` and returns the instant as ISO 8601 in UTC.
func parsedISO(
    _ format: String, _ text: String, zone: String = "UTC", date: String = "1970-01-01", policy: DSTPolicy = .earlier
) throws -> String {
    let p = try TimestampParser(format: format, defaultZone: zone, defaultDate: date, dstPolicy: policy)
    return try p.timestamp(text).iso8601
}

/// The error message for `text`, or a note that it parsed.
func parseFailure(_ format: String, _ text: String, zone: String = "UTC", policy: DSTPolicy = .earlier) -> String {
    do {
        let p = try TimestampParser(format: format, defaultZone: zone, dstPolicy: policy)
        return "parsed as \(try p.timestamp(text).iso8601)"
    } catch {
        return "\(error)"
    }
}

struct DirectiveCase: CustomTestStringConvertible, Sendable {
    var format: String
    var text: String
    var expected: String
    var testDescription: String { "\(format) ← \(text)" }
}

@Suite struct TimestampParserTests {
    static let directiveCases: [DirectiveCase] = [
        .init(format: "%Y-%m-%d", text: "2024-02-29", expected: "2024-02-29T00:00:00Z"),
        .init(format: "%Y-%m-%d", text: "+2024-02-29", expected: "2024-02-29T00:00:00Z"),
        .init(format: "%Y%m%d", text: "20240229", expected: "2024-02-29T00:00:00Z"),
        .init(format: "%Y/%m/%d", text: "2024/2/9", expected: "2024-02-09T00:00:00Z"),
        .init(format: "%C%y-%m-%d", text: "1999-12-31", expected: "1999-12-31T00:00:00Z"),
        .init(format: "%y-%m-%d", text: "69-01-01", expected: "1969-01-01T00:00:00Z"),
        .init(format: "%y-%m-%d", text: "99-01-01", expected: "1999-01-01T00:00:00Z"),
        .init(format: "%y-%m-%d", text: "00-01-01", expected: "2000-01-01T00:00:00Z"),
        .init(format: "%y-%m-%d", text: "68-12-31", expected: "2068-12-31T00:00:00Z"),
        .init(format: "%Y-%m-%e", text: "2024-03- 5", expected: "2024-03-05T00:00:00Z"),
        .init(format: "%e/%m/%Y", text: " 5/03/2024", expected: "2024-03-05T00:00:00Z"),
        .init(format: "%Y-%j", text: "2024-060", expected: "2024-02-29T00:00:00Z"),
        .init(format: "%Y %j", text: "2023 365", expected: "2023-12-31T00:00:00Z"),
        .init(format: "%Y-%m-%d %H:%M:%S", text: "2024-01-02 03:04:05", expected: "2024-01-02T03:04:05Z"),
        .init(format: "%Y-%m-%d %k:%M", text: "2024-01-02  3:04", expected: "2024-01-02T03:04:00Z"),
        .init(format: "%Y-%m-%d %I:%M %p", text: "2024-01-02 12:30 AM", expected: "2024-01-02T00:30:00Z"),
        .init(format: "%Y-%m-%d %I:%M %p", text: "2024-01-02 12:30 pm", expected: "2024-01-02T12:30:00Z"),
        .init(format: "%Y-%m-%d %I:%M %P", text: "2024-01-02 01:30 p.m.", expected: "2024-01-02T13:30:00Z"),
        .init(format: "%Y-%m-%d %l:%M%p", text: "2024-01-02  9:30Pm", expected: "2024-01-02T21:30:00Z"),
        .init(format: "%Y-%m-%d %I:%M", text: "2024-01-02 12:30", expected: "2024-01-02T12:30:00Z"),
        .init(format: "%Y-%m-%d %T", text: "2016-12-31 23:59:60", expected: "2017-01-01T00:00:00Z"),
        .init(format: "%F %T.%N", text: "2024-01-02 03:04:05.5", expected: "2024-01-02T03:04:05.5Z"),
        .init(format: "%F %T.%N", text: "2024-01-02 03:04:05.123456789", expected: "2024-01-02T03:04:05.123456789Z"),
        .init(format: "%F %T.%N", text: "2024-01-02 03:04:05.1234567891234", expected: "2024-01-02T03:04:05.123456789Z"),
        .init(format: "%F %T.%3N", text: "2024-01-02 03:04:05.12", expected: "2024-01-02T03:04:05.12Z"),
        .init(format: "%F %T.%3N%z", text: "2024-01-02 03:04:05.123+01:00", expected: "2024-01-02T02:04:05.123Z"),
        .init(format: "%F %T.%6N", text: "2024-01-02 03:04:05.000001", expected: "2024-01-02T03:04:05.000001Z"),
        .init(format: "%F %T.%9N", text: "2024-01-02 03:04:05.000000001", expected: "2024-01-02T03:04:05.000000001Z"),
        .init(format: "%Y%m%d%H%M%S%N", text: "20240102030405123", expected: "2024-01-02T03:04:05.123Z"),
        .init(format: "%F %T.%L", text: "2024-01-02 03:04:05.7", expected: "2024-01-02T03:04:05.7Z"),
        .init(format: "%H%M%S%L", text: "030405123", expected: "1970-01-01T03:04:05.123Z"),
        .init(format: "%F %T %z", text: "2024-01-02 09:00:00 +09:00", expected: "2024-01-02T00:00:00Z"),
        .init(format: "%F %T %z", text: "2024-01-02 09:00:00 +0900", expected: "2024-01-02T00:00:00Z"),
        .init(format: "%F %T %z", text: "2024-01-02 09:00:00 +09", expected: "2024-01-02T00:00:00Z"),
        .init(format: "%F %T %z", text: "2024-01-02 00:00:00 -05:30", expected: "2024-01-02T05:30:00Z"),
        .init(format: "%F %T %z", text: "2024-01-02 09:00:00 Z", expected: "2024-01-02T09:00:00Z"),
        .init(format: "%F %T %z", text: "2024-01-02 09:00:00 UTC", expected: "2024-01-02T09:00:00Z"),
        .init(format: "%F %T %z", text: "2024-01-02 09:00:00 GMT", expected: "2024-01-02T09:00:00Z"),
        .init(format: "%F %T %z", text: "2024-01-02 09:00:00 GMT+9", expected: "2024-01-02T00:00:00Z"),
        .init(format: "%F %T %z", text: "2024-01-02 09:00:00 UTC-05:00", expected: "2024-01-02T14:00:00Z"),
        .init(format: "%F %T%z", text: "2024-01-02 09:00:00+09:00", expected: "2024-01-02T00:00:00Z"),
        .init(format: "%F %T %Z", text: "2024-01-02 09:00:00 JST", expected: "2024-01-02T00:00:00Z"),
        .init(format: "%F %T %Z", text: "2024-01-02 09:00:00 jst", expected: "2024-01-02T00:00:00Z"),
        .init(format: "%F %T %Z", text: "2024-01-02 09:00:00 Asia/Tokyo", expected: "2024-01-02T00:00:00Z"),
        .init(format: "%F %T %Z", text: "2024-07-01 12:00:00 America/New_York", expected: "2024-07-01T16:00:00Z"),
        .init(format: "%F %T %Z", text: "2024-01-02 12:00:00 America/Argentina/Buenos_Aires", expected: "2024-01-02T15:00:00Z"),
        .init(format: "%s", text: "1704067200", expected: "2024-01-01T00:00:00Z"),
        .init(format: "%s", text: "-1", expected: "1969-12-31T23:59:59Z"),
        .init(format: "%s.%N", text: "1704067200.25", expected: "2024-01-01T00:00:00.25Z"),
        .init(format: "%s.%N", text: "-1.5", expected: "1969-12-31T23:59:58.5Z"),
        .init(format: "%s %z", text: "0 +09:00", expected: "1970-01-01T00:00:00Z"),
        .init(format: "%Q", text: "1704067200123", expected: "2024-01-01T00:00:00.123Z"),
        .init(format: "%Q", text: "-1", expected: "1969-12-31T23:59:59.999Z"),
        .init(format: "%d %b %Y", text: "05 Mar 2024", expected: "2024-03-05T00:00:00Z"),
        .init(format: "%d %b %Y", text: "05 MARCH 2024", expected: "2024-03-05T00:00:00Z"),
        .init(format: "%d %h %Y", text: "05 sep 2024", expected: "2024-09-05T00:00:00Z"),
        .init(format: "%B %d, %Y", text: "September 5, 2024", expected: "2024-09-05T00:00:00Z"),
        .init(format: "%a, %d %b %Y %T %z", text: "Thu, 05 Sep 2024 10:00:00 +0000", expected: "2024-09-05T10:00:00Z"),
        .init(format: "%A %d %b %Y", text: "monday 05 Sep 2024", expected: "2024-09-05T00:00:00Z"),
        .init(format: "%R", text: "13:45", expected: "1970-01-01T13:45:00Z"),
        .init(format: "%D", text: "03/05/24", expected: "2024-03-05T00:00:00Z"),
        .init(format: "%Y%%%m", text: "2024%03", expected: "2024-03-01T00:00:00Z"),
        .init(format: "%Y%n%m%t%d", text: "2024 \t03\n\n05", expected: "2024-03-05T00:00:00Z"),
        .init(format: "%Y %m %d", text: "2024 \t 03    05", expected: "2024-03-05T00:00:00Z"),
        .init(format: "Date: %Y-%m-%d!", text: "Date: 2024-03-05!", expected: "2024-03-05T00:00:00Z"),
        .init(format: "%-m/%-d/%Y", text: "3/5/2024", expected: "2024-03-05T00:00:00Z"),
        .init(format: "%Y", text: "2024", expected: "2024-01-01T00:00:00Z"),
        .init(format: "%Y-%m", text: "2024-07", expected: "2024-07-01T00:00:00Z"),
        .init(format: "%H:%M", text: "07:08", expected: "1970-01-01T07:08:00Z"),
        .init(format: "%Y-%m-%dT%H:%M:%SZ", text: "2024-01-02T03:04:05Z", expected: "2024-01-02T03:04:05Z"),
    ]

    @Test(arguments: directiveCases)
    func directive(_ c: DirectiveCase) throws {
        #expect(try parsedISO(c.format, c.text) == c.expected)
    }

    @Test func namedEpochFormats() throws {
        #expect(try parsedISO("epoch", "1704067200") == "2024-01-01T00:00:00Z")
        #expect(try parsedISO("epoch", "-86400") == "1969-12-31T00:00:00Z")
        #expect(try parsedISO("epoch_millis", "-1") == "1969-12-31T23:59:59.999Z")
        #expect(try parsedISO("epoch_micros", "1704067200000001") == "2024-01-01T00:00:00.000001Z")
        #expect(try parsedISO("epoch_nanos", "\(Int64.max)") == "2262-04-11T23:47:16.854775807Z")
        #expect(try parsedISO("epoch_nanos", "\(Int64.min)") == "1677-09-21T00:12:43.145224192Z")
        #expect(parseFailure("epoch", "9223372036854775807").contains("out of range"))
        #expect(parseFailure("epoch", "12.5").contains("expected an integer"))
        #expect(parseFailure("epoch_millis", "").contains("expected an integer"))
    }

    @Test func defaultDateFillsMissingParts() throws {
        #expect(try parsedISO("%H:%M:%S", "10:00:00", date: "2024-05-06") == "2024-05-06T10:00:00Z")
        #expect(try parsedISO("%d %H", "09 10", date: "2024-05-06") == "2024-05-09T10:00:00Z")
        #expect(try parsedISO("%m-%d", "02-29", date: "2024-05-06") == "2024-02-29T00:00:00Z")
        #expect(try parsedISO("%Y", "2000", date: "2024-05-06") == "2000-01-01T00:00:00Z")
        #expect(throws: TimestampError.self) { try TimestampParser(format: "%Y", defaultDate: "2024-02-30") }
        #expect(throws: TimestampError.self) { try TimestampParser(format: "%Y", defaultDate: "yesterday") }
    }

    @Test func defaultZoneAppliesWhenTextHasNone() throws {
        #expect(try parsedISO("%F %T", "2024-01-02 09:00:00", zone: "Asia/Tokyo") == "2024-01-02T00:00:00Z")
        #expect(try parsedISO("%F %T", "2024-01-02 09:00:00", zone: "+09:00") == "2024-01-02T00:00:00Z")
        #expect(try parsedISO("%F %T", "2024-07-02 08:00:00", zone: "America/New_York") == "2024-07-02T12:00:00Z")
        // A zone in the text wins.
        #expect(try parsedISO("%F %T %z", "2024-01-02 09:00:00 +00:00", zone: "Asia/Tokyo") == "2024-01-02T09:00:00Z")
        #expect(try parsedISO("%F %T %Z", "2024-01-02 09:00:00 Europe/Berlin", zone: "Asia/Tokyo") == "2024-01-02T08:00:00Z")
        // A literal `Z` in the format is only text: the default zone applies.
        #expect(try parsedISO("%Y-%m-%dT%H:%M:%SZ", "2024-01-02T09:00:00Z", zone: "Asia/Tokyo") == "2024-01-02T00:00:00Z")
    }

    @Test func defaultFormatLeniency() throws {
        let f = TimestampParser.defaultFormat
        #expect(try parsedISO(f, "2024-01-01 00:00:00.123456 +09:00") == "2023-12-31T15:00:00.123456Z")
        #expect(try parsedISO(f, "2024-01-01 00:00:00") == "2024-01-01T00:00:00Z")
        #expect(try parsedISO(f, "2024-01-01 00:00:00", zone: "Asia/Tokyo") == "2023-12-31T15:00:00Z")
        #expect(try parsedISO(f, "2024-01-01 00:00:00.5") == "2024-01-01T00:00:00.5Z")
        #expect(try parsedISO(f, "2024-01-01 00:00:00 +0100") == "2023-12-31T23:00:00Z")
        #expect(try parsedISO(f, "2024-01-01 00:00:00 UTC") == "2024-01-01T00:00:00Z")
        #expect(try parsedISO(f, "2024-01-01T00:00:00Z") == "2024-01-01T00:00:00Z")
        #expect(try parsedISO(f, "2024-01-01T00:00:00.1Z") == "2024-01-01T00:00:00.1Z")
        #expect(try parsedISO(f, "2024-01-01T00:00:00.123456789123-05:00") == "2024-01-01T05:00:00.123456789Z")
        #expect(try parsedISO(f, "2024-01-01T12:00:00+09:00") == "2024-01-01T03:00:00Z")
        #expect(try parsedISO(f, "2024-01-01T12:00:00 Asia/Tokyo") == "2024-01-01T03:00:00Z")
        #expect(try parsedISO(f, "2024-1-1 0:00:00") == "2024-01-01T00:00:00Z")  // Ruby's 1–2 digit fields
        #expect(try parsedISO(f, "1969-12-31T23:59:59.5Z") == "1969-12-31T23:59:59.5Z")
        let p = try TimestampParser(format: f)
        #expect(try p.parse("1969-12-31T23:59:59.5Z") == -500_000_000)
        // Still strict about what is left.
        #expect(parseFailure(f, "2024-01-01").contains("cannot parse '2024-01-01'"))
        #expect(parseFailure(f, "2024-01-01 00:00:00 +09:00 extra").contains("unexpected text"))
        #expect(parseFailure(f, "2024-01-01 00:00:00.").contains("fraction-of-second digits"))
        #expect(parseFailure(f, "2024-13-01 00:00:00").contains("month 13 is out of range (1–12)"))
        #expect(parseFailure(f, "2024-01-01 00:00:00 +09:00 x").contains("also accepts the text without the fraction"))
    }

    @Test func otherFormatsAreNotLenient() {
        #expect(parseFailure("%Y-%m-%d %H:%M:%S.%N %z", "2024-01-01 00:00:00").hasPrefix("parsed"))
        #expect(parseFailure("%Y-%m-%d %H:%M:%S.%N", "2024-01-01 00:00:00").contains("expected '.'"))
        #expect(parseFailure("%Y-%m-%d %H:%M:%S", "2024-01-01T00:00:00").contains("cannot parse"))
        #expect(parseFailure("%Y-%m-%d %H:%M:%S", "2024-01-01 00:00:00Z").contains("unexpected text 'Z'"))
    }

    @Test func outOfRangeFieldsNameTheField() {
        #expect(parseFailure("%Y-%m-%d", "2024-13-01").contains("month 13 is out of range (1–12)"))
        #expect(parseFailure("%Y-%m-%d", "2024-00-01").contains("month 0 is out of range"))
        #expect(parseFailure("%Y-%m-%d", "2023-02-29").contains("day 29 is out of range for 2023-02 (1–28)"))
        #expect(parseFailure("%Y-%m-%d", "2024-02-30").contains("day 30 is out of range for 2024-02 (1–29)"))
        #expect(parseFailure("%Y-%m-%d", "2024-04-31").contains("day 31 is out of range for 2024-04"))
        #expect(parseFailure("%F %T", "2024-01-01 25:00:00").contains("hour 25 is out of range (0–23)"))
        #expect(parseFailure("%F %T", "2024-01-01 24:00:00").contains("hour 24 is out of range"))
        #expect(parseFailure("%F %T", "2024-01-01 23:60:00").contains("minute 60 is out of range (0–59)"))
        #expect(parseFailure("%F %T", "2024-01-01 23:59:61").contains("second 61 is out of range (0–60)"))
        #expect(parseFailure("%F %I:%M %p", "2024-01-01 13:00 PM").contains("hour (12-hour clock) 13"))
        #expect(parseFailure("%Y-%j", "2023-366").contains("day of the year 366 is out of range for 2023 (1–365)"))
        #expect(parseFailure("%Y-%m-%d", "2263-01-01").contains("out of range (years 1677 to 2262)"))
        #expect(parseFailure("%Y-%m-%d", "1677-01-01").contains("out of range (years 1677 to 2262)"))
        #expect(parseFailure("%Y-%m-%d", "999999999-01-01").contains("out of range"))
    }

    @Test func mismatchMessagesSayWhereAndWhat() {
        let m = parseFailure("%Y-%m-%d", "2024/01/01")
        #expect(m == "cannot parse '2024/01/01' with format '%Y-%m-%d': expected '-' at position 5 but found '/01/01'")
        #expect(parseFailure("%Y-%m-%d", "2024-01").contains("expected '-' at position 8 but the text ended"))
        #expect(parseFailure("%Y-%m-%d", "").contains("expected a year at position 1"))
        #expect(parseFailure("%d %b %Y", "05 Foo 2024").contains("expected a month name at position 4"))
        #expect(parseFailure("%I %p", "05 XM").contains("expected AM or PM"))
        #expect(parseFailure("%F %T %z", "2024-01-01 00:00:00 +9:00").contains("UTC offset"))
        #expect(parseFailure("%F %T %z", "2024-01-01 00:00:00 ").contains("expected a time zone"))
        #expect(parseFailure("%F %T %Z", "2024-01-01 00:00:00 Mars/Olympus").contains("unknown time zone 'Mars/Olympus'"))
        #expect(parseFailure("%Y", "2024 and more").contains("unexpected text ' and more'"))
    }

    @Test func unknownDirectivesFailAtConstruction() {
        for format in ["%Y-%q", "%E", "%Y-%m-%", "%5"] {
            #expect {
                try TimestampParser(format: format)
            } throws: { error in
                let m = "\(error)"
                return m.contains("format '\(format)'") && (m.contains("unknown directive") || m.contains("incomplete"))
            }
        }
        #expect(throws: TimestampError.self) { try TimestampParser(format: "%Y", defaultZone: "Mars/Olympus") }
        #expect(throws: TimestampError.self) { try TimestampParser(format: "%Y", defaultZone: "CST") }
    }

    /// Found by fuzz-timestamp: a directive width of 20+ digits overflowed while the format was compiled.
    @Test func hugeDirectiveWidthIsAnErrorNotATrap() throws {
        for format in ["%Y%Y-%888888888888888888888", "%99999999999999999999999N", "%100Y"] {
            #expect {
                try TimestampParser(format: format)
            } throws: { error in
                "\(error)".contains("width over 99")
            }
        }
        #expect(try parsedISO("%Y-%m-%d %H:%M:%S.%99N", "2024-01-01 00:00:00.5") == "2024-01-01T00:00:00.5Z")
    }

    @Test func datesFarFromTheEpoch() throws {
        #expect(try TimestampParser(format: "%F %T").parse("1900-01-01 00:00:00") == -2_208_988_800 * 1_000_000_000)
        #expect(try TimestampParser(format: "%F %T").parse("2100-01-01 00:00:00") == 4_102_444_800 * 1_000_000_000)
        #expect(try parsedISO("%F %T.%N", "2262-04-11 23:47:16.854775807") == "2262-04-11T23:47:16.854775807Z")
        #expect(parseFailure("%F %T.%N", "2262-04-11 23:47:16.854775808").contains("out of range"))
        #expect(try parsedISO("%F %T.%N", "1677-09-21 00:12:43.145224192") == "1677-09-21T00:12:43.145224192Z")
        #expect(try parsedISO("%F %T", "1969-12-31 23:59:59") == "1969-12-31T23:59:59Z")
        #expect(try parsedISO("%F %T", "1900-01-01 00:00:00", zone: "America/New_York") == "1900-01-01T05:00:00Z")
        #expect(try parsedISO("%F %T", "1900-01-01 00:00:00", zone: "Asia/Tokyo") == "1899-12-31T15:00:00Z")
        #expect(try parsedISO("%F %T", "2100-07-01 12:00:00", zone: "America/New_York") == "2100-07-01T16:00:00Z")
        #expect(try parsedISO("%F %T", "2100-01-01 12:00:00", zone: "America/New_York") == "2100-01-01T17:00:00Z")
        #expect(try parsedISO("%F %T", "2200-07-01 12:00:00", zone: "Europe/Berlin") == "2200-07-01T10:00:00Z")
        #expect(try parsedISO("%F %T", "2262-04-11 00:00:00", zone: "Asia/Tokyo") == "2262-04-10T15:00:00Z")
        // Leap years: 1900 is not one, 2000 is.
        #expect(parseFailure("%Y-%m-%d", "1900-02-29").contains("day 29 is out of range"))
        #expect(try parsedISO("%Y-%m-%d", "2000-02-29") == "2000-02-29T00:00:00Z")
    }

    /// The fast path must agree with the general interpreter wherever it answers.
    @Test func fastPathAgreesWithInterpreter() throws {
        let formats = [
            TimestampParser.defaultFormat, "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%N",
            "%Y-%m-%dT%H:%M:%S.%N%z", "%Y-%m-%d %H:%M:%S %z",
        ]
        let texts = [
            "2024-01-01 00:00:00", "2024-01-01T00:00:00Z", "2024-01-01 00:00:00.5", "2024-02-29T23:59:60.999+09:00",
            "2023-02-29 00:00:00", "2024-01-01 00:00:00 +0900", "2024-01-01T00:00:00.123456789123Z",
            "2024-01-01 00:00:00  Asia/Tokyo", "1969-12-31T23:59:59.5Z", "2024-03-10 02:30:00", "2024-11-03 01:30:00",
            "2024-01-01 00:00:00.", "2024-01-01 24:00:00", "2024-01-01 00:00:00 PST", "2024-01-01 00:00:00 CST",
            "9999-12-31 00:00:00", "2024-01-01T00:00:00z",
        ]
        for zone in ["UTC", "America/New_York", "+05:30"] {
            for format in formats {
                let p = try TimestampParser(format: format, defaultZone: zone)
                #expect(p.fast != nil, "no fast path for \(format)")
                for text in texts {
                    var t = text
                    let fast: Int64? = t.withUTF8 { p.parseFast(UnsafeRawBufferPointer($0), p.fast!) }
                    guard let fast else { continue }
                    let general = try t.withUTF8 { try p.parseGeneral(UnsafeRawBufferPointer($0)) }
                    #expect(fast == general, "\(format) ← \(text) in \(zone)")
                }
            }
        }
        #expect(try TimestampParser(format: "%Y-%m-%d %H:%M").fast == nil)
        // Random instants written in the fast shapes.
        var rng = SplitMix(seed: 11)
        for (format, strict, zone) in [
            ("%Y-%m-%d %H:%M:%S.%N %:z", "%Y-%m-%d %H:%M:%S.%N %z", "America/New_York"),
            ("%Y-%m-%dT%H:%M:%S.%6N%z", "%Y-%m-%dT%H:%M:%S.%N%z", "Asia/Kolkata"),
            ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "Europe/Berlin"),
        ] {
            let formatter = try TimestampFormatter(format: format, zone: zone)
            for parserFormat in [TimestampParser.defaultFormat, strict] {
                let p = try TimestampParser(format: parserFormat, defaultZone: zone)
                #expect(p.fast != nil)
                for _ in 0..<300 {
                    var text = formatter.string(nanos: Int64(bitPattern: rng.next()) / 2)
                    let fast: Int64? = text.withUTF8 { p.parseFast(UnsafeRawBufferPointer($0), p.fast!) }
                    let general = try text.withUTF8 { try p.parseGeneral(UnsafeRawBufferPointer($0)) }
                    #expect(fast != nil, "\(parserFormat) ← \(text)")
                    #expect(fast == general, "\(parserFormat) ← \(text)")
                }
            }
        }
    }

    @Test func parsesFromByteBuffers() throws {
        let p = try TimestampParser(format: "%Y-%m-%d %H:%M:%S", defaultZone: "Asia/Tokyo")
        let line = Array("x,2024-01-01 09:00:00,y".utf8)
        let v = try line.withUnsafeBytes { try p.parse(UnsafeRawBufferPointer(rebasing: $0[2..<21])) }
        #expect(v == 1_704_067_200 * 1_000_000_000)
    }
}
