import Foundation
import KuraCore
import KuraLibPQ
import KuraWarehouse
import OutputPostgreSQL

/// One Redshift run: a transaction on one connection, opened at `begin` and committed after the rows are in place.
///
/// With the S3 stage, tasks upload parts in parallel and touch no connection; the COPY runs at commit. With
/// `copy_method: insert`, tasks take turns on the connection (one batch at a time) inside the same transaction.
class RedshiftOutputSession: OutputSession, @unchecked Sendable {
    enum Stage {
        case s3(S3Stage)
        case insert
    }

    let db: PGConnection
    let statements: RedshiftStatements
    let stage: Stage
    let options: RedshiftOutputPlugin.Options
    let context: PluginContext
    let mergeKeys: [String]
    /// Serializes the tasks' use of the connection.
    let lock = NSLock()
    private var open = true
    /// Why the run cannot commit (a task failed after inserting rows into the shared transaction).
    private var poisoned: String?

    /// Marks the run as unable to commit.
    func poison(_ reason: String) { lock.withLock { if poisoned == nil { poisoned = reason } } }

    init(
        plugin: RedshiftOutputPlugin, db: PGConnection, schema: Schema, isRedshift: Bool, stage: Stage,
        context: PluginContext
    ) throws {
        self.db = db
        self.options = plugin.options
        self.statements = RedshiftStatements(schema: schema, options: plugin.options.connection, isRedshift: isRedshift)
        self.stage = stage
        self.context = context
        let mode = plugin.options.connection.mode
        guard !mode.isMergeMode || plugin.options.connection.mergeKeys != nil else {
            throw plugin.config.error(
                "merge_keys", "mode \(mode.rawValue) into Redshift needs merge_keys",
                fix: "name the columns that identify a row, such as merge_keys: [id]")
        }
        self.mergeKeys = plugin.options.connection.mergeKeys ?? []
        do {
            _ = try db.execute("BEGIN")
            for sql in statements.setup { _ = try db.execute(sql) }
        } catch let error as PGError {
            _ = try? db.execute("ROLLBACK")
            throw error.systemError("Redshift output could not prepare \(statements.target)")
        }
        let how: String
        switch stage {
        case .s3(let s3): how = "staging gzip'd CSV parts in s3://\(s3.client.bucket)/\(s3.prefix)"
        case .insert: how = "with batched INSERTs"
        }
        context.logger.info("Redshift output: loading into \(statements.target) (mode \(mode.rawValue)) \(how)")
    }

    func openTask(_ index: Int) throws -> OutputTaskWriter {
        let text = try RowText(schema: statements.schema)
        switch stage {
        case .s3(let s3):
            return S3TaskWriter(try S3PartWriter(stage: s3, task: index, text: text, withSequence: statements.carriesSequence))
        case .insert:
            return InsertTaskWriter(session: self, task: index, text: text)
        }
    }

    func commit(_ report: CommitReport) throws {
        defer { cleanUp() }
        if let reason = lock.withLock({ poisoned }) {
            abortTransaction()
            throw SystemError("Redshift output did not commit into \(statements.target): \(reason)")
        }
        do {
            if case .s3(let s3) = stage {
                let parts = s3.finishedParts
                if !parts.isEmpty {
                    let manifest = try s3.writeManifest(parts: parts)
                    _ = try run(statements.copy(manifestURL: manifest, authorization: try authorization(), region: options.s3Region))
                }
            }
            for sql in statements.finish(keys: mergeKeys) { _ = try run(sql) }
            _ = try run("COMMIT")
            open = false
        } catch let error as PGError {
            abortTransaction()
            throw error.systemError("Redshift output could not commit the load into \(statements.target)")
        } catch {
            abortTransaction()
            throw error
        }
        context.logger.info("Redshift output: committed \(report.total.loaded) row(s) into \(statements.target)")
    }

    func abort() {
        abortTransaction()
        cleanUp()
    }

    /// Runs `sql` on the connection, with the AWS secrets masked in any error.
    func run(_ sql: String, _ parameters: [String?]? = nil) throws -> PGRows {
        do {
            return try lock.withLock { try parameters.map { try db.query(sql, $0) } ?? db.execute(sql) }
        } catch var error as PGError {
            for secret in [options.awsSecretAccessKey, options.awsSessionToken].compactMap({ $0 }) where !secret.isEmpty {
                error.message = error.message.replacingOccurrences(of: secret, with: Redaction.mask)
            }
            throw error
        }
    }

