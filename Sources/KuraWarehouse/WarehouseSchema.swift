import KuraCore

/// The versions of kura's tables and the rule for meeting a database at another version.
///
/// - Version 1: the runs, files (ledger) and rejects tables. PostgreSQL kept the version in a one-row table
///   `kura.schema_version`; SQLite kept no version (a database with `_kura_*` tables and no meta table is at 1).
/// - Version 2: the version moves to a key/value meta table (`_kura_meta` / `kura.meta`, row `schema_version`), and
///   the history reads get indexes: runs by (target, recorded_at), rejects by run id.
///
/// - Version 3: job history: one row per attempt of each session of each job (job, session time, attempt, status,
///   start and finish, run id, error).
/// - Version 4: a rejected record's whole byte `length` (its raw text is a bounded prefix of it).
/// - Version 5: indexes for browsing the history (runs by recorded_at and by session time, ledger entries by run
///   id) and, in PostgreSQL, a rejected record's `id` (a `bigserial`, indexed with its run id) to page on.
///
/// A database at an older version is migrated in place, one step per version, in the run's transaction; a fresh
/// database runs every step, so it ends at the current version. A database at a newer version is refused.
public enum WarehouseSchema {
    /// The version of kura's tables this code reads and writes.
    public static let currentVersion = 5

    /// The key of the version row in the meta table.
    public static let versionKey = "schema_version"

    /// Throws when `found` is newer than `currentVersion`, naming `location` and telling the user to upgrade.
    public static func refuseNewer(_ found: Int, at location: String) throws {
        if found > currentVersion {
            throw SystemError(
                "the warehouse at \(location) has kura schema version \(found); this kura knows up to "
                    + "\(currentVersion); upgrade kura")
        }
    }
}

/// One step of a schema migration: the statements that bring kura's tables from `version - 1` to `version`.
struct WarehouseMigration {
    /// The version the step arrives at.
    var version: Int
    /// The statements, separated by semicolons.
    var sql: String
}
