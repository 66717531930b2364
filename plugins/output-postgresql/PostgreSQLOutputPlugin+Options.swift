import KuraCore
import KuraFormats

extension PostgreSQLOutputPlugin {
    /// How a load treats the target table, with Embulk's names.
    public enum Mode: String, ConfigEnum, Sendable {
        /// Tasks copy into staging tables; at commit the rows are appended to the target in one `INSERT … SELECT`.
        case insert
        /// The rows are copied straight into the target inside the run's transaction (no staging tables).
        case insertDirect = "insert_direct"
        /// Like `insert`, but the target is emptied first (`TRUNCATE`) in the same transaction.
        case truncateInsert = "truncate_insert"
        /// A new table is created and filled from the staging tables at commit, then swapped in for the old one.
        case replace
        /// Like `insert`, but a row whose merge keys match an existing row updates it (`INSERT … ON CONFLICT`).
        case merge
        /// Like `merge`, staged in a temporary table of the run's own transaction instead of per-task tables.
        case mergeDirect = "merge_direct"

        /// Whether the tasks write through the run's own connection rather than to staging tables of their own.
        var isDirect: Bool { self == .insertDirect || self == .mergeDirect }
        /// Whether rows with equal merge keys update existing rows.
        var isMerge: Bool { self == .merge || self == .mergeDirect }
    }

    /// Whether and how the connection uses TLS.
    public enum SSLSetting: Sendable, Equatable {
        /// `ssl: true` (or `enable`/`require`): libpq `sslmode=require` (encrypted, server certificate not checked).
        case require
        /// `ssl: verify`: libpq `sslmode=verify-full` (encrypted, certificate and host name checked).
        case verify
        /// `ssl: false` (or `disable`): libpq `sslmode=disable`.
        case disable
    }

    /// What to do when the target's columns differ from the records'.
    public enum SchemaUpdate: String, ConfigEnum, Sendable {
        /// Report every difference as a config error (the default).
        case none
        /// Add the records' columns that the table lacks (`ALTER TABLE … ADD COLUMN`, inside the run's transaction).
        case addColumns = "add_columns"
    }

    /// The COPY data format.
    public enum CopyFormat: String, ConfigEnum, Sendable {
        /// PostgreSQL's binary COPY format: the fastest, because the server parses no text.
        case binary
        /// The text COPY format: slower, with clearer server error messages (use it to diagnose a failing load).
        case text
    }

    /// Per-column settings of the target table.
    public struct ColumnOption: Decodable, Sendable, Equatable {
        /// The SQL type declared for the column when kura creates the table or adds the column, such as
        /// `VARCHAR(20)` or `NUMERIC(12,2)` (default: from the column's kind: BIGINT, DOUBLE PRECISION, BOOLEAN,
        /// TEXT, TIMESTAMPTZ or JSONB).
        public var type: String?
        /// Embulk's JDBC binding type (`coerce`, `string`, `long`, …). kura always encodes a value for the target
        /// column's actual type, so only `string` and `pass` change anything: the value is sent as text and the
        /// server converts it, which also skips kura's type-compatibility check for the column and makes the load
        /// use the text COPY format (default `coerce`).
        public var valueType: String
        /// The strftime-style format of a timestamp written into a text column (`%Y %m %d %H %M %S %N %3N %6N %9N
        /// %z %Z %F %T %%` and more) (default `%Y-%m-%d %H:%M:%S.%6N %z`).
        public var timestampFormat: String?
        /// The zone a timestamp is written in when the column has no zone of its own (`timestamp`, `date` or text):
        /// `UTC`, an offset like `+09:00`, or an IANA name like `Asia/Tokyo` (default: the `default_timezone`).
        public var timezone: String?

        enum CodingKeys: String, CodingKey {
            case type
            case valueType = "value_type"
            case timestampFormat = "timestamp_format"
            case timezone
        }

        /// Embulk's value types, all accepted.
        static let valueTypes = [
            "coerce", "byte", "short", "int", "long", "double", "float", "boolean", "string", "nstring", "date", "time",
            "timestamp", "decimal", "json", "null", "pass",
        ]

