import KuraCore
import KuraTestSupport
import Testing

@testable import FilterColumn

let pathSchema = Schema([("id", .long), ("json1", .json), ("json2", .json)])

/// One entry of `columns`, `add_columns` or `drop_columns`, from its keys and values.
func entry(_ pairs: (String, String)...) -> ConfigNode { .mapping(pairs.map { ($0.0, s($0.1)) }) }

/// The `json1` values after the column filter `node`, for inputs `docs` (compact JSON, or nil for null).
func editedJSON(_ node: ConfigNode, _ docs: [String?]) throws -> [String?] {
    let f = try ColumnFilterPlugin(config: section(node))
    let schema = try f.outputSchema(for: pathSchema)
    let input = page(pathSchema, docs.enumerated().map { [.long(Int64($0.offset)), $0.element.map(Value.json) ?? .null, .json("{\"k1\":1}")] })
    let out = try f.makeFilter(input: pathSchema).filter(input)
    let c = try #require(schema.index(of: "json1"))
    return rows(out).map { row in
        if case .json(let text) = row[c] { return text }
        return nil
    }
}

/// Members edited inside a json column by JSONPath names, with the cases of Embulk's own filter tests.
@Suite struct ColumnJSONPathTests {
    let maps = #"{"k1":{"k1":"v"},"k2":{"k1":"v","k2":"v"}}"#
    let arrays = #"{"k1":[{"k1":"v"},"v"],"k2":["v","v"],"k3":[{"k1":"v","k2":"v"}]}"#

