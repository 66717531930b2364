import KuraCore
import KuraTestSupport
import Testing

@testable import FilterRemoveColumns

@Suite struct RemoveColumnsFilterTests {
    let input = Schema([("id", .long), ("name", .string), ("score", .double), ("at", .timestamp)])
    var sample: Page {
        page(input, [
            [.long(1), .string("ann"), .double(1.5), .timestamp(Timestamp(nanos: 7))],
            [.long(2), .null, .null, .timestamp(Timestamp(nanos: -7))],
        ])
    }

    func filter(_ node: ConfigNode) throws -> RemoveColumnsFilterPlugin { try RemoveColumnsFilterPlugin(config: section(node)) }

    @Test func removeDropsNamedColumns() throws {
        let f = try filter(m(("remove", strings("name", "at"))))
        let out = try f.outputSchema(for: input)
        #expect(out.names == ["id", "score"])
        #expect(out.columns.map(\.index) == [0, 1])
        let result = try f.makeFilter(input: input).filter(sample)
        #expect(result.schema == out)
        #expect(rows(result) == [[.long(1), .double(1.5)], [.long(2), .null]])
    }

    @Test func keepKeepsInputOrder() throws {
        let f = try filter(m(("keep", strings("at", "id"))))
        #expect(try f.outputSchema(for: input).names == ["id", "at"])
        let result = try f.makeFilter(input: input).filter(sample)
        #expect(rows(result) == [[.long(1), .timestamp(Timestamp(nanos: 7))], [.long(2), .timestamp(Timestamp(nanos: -7))]])
    }

    @Test func keepNothingAndRemoveNothing() throws {
        #expect(try filter(m(("keep", l()))).outputSchema(for: input).count == 0)
        #expect(try filter(m(("remove", l()))).outputSchema(for: input) == input)
    }

    @Test func exactlyOneOfRemoveAndKeep() {
        let both = configError { _ = try filter(m(("remove", strings("id")), ("keep", strings("name")))) }
        #expect(both?.message.contains("cannot be used together") == true)
        #expect(both?.path == "filters[0].keep")
        let neither = configError { _ = try filter(m()) }
        #expect(neither?.message.contains("'remove' or 'keep'") == true)
    }

    @Test func unmatchedNameIsAnErrorWithASuggestion() throws {
        let f = try filter(m(("remove", strings("id", "scroe"))))
        let err = configError { _ = try f.outputSchema(for: input) }
        #expect(err?.path == "filters[0].remove[1]")
        #expect(err?.message.contains("'scroe'") == true)
        #expect(err?.fix?.contains("'score'") == true)
        let keep = configError { _ = try filter(m(("keep", strings("nam")))).makeFilter(input: input) }
        #expect(keep?.path == "filters[0].keep[0]")
    }

    @Test func acceptUnmatchedColumnsIgnoresMissingNames() throws {
        let f = try filter(m(("remove", strings("id", "nope")), ("accept_unmatched_columns", s("true"))))
        #expect(try f.outputSchema(for: input).names == ["name", "score", "at"])
        let k = try filter(m(("keep", strings("nope", "name")), ("accept_unmatched_columns", s("true"))))
        #expect(try k.outputSchema(for: input).names == ["name"])
    }

    @Test func unknownKeyIsRejected() {
        let err = configError { _ = try filter(m(("remove", strings("id")), ("accept_unmatched_column", s("true")))) }
        #expect(err?.fix?.contains("accept_unmatched_columns") == true)
    }

    @Test func optionsFromCode() throws {
        let f = RemoveColumnsFilterPlugin(options: .init(keep: ["score"]))
        #expect(try f.outputSchema(for: input).names == ["score"])
        #expect(RemoveColumnsFilterPlugin.descriptor.name == "remove_columns")
        #expect(RemoveColumnsFilterPlugin.descriptor.kind == .filter)
    }
}
