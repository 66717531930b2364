import Foundation
import Testing

@testable import KuraCore

/// A config node's stored form (inside plans): every kind, quoted scalars, and key order.
@Suite struct ConfigNodeCodableTests {
    static let node = ConfigNode.mapping([
        ("type", .scalar("csv")),
        ("skip_header_lines", .scalar("1")),
        ("padded", .scalar("007")),
        ("header_line", .scalar("true")),
        ("quoted_true", ConfigNode(.scalar("true", quoted: true))),
        ("null_string", ConfigNode(.scalar("", quoted: true))),
        ("literal_null", ConfigNode(.scalar("NULL", quoted: true))),
        ("quote", ConfigNode(.null)),
        ("columns", ConfigNode(.sequence([.mapping([("name", .scalar("id")), ("type", .scalar("long"))])]))),
    ])

    @Test func unquotedIntegersAndBooleansEncodeAsJSONValuesAndTextStaysText() throws {
        let json = String(decoding: try JSONEncoder().encode(Self.node), as: UTF8.self)
        #expect(json.contains("\"skip_header_lines\":1"))
        #expect(json.contains("\"padded\":\"007\""), "a number written with a leading zero stays text")
        #expect(json.contains("\"header_line\":true"))
        #expect(json.contains("\"quoted_true\":\"true\""))
        #expect(json.contains("\"quote\":null"))
    }

    @Test func decodingGivesBackTheSameMeaning() throws {
        let back = try JSONDecoder().decode(ConfigNode.self, from: JSONEncoder().encode(Self.node))
        for (key, value) in Self.node.mappingEntries! {
            let got = try #require(back[key], "\(key) is missing")
            #expect(got.isNull == value.isNull, "\(key)")
            #expect(got.scalarText == value.scalarText, "\(key)")
        }
        // Text that YAML would read as null comes back quoted, so it is still text and not null.
        #expect(back["null_string"]?.kind == .scalar("", quoted: true))
        #expect(back["literal_null"]?.kind == .scalar("NULL", quoted: true))
        #expect(back["quote"]?.isNull == true)
        // (JSON readers need not keep key order; the values are what matter here.)
        guard case .sequence(let columns)? = back["columns"]?.kind else { Issue.record("columns is not a list"); return }
        #expect(columns.count == 1 && columns[0]["name"]?.scalarText == "id" && columns[0]["type"]?.scalarText == "long")
    }
}
