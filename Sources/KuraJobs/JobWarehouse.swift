import Foundation
import KuraCore
import KuraLibPQ
import KuraSQLite
import KuraWarehouse

/// The warehouse of a jobs folder: where `sql` steps run and where job history is kept.
///
/// Named by the settings' `warehouse:` — a `postgresql://` (or `postgres://`) URL, or a SQLite file path
/// (relative to the working directory; default `kura.db`).
public enum JobWarehouse: Sendable, Equatable {
    case sqlite(path: String)
    case postgresql(url: String)

    /// The warehouse `text` names, with a relative SQLite path resolved against `workingDirectory`.
    public init(_ text: String?, workingDirectory: String) {
        let t = text ?? "kura.db"
        if t.hasPrefix("postgresql://") || t.hasPrefix("postgres://") {
            self = .postgresql(url: t)
        } else {
            self = .sqlite(path: t.hasPrefix("/") ? t : workingDirectory + "/" + t)
        }
    }

    /// What `exec` steps get: `KURA_WAREHOUSE_URL`; for SQLite `KURA_WAREHOUSE_PATH`; for PostgreSQL libpq's
    /// variables for what the URL sets (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, …),
    /// so `psql` and libpq clients connect with no arguments.
    public var environment: [String: String] {
        switch self {
        case .sqlite(let path): return ["KURA_WAREHOUSE_URL": "sqlite:" + path, "KURA_WAREHOUSE_PATH": path]
        case .postgresql(let url):
            var env = ["KURA_WAREHOUSE_URL": url]
            let names = [
                "host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD",
                "dbname": "PGDATABASE", "sslmode": "PGSSLMODE", "connect_timeout": "PGCONNECT_TIMEOUT",
                "application_name": "PGAPPNAME", "options": "PGOPTIONS", "service": "PGSERVICE",
            ]
            for (k, v) in connectionParameters(of: url) ?? [:] { if let name = names[k] { env[name] = v } }
            return env
        }
    }

    /// What templates of job steps get to write into the warehouse: `warehouse_url` (`sqlite:PATH` or the
    /// PostgreSQL URL) and `warehouse_path` (the SQLite file; empty for PostgreSQL).
    public var templateValues: [String: String] {
        let env = environment
        return ["warehouse_url": env["KURA_WAREHOUSE_URL"] ?? "", "warehouse_path": env["KURA_WAREHOUSE_PATH"] ?? ""]
    }

    /// For messages: the path, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgresql(let url): return Redaction.url(url)
        }
    }

    /// Whether there may be history to read: a SQLite file that exists, or any PostgreSQL server.
    public var mayHaveHistory: Bool {
        switch self {
        case .sqlite(let path): return FileManager.default.fileExists(atPath: path)
        case .postgresql: return true
        }
    }

    /// Opens a connection for history and `sql` steps.
    public func connect(logger: Logger) throws -> JobWarehouseConnection {
        switch self {
        case .sqlite(let path):
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            let db = try SQLiteConnection(path: path)
            db.setBusyTimeout(milliseconds: 30_000)
            return .sqlite(db)
        case .postgresql(let url):
            var settings = PGConnectionSettings(parameters: [("dbname", url)], secrets: passwordInURL(url))
            settings.parameters.insert(("fallback_application_name", "kura jobs"), at: 0)
            return .postgresql(try PGConnection(settings: settings, logger: logger))
        }
    }
}

/// An open connection to a job warehouse.
public enum JobWarehouseConnection {
    case sqlite(SQLiteConnection)
    case postgresql(PGConnection)

    /// The history store on this connection (each write commits at once: no transaction is held).
    public var history: JobHistoryStore {
        switch self {
        case .sqlite(let db): return SQLiteWarehouse(connection: db)
        case .postgresql(let db): return PostgreSQLWarehouse(connection: db)
        }
    }

    /// Brings kura's tables to the current version in a transaction of their own, so that sessions starting at once
    /// on a new warehouse do not race to create them.
    public func prepareHistory() throws {
        switch self {
        case .sqlite(let db): try inTransaction(begin: "BEGIN IMMEDIATE", { try db.exec($0) }) { try SQLiteWarehouse(connection: db).migrate() }
        case .postgresql(let db): try inTransaction(begin: "BEGIN", { _ = try db.execute($0) }) { try PostgreSQLWarehouse(connection: db).migrate() }
        }
    }

    func inTransaction(begin: String, _ run: (String) throws -> Void, _ body: () throws -> Void) throws {
        try run(begin)
        do {
            try body()
            try run("COMMIT")
        } catch {
            try? run("ROLLBACK")
            throw error
        }
    }

    /// Runs `sql` (one or more statements) in one transaction: all of it commits, or none of it.
    public func runInTransaction(_ sql: String) throws {
        switch self {
        case .sqlite(let db): try inTransaction(begin: "BEGIN IMMEDIATE", { try db.exec($0) }) { try db.exec(sql) }
        case .postgresql(let db): try inTransaction(begin: "BEGIN", { _ = try db.execute($0) }) { _ = try db.execute(sql) }
        }
    }
}
