import Testing

@testable import KuraCore
@testable import KuraFormats

func withBytes<T>(_ s: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
    var s = s
    return s.withUTF8 { body(UnsafeRawBufferPointer($0)) }
}

@Suite struct ValueParsingTests {
    @Test(arguments: [
        ("true", true), ("TRUE", true), ("True", true), ("yes", true), ("YeS", true), ("t", true), ("T", true),
        ("y", true), ("on", true), ("ON", true), ("1", true), ("false", false), ("FALSE", false), ("fAlSe", false),
        ("no", false), ("NO", false), ("f", false), ("n", false), ("off", false), ("Off", false), ("0", false),
    ])
    func booleans(_ text: String, _ expected: Bool) {
        #expect(withBytes(text) { ValueParsing.parseBoolean($0) } == expected)
    }

    @Test(arguments: ["", " true", "true ", "2", "tru", "yess", "nope", "oui", "-1", "truE!"])
    func notBooleans(_ text: String) {
        #expect(withBytes(text) { ValueParsing.parseBoolean($0) } == nil)
    }

    @Test func longs() {
        func long(_ s: String) -> Int64? { withBytes(s) { ValueParsing.parseLong($0) } }
        #expect(long("0") == 0)
        #expect(long("-0") == 0)
        #expect(long("+42") == 42)
        #expect(long("-42") == -42)
        #expect(long("9223372036854775807") == Int64.max)
        #expect(long("-9223372036854775808") == Int64.min)
        #expect(long("9223372036854775808") == nil)  // overflow is nil, never a wrap
        #expect(long("-9223372036854775809") == nil)
        #expect(long("18446744073709551616") == nil)
        #expect(long("99999999999999999999999") == nil)
        #expect(long("000000000000000000000000042") == 42)
        #expect(long("") == nil)
        #expect(long("-") == nil)
        #expect(long("1.0") == nil)
        #expect(long(" 1") == nil)
        #expect(long("1e3") == nil)
    }

    @Test func doubles() {
        func double(_ s: String) -> Double? { withBytes(s) { ValueParsing.parseDouble($0) } }
        #expect(double("0.1") == 0.1)
        #expect(double("0.1")?.bitPattern == 0x3FB9_9999_9999_999A)
        #expect(double("1e308") == 1e308)
        #expect(double("1.7976931348623157e308") == Double.greatestFiniteMagnitude)
        #expect(double("4.9e-324") == Double.leastNonzeroMagnitude)
        #expect(double("2.2250738585072011e-308")?.bitPattern == 0x000F_FFFF_FFFF_FFFF)
        #expect(double("2.2250738585072014e-308") == Double.leastNormalMagnitude)
        #expect(double("1.5d") == 1.5)
        #expect(double("1.5F") == 1.5)
        #expect(double("2.d") == 2)
        #expect(double("-0.0")?.sign == .minus)
        #expect(double("  3.25  ") == 3.25)
        #expect(double("123456789012345678901234567890") == 123456789012345678901234567890.0)
        #expect(double("0.30000000000000004") == 0.30000000000000004)
        #expect(double("9007199254740993") == 9007199254740992)  // ties to even
        #expect(double("1E5") == 100000)
        #expect(double("NaN")?.isNaN == true)
        #expect(double("Infinity") == .infinity)
        #expect(double("-Infinity") == -.infinity)
        #expect(double("inf") == nil)
        #expect(double("nan") == nil)
        #expect(double("") == nil)
        #expect(double("1e") == nil)
        #expect(double("1,5") == nil)
        #expect(double("d") == nil)
        #expect(double("0x10") == nil)
    }

    @Test func iso8601TrimsFractions() {
        #expect(Timestamp(nanos: 0).iso8601 == "1970-01-01T00:00:00Z")
        #expect(Timestamp(nanos: 500_000_000).iso8601 == "1970-01-01T00:00:00.5Z")
        #expect(Timestamp(nanos: 120_000).iso8601 == "1970-01-01T00:00:00.00012Z")
        #expect(Timestamp(nanos: 1).iso8601 == "1970-01-01T00:00:00.000000001Z")
        #expect(Timestamp(nanos: -500_000_000).iso8601 == "1969-12-31T23:59:59.5Z")
        #expect(Timestamp(seconds: 1_704_067_200).iso8601 == "2024-01-01T00:00:00Z")
        #expect(Timestamp(nanos: Int64.max).iso8601 == "2262-04-11T23:47:16.854775807Z")
        #expect(Timestamp(nanos: Int64.min).iso8601 == "1677-09-21T00:12:43.145224192Z")
        #expect(Timestamp(nanos: Int64.min).epochSeconds == -9_223_372_037)
        #expect(Timestamp(nanos: Int64.min).nanosecond == 145_224_192)
        #expect(Timestamp(nanos: -1).epochSeconds == -1)
        #expect(Timestamp(nanos: -1).nanosecond == 999_999_999)
        #expect(Timestamp(nanos: -1_000_000_000).nanosecond == 0)
    }
}
