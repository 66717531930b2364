import KuraCore
import KuraExpressions
import KuraTestSupport
import Testing

let exprSchema = Schema([
    ("id", .long), ("name", .string), ("price", .double), ("at", .timestamp), ("ok", .boolean), ("doc", .json),
])

/// Two rows and a row of nulls.
let exprPage = page(exprSchema, [
    [.long(1), .string("Alice"), .double(2.5), .timestamp(Timestamp(nanos: 1_704_067_200_000_000_000)), .boolean(true), .json("{\"a\":1}")],
    [.long(-7), .string("  bob "), .double(10), .timestamp(Timestamp(nanos: 1_706_745_599_123_000_000)), .boolean(false), .json("[1]")],
    [.null, .null, .null, .null, .null, .null],
])

/// The values of `text` over `exprPage`.
func values(_ text: String, zone: String = "UTC") throws -> [Value] {
    let e = try ExpressionCompiler(schema: exprSchema, zone: try ZoneRule.resolve(zone)).compile(text)
    let v = try e.evaluate(exprPage)
    return (0..<v.count).map { v.value($0) }
}

/// The error of compiling `text` against `exprSchema`.
func compileError(_ text: String) -> ExpressionError? {
    do {
        _ = try ExpressionCompiler(schema: exprSchema).compile(text)
        return nil
    } catch {
        return error
    }
}

import KuraFormats

@Suite struct ExpressionArithmeticTests {
    @Test func longAndDoubleArithmetic() throws {
        #expect(try values("id * 2 + 1") == [.long(3), .long(-13), .null])
        #expect(try values("id / 2") == [.long(0), .long(-3), .null])
        #expect(try values("id % 4") == [.long(1), .long(-3), .null])
        #expect(try values("price * id") == [.double(2.5), .double(-70), .null])
        #expect(try values("-id") == [.long(-1), .long(7), .null])
        #expect(try values("(1 + 2) * 3") == [.long(9), .long(9), .long(9)])
    }

    @Test func divisionByZeroIsNull() throws {
        #expect(try values("id / 0") == [.null, .null, .null])
        #expect(try values("id % (id - id)") == [.null, .null, .null])
    }

    @Test func overflowStopsWithTheExpression() {
        #expect(throws: (any Error).self) { _ = try values("id * 9223372036854775807") }
        do {
            _ = try values("id + 9223372036854775807")
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("overflows"))
        }
    }

    @Test func comparisonsFollowTheRowFiltersNullRules() throws {
        #expect(try values("id > 0") == [.boolean(true), .boolean(false), .boolean(false)])
        #expect(try values("id != 1") == [.boolean(false), .boolean(true), .boolean(true)])
        #expect(try values("id = NULL") == [.boolean(false), .boolean(false), .boolean(true)])
        #expect(try values("price >= 10") == [.boolean(false), .boolean(true), .boolean(false)])
        #expect(try values("name < 'B'") == [.boolean(true), .boolean(true), .boolean(false)])
        #expect(try values("ok = true") == [.boolean(true), .boolean(false), .boolean(false)])
        #expect(try values("NOT ok") == [.boolean(false), .boolean(true), .boolean(true)])
        #expect(try values("doc = JSON '{ \"a\" : 1 }'") == [.boolean(true), .boolean(false), .boolean(false)])
    }
}

@Suite struct ExpressionWhereSyntaxTests {
    @Test func embulkOperators() throws {
        #expect(try values("name START_WITH 'Al'") == [.boolean(true), .boolean(false), .boolean(false)])
        #expect(try values("name END_WITH 'b '") == [.boolean(false), .boolean(true), .boolean(false)])
        #expect(try values("name INCLUDE 'o'") == [.boolean(false), .boolean(true), .boolean(false)])
        #expect(try values("name REGEXP '^[A-Z][a-z]+$'") == [.boolean(true), .boolean(false), .boolean(false)])
        #expect(try values("name REGEXP '\\s'") == [.boolean(false), .boolean(true), .boolean(false)])
        #expect(try values("name IS NULL") == [.boolean(false), .boolean(false), .boolean(true)])
        #expect(try values("\"name\" IS NOT NULL AND (id = 1 OR id = -7)") == [.boolean(true), .boolean(true), .boolean(false)])
        #expect(try values("id = 1 or id = -7 and false") == [.boolean(true), .boolean(false), .boolean(false)])
    }