    /// The credentials clause of the COPY: the IAM role when configured, else the upload's keys.
    func authorization() throws -> String {
        if let role = options.copyIamRoleName, let account = options.copyAwsAccountID {
            return RedshiftStatements.authorization(accessKeyID: "", secretAccessKey: "", sessionToken: nil, iamRole: (role, account))
        }
        let c = try options.credentials()
        return RedshiftStatements.authorization(
            accessKeyID: c.accessKeyID, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, iamRole: nil)
    }

    private func abortTransaction() {
        guard open else { return }
        open = false
        _ = try? lock.withLock { try db.execute("ROLLBACK") }
    }

    private func cleanUp() {
        if case .s3(let s3) = stage, options.deleteS3TempFile { s3.clean(logger: context.logger) }
    }
}

/// A task's writer for the S3 stage.
final class S3TaskWriter: OutputTaskWriter {
    let parts: S3PartWriter
    init(_ parts: S3PartWriter) { self.parts = parts }
    func add(_ page: Page) throws { try parts.add(page) }
    func finish() throws { try parts.finish() }
    /// The task's parts are left out of the manifest, and deleted with the run's.
    func abort() {}
}

/// A task's writer for `copy_method: insert`: multi-row INSERTs of up to 1,000 rows (and 32,767 parameters).
final class InsertTaskWriter: OutputTaskWriter {
    let session: RedshiftOutputSession
    let task: Int
    let text: RowText
    let rowsPerBatch: Int
    private var parameters: [String?] = []
    private var rows = 0
    private var rowIndex: Int64 = 0

    init(session: RedshiftOutputSession, task: Int, text: RowText) {
        self.session = session
        self.task = task
        self.text = text
        self.rowsPerBatch = max(1, min(1000, 32_767 / max(1, session.statements.loadColumns.count)))
    }

    func add(_ page: Page) throws {
        let sequence = session.statements.carriesSequence
        for row in 0..<page.rowCount {
            text.parameters(page, row: row, sequence: sequence ? Int64(task) << 40 | rowIndex : nil, into: &parameters)
            rowIndex += 1
            rows += 1
            if rows == rowsPerBatch { try flush() }
        }
    }

    func finish() throws { try flush() }

    /// The task's rows share the run's transaction, so the run can no longer commit.
    func abort() {
        if rowIndex > 0 { session.poison("task \(task) failed after inserting rows, which cannot be taken back alone") }
    }

    private func flush() throws {
        guard rows > 0 else { return }
        do {
            _ = try session.run(session.statements.insert(rows: rows), parameters)
        } catch let error as PGError {
            throw error.systemError("Redshift output could not insert into \(session.statements.loadTable)")
        }
        parameters.removeAll(keepingCapacity: true)
        rows = 0
    }
}

/// The session of a dry run (`kura check`): the connection and the stage were checked; nothing is written.
final class RedshiftCheckSession: OutputSession {
    final class Discard: OutputTaskWriter {
        func add(_ page: Page) throws {}
        func finish() throws {}
        func abort() {}
    }

    func openTask(_ index: Int) throws -> OutputTaskWriter { Discard() }
    func commit(_ report: CommitReport) throws {}
    func abort() {}
}

/// A run that keeps kura's ledger, run record and rejects beside the data, on the same connection and in the same
/// transaction, so each file is loaded once: in `RedshiftWarehouse`'s tables on Redshift, in `PostgreSQLWarehouse`'s
/// on PostgreSQL (`copy_method: insert` or `s3` against a development copy). The target is locked by `setup`
/// before the runner reads the ledger, so runs on one target take turns.
final class RedshiftLedgerSession: RedshiftOutputSession, LedgerOutputSession {
    var target: String { statements.target }
    var replacesTarget: Bool { options.connection.mode == .truncateInsert || options.connection.mode == .replace }

    /// kura's tables on the run's connection (the caller holds `lock`).
    var store: WarehouseStore {
        statements.isRedshift ? RedshiftWarehouse(connection: db) : PostgreSQLWarehouse(connection: db)
    }

    func recordRun(id: String, configHash: String, counts: RowCounts, tasks: [InputTask], taskCounts: [RowCounts]) throws {
        try lock.withLock {
            try store.recordRun(
                id: id, configHash: configHash, target: target, mode: options.connection.mode.rawValue,
                sessionTime: context.sessionTime, counts: counts, tasks: tasks, taskCounts: taskCounts,
                replacingLedger: replacesTarget)
        }
    }

    func recordRejects(runID: String, _ rejects: [DataError]) throws {
        guard !rejects.isEmpty else { return }
        try lock.withLock { try store.recordRejects(runID: runID, target: target, rejects) }
    }

    func loadedFiles() throws -> Set<String> {
        guard !replacesTarget else { return [] }
        return try lock.withLock { try store.loadedFiles(target: target) }
    }
}
