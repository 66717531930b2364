import Foundation
import KuraBuiltins
import KuraCore
import KuraGuess
import KuraRuntime
import KuraTestSupport
import Testing

/// Golden triplets: `Golden/<edge case>/seed.yml` and its `data/` give exactly `guessed.yml`, and the guessed
/// config loads every record of the data. `KURA_RECORD_GOLDEN=1` rewrites the expected files.
@Suite struct GoldenGuessTests {
    static let root = repositoryRoot + "/Tests/KuraGuessTests/Golden"
    static let cases: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()

    static func environment(_ dir: String) -> KuraEnvironment {
        KuraEnvironment(registry: BuiltinPlugins.registry, logger: .silent, workingDirectory: dir, environment: [:])
    }

    @Test func everyEdgeCaseHasATriplet() {
        #expect(Self.cases.count >= 20)
        for c in Self.cases {
            for f in ["seed.yml", "guessed.yml", "data"] {
                #expect(FileManager.default.fileExists(atPath: "\(Self.root)/\(c)/\(f)"), "\(c) lacks \(f)")
            }
        }
    }

    @Test(arguments: cases) func guessMatchesGolden(_ name: String) throws {
        let dir = Self.root + "/" + name
        let env = Self.environment(dir)
        let result = try ConfigGuesser(environment: env).guess(seedPath: dir + "/seed.yml")
        let expectedPath = dir + "/guessed.yml"
        if ProcessInfo.processInfo.environment["KURA_RECORD_GOLDEN"] == "1" {
            try result.yaml.write(toFile: expectedPath, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
        #expect(result.yaml == expected, "\(name): the guess differs from guessed.yml")
        #expect(result.report.rejectedSampleRows.isEmpty, "\(name): \(result.report.rejectedSampleRows)")
        // The written text plans and loads every record as it is.
        let config = try ConfigLoader(environment: [:]).parse(yaml: result.yaml, file: expectedPath)
        let preview = try Previewer(pipeline: try env.pipeline(config: config, file: expectedPath)).run(limit: 0)
        #expect(preview.rejects.isEmpty, "\(name): \(preview.rejects)")
        #expect(preview.rowCount >= 2)
    }

    @Test func undecidableDatesStayStringsWithAStatement() throws {
        let dir = Self.root + "/ambiguous_dates"
        let result = try ConfigGuesser(environment: Self.environment(dir)).guess(seedPath: dir + "/seed.yml")
        let d = try #require(result.report.decision("in.parser.columns[1].type (day)"))
        #expect(d.winner == "string")
        #expect(d.undecided?.contains("no sampled day is above 12") == true)
        #expect(result.report.text.contains("undecided:"))
    }

    @Test func userValuesAreKeptAndUnmarked() throws {
        let dir = Self.root + "/user_values_kept"
        let result = try ConfigGuesser(environment: Self.environment(dir)).guess(seedPath: dir + "/seed.yml")
        #expect(result.config.lookup("in.parser.delimiter")?.scalarText == "|")
        #expect(!result.guessed.contains("in.parser.delimiter"))
        #expect(result.guessed.contains("in.parser.columns"))
        #expect(result.yaml.contains("    delimiter: '|'\n"))
        #expect(result.yaml.contains("    columns:  # guessed\n"))
        #expect(result.yaml.contains("{name: id, type: long}"), "the header the seed skips names the columns")
    }

    @Test func explainNamesCandidatesWinnerAndEvidence() throws {
        let dir = Self.root + "/semicolon_delimiter"
        let report = try ConfigGuesser(environment: Self.environment(dir)).guess(seedPath: dir + "/seed.yml").report
        let d = try #require(report.decision("in.parser.delimiter"))
        #expect(d.winner == ";")
        #expect(d.candidates.count >= 4)
        #expect(d.evidence.contains { $0.contains("3 fields on 100%") })
        #expect(report.decision("in.decoders")?.winner == "none")
    }

    @Test func gzipIsFoundByItsMagicNumberNotItsName() throws {
        let dir = Self.root + "/gzip_without_gz"
        let result = try ConfigGuesser(environment: Self.environment(dir)).guess(seedPath: dir + "/seed.yml")
        #expect(result.config.lookup("in.decoders[0].type")?.scalarText == "gzip")
        #expect(result.guessed.contains("in.decoders"))
    }
}
