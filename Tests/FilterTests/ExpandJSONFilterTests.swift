import KuraCore
import KuraTestSupport
import Testing

@testable import FilterExpandJSON

let ejSchema = Schema([("id", .long), ("payload", .string), ("tail", .string)])

func ejPage(_ docs: [String?]) -> Page {
    page(ejSchema, docs.enumerated().map { [.long(Int64($0.offset)), $0.element.map(Value.string) ?? .null, .string("t")] })
}

func expanded(_ node: ConfigNode, _ docs: [String?]) throws -> (Schema, [[Value]]) {
    let f = try ExpandJSONFilterPlugin(config: section(node))
    let schema = try f.outputSchema(for: ejSchema)
    let out = try f.makeFilter(input: ejSchema).filter(ejPage(docs))
    #expect(out.schema == schema)
    return (schema, rows(out))
}

func ejColumns(_ items: (String, String)...) -> ConfigNode { l(items.map { m(("name", s($0.0)), ("type", s($0.1))) }) }

func l(_ items: [ConfigNode]) -> ConfigNode { ConfigNode(.sequence(items)) }

@Suite struct ExpandJSONOptionTests {
    let doc = #"{"phone_numbers":["1","2"],"app_id":123,"point":1.5,"created_at":"2015-07-13","profile":{"like_words":["a","b","c"],"n":"x"},"big":123456789012345678901234567890,"flag":"TRUE","s":"{\"k\": [1]}"}"#

