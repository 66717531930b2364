import KuraCore
import KuraTestSupport
import Testing

@testable import FilterColumn

let colSchema = Schema([("time", .timestamp), ("id", .long), ("name", .string), ("score", .double), ("json", .json)])

let colPage = page(colSchema, [
    [.timestamp(Timestamp(nanos: 1_436_745_600_000_000_000)), .long(0), .string("Vqjht6YE"), .double(1370), .json("{\"foo\":\"foo\",\"bar\":\"bar\",\"n\":123456789012345678901234567890,\"items\":[1,{\"k\":true}]}")],
    [.null, .null, .null, .double(9170), .null],
])

func columnFilter(_ node: ConfigNode) throws -> (Schema, [[Value]]) {
    let f = try ColumnFilterPlugin(config: section(node))
    let schema = try f.outputSchema(for: colSchema)
    let out = try f.makeFilter(input: colSchema).filter(colPage)
    #expect(out.schema == schema)
    return (schema, rows(out))
}

@Suite struct ColumnFilterOptionTests {
    @Test func columnsKeepOrderCopyAndDefault() throws {
        let node = m(("columns", l(
            m(("name", s("time")), ("default", s("2015-07-13")), ("format", s("%Y-%m-%d"))),
            m(("name", s("name")), ("default", s("foo"))),
            m(("name", s("foo")), ("default", s("1")), ("type", s("long"))),
            m(("name", s("id"))),
            m(("name", s("copy_score")), ("src", s("score"))))))
        let (schema, values) = try columnFilter(node)
        #expect(schema.names == ["time", "name", "foo", "id", "copy_score"])
        #expect(schema.columns.map(\.type) == [.timestamp, .string, .long, .long, .double])
        #expect(values[0] == [.timestamp(Timestamp(nanos: 1_436_745_600_000_000_000)), .string("Vqjht6YE"), .long(1), .long(0), .double(1370)])
        #expect(values[1] == [.timestamp(Timestamp(nanos: 1_436_745_600_000_000_000)), .string("foo"), .long(1), .null, .double(9170)])
    }

    @Test func addColumnsAppendCopiesAndConstants() throws {
        let node = m(("add_columns", l(
            m(("name", s("d")), ("type", s("timestamp")), ("default", s("2015-07-13")), ("format", s("%Y-%m-%d"))),
            m(("name", s("copy_id")), ("src", s("id"))),
            m(("name", s("flag")), ("type", s("boolean")), ("default", s("true"))),
            m(("name", s("meta")), ("type", s("json")), ("default", s("{ \"v\": 1 }"))))))
        let (schema, values) = try columnFilter(node)
        #expect(schema.names == ["time", "id", "name", "score", "json", "d", "copy_id", "flag", "meta"])
        #expect(Array(values[0][5...]) == [.timestamp(Timestamp(nanos: 1_436_745_600_000_000_000)), .long(0), .boolean(true), .json("{\"v\":1}")])
        #expect(Array(values[1][5...]) == [.timestamp(Timestamp(nanos: 1_436_745_600_000_000_000)), .null, .boolean(true), .json("{\"v\":1}")])
    }

    @Test func dropColumns() throws {
        let (schema, values) = try columnFilter(m(("drop_columns", l(m(("name", s("time"))), m(("name", s("id"))), m(("name", s("absent")))))))
        #expect(schema.names == ["name", "score", "json"])
        #expect(values[1] == [.null, .double(9170), .null])
    }

    @Test func defaultTimestampFormatAndZone() throws {
        let node = m(("default_timestamp_format", s("%Y-%m-%d %H:%M")), ("default_timezone", s("Asia/Tokyo")),
            ("columns", l(m(("name", s("time")), ("default", s("2015-07-13 09:00"))))))
        #expect(try columnFilter(node).1[1] == [.timestamp(Timestamp(nanos: 1_436_745_600_000_000_000))])
    }

    @Test func membersLiftedByJSONPath() throws {
        let node = m(("columns", l(
            m(("name", s("foo")), ("src", s("$.json.foo")), ("type", s("string"))),
            m(("name", s("big")), ("src", s("$.json.n")), ("type", s("string"))),
            m(("name", s("big_json")), ("src", s("$['json']['n']"))),
            m(("name", s("k")), ("src", s("$.json.items[1].k")), ("type", s("boolean"))),
            m(("name", s("first")), ("src", s("$.json.items[0]")), ("type", s("long")), ("default", s("-1"))),
            m(("name", s("none")), ("src", s("$.json.missing")), ("type", s("double"))))))
        let (schema, values) = try columnFilter(node)
        #expect(schema.columns.map(\.type) == [.string, .string, .json, .boolean, .long, .double])
        #expect(values[0] == [.string("foo"), .string("123456789012345678901234567890"), .json("123456789012345678901234567890"), .boolean(true), .long(1), .null])
        #expect(values[1] == [.null, .null, .null, .null, .long(-1), .null])
    }

    @Test func expressionColumns() throws {
        let node = m(("columns", l(
            m(("name", s("id"))),
            m(("name", s("label")), ("expr", s("upper(name) || '-' || string(id)"))),
            m(("name", s("half")), ("expr", s("score / 2"))),
            m(("name", s("day")), ("expr", s("format(time, '%Y/%m/%d', 'Asia/Tokyo')"))),
            m(("name", s("as_double")), ("expr", s("id")), ("type", s("double"))))))
        let (schema, values) = try columnFilter(node)
        #expect(schema.columns.map(\.type) == [.long, .string, .double, .string, .double])
        #expect(values[0] == [.long(0), .string("VQJHT6YE-0"), .double(685), .string("2015/07/13"), .double(0)])
        #expect(values[1] == [.null, .null, .double(4585), .null, .null])
    }

    @Test func mistakesAreConfigErrors() {
        let both = configError { _ = try columnFilter(m(("columns", l(m(("name", s("id"))))), ("drop_columns", l(m(("name", s("id"))))))) }
        #expect(both?.message.contains("cannot be used together") == true)
        let missing = configError { _ = try columnFilter(m(("columns", l(m(("name", s("nmae"))))))) }
        #expect(missing?.path == "filters[0].columns[0].name")
        #expect(missing?.fix?.contains("'name'") == true)
        let badDefault = configError { _ = try columnFilter(m(("columns", l(m(("name", s("id")), ("default", s("x"))))))) }
        #expect(badDefault?.path == "filters[0].columns[0].default")
        let badExpr = configError { _ = try columnFilter(m(("add_columns", l(m(("name", s("x")), ("expr", s("id +"))))))) }
        #expect(badExpr?.path == "filters[0].add_columns[0].expr")
        #expect(badExpr?.message.contains("at column 5") == true)
        let path = configError { _ = try columnFilter(m(("columns", l(m(("name", s("$.json.foo"))))))) }
        #expect(path?.fix?.contains("add {name: json} to columns") == true)
        let notJSON = configError { _ = try columnFilter(m(("columns", l(m(("name", s("x")), ("src", s("$.id.a"))))))) }
        #expect(notJSON?.path == "filters[0].columns[0].src")
        let duplicate = configError { _ = try columnFilter(m(("add_columns", l(m(("name", s("id")), ("src", s("id"))))))) }
        #expect(duplicate?.message.contains("two columns named 'id'") == true)
    }

    @Test func aMemberOfTheWrongTypeStopsTheTask() throws {
        let f = try ColumnFilterPlugin(config: section(m(("columns", l(m(("name", s("x")), ("src", s("$.json.foo")), ("type", s("long"))))))))
        #expect(throws: DataError.self) { _ = try f.makeFilter(input: colSchema).filter(colPage) }
    }
}
