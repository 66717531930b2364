import KuraCore
import KuraLibPQ

/// A task of a staging mode: its own connection and a COPY into its own staging table, committed on that
/// connection when the task finishes.
final class StagingTaskWriter: OutputTaskWriter {
    let session: PostgreSQLOutputSession
    let index: Int
    /// The staging table, quoted and qualified.
    let table: String
    var connection: PGConnection?
    let encoder: CopyEncoder
    var ended = false

    init(session: PostgreSQLOutputSession, index: Int, table: String, connection: PGConnection) {
        self.session = session
        self.index = index
        self.table = table
        self.connection = connection
        self.encoder = CopyEncoder(encoders: session.encoders, binary: session.usesBinaryCopy)
    }

    /// Creates the staging table and starts the COPY.
    func start() throws {
        guard let db = connection else { return }
        try db.execute(
            "CREATE UNLOGGED TABLE \(table) (\(PostgreSQLOutputSession.columnDefinitions(session.schema, session.columnTypes)))")
        try db.beginCopy(session.copySQL(table))
        encoder.begin()
    }

    func add(_ page: Page) throws {
        guard let db = connection, !ended else { throw SystemError("task \(index) of the PostgreSQL output already ended") }
        do {
            try encoder.encode(page) { try db.putCopyData($0) }
        } catch let error as PGError {
            throw error.systemError("PostgreSQL output: the COPY of task \(index) into \(table) failed")
        }
    }

    func finish() throws {
        guard let db = connection, !ended else { return }
        do {
            encoder.end()
            try encoder.withPending { try db.putCopyData($0) }
            encoder.clearPending()
            try db.endCopy()
        } catch let error as PGError {
            throw error.systemError("PostgreSQL output: the COPY of task \(index) into \(table) failed")
        }
        ended = true
        session.taskEnded(index, connection: db, finished: true)
        connection = nil
    }

    func abort() {
        guard !ended else { return }
        ended = true
        if let db = connection {
            if db.isCopying { _ = try? db.endCopy(failure: "kura aborted task \(index)") }
            if db.isOK { _ = try? db.execute("DROP TABLE IF EXISTS \(table)") }
        }
        session.taskEnded(index, connection: connection, finished: false)
        connection = nil
    }
}