    @Test func timestampLiteralsAndCoercion() throws {
        #expect(try values("at = TIMESTAMP '2024-01-01 09:00:00 +0900'") == [.boolean(true), .boolean(false), .boolean(false)])
        #expect(try values("at > '2024-01-15'") == [.boolean(false), .boolean(true), .boolean(false)])
        #expect(try values("at < TIMESTAMP 1704067200.5") == [.boolean(true), .boolean(false), .boolean(false)])
        #expect(try values("at = TIMESTAMP '2024-01-01 09:00:00'", zone: "Asia/Tokyo") == [.boolean(true), .boolean(false), .boolean(false)])
    }
}

@Suite struct ExpressionFunctionTests {
    @Test func stringFunctions() throws {
        #expect(try values("lower(name)") == [.string("alice"), .string("  bob "), .null])
        #expect(try values("upper(trim(name))") == [.string("ALICE"), .string("BOB"), .null])
        #expect(try values("length(name)") == [.long(5), .long(6), .null])
        #expect(try values("substr(name, 2, 3)") == [.string("lic"), .string(" bo"), .null])
        #expect(try values("substr(name, 4)") == [.string("ce"), .string("ob "), .null])
        #expect(try values("concat(name, '#', id)") == [.string("Alice#1"), .string("  bob #-7"), .string("#")])
        #expect(try values("name || '!'") == [.string("Alice!"), .string("  bob !"), .null])
        #expect(try values("regex_replace(name, '([a-z])', '<\\1>')") == [.string("A<l><i><c><e>"), .string("  <b><o><b> "), .null])
        #expect(try values("regex_match(name, 'b$')") == [.boolean(false), .boolean(false), .boolean(false)])
        #expect(try values("upper('straße')") == [.string("STRASSE"), .string("STRASSE"), .string("STRASSE")])
        #expect(try values("length('日本語')") == [.long(3), .long(3), .long(3)])
    }

    @Test func nullHandling() throws {
        #expect(try values("coalesce(name, 'none')") == [.string("Alice"), .string("  bob "), .string("none")])
        #expect(try values("coalesce(price, id, 0)") == [.double(2.5), .double(10), .double(0)])
        #expect(try values("if(id > 0, 'pos', 'other')") == [.string("pos"), .string("other"), .string("other")])
        #expect(try values("if(ok, price, NULL)") == [.double(2.5), .null, .null])
    }

    @Test func hashes() throws {
        #expect(try values("sha256('abc')")[0] == .string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        #expect(try values("sha256('')")[0] == .string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        #expect(try values("md5('')")[0] == .string("d41d8cd98f00b204e9800998ecf8427e"))
        #expect(try values("md5('The quick brown fox jumps over the lazy dog')")[0] == .string("9e107d9d372bb6826bd81d3542a419d6"))
        let long = String(repeating: "a", count: 1000)
        #expect(try values("sha256('\(long)')")[0] == .string("41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"))
        #expect(try values("md5(id)") == [.string("c4ca4238a0b923820dcc509a6f75849b"), .string("74687a12d3915d3c4d83f1af7b3683d5"), .null])
    }