    @Test func columnsKeepMembersInTheirOrder() throws {
        let node = m(("columns", l(
            entry(("name", "id")), entry(("name", "json1")),
            entry(("name", "$.json1.k1")), entry(("name", "$.json1.k2.k2")),
            entry(("name", "$.json1.k3.k3"), ("type", "string"), ("default", "v")),
            entry(("name", "$.json1.k4"), ("src", "$.json1.k2")))))
        #expect(try editedJSON(node, [maps, nil, "[1]", "{}"]) == [
            #"{"k1":{"k1":"v"},"k2":{"k2":"v"},"k3":{"k3":"v"},"k4":{"k1":"v","k2":"v"}}"#,
            nil,
            "[1]",
            #"{"k1":null,"k2":{"k2":null},"k3":{"k3":"v"},"k4":null}"#,
        ])
    }

    @Test func dropColumnsRemoveMembers() throws {
        let node = m(("drop_columns", l(entry(("name", "$.json1.k1.k1")), entry(("name", "$.json1.k2")))))
        #expect(try editedJSON(node, [maps, #"{"k3":1}"#]) == [#"{"k1":{}}"#, #"{"k3":1}"#])
    }

    @Test func addColumnsAddAbsentMembers() throws {
        let node = m(("add_columns", l(
            entry(("name", "$.json1.k3.k3"), ("type", "string"), ("default", "v")),
            entry(("name", "$.json1.k4"), ("src", "$.json1.k2")),
            entry(("name", "$.json1.k1"), ("type", "long"), ("default", "7")))))
        #expect(try editedJSON(node, [#"{"k1":{"k1":"v"},"k2":{"k2":"v"}}"#, "{}"]) == [
            #"{"k1":{"k1":"v"},"k2":{"k2":"v"},"k3":{"k3":"v"},"k4":{"k2":"v"}}"#,
            #"{"k3":{"k3":"v"},"k4":null,"k1":7}"#,
        ])
    }

    @Test func arraysInColumns() throws {
        let node = m(("columns", l(
            entry(("name", "json1")),
            entry(("name", "$.json1.k1[1]"), ("src", "$.json1.k1[0]")),
            entry(("name", "$.json1.k2[0]")),
            entry(("name", "$.json1.k3[*].k1")),
            entry(("name", "$.json1.k3[*].k3"), ("src", "$.json1.k3[*].k1")),
            entry(("name", "$.json1.k4[*].k1"), ("type", "string"), ("default", "v")),
            entry(("name", "$.json1.k5[0].k1"), ("type", "string"), ("default", "v")))))
        #expect(try editedJSON(node, [arrays]) == [#"{"k1":[{"k1":"v"}],"k2":["v"],"k3":[{"k1":"v","k3":"v"}],"k4":[],"k5":[{"k1":"v"}]}"#])
    }

    @Test func arraysInAddColumns() throws {
        let node = m(("add_columns", l(
            entry(("name", "$.json1.k1[1]"), ("src", "$.json1.k1[0]")),
            entry(("name", "$.json1.k3[*].k2"), ("type", "string"), ("default", "v")),
            entry(("name", "$.json1.k4[*].k1"), ("type", "string"), ("default", "v")),
            entry(("name", "$.json1.k5[0].k1"), ("type", "string"), ("default", "v")),
            entry(("name", "$.json1.k2[0]"), ("type", "string"), ("default", "ignored")))))
        let doc = #"{"k1":[{"k1":"v"}],"k2":["v","v"],"k3":[{"k1":"v"}]}"#
        #expect(try editedJSON(node, [doc]) == [#"{"k1":[{"k1":"v"},{"k1":"v"}],"k2":["v","v"],"k3":[{"k1":"v","k2":"v"}],"k4":[],"k5":[{"k1":"v"}]}"#])
    }

    @Test func arraysInDropColumns() throws {
        let node = m(("drop_columns", l(
            entry(("name", "$.json1.k1[0].k1")), entry(("name", "$.json1.k2[*]")), entry(("name", "$.json1.k3[*].k1")),
            entry(("name", "$.json1.k4[1]")))))
        let doc = #"{"k1":[{"k1":"v","k2":2}],"k2":["v","v"],"k3":[{"k1":"v"},{"k1":1,"x":[true]}],"k4":[0,1,2]}"#
        #expect(try editedJSON(node, [doc]) == [#"{"k1":[{"k2":2}],"k2":[],"k3":[{},{"x":[true]}],"k4":[0,2]}"#])
    }

    @Test func bracketNotationQuotesAndEscapes() throws {
        let node = m(("columns", l(
            entry(("name", "json1")),
            entry(("name", "$.json1['k_1']"), ("src", "$.json1['k.-=+1']")),
            entry(("name", "$.json1['k_1'][0]['k_1']"), ("src", "$.json1['k_1'][0]['k.-=+1']")),
            entry(("name", "$[\"json1\"][\"k_2\"]"), ("src", "$[\"json1\"][\"k.2\"]")),
            entry(("name", "$['json1']['k_2']['it\\'s']"), ("src", "$['json1']['k_2']['k.2']")))))
        let doc = #"{"k.-=+1":[{"k.-=+1":"v"}],"k.2":{"k.2":"v"},"other":0}"#
        #expect(try editedJSON(node, [doc]) == [#"{"k_1":[{"k_1":"v"}],"k_2":{"it's":"v"}}"#])
    }

    @Test func keysWithEscapesAndNestedObjects() throws {
        let node = m(("columns", l(entry(("name", "json1")), entry(("name", "$.json1['a\"b'].c")), entry(("name", "$.json1.n")))))
        let doc = #"{"a\"b":{"c":{"deep":[1,{"x":"\u00e9"}]},"d":2},"n":-1.5e3}"#
        #expect(try editedJSON(node, [doc]) == [#"{"a\"b":{"c":{"deep":[1,{"x":"\u00e9"}]}},"n":-1.5e3}"#])
    }

    @Test func defaultsFillMissingMembersNotNullOnes() throws {
        // As in Embulk's filter: a present null stays null; a missing member, or an element past the end, takes
        // the default; a missing parent is made empty first.
        let node = m(("columns", l(
            entry(("name", "json1")),
            entry(("name", "$.json1.a"), ("type", "long"), ("default", "1")),
            entry(("name", "$.json1.b.c"), ("type", "boolean"), ("default", "true")),
            entry(("name", "$.json1.items[2]"), ("type", "json"), ("default", "{\"d\": 1.5}")),
            entry(("name", "$.json1.s"), ("type", "double"), ("default", "2.5")))))
        #expect(try editedJSON(node, [#"{"a":null,"items":[0,1]}"#, #"{"a":3,"b":{"c":false},"items":[0,1,2],"s":"x"}"#]) == [
            #"{"a":null,"b":{"c":true},"items":[{"d":1.5}],"s":2.5}"#,
            #"{"a":3,"b":{"c":false},"items":[2],"s":"x"}"#,
        ])
    }

    @Test func aJSONDefaultOfTheColumnIsEditedToo() throws {
        let node = m(("columns", l(
            entry(("name", "json1"), ("default", "{\"foo\":\"FOO\",\"bar\":1}")),
            entry(("name", "$.json1.foo")), entry(("name", "$.json1.copy_foo"), ("src", "$.json1.foo")))))
        #expect(try editedJSON(node, [nil, #"{"foo":"x"}"#]) == [#"{"foo":"FOO","copy_foo":"FOO"}"#, #"{"foo":"x","copy_foo":"x"}"#])
    }

    @Test func editsFollowACopiedColumnAndLeaveOthersAlone() throws {
        let node = m(("columns", l(
            entry(("name", "json2")), entry(("name", "json1"), ("src", "json2")), entry(("name", "$.json1.k2"), ("type", "long"), ("default", "2")))))
        let f = try ColumnFilterPlugin(config: section(node))
        let input = page(pathSchema, [[.long(0), .json("{}"), .json(#"{"k1":1}"#)]])
        #expect(rows(try f.makeFilter(input: pathSchema).filter(input)) == [[.json(#"{"k1":1}"#), .json(#"{"k2":2}"#)]])
    }

    @Test func pathMistakesAreConfigErrors() {
        func fails(_ node: ConfigNode) -> ConfigError? { configError { _ = try editedJSON(node, []) } }
        let notKept = fails(m(("columns", l(entry(("name", "id")), entry(("name", "$.json1.a"))))))
        #expect(notKept?.path == "filters[0].columns[1].name")
        #expect(notKept?.fix?.contains("add {name: json1} to columns") == true)
        let notJSON = fails(m(("add_columns", l(entry(("name", "$.id.a"), ("type", "long"), ("default", "1"))))))
        #expect(notJSON?.message.contains("which is a long column, not json") == true)
        let unknown = fails(m(("drop_columns", l(entry(("name", "$.jsno1.a"))))))
        #expect(unknown?.fix?.contains("'json1'") == true)
        let wildcardEnd = fails(m(("columns", l(entry(("name", "json1")), entry(("name", "$.json1.a[*]"))))))
        #expect(wildcardEnd?.fix?.contains("'$.json1.a'") == true)
        let otherParent = fails(m(("add_columns", l(entry(("name", "$.json1.a.x"), ("src", "$.json1.b.x"))))))
        #expect(otherParent?.path == "filters[0].add_columns[0].src")
        let timestamp = fails(m(("add_columns", l(entry(("name", "$.json1.t"), ("type", "timestamp"), ("default", "2015-07-13"))))))
        #expect(timestamp?.path == "filters[0].add_columns[0].type")
        let untyped = fails(m(("add_columns", l(entry(("name", "$.json1.t"), ("default", "1"))))))
        #expect(untyped?.fix?.contains("type:") == true)
        let whole = fails(m(("columns", l(entry(("name", "json1")), entry(("name", "$.json1"))))))
        #expect(whole?.fix == "write {name: json1}")
        for bad in ["$.json1..k", "$.json1[1:2]", "$['json1','k1']", "$.json1[0,1]", "$['json1'}['k1']"] {
            let e = fails(m(("columns", l(entry(("name", "json1")), entry(("name", bad))))))
            #expect(e?.path == "filters[0].columns[1].name", "\(bad)")
        }
    }
}
