import KuraCore
import KuraTestSupport
import Testing

@testable import FilterRow

let rowSchema = Schema([("id", .long), ("name", .string), ("score", .double), ("at", .timestamp), ("ok", .boolean)])

let rowPage = page(rowSchema, [
    [.long(10), .string("foo bar"), .double(1.5), .timestamp(Timestamp(nanos: 1_436_745_600_000_000_000)), .boolean(true)],
    [.long(15), .string("barfoo"), .double(-2), .timestamp(Timestamp(nanos: 1_436_832_000_000_000_000)), .boolean(false)],
    [.long(20), .null, .null, .null, .null],
    [.null, .string("baz"), .double(30), .timestamp(Timestamp(nanos: 0)), .boolean(true)],
])

/// The ids of the rows of `rowPage` the row filter configured with `node` keeps (nil for a null id).
func keptIDs(_ node: ConfigNode) throws -> [Int64?] {
    let filter = try RowFilterPlugin(config: section(node))
    #expect(try filter.outputSchema(for: rowSchema) == rowSchema)
    let out = try filter.makeFilter(input: rowSchema).filter(rowPage)
    return rows(out).map { if case .long(let v) = $0[0] { return v } else { return nil } }
}

func cond(_ pairs: (String, ConfigNode)...) -> ConfigNode { .mapping(pairs) }
func unquoted(_ t: String) -> ConfigNode { .scalar(t) }
func quoted(_ t: String) -> ConfigNode { ConfigNode(.scalar(t, quoted: true)) }

@Suite struct RowConditionsTests {
    @Test func andOfNumericConditions() throws {
        let c = l(cond(("column", s("id")), ("operator", s(">=")), ("argument", s("10"))),
            cond(("column", s("id")), ("operator", s("<")), ("argument", s("20"))))
        #expect(try keptIDs(m(("conditions", c))) == [10, 15])
    }

    @Test func orOfNullChecks() throws {
        let c = l(cond(("column", s("name")), ("operator", s("IS NULL"))), cond(("column", s("id")), ("operator", s("is null"))))
        #expect(try keptIDs(m(("condition", s("OR")), ("conditions", c))) == [20, nil])
    }

    @Test func stringOperatorsAndNot() throws {
        #expect(try keptIDs(m(("conditions", l(cond(("column", s("name")), ("operator", s("start_with")), ("argument", s("foo"))))))) == [10])
        #expect(try keptIDs(m(("conditions", l(cond(("column", s("name")), ("operator", s("endsWith")), ("argument", s("foo"))))))) == [15])
        #expect(try keptIDs(m(("conditions", l(cond(("column", s("name")), ("operator", s("include")), ("argument", s("bar")), ("not", s("true"))))))) == [20, nil])
        #expect(try keptIDs(m(("conditions", l(cond(("column", s("name")), ("argument", s("baz"))))))) == [nil])
    }

    @Test func notEqualKeepsNullsAsTheRowFilterDoes() throws {
        #expect(try keptIDs(m(("conditions", l(cond(("column", s("name")), ("operator", s("!=")), ("argument", s("baz"))))))) == [10, 15, 20])
    }

    @Test func longColumnAgainstAFraction() throws {
        #expect(try keptIDs(m(("conditions", l(cond(("column", s("id")), ("operator", s(">")), ("argument", s("14.5"))))))) == [15, 20])
    }

    @Test func booleanAndDouble() throws {
        #expect(try keptIDs(m(("conditions", l(cond(("column", s("ok")), ("argument", s("true"))))))) == [10, nil])
        #expect(try keptIDs(m(("conditions", l(cond(("column", s("score")), ("operator", s("<=")), ("argument", s("1.5"))))))) == [10, 15])
    }

