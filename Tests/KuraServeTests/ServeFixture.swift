import Foundation
import KuraCore
import KuraSQLite
import KuraTestSupport
import KuraWarehouse

/// A SQLite warehouse filled by real runs, and a `kura serve` over it: the sample pipeline backfilled for three
/// days, a load of a hostile file (HTML in its name and rows; 7 of its 10 rows rejected), and a failed session of
/// a job whose name and error carry HTML and a connection string with a password.
final class ServeFixture: @unchecked Sendable {
    static let shared: Result<ServeFixture, Error> = Result { try ServeFixture() }

    let dir = TempDir()
    let server: ServeProcess
    /// The hostile load's run id.
    let hostileRun: String
    static let hostileFile = "<img src=x onerror=alert(1)>.csv"
    static let hostileJob = "evil<script>job"
    static let secret = "s3cr3t-pw"
    static let hostileTarget = "hostile_rows"

    init() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir.path + "/samples/data", withIntermediateDirectories: true)
        try fm.copyItem(atPath: repositoryRoot + "/jobs", toPath: dir.path + "/jobs")
        try fm.copyItem(atPath: repositoryRoot + "/samples/data/week", toPath: dir.path + "/samples/data/week")
        let binary = try KuraExecutable.path ?? { throw ServeProcessError("the kura executable is not built") }()
        let backfill = try KuraExecutable.run(
            binary, ["backfill", "train_model", "--from", "2024-01-01", "--to", "2024-01-03", "--with-deps"], in: dir.path)
        guard backfill.status == 0, backfill.stdout.contains("6 succeeded") else {
            throw ServeProcessError("the backfill failed: \(backfill.stdout)\n\(backfill.stderr)")
        }
        let rows = (1...10).map { i in i <= 3 ? "\(i),fine" : "\(i)<script>alert(\"raw\(i)\")</script>,bad" }
        dir.write("hostile/" + Self.hostileFile, "id,name\n" + rows.joined(separator: "\n") + "\n")
        dir.write("hostile.yml", """
            in:
              type: file
              path_prefix: hostile/
              parser:
                type: csv
                skip_header_lines: 1
                columns: [{name: id, type: long}, {name: name, type: string}]
            out: {type: sqlite, path: samples/out/jobs.db, table: \(Self.hostileTarget), mode: insert}
            exec: {max_errors: 100, rejects_path: rejects.jsonl}
            """)
        let load = try KuraExecutable.run(binary, ["run", "hostile.yml"], in: dir.path)
        guard load.status == 0 else { throw ServeProcessError("the hostile load failed: \(load.stderr)") }
        let db = try SQLiteConnection(path: dir.path + "/samples/out/jobs.db")
        let store = SQLiteWarehouse(connection: db)
        guard let run = try store.runs(target: Self.hostileTarget, limit: 1).first, run.counts.rejected == 7 else {
            throw ServeProcessError("the hostile load did not reject 7 rows")
        }
        hostileRun = run.id
        let session = Timestamp(seconds: 1_704_067_200)
        try store.insertAttempt(JobAttempt(
            job: Self.hostileJob, sessionTime: session, attempt: 1, status: .failed, startedAt: session,
            finishedAt: Timestamp(seconds: 1_704_067_212), runID: "r-evil",
            error: "<script>alert('err')</script> could not reach postgresql://loader:\(Self.secret)@db/wh"))
        server = try ServeProcess(["--jobs", "jobs"], in: dir.path)
    }

    /// The fixture, or the error that kept it from being built.
    static func get() throws -> ServeFixture { try shared.get() }
}
