import KuraCore
import KuraTestSupport
import Testing

@testable import FilterRename

/// The output names of a rename filter configured with `node` over input columns `names`.
func renamed(_ names: [String], _ node: ConfigNode) throws -> [String] {
    try RenameFilterPlugin(config: section(node)).outputSchema(for: stringSchema(names)).names
}

func rules(_ items: ConfigNode...) -> ConfigNode { m(("type", s("rename")), ("rules", ConfigNode(.sequence(items)))).removing("type") }

@Suite struct RenameColumnsTests {
    @Test func renamesByMapAndKeepsTypesAndData() throws {
        let input = Schema([("id", .long), ("User Name", .string), ("at", .timestamp)])
        let filter = try RenameFilterPlugin(config: section(m(("columns", m(("User Name", s("user_name")), ("at", s("created_at")))))))
        let out = try filter.outputSchema(for: input)
        #expect(out.names == ["id", "user_name", "created_at"])
        #expect(out.columns.map(\.type) == [.long, .string, .timestamp])
        #expect(out.columns.map(\.index) == [0, 1, 2])

        let p = page(input, [[.long(1), .string("ann"), .timestamp(Timestamp(nanos: 5))], [.null, .null, .null]])
        let result = try filter.makeFilter(input: input).filter(p)
        #expect(result.schema == out)
        #expect(result.rowCount == 2)
        #expect(rows(result) == rows(p))
    }

    @Test func unknownColumnInMapSuggestsTheNearest() {
        let err = configError {
            _ = try renamed(["name", "age"], m(("columns", m(("nmae", s("n"))))))
        }
        #expect(err?.path == "filters[0].columns.nmae")
        #expect(err?.message.contains("'nmae'") == true)
        #expect(err?.fix?.contains("'name'") == true)
    }

    @Test func mapIntoAnExistingNameIsADuplicate() {
        let err = configError { _ = try renamed(["a", "b"], m(("columns", m(("a", s("b")))))) }
        #expect(err?.message.contains("'a' and 'b'") == true)
        #expect(err?.fix?.contains("unique_number_suffix") == true)
    }

    @Test func swappingNamesIsAllowed() throws {
        #expect(try renamed(["a", "b"], m(("columns", m(("a", s("b")), ("b", s("a")))))) == ["b", "a"])
    }

    @Test func emptyConfigChangesNothing() throws {
        #expect(try renamed(["A b", "c"], m()) == ["A b", "c"])
    }

    @Test func unknownKeyIsRejected() {
        let err = configError { _ = try renamed(["a"], m(("colums", m()))) }
        #expect(err?.path == "filters[0].colums")
        #expect(err?.fix?.contains("columns") == true)
    }
}

@Suite struct RenameRuleTests {
    @Test func characterTypes() throws {
        let rule = m(("rule", s("character_types")), ("pass_types", strings("a-z", "0-9")), ("pass_characters", s("_")))
        #expect(try renamed(["a.b", "Ünï", "x-1", "ok_9"], rules(rule)) == ["a_b", "_n_", "x_1", "ok_9"])
    }

    @Test func characterTypesWithReplaceAndUpperCase() throws {
        let rule = m(("rule", s("character_types")), ("pass_types", strings("A-Z")), ("replace", s("-")))
        #expect(try renamed(["AbC d"], rules(rule)) == ["A-C--"])
    }

    @Test func characterTypesWithNothingPassedReplacesEverything() throws {
        #expect(try renamed(["ab"], rules(m(("rule", s("character_types"))))) == ["__"])
    }

    @Test func characterTypesRejectsBadOptions() {
        let long = configError {
            _ = try renamed(["a"], rules(m(("rule", s("character_types")), ("replace", s("__")))))
        }
        #expect(long?.path == "filters[0].rules[0].replace")
        let type = configError {
            _ = try renamed(["a"], rules(m(("rule", s("character_types")), ("pass_types", strings("a-9")))))
        }
        #expect(type?.path == "filters[0].rules[0].pass_types[0]")
        #expect(type?.fix?.contains("a-z") == true)
    }

    @Test func firstCharacterTypesPrefix() throws {
        let rule = m(("rule", s("first_character_types")), ("pass_types", strings("a-z")), ("prefix", s("_")))
        #expect(try renamed(["1abc", "abc", "_x", "Ab", ""], rules(rule)) == ["_1abc", "abc", "__x", "_Ab", ""])
    }

    @Test func firstCharacterTypesReplaceWithPassCharacters() throws {
        let rule = m(
            ("rule", s("first_character_types")), ("pass_types", strings("a-z")), ("pass_characters", s("_")),
            ("replace", s("x")))
        #expect(try renamed(["1abc", "_y", "Éte"], rules(rule)) == ["xabc", "_y", "xte"])
    }

    @Test func firstCharacterTypesNeedsExactlyOneOfPrefixAndReplace() {
        let neither = configError { _ = try renamed(["a"], rules(m(("rule", s("first_character_types"))))) }
        #expect(neither?.message.contains("'prefix' or 'replace'") == true)
        let both = configError {
            _ = try renamed(
                ["a"], rules(m(("rule", s("first_character_types")), ("prefix", s("_")), ("replace", s("_")))))
        }
        #expect(both?.message.contains("cannot be used together") == true)
    }

    @Test func caseRules() throws {
        #expect(try renamed(["MixedCase", "ünï"], rules(m(("rule", s("lower_to_upper"))))) == ["MIXEDCASE", "ÜNÏ"])
        #expect(try renamed(["MixedCase", "ÜNÏ"], rules(m(("rule", s("upper_to_lower"))))) == ["mixedcase", "ünï"])
    }

