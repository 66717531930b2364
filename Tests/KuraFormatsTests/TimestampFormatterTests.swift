import Testing

@testable import KuraCore
@testable import KuraFormats
import KuraTestSupport

@Suite struct TimestampFormatterTests {
    /// 2024-03-05T06:07:08.123456789Z, a Tuesday.
    static let sample: Int64 = 1_709_618_828_123_456_789

    func formatted(_ format: String, _ nanos: Int64 = sample, zone: String = "UTC") throws -> String {
        try TimestampFormatter(format: format, zone: zone).string(nanos: nanos)
    }

    @Test(arguments: [
        ("%Y", "2024"), ("%C", "20"), ("%y", "24"), ("%m", "03"), ("%d", "05"), ("%e", " 5"), ("%j", "065"),
        ("%H", "06"), ("%k", " 6"), ("%I", "06"), ("%l", " 6"), ("%p", "AM"), ("%P", "am"), ("%M", "07"),
        ("%S", "08"), ("%N", "123456789"), ("%3N", "123"), ("%6N", "123456"), ("%9N", "123456789"), ("%L", "123"),
        ("%z", "+0000"), ("%:z", "+00:00"), ("%Z", "UTC"), ("%s", "1709618828"), ("%Q", "1709618828123"),
        ("%b", "Mar"), ("%h", "Mar"), ("%B", "March"), ("%a", "Tue"), ("%A", "Tuesday"), ("%T", "06:07:08"),
        ("%R", "06:07"), ("%F", "2024-03-05"), ("%D", "03/05/24"), ("%%", "%"), ("%n", "\n"), ("%t", "\t"),
        ("at %H o'clock", "at 06 o'clock"),
    ])
    func directive(_ format: String, _ expected: String) throws {
        #expect(try formatted(format) == expected)
    }

    @Test func defaultFormatIsEmbulks() throws {
        let f = try TimestampFormatter()
        #expect(TimestampFormatter.defaultFormat == "%Y-%m-%d %H:%M:%S.%6N %z")
        #expect(f.string(nanos: Self.sample) == "2024-03-05 06:07:08.123456 +0000")
        #expect(f.string(nanos: 0) == "1970-01-01 00:00:00.000000 +0000")
    }

    @Test func zones() throws {
        #expect(try formatted("%F %T %z %Z", zone: "Asia/Tokyo") == "2024-03-05 15:07:08 +0900 Asia/Tokyo")
        #expect(try formatted("%F %T %:z", zone: "+05:30") == "2024-03-05 11:37:08 +05:30")
        #expect(try formatted("%Z", zone: "+05:30") == "+05:30")
        #expect(try formatted("%Z", zone: "Z") == "UTC")
        #expect(try formatted("%F %T %z", zone: "-0330") == "2024-03-05 02:37:08 -0330")
        // New York: EST in winter, EDT in summer, also in 2100 and before 1970.
        let ny = try TimestampFormatter(format: "%F %T %:z", zone: "America/New_York")
        #expect(ny.string(nanos: 1_704_067_200 * 1_000_000_000) == "2023-12-31 19:00:00 -05:00")
        #expect(ny.string(nanos: 1_719_835_200 * 1_000_000_000) == "2024-07-01 08:00:00 -04:00")
        #expect(ny.string(nanos: 4_118_083_200 * 1_000_000_000) == "2100-06-30 20:00:00 -04:00")
        #expect(ny.string(nanos: -2_208_988_800 * 1_000_000_000) == "1899-12-31 19:00:00 -05:00")
        // Local mean time before 1883 has seconds in the offset.
        #expect(ny.string(nanos: -3_000_000_000 * 1_000_000_000).hasSuffix("-04:56:02"))
    }

    @Test func beforeTheEpochAndAtTheEnds() throws {
        #expect(try formatted("%F %T.%N", -500_000_000) == "1969-12-31 23:59:59.500000000")
        #expect(try formatted("%s %Q", -500_000_000) == "-1 -500")
        #expect(try formatted("%s %Q", -1) == "-1 -1")
        #expect(try formatted("%F %T.%N", Int64.max) == "2262-04-11 23:47:16.854775807")
        #expect(try formatted("%F %T.%N", Int64.min) == "1677-09-21 00:12:43.145224192")
        #expect(try formatted("%s", Int64.min) == "-9223372037")
        #expect(try formatted("%Q", Int64.min) == "-9223372036855")
        #expect(try formatted("%F %a", -2_208_988_800 * 1_000_000_000) == "1900-01-01 Mon")
        #expect(try formatted("%y %C", -2_208_988_800 * 1_000_000_000) == "00 19")
        #expect(try formatted("%I %p %l %P", 13 * 3_600_000_000_000) == "01 PM  1 pm")
        #expect(try formatted("%I %p", 0) == "12 AM")
        #expect(try formatted("%I %p", 12 * 3_600_000_000_000) == "12 PM")
    }

