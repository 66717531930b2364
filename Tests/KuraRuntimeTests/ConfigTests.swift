import Foundation
import KuraCore
import KuraTestSupport
import Testing

@testable import KuraRuntime

@Suite struct ConfigLoaderTests {
    @Test func yamlSyntaxErrorHasLineAndColumn() throws {
        let loader = ConfigLoader(environment: [:])
        do {
            _ = try loader.parse(yaml: "in:\n  type: file\n   path_prefix: x\n", file: "bad.yml")
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.mark?.line == 3)
            #expect(e.description.hasPrefix("config error at bad.yml:3:"))
            #expect(e.message.contains("YAML is not valid"))
        }
    }

    @Test func duplicateKeyIsAnError() throws {
        do {
            _ = try ConfigLoader(environment: [:]).parse(yaml: "in:\n  type: file\n  type: s3\n", file: "d.yml")
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.mark != nil)
            #expect(e.message == "key 'type' appears twice in one mapping")
        }
    }

    @Test func scalarsKeepQuotingAndNulls() throws {
        let n = try ConfigLoader(environment: [:]).parse(yaml: "a: ~\nb: ''\nc: null\nd: 'null'\ne: 12\n")
        #expect(n["a"]?.isNull == true)
        #expect(n["b"]?.kind == .scalar("", quoted: true))
        #expect(n["c"]?.isNull == true)
        #expect(n["d"]?.kind == .scalar("null", quoted: true))
        #expect(n["e"]?.scalarText == "12")
    }

    @Test func errorBudgetParsing() {
        #expect(ErrorBudget(text: "10") == .count(10))
        #expect(ErrorBudget(text: "0.5%") == .ratio(0.005))
        #expect(ErrorBudget(text: "unlimited") == .unlimited)
        #expect(ErrorBudget(text: "ten") == nil)
        #expect(ErrorBudget(text: "-3") == nil)
    }

    @Test func unknownTopLevelKeySuggests() throws {
        let node = try ConfigLoader(environment: [:]).parse(yaml: "in: {type: file}\nout: {type: null}\nfilter: []\n", file: "c.yml")
        do {
            _ = try LoadConfigSections(root: node, file: "c.yml")
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.description == "config error at c.yml:3:9 (filter): unknown top-level key 'filter'; did you mean 'filters'?")
        }
    }

    @Test func execOptionsUnknownKeyPointsAtIt() throws {
        let node = try ConfigLoader(environment: [:]).parse(
            yaml: "in: {type: file}\nout: {type: null}\nexec:\n  max_thread: 4\n", file: "c.yml")
        do {
            _ = try LoadConfigSections(root: node, file: "c.yml")
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.description == "config error at c.yml:4:15 (exec.max_thread): unknown key 'max_thread'; did you mean 'max_threads'?")
        }
    }

    @Test func execOptionsTypeErrorSaysWhat() throws {
        let node = try ConfigLoader(environment: [:]).parse(
            yaml: "in: {type: file}\nout: {type: null}\nexec:\n  max_threads: lots\n", file: "c.yml")
        do {
            _ = try LoadConfigSections(root: node, file: "c.yml")
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.description == "config error at c.yml:4:16 (exec.max_threads): expected an integer, got 'lots'")
        }
    }
}

@Suite struct LiquidTests {
    func render(_ text: String, env: [String: String] = [:], vars: [String: String] = [:], dir: String = ".") throws -> String {
        try LiquidTemplate(source: text, file: "t.yml.liquid", directory: dir).render(context: .init(env: env, vars: vars))
    }

    @Test func envVarsAndDefaults() throws {
        #expect(try render("a: {{ env.HOME_DIR }}", env: ["HOME_DIR": "/h"]) == "a: /h")
        #expect(try render("a: {{ env.MISSING | default: 'x' }}") == "a: x")
        #expect(try render("a: {{ vars.day }}", vars: ["day": "2024-01-01"]) == "a: 2024-01-01")
        #expect(try render("a: {{ vars.t | upcase | append: '_x' }}", vars: ["t": "ab"]) == "a: AB_x")
        #expect(try render("a: {{ env.NOPE }}") == "a: ")
    }

    @Test func conditionals() throws {
        let t = "{% if vars.mode == 'full' %}full{% elsif vars.mode == 'diff' %}diff{% else %}none{% endif %}"
        #expect(try render(t, vars: ["mode": "full"]) == "full")
        #expect(try render(t, vars: ["mode": "diff"]) == "diff")
        #expect(try render(t) == "none")
        #expect(try render("{% unless vars.x %}no x{% endunless %}") == "no x")
        #expect(try render("{% assign t = 'v' %}{{ t }}") == "v")
        #expect(try render("{% comment %}hidden {{ x }}{% endcomment %}shown") == "shown")
    }

    @Test func includeReadsUnderscoreFileBeside() throws {
        let dir = TempDir()
        _ = dir.write("_common.yml.liquid", "in: {{ vars.x }}\n")
        #expect(try render("{% include 'common' %}out: 1\n", vars: ["x": "7"], dir: dir.path) == "in: 7\nout: 1\n")
        do {
            _ = try render("{% include 'nope' %}", dir: dir.path)
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.message == "cannot find the include 'nope'")
            #expect(e.fix?.hasSuffix("/_nope.yml.liquid") == true)
        }
    }

    @Test func unclosedTagIsAnError() {
        #expect(throws: ConfigError.self) { try render("a: {{ env.X ") }
        #expect(throws: ConfigError.self) { try render("{% if x %}a") }
        #expect(throws: ConfigError.self) { try render("{% for x in y %}{% endfor %}") }
    }
}
