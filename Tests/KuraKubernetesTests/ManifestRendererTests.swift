import Foundation
import KuraCore
import KuraJobs
import KuraRuntime
import KuraTestSupport
import Testing
import Yams

@testable import KuraKubernetes

/// Whether PyPI's kubernetes-validate is installed (`.ci/run` installs it).
let validatorAvailable = FileManager.default.isExecutableFile(atPath: validatorPath)
let validatorPath: String = {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let p = "\(dir)/kubernetes-validate"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return "/usr/local/bin/kubernetes-validate"
}()

/// `kura k8s render`'s objects: their fields against the job files, secrets by reference, and the official schemas.
@Suite struct ManifestRendererTests {
    let dir = TempDir()

    func render(_ files: [String: String], values: RenderValues = RenderValues(image: "registry.example/kura:1.2.3", namespace: "ml"))
        throws -> String
    {
        for (name, text) in files { dir.write("jobs/\(name)", text) }
        return try ManifestRenderer(catalog: try JobCatalog(directory: dir.path + "/jobs", environment: ["PGPASSWORD": "s3cret-pw"]), values: values).render()
    }

    static let jobs = [
        "kura.yml": "warehouse: 'postgresql://loader:{{ env.PGPASSWORD }}@db.internal/wh'\n",
        "events_import.yml": "schedule: '@hourly'\ntimezone: Asia/Tokyo\nstarting_deadline_seconds: 600\nsteps: [{load: loads/e.yml}]\n",
        "user_features.yml": """
            schedule: '30 2 * * *'
            timezone: America/New_York
            concurrency_policy: replace
            retries: {limit: 2, backoff_seconds: 30}
            timeout_seconds: 900
            steps: [{sql: sql/f.sql}, {exec: python3 train.py}]
            """,
        "big_backfill_with_a_really_long_name_that_goes_past_the_limit.yml": "schedule: '0 3 * * 0'\nparallelism: 3\nsteps: [{load: loads/e.yml}]\n",
        "loads/e.yml": "in: {type: file, path_prefix: /data/, parser: {type: json}}\nout: {type: postgresql, url: 'postgresql://loader:{{ env.PGPASSWORD }}@db/wh', table: events}\n",
        "sql/f.sql": "SELECT 1 -- {{ session_date }} {{ env['FEATURE_FLAG'] }}\n",
        "train.py": "print('train')\n",
    ]

    func documents(_ text: String) throws -> [[String: Any]] {
        try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
    }

    @Test func cronJobsCarryTheJobsScheduleZonePolicyRetriesAndTimeouts() throws {
        let docs = try documents(try render(Self.jobs))
        #expect(docs.map { $0["kind"] as? String } == ["ConfigMap", "CronJob", "CronJob", "CronJob"])
        let byName = Dictionary(uniqueKeysWithValues: docs.dropFirst().map { (($0["metadata"] as! [String: Any])["name"] as! String, $0) })
        let uf = try #require(byName["user-features"]?["spec"] as? [String: Any])
        #expect(uf["schedule"] as? String == "30 2 * * *" && uf["timeZone"] as? String == "America/New_York")
        #expect(uf["concurrencyPolicy"] as? String == "Replace")
        let jobSpec = try #require((uf["jobTemplate"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(jobSpec["backoffLimit"] as? Int == 2)
        #expect(jobSpec["activeDeadlineSeconds"] as? Int == 900 * 3 + 30 + 60 + 60)
        let ei = try #require(byName["events-import"]?["spec"] as? [String: Any])
        #expect(ei["schedule"] as? String == "@hourly" && ei["timeZone"] as? String == "Asia/Tokyo" && ei["startingDeadlineSeconds"] as? Int == 600)
        #expect(ei["concurrencyPolicy"] as? String == "Forbid")
        let long = try #require(byName.keys.first { $0.hasPrefix("big-backfill") })
        #expect(long.count <= 52)
    }

    @Test func parallelJobsAreIndexedJobsWhosePodsRunTheirShard() throws {
        let text = try render(Self.jobs)
        #expect(text.contains("completionMode: \"Indexed\""))
        #expect(text.contains("completions: 3") && text.contains("parallelism: 3"))
        #expect(text.contains("- \"$(JOB_COMPLETION_INDEX)/3\""))
    }

    @Test func secretsAreReferencedAndNeverCopied() throws {
        let text = try render(Self.jobs)
        #expect(!text.contains("s3cret-pw"))
        #expect(!text.contains(Data("s3cret-pw".utf8).base64EncodedString()))
        let docs = try documents(text)
        let pod = (((docs[1]["spec"] as? [String: Any])?["jobTemplate"] as? [String: Any])?["spec"] as? [String: Any])?["template"] as? [String: Any]
        let container = ((pod?["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first
        let env = container?["env"] as? [[String: Any]] ?? []
        let pg = env.first { $0["name"] as? String == "PGPASSWORD" }
        let ref = (pg?["valueFrom"] as? [String: Any])?["secretKeyRef"] as? [String: Any]
        #expect(ref?["name"] as? String == "kura-secrets" && ref?["key"] as? String == "PGPASSWORD")
        #expect(pg?["value"] == nil)
        var values = RenderValues(image: "kura:1")
        try values.apply(try ConfigLoader(environment: [:]).parse(yaml: "secret_name: wh\nsecret_keys: {PGPASSWORD: pg-password}\n"), file: "v.yml")
        let renamed = try render([:], values: values)
        #expect(renamed.contains("name: \"wh\"\n") && renamed.contains("key: \"pg-password\""))
        #expect(text.contains("key: \"FEATURE_FLAG\""))
        // A password written into a file is refused, naming the file and the fix.
        #expect {
            _ = try render(Self.jobs.merging(["loads/e.yml": "in: {type: file, path_prefix: /d/, parser: {type: json}}\nout: {type: postgresql, password: hunter2, table: t}\n"]) { $1 })
        } throws: { "\($0)".contains("a secret is written in the file") && "\($0)".contains("{{ env.NAME }}") }
    }

    @Test func theConfigMapHoldsEveryFileAtItsPath() throws {
        let docs = try documents(try render(Self.jobs))
        let data = try #require(docs[0]["data"] as? [String: String])
        #expect(data["sql__f.sql"] == Self.jobs["sql/f.sql"] && data["loads__e.yml"] == Self.jobs["loads/e.yml"])
        #expect(data.count == Self.jobs.count)
    }

    @Test(arguments: [("events_import", "events-import"), ("User_Features", "user-features"), ("__x__", "x"), ("a..b", "a-b")])
    func jobNamesBecomeDNSLabels(_ name: String, _ expected: String) {
        #expect(ManifestRenderer.dnsName(name) == expected)
    }

    @Test(.enabled(if: validatorAvailable, "needs PyPI's kubernetes-validate (.ci/run installs it)"))
    func everyObjectIsValidAgainstTheStrictSchemas() throws {
        let path = dir.write("render.yml", try render(Self.jobs))
        let own = TempDir()
        let sample = try ManifestRenderer(
            catalog: try JobCatalog(directory: repositoryRoot + "/jobs", environment: [:]), values: RenderValues(image: "kura:test")
        ).render()
        let samplePath = own.write("sample.yml", sample)
        for version in ["1.27.0", "1.30.0"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: validatorPath)
            p.arguments = ["--strict", "--quiet", "-k", version, path, samplePath]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "kubernetes-validate \(version): \(text)")
        }
    }
}