        public init(type: String? = nil, valueType: String = "coerce", timestampFormat: String? = nil, timezone: String? = nil) {
            self.type = type
            self.valueType = valueType
            self.timestampFormat = timestampFormat
            self.timezone = timezone
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try c.decodeIfPresent(String.self, forKey: .type)
            valueType = try c.decodeIfPresent(String.self, forKey: .valueType) ?? "coerce"
            timestampFormat = try c.decodeIfPresent(String.self, forKey: .timestampFormat)
            timezone = try c.decodeIfPresent(String.self, forKey: .timezone)
            if let type, !isPlainTypeName(type) {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.type, "'\(type)' is not an SQL type name",
                    fix: "use a name such as BIGINT, TEXT, VARCHAR(20), NUMERIC(12,2) or TIMESTAMP WITHOUT TIME ZONE")
            }
            if !Self.valueTypes.contains(valueType) {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.valueType, "'\(valueType)' is not a value type",
                    fix: (nearest(valueType, in: Self.valueTypes).map { "did you mean '\($0)'? " } ?? "")
                        + "valid values: \(Self.valueTypes.joined(separator: ", "))")
            }
            if let timezone, ZoneRule(name: timezone) == nil {
                throw ConfigError(
                    at: c.codingPath, CodingKeys.timezone, "'\(timezone)' is not a time zone",
                    fix: "use UTC, an offset such as +09:00, or an IANA name such as Asia/Tokyo")
            }
            if let timestampFormat {
                do {
                    _ = try TimestampFormatter(format: timestampFormat, zone: timezone ?? "UTC")
                } catch {
                    throw ConfigError(at: c.codingPath, CodingKeys.timestampFormat, "\(error)", fix: "fix the format")
                }
            }
        }

        /// Whether the value is sent as text for the server to convert.
        var sendsText: Bool { valueType == "string" || valueType == "pass" || valueType == "nstring" }
    }

    /// The options of output `postgresql`.
    public struct Options: Decodable, Sendable {
        /// The server host name or unix-socket directory (default: libpq's, i.e. `PGHOST` or the local socket).
        public var host: String?
        /// The server port (default 5432, which is libpq's own default; `PGPORT` applies when it is unset).
        public var port: Int?
        /// The role to connect as (default: libpq's, i.e. `PGUSER` or the OS user name).
        public var user: String?
        /// The password (default: libpq's, i.e. `PGPASSWORD` or `~/.pgpass`); never shown in any message.
        public var password: String?
        /// The database (default: libpq's, i.e. `PGDATABASE` or the user name).
        public var database: String?
        /// A connection URL such as `postgresql://user@host:5432/db?sslmode=require`, instead of `host`, `port`,
        /// `user` and `database` (default: none).
        public var url: String?
        /// The schema of the target table (default `public`).
        public var schema: String
        /// TLS: `true`/`enable` → sslmode `require`, `verify` → `verify-full`, `false`/`disable` → `disable`
        /// (default: not set, so libpq's `PGSSLMODE` or its default `prefer` applies).
        public var ssl: SSLSetting?
        /// Connection properties, as Embulk's JDBC configs write them: libpq keywords (such as `sslrootcert`,
        /// `target_session_attrs`) pass as they are; JDBC properties with a libpq meaning are mapped
        /// (`ApplicationName`, `connectTimeout`/`loginTimeout`, `tcpKeepAlive`, `ssl`, `currentSchema`,
        /// `socketTimeout`); driver-only ones (`loglevel`, `prepareThreshold`, …) are accepted and ignored with one
        /// notice. Nothing here is sent as a server setting (default: none).
        public var options: [String: String]
        /// Server settings for the run's sessions, sent as `-c key=value`, such as `statement_timeout: 0`
        /// (default: none).
        public var serverSettings: [String: String]
        /// Seconds to wait for a connection (default: libpq's, i.e. `PGCONNECT_TIMEOUT` or no limit).
        public var connectTimeout: Int?
        /// The target table; any text is a valid name, because it is always quoted (required).
        public var table: String
        /// How the load treats the target: `insert`, `insert_direct`, `truncate_insert`, `replace`, `merge` or
        /// `merge_direct` (default `insert`).
        public var mode: Mode
        /// The columns that identify a row for `merge` (default: the target's primary key).
        public var mergeKeys: [String]?
        /// The assignments of the update part of a merge, such as `["count = T.count + S.count"]`, where `T` is the
        /// target row and `S` the new row (default: every loaded column set to the new value).
        public var mergeRule: [String]?
        /// SQL run in the run's transaction before the rows are moved into the target (default: none).
        public var beforeLoad: String?
        /// SQL run in the run's transaction after the rows are moved into the target (default: none).
        public var afterLoad: String?
        /// Extra text inside `CREATE TABLE (…)` after the columns, such as `PRIMARY KEY (id)` (default: none).
        public var createTableConstraint: String?
        /// Extra text after `CREATE TABLE (…)`, such as `WITH (fillfactor = 90)` (default: none).
        public var createTableOption: String?
        /// Per-column settings by column name (default: none).
        public var columnOptions: [String: ColumnOption]
        /// The zone for timestamps written to columns without a zone of their own (default `UTC`).
        public var defaultTimezone: String
        /// The schema that holds the staging tables (default: the target's schema).
        public var tempSchema: String?
        /// How many times `begin` retries after a retryable failure, such as a refused connection (default 12).
        public var retryLimit: Int
        /// Milliseconds before the first retry; each further wait doubles, up to a minute (default 1000).
        public var retryWait: Int
        /// Seconds to wait for another run on the same target to finish (shards of one load, a rerun right after a
        /// crash whose server session still holds the lock); 0 fails at once (default 300).
        public var lockWaitSeconds: Double
        /// What to do when the target's columns differ from the records': `none` or `add_columns` (default `none`).
        public var schemaUpdate: SchemaUpdate
        /// The COPY format: `binary` or `text` (default `binary`; a load whose columns cannot all be encoded in
        /// binary uses text automatically, and says so in the log).
        public var copyFormat: CopyFormat

        enum CodingKeys: String, CodingKey {
            case host, port, user, password, database, url, schema, ssl, options
            case serverSettings = "server_settings"
            case connectTimeout = "connect_timeout"
            case table, mode
            case mergeKeys = "merge_keys"
            case mergeRule = "merge_rule"
            case beforeLoad = "before_load"
            case afterLoad = "after_load"
            case createTableConstraint = "create_table_constraint"
            case createTableOption = "create_table_option"
            case columnOptions = "column_options"
            case defaultTimezone = "default_timezone"
            case tempSchema = "temp_schema"
            case retryLimit = "retry_limit"
            case retryWait = "retry_wait"
            case lockWaitSeconds = "lock_wait_seconds"
            case schemaUpdate = "schema_update"
            case copyFormat = "copy_format"
        }

        /// Options for `table`, everything else at its default.
        public init(table: String) {
            self.table = table
            schema = "public"
            options = [:]
            serverSettings = [:]
            mode = .insert
            columnOptions = [:]
            defaultTimezone = "UTC"
            retryLimit = 12
            retryWait = 1000
            lockWaitSeconds = 300
            schemaUpdate = .none
            copyFormat = .binary
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            host = try c.decodeIfPresent(String.self, forKey: .host)
            port = try c.decodeIfPresent(Int.self, forKey: .port)
            user = try c.decodeIfPresent(String.self, forKey: .user)
            password = try c.decodeIfPresent(String.self, forKey: .password)
            database = try c.decodeIfPresent(String.self, forKey: .database)
            url = try c.decodeIfPresent(String.self, forKey: .url)
            schema = try c.decodeIfPresent(String.self, forKey: .schema) ?? "public"
            ssl = try Self.decodeSSL(c)
            options = try c.decodeIfPresent([String: String].self, forKey: .options) ?? [:]
            serverSettings = try c.decodeIfPresent([String: String].self, forKey: .serverSettings) ?? [:]
            connectTimeout = try c.decodeIfPresent(Int.self, forKey: .connectTimeout)
            table = try c.decode(String.self, forKey: .table)
            mode = try c.decodeIfPresent(Mode.self, forKey: .mode) ?? .insert
            mergeKeys = try c.decodeIfPresent([String].self, forKey: .mergeKeys)
            mergeRule = try c.decodeIfPresent([String].self, forKey: .mergeRule)
            beforeLoad = try c.decodeIfPresent(String.self, forKey: .beforeLoad)
            afterLoad = try c.decodeIfPresent(String.self, forKey: .afterLoad)
            createTableConstraint = try c.decodeIfPresent(String.self, forKey: .createTableConstraint)
            createTableOption = try c.decodeIfPresent(String.self, forKey: .createTableOption)
            columnOptions = try c.decodeIfPresent([String: ColumnOption].self, forKey: .columnOptions) ?? [:]
            defaultTimezone = try c.decodeIfPresent(String.self, forKey: .defaultTimezone) ?? "UTC"
            tempSchema = try c.decodeIfPresent(String.self, forKey: .tempSchema)
            retryLimit = try c.decodeIfPresent(Int.self, forKey: .retryLimit) ?? 12
            retryWait = try c.decodeIfPresent(Int.self, forKey: .retryWait) ?? 1000
            lockWaitSeconds = try c.decodeIfPresent(Double.self, forKey: .lockWaitSeconds) ?? 300
            schemaUpdate = try c.decodeIfPresent(SchemaUpdate.self, forKey: .schemaUpdate) ?? .none
            copyFormat = try c.decodeIfPresent(CopyFormat.self, forKey: .copyFormat) ?? .binary

            try validate(c.codingPath)
        }

        /// The `ssl` setting: a boolean, or `enable`/`require`, `verify`/`verify-full`, `disable`; `nil` when unset.
        static func decodeSSL(_ c: KeyedDecodingContainer<CodingKeys>) throws -> SSLSetting? {
            guard c.contains(.ssl) else { return nil }
            if let b = try? c.decode(Bool.self, forKey: .ssl) { return b ? .require : .disable }
            let text = try c.decode(String.self, forKey: .ssl).lowercased()
            switch text {
            case "enable", "require": return .require
            case "verify", "verify-full": return .verify
            case "disable": return .disable
            default:
                throw ConfigError(
                    at: c.codingPath, CodingKeys.ssl, "'\(text)' is not an ssl setting",
                    fix: "use true, false, enable, disable or verify")
            }
        }

        /// Checks the decoded values against each other and their ranges; errors are located under `codingPath`.
        func validate(_ codingPath: [CodingKey]) throws {
            func fail(_ key: CodingKeys, _ message: String, _ fix: String) -> ConfigError {
                ConfigError(at: codingPath, key, message, fix: fix)
            }
            if table.isEmpty { throw fail(.table, "the table name is empty", "set it to a name such as 'events'") }
            for (key, value) in [(CodingKeys.table, table), (.schema, schema), (.tempSchema, tempSchema ?? "")]
            where value.utf8.contains(0) {
                throw fail(key, "the name contains a NUL character", "remove it")
            }
            if schema.isEmpty { throw fail(.schema, "the schema name is empty", "remove the key to use 'public'") }
            if url != nil && (host != nil || port != nil || database != nil) {
                throw fail(
                    .url, "url is set together with host, port or database",
                    "set either url or host/port/database, not both")
            }
            if let url, !(url.hasPrefix("postgresql://") || url.hasPrefix("postgres://")) {
                throw fail(
                    .url, "the url does not start with postgresql://",
                    "write it as postgresql://user@host:5432/database (the password is better kept in ~/.pgpass or PGPASSWORD)")
            }
            if let port, !(1...65535).contains(port) { throw fail(.port, "port \(port) is out of range", "use 1 to 65535") }
            if let t = connectTimeout, t < 0 { throw fail(.connectTimeout, "connect_timeout is negative", "use seconds ≥ 0") }
            if retryLimit < 0 { throw fail(.retryLimit, "retry_limit is negative", "use 0 to never retry") }
            if retryWait < 0 { throw fail(.retryWait, "retry_wait is negative", "use milliseconds ≥ 0") }
            if lockWaitSeconds < 0 || !lockWaitSeconds.isFinite {
                throw fail(.lockWaitSeconds, "lock_wait_seconds must be a number ≥ 0", "use 0 to fail at once")
            }
            if ZoneRule(name: defaultTimezone) == nil {
                throw fail(.defaultTimezone, "'\(defaultTimezone)' is not a time zone", "use UTC, +09:00 or Asia/Tokyo")
            }
            for key in Array(options.keys) + Array(serverSettings.keys) where !key.utf8.allSatisfy({ isWordByte($0) || $0 == UInt8(ascii: ".") }) || key.isEmpty {
                throw fail(.options, "'\(key)' is not a connection or server setting name", "use letters, digits, '_' and '.'")
            }
            if let keys = mergeKeys {
                if !mode.isMerge {
                    throw fail(.mergeKeys, "merge_keys is set but mode is \(mode.rawValue)", "remove it, or use mode: merge")
                }
                if keys.isEmpty { throw fail(.mergeKeys, "merge_keys is empty", "name at least one column, or remove it to use the primary key") }
            }
            if mergeRule != nil && !mode.isMerge {
                throw fail(.mergeRule, "merge_rule is set but mode is \(mode.rawValue)", "remove it, or use mode: merge")
            }
            if let rule = mergeRule, rule.isEmpty { throw fail(.mergeRule, "merge_rule is empty", "remove it to update every column") }
        }
    }
}