    @Test func timestampArgumentWithFormatAndZone() throws {
        let c = cond(("column", s("at")), ("operator", s("==")), ("argument", s("2015-07-13")), ("format", s("%Y-%m-%d")))
        #expect(try keptIDs(m(("conditions", l(c)))) == [10])
        let tokyo = cond(("column", s("at")), ("operator", s(">")), ("argument", s("2015-07-13 09:00:00")),
            ("format", s("%Y-%m-%d %H:%M:%S")), ("timezone", s("Asia/Tokyo")))
        #expect(try keptIDs(m(("conditions", l(tokyo)))) == [15])
    }

    @Test func mistakesAreConfigErrors() {
        let type = configError { _ = try keptIDs(m(("conditions", l(cond(("column", s("ok")), ("argument", quoted("maybe"))))))) }
        #expect(type?.path == "filters[0].conditions[0].argument")
        let missing = configError { _ = try keptIDs(m(("conditions", l(cond(("column", s("nme")), ("argument", s("x"))))))) }
        #expect(missing?.path == "filters[0].conditions[0].column")
        #expect(missing?.fix?.contains("'name'") == true)
        let op = configError { _ = try keptIDs(m(("conditions", l(cond(("column", s("id")), ("operator", s("=~")), ("argument", s("1"))))))) }
        #expect(op?.path == "filters[0].conditions[0].operator")
        let noArg = configError { _ = try keptIDs(m(("conditions", l(cond(("column", s("id")), ("operator", s(">"))))))) }
        #expect(noArg?.message.contains("needs an argument") == true)
        let textual = configError { _ = try keptIDs(m(("conditions", l(cond(("column", s("id")), ("operator", s("include")), ("argument", s("1"))))))) }
        #expect(textual?.message.contains("compares texts") == true)
        let both = configError { _ = try keptIDs(m(("where", s("id = 1")), ("conditions", l()))) }
        #expect(both?.message.contains("cannot be used together") == true)
        let neither = configError { _ = try keptIDs(m()) }
        #expect(neither?.fix?.contains("where") == true)
        let unknown = configError { _ = try keptIDs(m(("wher", s("id = 1")))) }
        #expect(unknown?.fix?.contains("where") == true)
    }
}

@Suite struct RowWhereTests {
    @Test func whereKeepsMatchingRows() throws {
        #expect(try keptIDs(m(("where", s("id >= 15 OR name START_WITH 'foo'")))) == [10, 15, 20])
        #expect(try keptIDs(m(("where", s("(name INCLUDE 'foo' AND score > 0.0) OR \"id\" IS NULL")))) == [10, nil])
        #expect(try keptIDs(m(("where", s("at = TIMESTAMP '2015-07-13 09:00:00 +0900'")))) == [10])
        #expect(try keptIDs(m(("where", s("name REGEXP '^ba' AND NOT ok")))) == [15])
        #expect(try keptIDs(m(("where", s("length(name) > 3 AND upper(name) INCLUDE 'FOO'")))) == [10, 15])
    }

    @Test func everyRowKeptReturnsThePageAsIs() throws {
        let f = try RowFilterPlugin(config: section(m(("where", s("true"))))).makeFilter(input: rowSchema)
        #expect(try f.filter(rowPage).rowCount == 4)
        let none = try RowFilterPlugin(config: section(m(("where", s("false"))))).makeFilter(input: rowSchema)
        #expect(try none.filter(rowPage).rowCount == 0)
    }

    @Test func whereErrorsPointIntoTheExpression() {
        var node = m(("where", s("id > 1 AND nmae = 'x'")))
        node = node.setting("where", to: ConfigNode(.scalar("id > 1 AND nmae = 'x'", quoted: false), mark: SourceMark(line: 7, column: 12)))
        let err = configError { _ = try RowFilterPlugin(config: section(node)).outputSchema(for: rowSchema) }
        #expect(err?.path == "filters[0].where")
        #expect(err?.message.contains("at column 12") == true)
        #expect(err?.mark == SourceMark(line: 7, column: 23))
        #expect(err?.fix?.contains("'name'") == true)
        let notBoolean = configError { _ = try RowFilterPlugin(config: section(m(("where", s("id + 1"))))).outputSchema(for: rowSchema) }
        #expect(notBoolean?.message.contains("boolean") == true)
    }
}
