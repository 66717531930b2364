import Foundation
import KuraCore
import KuraFormats
import KuraLibPQ
import KuraTestSupport
import Testing

@testable import OutputPostgreSQL

/// Tests that need no server: options, connection settings, redaction, COPY encoding.
struct PostgreSQLOptionsTests {
    func decode(_ pairs: [(String, ConfigNode)]) throws -> PostgreSQLOutputPlugin.Options {
        try PluginConfig(node: .mapping(pairs), path: "out").decode(PostgreSQLOutputPlugin.Options.self)
    }

    @Test func defaults() throws {
        let o = try decode([("table", .scalar("events"))])
        #expect(o.schema == "public")
        #expect(o.mode == .insert)
        #expect(o.retryLimit == 12 && o.retryWait == 1000 && o.lockWaitSeconds == 300)
        #expect(o.schemaUpdate == .none && o.copyFormat == .binary && o.defaultTimezone == "UTC")
        #expect(o.ssl == nil && o.port == nil && o.host == nil)
        // Only what the user set goes to libpq, so PG* variables, .pgpass and service files keep working.
        let settings = PostgreSQLOutputPlugin(options: o).connectionSettings()
        #expect(settings.parameters.map(\.0) == ["fallback_application_name"])
    }

    @Test func jdbcPropertiesAreMappedOrIgnoredAndNeverSentAsServerSettings() throws {
        let o = try decode([
            ("table", .scalar("t")),
            ("options", .mapping([
                ("loglevel", .scalar("2")), ("prepareThreshold", .scalar("0")), ("ApplicationName", .scalar("etl")),
                ("connectTimeout", .scalar("9")), ("tcpKeepAlive", .scalar("true")), ("currentSchema", .scalar("analytics")),
                ("socketTimeout", .scalar("30")), ("sslrootcert", .scalar("/etc/ca.pem")),
            ])),
        ])
        let plugin = PostgreSQLOutputPlugin(options: o)
        let s = plugin.connectionSettings(runID: "20240101T000000Z-abcd1234")
        #expect(s["application_name"] == "etl", "the user's name wins over the run's")
        #expect(s["connect_timeout"] == "9" && s["keepalives"] == "1" && s["tcp_user_timeout"] == "30000")
        #expect(s["sslrootcert"] == "/etc/ca.pem")
        #expect(s["options"] == "-c search_path=analytics")
        #expect(!(s["options"] ?? "").contains("loglevel") && !(s["options"] ?? "").contains("prepareThreshold"))
        let ignored = ConnectionProperties(o.options, libpqKeywords: PostgreSQLOutputPlugin.libpqKeywords).ignored
        #expect(ignored == ["loglevel", "prepareThreshold"])
        let named = PostgreSQLOutputPlugin(options: try decode([("table", .scalar("t"))])).connectionSettings(runID: "R1")
        #expect(named["application_name"] == "kura R1")
    }

    @Test func connectionOptionsBecomeLibpqSettings() throws {
        let o = try decode([
            ("table", .scalar("t")), ("host", .scalar("db.example")), ("port", .scalar("6543")), ("user", .scalar("u")),
            ("password", .scalar("pw")), ("database", .scalar("d")), ("ssl", .scalar("true")),
            ("connect_timeout", .scalar("7")),
            ("options", .mapping([("application_name", .scalar("nightly"))])),
            ("server_settings", .mapping([("statement_timeout", .scalar("5 min"))])),
        ])
        let s = PostgreSQLOutputPlugin(options: o).connectionSettings()
        #expect(s["host"] == "db.example" && s["port"] == "6543" && s["dbname"] == "d" && s["user"] == "u")
        #expect(s["sslmode"] == "require" && s["connect_timeout"] == "7" && s["application_name"] == "nightly")
        #expect(s["options"] == "-c statement_timeout=5\\ min")
        #expect(s.redactedDescription == "db.example:6543/d as u")
        #expect(s.redact("x pw y") == "x ******** y")
        #expect(try decode([("table", .scalar("t")), ("ssl", .scalar("false"))]).ssl == .disable)
        #expect(try decode([("table", .scalar("t")), ("ssl", .scalar("verify"))]).ssl == .verify)
    }

    @Test func urlPasswordsAreRedacted() {
        let url = "postgresql://alice:s%40cret@db:5432/wh?sslmode=require&password=other"
        #expect(redactURL(url) == "postgresql://alice:********@db:5432/wh?sslmode=require&password=********")
        #expect(Set(passwordInURL(url)) == ["s%40cret", "s@cret", "other"])
        let s = PGConnectionSettings(parameters: [("dbname", url)], secrets: passwordInURL(url))
        #expect(!s.redactedDescription.contains("cret") && !s.redactedDescription.contains("other"))
        #expect(s.redact("failed for s@cret") == "failed for ********")
    }

    @Test func invalidOptionsAreConfigErrors() {
        func message(_ pairs: [(String, ConfigNode)]) -> String {
            do {
                _ = try decode([("table", .scalar("t"))] + pairs)
                return ""
            } catch { return "\(error)" }
        }
        #expect(message([("mode", .scalar("upsert"))]).contains("valid values"))
        #expect(message([("merge_keys", ConfigNode(.sequence([.scalar("id")])))]).contains("mode is insert"))
        #expect(message([("url", .scalar("postgresql://h/d")), ("host", .scalar("h"))]).contains("not both"))
        #expect(message([("column_options", .mapping([("a", .mapping([("type", .scalar("int); DROP TABLE x; --"))]))]))]).contains("not an SQL type name"))
        #expect(message([("column_options", .mapping([("a", .mapping([("timezone", .scalar("Mars/Base"))]))]))]).contains("not a time zone"))
        #expect(message([("tabel", .scalar("x"))]).contains("did you mean 'table'"))
        #expect(message([("ssl", .scalar("maybe"))]).contains("ssl"))
        #expect(message([("lock_wait_seconds", .scalar("-1"))]).contains("lock_wait_seconds"))
        #expect(message([]) == "")
    }