    @Test func caseRuleRejectsOptionsItDoesNotTake() {
        let err = configError { _ = try renamed(["a"], rules(m(("rule", s("lower_to_upper")), ("replace", s("x"))))) }
        #expect(err?.path == "filters[0].rules[0].replace")
    }

    @Test func regexReplaceWithGroups() throws {
        let rule = m(("rule", s("regex_replace")), ("match", s("^col_(\\d+)$")), ("replace", s("c$1")))
        #expect(try renamed(["col_12", "col_x", "xcol_1"], rules(rule)) == ["c12", "col_x", "xcol_1"])
    }

    @Test func regexReplaceEveryMatch() throws {
        let rule = m(("rule", s("regex_replace")), ("match", s("[aeiou]")), ("replace", s("")))
        #expect(try renamed(["education"], rules(rule)) == ["dctn"])
    }

    @Test func regexReplaceErrors() {
        let bad = configError {
            _ = try renamed(["a"], rules(m(("rule", s("regex_replace")), ("match", s("(")), ("replace", s("")))))
        }
        #expect(bad?.path == "filters[0].rules[0].match")
        let missing = configError { _ = try renamed(["a"], rules(m(("rule", s("regex_replace")), ("match", s("a"))))) }
        #expect(missing?.message.contains("'replace'") == true)
    }

    @Test func truncate() throws {
        let rule = m(("rule", s("truncate")), ("max_length", s("3")))
        #expect(try renamed(["abcdef", "ab", "日本語です"], rules(rule)) == ["abc", "ab", "日本語"])
        let long = String(repeating: "x", count: 200)
        #expect(try renamed([long], rules(m(("rule", s("truncate"))))) == [String(repeating: "x", count: 128)])
    }

    @Test func truncateToADuplicateIsAnError() {
        let err = configError {
            _ = try renamed(["abc1", "abc2"], rules(m(("rule", s("truncate")), ("max_length", s("3")))))
        }
        #expect(err?.path == "filters[0].rules")
        #expect(err?.message.contains("'abc'") == true)
    }

    @Test func uniqueNumberSuffixAsEmbulk() throws {
        let rule = m(("rule", s("unique_number_suffix")))
        #expect(try renamed(["c", "c1", "c1", "c2", "c", "c3"], rules(rule)) == ["c", "c1", "c1_2", "c2", "c_2", "c3"])
        #expect(try renamed(["c", "c", "c_0", "c_1", "c_2"], rules(rule)) == ["c", "c_3", "c_0", "c_1", "c_2"])
        #expect(try renamed(["a", "a", "a"], rules(rule)) == ["a", "a_2", "a_3"])
    }

    @Test func uniqueNumberSuffixOptions() throws {
        let padded = m(("rule", s("unique_number_suffix")), ("delimiter", s("-")), ("digits", s("3")))
        #expect(try renamed(["a", "a", "b"], rules(padded)) == ["a", "a-002", "b"])
        let fromZero = m(("rule", s("unique_number_suffix")), ("offset", s("0")))
        #expect(try renamed(["a", "a", "a"], rules(fromZero)) == ["a", "a_1", "a_2"])
        let cut = m(("rule", s("unique_number_suffix")), ("max_length", s("8")))
        #expect(try renamed(["abcdefghij", "abcdefghij"], rules(cut)) == ["abcdefgh", "abcdef_2"])
    }

    @Test func uniqueNumberSuffixErrors() {
        let digitDelimiter = configError {
            _ = try renamed(["a"], rules(m(("rule", s("unique_number_suffix")), ("delimiter", s("1")))))
        }
        #expect(digitDelimiter?.path == "filters[0].rules[0].delimiter")
        let fewDigits = configError {
            _ = try renamed(
                Array(repeating: "a", count: 12), rules(m(("rule", s("unique_number_suffix")), ("digits", s("2")))))
        }
        #expect(fewDigits?.path == "filters[0].rules[0].digits")
        let shortMax = configError {
            _ = try renamed(["a"], rules(m(("rule", s("unique_number_suffix")), ("max_length", s("5")))))
        }
        #expect(shortMax?.path == "filters[0].rules[0].max_length")
    }

    @Test func unknownRuleSuggestsTheNearest() {
        let err = configError { _ = try renamed(["a"], rules(m(("rule", s("lower_to_uper"))))) }
        #expect(err?.path == "filters[0].rules[0].rule")
        #expect(err?.fix?.contains("'lower_to_upper'") == true)
    }

    @Test func rulesApplyInOrderAfterTheMap() throws {
        let node = m(
            ("columns", m(("Id", s("Row ID")))),
            ("rules", l(
                m(("rule", s("upper_to_lower"))),
                m(("rule", s("character_types")), ("pass_types", strings("a-z", "0-9")), ("pass_characters", s("_"))),
                m(("rule", s("first_character_types")), ("pass_types", strings("a-z")), ("prefix", s("_"))),
                m(("rule", s("unique_number_suffix"))))))
        #expect(try renamed(["Id", "petal.width", "Petal Width", "2nd"], node) == ["row_id", "petal_width", "petal_width_2", "_2nd"])
    }

    @Test func duplicatesInTheInputNeedUniqueNumberSuffix() throws {
        let err = configError { _ = try renamed(["a", "a"], m()) }
        #expect(err != nil)
        #expect(try renamed(["a", "a"], rules(m(("rule", s("unique_number_suffix"))))) == ["a", "a_2"])
    }

    @Test func optionsFromCodeAndDescriptor() throws {
        let filter = RenameFilterPlugin(options: .init(columns: [("a", "b")], rules: [.lowerToUpper]))
        #expect(try filter.outputSchema(for: stringSchema(["a", "c"])).names == ["B", "C"])
        #expect(RenameFilterPlugin.descriptor.kind == .filter)
        #expect(RenameFilterPlugin.descriptor.name == "rename")
    }
}
