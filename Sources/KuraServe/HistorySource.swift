import Foundation
import KuraCore
import KuraJobs
import KuraLibPQ
import KuraSQLite
import KuraWarehouse

/// The warehouse the server reads, opened read-only on first use and kept open; requests take turns on it.
///
/// A SQLite file is opened read-only (until it exists, the server shows an empty history); a PostgreSQL
/// connection sets `default_transaction_read_only`. A read that fails drops the connection, so the next request
/// opens a new one (after a server restart, for example).
public final class HistorySource: @unchecked Sendable {
    /// The warehouse, as the jobs settings or `--warehouse` name it.
    public let warehouse: JobWarehouse
    let logger: Logger
    private let lock = NSLock()
    private var open: HistoryWarehouse?

    /// A source over `warehouse`; nothing is opened yet.
    public init(warehouse: JobWarehouse, logger: Logger) {
        self.warehouse = warehouse
        self.logger = logger
    }

    /// Where the history is, for the page: the SQLite path, or the PostgreSQL URL without its password.
    public var location: String { warehouse.description }

    /// Runs `body` on the warehouse, alone.
    public func read<T>(_ body: (HistoryWarehouse) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            if let store = open { return try body(store) }
            let (store, keep) = try connect()
            if keep { open = store }
            return try body(store)
        } catch {
            open = nil
            throw error
        }
    }

    /// A new connection, and whether to keep it for the next requests.
    func connect() throws -> (HistoryWarehouse, keep: Bool) {
        switch warehouse {
        case .sqlite(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                // Not there yet: an empty database reads as no history; the file is looked for again next time.
                return (SQLiteWarehouse(connection: try SQLiteConnection(path: ":memory:")), false)
            }
            let db = try SQLiteConnection(path: path, mode: .readOnly)
            db.setBusyTimeout(milliseconds: 5_000)
            return (SQLiteWarehouse(connection: db), true)
        case .postgresql(let url):
            var settings = PGConnectionSettings(parameters: [("dbname", url)], secrets: passwordInURL(url))
            settings.parameters.insert(("fallback_application_name", "kura serve"), at: 0)
            let db = try PGConnection(settings: settings, logger: logger)
            do {
                _ = try db.execute("SET default_transaction_read_only = on")
            } catch let e as PGError {
                throw e.systemError("PostgreSQL warehouse at \(location) could not be made read-only")
            }
            return (PostgreSQLWarehouse(connection: db), true)
        }
    }
}
