import Foundation
import KuraBuiltins
import KuraCore
import KuraFormats
import KuraTestSupport
import Testing
import Yams

@testable import KuraRuntime

/// The plan as a value: what planning puts in it, its stored form, shards, secrets, and runs that consume it.
@Suite struct LoadPlanTests {
    func environment(_ dir: TempDir) -> KuraEnvironment {
        KuraEnvironment(registry: BuiltinPlugins.registry, logger: .silent, workingDirectory: dir.path, environment: [:])
    }

    static let config = """
        in:
          type: file
          path_prefix: data/
          decoders: []
          parser:
            type: csv
            columns:
              - {name: id, type: long}
              - {name: name, type: string}
        filters:
          - {type: rename, columns: {name: who}}
        out:
          type: file
          path_prefix: out/part
          file_ext: jsonl
          formatter: {type: jsonl}
        exec: {max_threads: 1, max_errors: 5}
        """

    @Test func planningListsTasksSchemasPluginsAndTargetAndWritesNothing() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", "1,a\n")
        _ = dir.write("data/b.csv", "2,b\n3,c\n")
        let config = dir.write("c.yml", Self.config)
        let plan = try environment(dir).pipeline(configPath: config).plan
        #expect(plan.tasks.map { ($0.name as NSString).lastPathComponent } == ["a.csv", "b.csv"])
        #expect(plan.tasks.map(\.size) == [4, 8])
        #expect(plan.tasks.allSatisfy { $0.modifiedAt != nil })
        #expect(plan.schemas.map { $0.columns.map(\.name) } == [["id", "name"], ["id", "who"]])
        #expect(plan.plugins.map { "\($0.kind)/\($0.type)@\($0.path)" } == [
            "input/file@in", "parser/csv@in.parser", "filter/rename@filters[0]", "output/file@out",
            "formatter/jsonl@out.formatter",
        ])
        #expect(plan.plugins[0].given["path_prefix"]?.scalarText == "data/")
        // The decoded options show the defaults the plugins apply.
        let csv = try #require(plan.plugins[1].options)
        #expect(csv["delimiter"]?.scalarText == ",")
        #expect(csv["skip_header_lines"]?.scalarText == "0")
        #expect(csv["quotes_in_quoted_fields"]?.scalarText == "ACCEPT_ONLY_RFC4180_ESCAPED")
        #expect(csv["columns"]?.yamlText.contains("name: id") == true)
        #expect(plan.target == OutputTarget(type: "file", location: dir.path + "/out/part"))
        #expect(plan.exec.maxThreads == 1)
        #expect(plan.exec.maxErrors == "5")
        #expect(plan.shard == nil && plan.listedTaskCount == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out"))
    }

    @Test func aPlanSurvivesItsStoredFormInYAMLAndJSON() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", "1,a\n")
        let plan = try environment(dir).pipeline(configPath: dir.write("c.yml", Self.config), shard: Shard(index: 0, count: 1)).plan
        // YAML keeps every mapping's key order; JSON readers may not, so JSON is compared key by key.
        let back = try YAMLDecoder().decode(LoadPlan.self, from: try YAMLEncoder().encode(plan))
        #expect(back.config.yamlText == plan.config.yamlText)
        #expect(back.plugins.map(\.given.yamlText) == plan.plugins.map(\.given.yamlText))
        #expect(back.plugins.map { $0.options?.yamlText } == plan.plugins.map { $0.options?.yamlText })
        let fromJSON = try JSONDecoder().decode(LoadPlan.self, from: try JSONEncoder().encode(plan))
        for other in [back, fromJSON] {
            #expect(other.configHash == plan.configHash)
            #expect(other.sessionTime == plan.sessionTime)
            #expect(other.plugins.map(\.path) == plan.plugins.map(\.path))
            #expect(other.schemas == plan.schemas && other.target == plan.target && other.exec == plan.exec)
            #expect(other.shard == Shard(index: 0, count: 1))
            #expect(other.tasks.map(\.name) == plan.tasks.map(\.name) && other.tasks.map(\.size) == plan.tasks.map(\.size))
            let drift = abs((other.tasks[0].modifiedAt ?? 0) - (plan.tasks[0].modifiedAt ?? 0))
            #expect(drift < 1e-3, "mtime moved by \(drift) s")
        }
        #expect(fromJSON.config["exec"]?["max_errors"]?.scalarText == "5")
        // What a dry run prints is this plan.
        let printed = try ConfigLoader(environment: [:]).parse(yaml: try PlanFormat.yaml.render(plan))
        #expect(printed["config_hash"]?.scalarText == plan.configHash)
        #expect(printed["config"]?.yamlText == plan.config.yamlText)
    }

    @Test func aStoredPlanRunsItsOwnTasksNotTheFilesListedNow() throws {
        let dir = TempDir()
        _ = dir.write("data/a.csv", "1,a\n2,b\n")
        let env = environment(dir)
        let stored = try YAMLEncoder().encode(env.pipeline(configPath: dir.write("c.yml", Self.config)).plan)
        _ = dir.write("data/b.csv", "3,c\n")  // arrives after planning: not part of the plan
        let plan = try YAMLDecoder().decode(LoadPlan.self, from: stored)
        let context = PluginContext(workingDirectory: dir.path, sessionTime: Timestamp(seconds: 0), logger: .silent)
        let pipeline = try LoadPipeline(plan: plan, registry: BuiltinPlugins.registry, context: context)
        #expect(pipeline.context.sessionTime == plan.sessionTime)
        let result = try LoadRunner(pipeline: pipeline).run()
        #expect(result.total == RowCounts(read: 2, loaded: 2))
        #expect(result.tasks.map { ($0.name as NSString).lastPathComponent } == ["a.csv"])
    }

    @Test func shardsSplitTasksByPathAndAddingFilesMovesNoOther() throws {
        let paths = (0..<200).map { "s3/events/2024-05-\($0 % 28 + 1)/part-\($0).csv.gz" }
        let shards = (0..<4).map { Shard(index: $0, count: 4) }
        let owners = paths.map { p in shards.filter { $0.contains(p) }.map(\.index) }
        #expect(owners.allSatisfy { $0.count == 1 }, "every path is in exactly one shard")
        let sizes = (0..<4).map { i in owners.filter { $0 == [i] }.count }
        #expect(sizes.allSatisfy { $0 > 20 }, "shards are roughly even: \(sizes)")
        // The owner depends only on the path: the same with more files around it, and with another count the
        // assignment is still a function of the path alone.
        let more = paths + (0..<50).map { "s3/events/new-\($0).csv.gz" }
        #expect(more.prefix(200).map { p in shards.first { $0.contains(p) }!.index } == owners.map { $0[0] })
    }

    @Test func shardTextIsIndexSlashCount() {
        #expect(Shard(text: "0/4") == Shard(index: 0, count: 4))
        #expect(Shard(text: "3/4") == Shard(index: 3, count: 4))
        for bad in ["4/4", "-1/4", "1/0", "a/b", "1", "1/2/3", ""] { #expect(Shard(text: bad) == nil, "\(bad)") }
    }

    @Test func printedPlansHideSecrets() throws {
        let node = ConfigNode.mapping([
            ("out", .mapping([
                ("type", .scalar("postgresql")), ("password", .scalar("hunter2")),
                ("url", .scalar("postgresql://loader:s3cr%40t@db.internal:5432/wh?sslmode=require&password=other")),
                ("aws_secret_access_key", .scalar("AKIASECRET")), ("table", .scalar("events")),
            ]))
        ])
        let plan = LoadPlan(
            configFile: nil, config: node, sessionTime: Timestamp(seconds: 1_700_000_000),
            plugins: [PlannedPlugin(kind: .output, type: "postgresql", path: "out", given: node["out"]!)], tasks: [],
            schemas: [Schema([("id", .long)])],
            target: OutputTarget(type: "postgresql", location: "postgresql://loader:s3cr%40t@db.internal:5432/wh"),
            exec: PlannedExec(maxThreads: 1, maxErrors: "unlimited", rejectsPath: "r.jsonl"), configDiff: [:])
        for format in PlanFormat.allCases {
            let text = try format.render(plan)
            for secret in ["hunter2", "s3cr%40t", "other", "AKIASECRET"] {
                #expect(!text.contains(secret), "\(format) shows \(secret)")
            }
            #expect(text.contains("loader:********@db.internal"))
            #expect(text.contains("events"))
        }
        #expect(plan.config["out"]?["password"]?.scalarText == "hunter2", "the plan itself keeps what the run needs")
    }
}