    @Test func typeNames() {
        for ok in ["BIGINT", "varchar(20)", "NUMERIC(12, 2)", "timestamp(3) with time zone", "text[]", "double precision"] {
            #expect(isPlainTypeName(ok), "\(ok)")
        }
        for bad in ["", "int; drop", "1int", "varchar(20) default 'x'", "numeric(1,2,3)", "a(b)"] {
            #expect(!isPlainTypeName(bad), "\(bad)")
        }
    }

    @Test func mergeRulesNameTheNewRowExcluded() {
        #expect(rewriteMergeRule("cnt = T.cnt + S.cnt") == "cnt = T.cnt + EXCLUDED.cnt")
        #expect(rewriteMergeRule("name = 'S.x' || s.name") == "name = 'S.x' || EXCLUDED.name")
        #expect(rewriteMergeRule("xs.a = ts.b") == "xs.a = ts.b")
        #expect(rewriteMergeRule("\"S\".a = 1") == "\"S\".a = 1")
    }

    @Test func microsecondsRoundTowardNegativeInfinity() {
        #expect(floorMicros(0) == 0)
        #expect(floorMicros(999) == 0)
        #expect(floorMicros(1000) == 1)
        #expect(floorMicros(-1) == -1)
        #expect(floorMicros(-1000) == -1)
        #expect(floorMicros(-1001) == -2)
    }

    @Test func binaryCopyLayout() throws {
        let schema = Schema([("a", .long), ("b", .string), ("c", .timestamp)])
        let zone = ZoneRule(name: "UTC")!
        let encoders = try [
            FieldEncoder.make(column: "a", source: .long, target: TargetType(name: "int4", display: "integer"), option: nil, defaultZone: zone)!,
            FieldEncoder.make(column: "b", source: .string, target: TargetType(name: "jsonb", display: "jsonb"), option: nil, defaultZone: zone)!,
            FieldEncoder.make(column: "c", source: .timestamp, target: TargetType(name: "timestamptz", display: "timestamptz"), option: nil, defaultZone: zone)!,
        ]
        let encoder = CopyEncoder(encoders: encoders, binary: true)
        encoder.begin()
        var builder = PageBuilder(schema: schema)
        builder.setLong(0, 258)
        builder.setString(1, "{}")
        builder.setTimestamp(2, nanos: 946_684_800_000_001_000)
        builder.finishRecord()
        builder.setNull(0)
        builder.finishRecord()
        try encoder.encode(builder.build()) { _ in Issue.record("flushed early") }
        encoder.end()
        let bytes = encoder.withPending { Array($0) }
        let expected: [UInt8] =
            Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
            + [0, 3] + [0, 0, 0, 4, 0, 0, 1, 2] + [0, 0, 0, 3, 1, 0x7B, 0x7D] + [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1]
            + [0, 3] + [0xFF, 0xFF, 0xFF, 0xFF] + [0xFF, 0xFF, 0xFF, 0xFF] + [0xFF, 0xFF, 0xFF, 0xFF]
            + [0xFF, 0xFF]
        #expect(bytes == expected)

        // An integer column refuses a value it cannot hold, naming the column.
        var overflow = PageBuilder(schema: schema)
        overflow.setLong(0, 1 << 40)
        overflow.finishRecord()
        #expect(throws: SystemError.self) { try encoder.encode(overflow.build()) { _ in } }
    }

    @Test func textCopyEscapes() throws {
        let schema = Schema([("s", .string), ("b", .boolean), ("d", .double)])
        let zone = ZoneRule(name: "UTC")!
        let encoders = try [
            FieldEncoder.make(column: "s", source: .string, target: TargetType(name: "text", display: "text"), option: nil, defaultZone: zone)!,
            FieldEncoder.make(column: "b", source: .boolean, target: TargetType(name: "bool", display: "boolean"), option: nil, defaultZone: zone)!,
            FieldEncoder.make(column: "d", source: .double, target: TargetType(name: "float8", display: "float8"), option: nil, defaultZone: zone)!,
        ]
        let encoder = CopyEncoder(encoders: encoders, binary: false)
        let page = page(schema, [[.string("a\tb\nc\\d\re"), .boolean(true), .double(-.infinity)], [.null, .null, .double(.nan)]])
        try encoder.encode(page) { _ in }
        let text = encoder.withPending { String(decoding: $0, as: UTF8.self) }
        #expect(text == "a\\tb\\nc\\\\d\\re\tt\t-Infinity\n\\N\t\\N\tNaN\n")
    }

    @Test func descriptorExampleDecodes() throws {
        let example = PostgreSQLOutputPlugin.descriptor.example
        #expect(example.contains("type: postgresql"))
        // The example's keys (without the runtime's `type`) are all options.
        let pairs: [(String, ConfigNode)] = [
            ("host", .scalar("localhost")), ("user", .scalar("kura")), ("database", .scalar("warehouse")),
            ("table", .scalar("events")), ("mode", .scalar("insert")),
            ("column_options", .mapping([("price", .mapping([("type", .scalar("NUMERIC(12,2)"))]))])),
        ]
        for (key, _) in pairs { #expect(example.contains(key + ":")) }
        _ = try decode(pairs)
    }
}
