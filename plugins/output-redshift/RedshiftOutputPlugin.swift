import Foundation
import KuraCore
import KuraLibPQ
import KuraS3
import OutputPostgreSQL

/// Output `redshift`: loads records into Amazon Redshift through an S3 stage, with embulk-output-redshift's options.
///
/// Redshift speaks PostgreSQL's protocol but cannot `COPY FROM STDIN`. Each task writes its rows as gzip'd CSV parts
/// to `s3://S3_BUCKET/S3_KEY_PREFIX/RUN_ID/`; at commit one transaction on the run's connection creates or locks
/// the target, runs `COPY … FROM` a manifest of exactly those parts, applies the mode's statements and commits;
/// then the parts are deleted (also after a failure). The modes are Embulk's: `insert`/`insert_direct` copy straight
/// into the target, `truncate_insert` deletes its rows first (a `DELETE`: Redshift's `TRUNCATE` would commit),
/// `replace` fills a new table and swaps it in, `merge`/`merge_direct` stage the rows in a temporary table, where
/// the last row of a key wins, then replace (or, with `merge_rule`, update) the target's rows of those keys and
/// insert the rest.
///
/// When the server behind the connection is PostgreSQL (a development copy), `copy_method: auto` loads as output
/// `postgresql` does, over `COPY FROM STDIN`, and says so, so a Redshift config runs unchanged against it.
/// `copy_method: insert` sends batched multi-row `INSERT`s with parameters instead, on either server.
public final class RedshiftOutputPlugin: OutputPlugin {
    /// The registry entry of output `redshift`.
    public static let descriptor = PluginDescriptor(
        name: "redshift",
        summary: "Loads records into Amazon Redshift through gzip'd CSV parts staged in S3 (PostgreSQL: COPY FROM STDIN).",
        example: """
            type: redshift
            host: example.abc123.us-east-1.redshift.amazonaws.com
            port: 5439
            user: loader
            password: secret
            database: analytics
            table: events
            mode: insert
            aws_access_key_id: AKIAEXAMPLE
            aws_secret_access_key: secret
            s3_bucket: my-staging-bucket
            s3_key_prefix: kura/events
            s3_region: us-east-1
            """,
        factory: .output { config, context in try RedshiftOutputPlugin(config: config, context: context) })

    /// The decoded options.
    public let options: Options
    let config: PluginConfig
    /// Output `postgresql` on the same connection keys: the checks, the connection and the PostgreSQL fallback.
    let postgres: PostgreSQLOutputPlugin

    public init(config: PluginConfig, context: PluginContext) throws {
        self.options = try config.decode(Options.self)
        self.config = config
        self.postgres = PostgreSQLOutputPlugin(options: options.connection)
    }

    public func plan(schema: Schema, context: PluginContext) throws {
        try postgres.plan(schema: schema, context: context)
    }

    public func begin(schema: Schema, tasks: [InputTask], context: PluginContext) throws -> OutputSession {
        try postgres.plan(schema: schema, context: context)
        let db = try connect(context)
        let version = (try? db.query("SELECT version()").rows.first?.first ?? nil) ?? ""
        let isRedshift = version.contains("Redshift")
        switch (options.copyMethod, isRedshift) {
        case (.stdin, true):
            throw config.error(
                "copy_method", "the server is Redshift, which cannot COPY FROM STDIN",
                fix: "use copy_method: s3 (with s3_bucket) or insert")
        case (.auto, false), (.stdin, false):
            context.logger.info(
                "Redshift output: the server is PostgreSQL, not Redshift (\(version.prefix(40))…); loading over COPY FROM STDIN as output postgresql does")
            return try postgres.begin(schema: schema, tasks: tasks, context: context)
        case (.insert, _):
            if context.isDryRun { return RedshiftCheckSession() }
            return try RedshiftLedgerSession(
                plugin: self, db: db, schema: schema, isRedshift: isRedshift, stage: .insert, context: context)
        case (.auto, true), (.s3, _):
            let stage = try s3Stage(context)
            if context.isDryRun {
                // `kura check`: the bucket must answer a listing with these credentials; nothing is written.
                _ = try stage.client.list(prefix: stage.prefix)
                return RedshiftCheckSession()
            }
            return try RedshiftLedgerSession(
                plugin: self, db: db, schema: schema, isRedshift: isRedshift, stage: .s3(stage), context: context)
        }
    }

    /// The run's connection, retrying a refused or lost one as output postgresql does (`retry_limit`, `retry_wait`);
    /// a dry run tries once with a 5 s connect timeout.
    func connect(_ context: PluginContext) throws -> PGConnection {
        let settings = postgres.runSettings(context)
        do {
            return try postgres.retrying("Redshift output", context: context) {
                try PGConnection(settings: settings, logger: context.logger)
            }
        } catch let error as PGError {
            throw error.systemError("Redshift output could not connect to load into \(options.connection.table)")
        }
    }

    /// The S3 stage of a run: the client and the run's key prefix.
    func s3Stage(_ context: PluginContext) throws -> S3Stage {
        guard let bucket = options.s3Bucket else {
            throw config.error(
                "s3_bucket", "the server is Redshift, whose rows go through S3, but s3_bucket is not set",
                fix: "name a bucket that stages the rows, or use copy_method: insert (slower)")
        }
        let client = S3Client(bucket: bucket, region: options.s3Region, endpoint: options.s3Endpoint, credentials: try options.credentials())
        let runID = context.runID ?? "run-\(UInt32.random(in: 0...UInt32.max))"
        return S3Stage(client: client, prefix: options.runPrefix(runID), partBytes: options.batchSize)
    }
}