    @Test func timeFunctions() throws {
        // 2024-01-31T23:59:59.123Z is 2024-02-01 08:59:59 in Tokyo.
        #expect(try values("date_trunc('day', at)")[1] == .timestamp(Timestamp(nanos: 1_706_659_200_000_000_000)))
        #expect(try values("date_trunc('month', at, 'Asia/Tokyo')")[1] == .timestamp(Timestamp(nanos: 1_706_713_200_000_000_000)))
        #expect(try values("date_trunc('week', at)")[0] == .timestamp(Timestamp(nanos: 1_704_067_200_000_000_000)))
        #expect(try values("extract('month', at)") == [.long(1), .long(1), .null])
        #expect(try values("extract('month', at, 'Asia/Tokyo')") == [.long(1), .long(2), .null])
        #expect(try values("extract('dow', at)") == [.long(1), .long(3), .null])
        #expect(try values("extract('millisecond', at)")[1] == .long(123))
        #expect(try values("format(at, '%Y-%m-%d %H:%M', 'Asia/Tokyo')") == [.string("2024-01-01 09:00"), .string("2024-02-01 08:59"), .null])
        #expect(try values("at + INTERVAL '1 day'")[0] == .timestamp(Timestamp(nanos: 1_704_153_600_000_000_000)))
        #expect(try values("at - INTERVAL '2 hours'")[0] == .timestamp(Timestamp(nanos: 1_704_060_000_000_000_000)))
        // January 31st plus a month is the last day of February (2024 is a leap year).
        #expect(try values("format(date_add(at, 1, 'month'), '%Y-%m-%d')")[1] == .string("2024-02-29"))
        #expect(try values("date_add(at, id, 'year')")[1] == .timestamp(Timestamp(nanos: 1_485_907_199_123_000_000)))
    }

    @Test func daysMoveTheWallClockAcrossDaylightSaving() throws {
        let schema = Schema([("t", .timestamp)])
        // 2024-03-09 12:00 in New York (EST, -5) is 17:00Z; a day later it is 12:00 EDT (-4), 16:00Z.
        let p = page(schema, [[.timestamp(Timestamp(nanos: 1_710_003_600_000_000_000))]])
        let e = try ExpressionCompiler(schema: schema).compile("date_add(t, 1, 'day', 'America/New_York')")
        #expect(try e.evaluate(p).value(0) == .timestamp(Timestamp(nanos: 1_710_086_400_000_000_000)))
    }
}

@Suite struct ExpressionErrorTests {
    @Test func errorsPointAtTheColumn() {
        let unknown = compileError("id > 1 AND nmae = 'x'")
        #expect(unknown?.column == 12)
        #expect(unknown?.fix?.contains("'name'") == true)
        let mismatch = compileError("name + 1")
        #expect(mismatch?.column == 6)
        #expect(mismatch?.fix?.contains("||") == true)
        #expect(compileError("id >")?.column == 5)
        #expect(compileError("id = 'x")?.column == 6)
        #expect(compileError("lower(id)")?.column == 7)
        #expect(compileError("nope(id)")?.message.contains("no function") == true)
        #expect(compileError("substr(name)")?.fix?.contains("substr(text, start[, length])") == true)
        #expect(compileError("date_trunc('fortnight', at)")?.column == 12)
        #expect(compileError("format(at, '%Y', 'Mars/Base')")?.column == 18)
        #expect(compileError("name REGEXP '('")?.column == 13)
        #expect(compileError("1 2")?.column == 3)
        #expect(compileError("(id > 1")?.message.contains("')'") == true)
        #expect(compileError("id > 1\n  AND ?")?.line == 2)
        #expect(compileError("TIMESTAMP 'yesterday' < at")?.column == 1)
    }

    @Test func conditionsMustBeBoolean() {
        do {
            _ = try ExpressionCompiler(schema: exprSchema).compile("id + 1", as: .boolean)
            Issue.record("no error")
        } catch {
            #expect(error.message.contains("long"))
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        #expect(compileError(deep)?.message.contains("nests deeper") == true)
        let nots = String(repeating: "NOT ", count: 5000) + "ok"
        #expect(compileError(nots) != nil)
    }
}