    @Test func expandsInTheJSONColumnsPlace() throws {
        let node = m(("json_column_name", s("payload")), ("expanded_columns", ejColumns(
            ("phone_numbers", "string"), ("app_id", "long"), ("point", "double"), ("created_at", "timestamp"),
            ("profile.like_words[1]", "string"), ("big", "string"), ("flag", "boolean"), ("s", "json"), ("profile", "json"),
            ("missing", "long"))))
        let withFormat = node.setting("default_timestamp_format", to: s("%Y-%m-%d"))
        let (schema, values) = try expanded(withFormat, [doc, nil, ""])
        #expect(schema.names == ["id", "phone_numbers", "app_id", "point", "created_at", "profile.like_words[1]", "big", "flag", "s", "profile", "missing", "tail"])
        #expect(values[0] == [
            .long(0), .string("[\"1\",\"2\"]"), .long(123), .double(1.5), .timestamp(Timestamp(nanos: 1_436_745_600_000_000_000)),
            .string("b"), .string("123456789012345678901234567890"), .boolean(true), .json("{\"k\":[1]}"),
            .json("{\"like_words\":[\"a\",\"b\",\"c\"],\"n\":\"x\"}"), .null, .string("t"),
        ])
        #expect(values[1] == [.long(1)] + Array(repeating: .null, count: 10) + [.string("t")])
        #expect(values[2] == [.long(2)] + Array(repeating: .null, count: 10) + [.string("t")])
    }

    @Test func rootKeepAndNumbersBeyond64Bits() throws {
        let node = m(("json_column_name", s("payload")), ("root", s("$.data.")), ("keep_expanding_json_column", s("true")),
            ("expanded_columns", ejColumns(("n", "json"), ("x", "long"))))
        let (schema, values) = try expanded(node, [#"{"data":{"n":-98765432109876543210.5e3,"x":2.9e2}}"#])
        #expect(schema.names == ["id", "payload", "n", "x", "tail"])
        #expect(values[0][2] == .json("-98765432109876543210.5e3"))
        #expect(values[0][3] == .long(290))
    }

    @Test func invalidRecordsAreRejectedOrStopTheRun() throws {
        let node = m(("json_column_name", s("payload")), ("expanded_columns", ejColumns(("a", "long"))))
        let filter = try #require(try ExpandJSONFilterPlugin(config: section(node)).makeFilter(input: ejSchema) as? RejectingPageFilter)
        var rejects: [DataError] = []
        let docs = [#"{"a":1}"#, #"{"a":"x"}"#, "{not json", #"{"a":3} trailing"#, #"{"a":4}"#]
        let out = try filter.filter(ejPage(docs)) { rejects.append($0) }
        #expect(rows(out).map { $0[1] } == [.long(1), .long(4)])
        #expect(rejects.map(\.code) == [.cast, .invalidJSON, .invalidJSON])
        #expect(rejects.allSatisfy { $0.column == "payload" && $0.file.isEmpty })
        #expect(rejects.map(\.rawText) == Array(docs[1...3]))
        #expect(rejects[0].message.contains("'a': cannot read 'x' as long in {\"a\":\"x\"}"))
        // Without a place for rejects, the first one fails instead of vanishing.
        #expect(throws: DataError.self) { _ = try filter.filter(ejPage(docs)) }
        let stop = node.setting("stop_on_invalid_record", to: s("true"))
        let stopping = try ExpandJSONFilterPlugin(config: section(stop)).makeFilter(input: ejSchema) as! RejectingPageFilter
        let error = #expect(throws: DataError.self) { _ = try stopping.filter(ejPage(docs)) { _ in Issue.record("stop_on_invalid_record rejected") } }
        #expect(error?.message.contains("set stop_on_invalid_record: false") == true)
        #expect(error?.column == "payload")
    }

    @Test func booleanAndTimestampRules() throws {
        let node = m(("json_column_name", s("payload")), ("default_timezone", s("Asia/Tokyo")), ("expanded_columns", l([
            m(("name", s("b")), ("type", s("boolean"))),
            m(("name", s("t")), ("type", s("timestamp")), ("format", s("%Y-%m-%d %H:%M:%S"))),
            m(("name", s("u")), ("type", s("timestamp")), ("format", s("%Y-%m-%d")), ("timezone", s("UTC"))),
        ])))
        let (_, values) = try expanded(node, [#"{"b":"yes","t":"2015-07-13 09:00:00","u":"2015-07-13"}"#, #"{"b":true}"#])
        #expect(values[0][1] == .boolean(false))
        #expect(values[0][2] == .timestamp(Timestamp(nanos: 1_436_745_600_000_000_000)))
        #expect(values[0][3] == .timestamp(Timestamp(nanos: 1_436_745_600_000_000_000)))
        #expect(values[1][1] == .boolean(true))
    }

    @Test func mistakesAreConfigErrors() {
        let missing = configError { _ = try expanded(m(("json_column_name", s("paylod")), ("expanded_columns", ejColumns(("a", "long")))), []) }
        #expect(missing?.path == "filters[0].json_column_name")
        #expect(missing?.fix?.contains("'payload'") == true)
        let wrongType = configError { _ = try expanded(m(("json_column_name", s("id")), ("expanded_columns", ejColumns(("a", "long")))), []) }
        #expect(wrongType?.message.contains("string or json") == true)
        let dup = configError { _ = try expanded(m(("json_column_name", s("payload")), ("expanded_columns", ejColumns(("a", "long"), ("a", "string")))), []) }
        #expect(dup?.path == "filters[0].expanded_columns[1].name")
        let clash = configError { _ = try expanded(m(("json_column_name", s("payload")), ("expanded_columns", ejColumns(("tail", "long")))), []) }
        #expect(clash?.message.contains("appears twice") == true)
        let wildcard = configError { _ = try expanded(m(("json_column_name", s("payload")), ("expanded_columns", ejColumns(("a[*]", "long")))), []) }
        #expect(wildcard?.message.contains("several values") == true)
        let old = configError { _ = try expanded(m(("json_column_name", s("payload")), ("time_zone", s("UTC")), ("expanded_columns", ejColumns(("a", "long")))), []) }
        #expect(old?.fix?.contains("default_timezone") == true)
        let cache = configError { _ = try expanded(m(("json_column_name", s("payload")), ("cache_provider", s("com.example.Cache")), ("expanded_columns", ejColumns(("a", "long")))), []) }
        #expect(cache?.path == "filters[0].cache_provider")
    }
}