    @Test func unknownDirectivesFailAtConstruction() {
        for format in ["%q", "%E", "%", "%:Y", "%10N", "%0N", "%3Y"] {
            #expect {
                try TimestampFormatter(format: format)
            } throws: { error in
                let m = "\(error)"
                return m.contains("format '\(format)'") && (m.contains("unknown directive") || m.contains("incomplete"))
            }
        }
        #expect(throws: TimestampError.self) { try TimestampFormatter(zone: "Nowhere/Special") }
        #expect(throws: TimestampError.self) { try TimestampFormatter(zone: "IST") }
    }

    @Test func appendsToTheBuffer() throws {
        let f = try TimestampFormatter(format: "%F", zone: "UTC")
        var out = Array("d=".utf8)
        f.format(nanos: 0, into: &out)
        out.append(UInt8(ascii: ";"))
        f.format(nanos: 86_400_000_000_000, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "d=1970-01-01;1970-01-02")
    }

    /// Formatting then parsing with the matching format gives back the instant.
    @Test(arguments: [
        ("%Y-%m-%d %H:%M:%S.%N %z", "UTC"), ("%Y-%m-%d %H:%M:%S.%N %z", "America/New_York"),
        ("%Y-%m-%dT%H:%M:%S.%N%:z", "Europe/Berlin"), ("%Y-%m-%d %H:%M:%S.%N %Z", "Asia/Tokyo"),
        ("%Y-%m-%d %H:%M:%S.%N %Z", "America/New_York"), ("%a %d %B %Y %I:%M:%S.%N %p %z", "+05:45"),
        ("%Y %j %T.%N %:z", "Australia/Lord_Howe"),
    ])
    func roundTrip(_ format: String, _ zone: String) throws {
        let formatter = try TimestampFormatter(format: format, zone: zone)
        // A zone name alone cannot tell the two 01:30s of an autumn night apart: for `%Z` the text must round trip.
        let byName = format.contains("%Z")
        let parser = try TimestampParser(format: format, defaultZone: "UTC", dstPolicy: byName ? .earlier : .error)
        var rng = SplitMix(seed: 7)
        var instants: [Int64] = [0, -1, 1, -500_000_000, Int64.max, Int64.min + 999_999_999]
        // Include instants around New York's and Berlin's 2024 transitions.
        for base: Int64 in [1_710_054_000, 1_730_613_600, 1_711_846_800, 1_729_990_800] {
            for d: Int64 in [-3601, -3600, -1, 0, 1, 1800, 3599, 3600] {
                instants.append((base + d) * 1_000_000_000 + 250_000_000)
            }
        }
        for _ in 0..<500 { instants.append(Int64(bitPattern: rng.next()) / 2) }
        for nanos in instants {
            let text = formatter.string(nanos: nanos)
            if byName {
                #expect(try formatter.string(nanos: parser.parse(text)) == text)
            } else {
                #expect(try parser.parse(text) == nanos, "\(text)")
            }
        }
    }

    /// `%s` is rounded toward negative infinity and `%N` is the positive fraction (as strftime does), while the
    /// parser reads `-1.5` as one and a half seconds before the epoch (as Ruby's strptime does): only non-negative
    /// instants round trip through `%s.%N`.
    @Test func epochWithFraction() throws {
        let f = try TimestampFormatter(format: "%s.%N")
        let p = try TimestampParser(format: "%s.%N")
        #expect(f.string(nanos: -500_000_000) == "-1.500000000")
        #expect(try p.parse("-1.500000000") == -1_500_000_000)
        #expect(try p.parse("-0.5") == -500_000_000)
        for nanos: Int64 in [0, 1, 1_709_618_828_123_456_789, Int64.max] {
            #expect(try p.parse(f.string(nanos: nanos)) == nanos)
        }
    }

    @Test func defaultFormatsRoundTrip() throws {
        let formatter = try TimestampFormatter()
        let parser = try TimestampParser(format: TimestampParser.defaultFormat)
        for nanos: Int64 in [0, 1_709_618_828_123_456_000, -2_208_988_800_000_000_000, 4_102_444_800_000_001_000] {
            #expect(try parser.parse(formatter.string(nanos: nanos)) == nanos)
        }
    }
}
