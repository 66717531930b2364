import KuraCore

/// A task of a direct mode (or of a dry run): hands its pages to the session's shared COPY.
final class DirectTaskWriter: OutputTaskWriter {
    let session: PostgreSQLOutputSession
    let index: Int
    var rowsSent = 0

    init(session: PostgreSQLOutputSession, index: Int) {
        self.session = session
        self.index = index
    }

    func add(_ page: Page) throws {
        rowsSent += try session.addDirect(page, task: index)
    }

    func finish() throws {}

    func abort() {
        session.abortDirect(task: index, rowsSent: rowsSent)
    }
}