@inline(__always) func isWordByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
}

/// Whether `text` is a plain SQL type name: words (letters, digits, `_`, spaces, and `[]` for arrays), then at most
/// one parenthesised list of one or two numbers, as in `VARCHAR(20)`, `NUMERIC(12, 2)` or `TIMESTAMP(3) WITH TIME
/// ZONE`; it keeps a type option from smuggling in other SQL.
func isPlainTypeName(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard let first = bytes.first, isWordByte(first), !(first >= 0x30 && first <= 0x39) else { return false }
    var parens = 0
    var i = 0
    while i < bytes.count {
        let b = bytes[i]
        if isWordByte(b) || b == 0x20 || b == UInt8(ascii: "[") || b == UInt8(ascii: "]") {
            i += 1
            continue
        }
        if b == UInt8(ascii: "(") {
            parens += 1
            guard parens == 1 else { return false }
            i += 1
            var numbers = 0
            while true {
                while i < bytes.count && bytes[i] == 0x20 { i += 1 }
                let start = i
                while i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
                guard i > start else { return false }
                numbers += 1
                while i < bytes.count && bytes[i] == 0x20 { i += 1 }
                guard i < bytes.count else { return false }
                if bytes[i] == UInt8(ascii: ")") { break }
                guard bytes[i] == UInt8(ascii: ","), numbers < 2 else { return false }
                i += 1
            }
            i += 1
            continue
        }
        return false
    }
    return true
}
