import Foundation
import KuraCore
import KuraSQLite
import KuraTestSupport
import OutputPostgreSQL
import OutputSQLite
import Testing

@testable import OutputJDBC

/// Output `jdbc`: URLs pick kura's own outputs, with their keys and checks.
@Suite struct JDBCOutputTests {
    let context = PluginContext(workingDirectory: "/tmp", sessionTime: Timestamp(seconds: 0), logger: .silent, isDryRun: true)

    func make(_ pairs: [(String, String)]) throws -> OutputPlugin {
        let node = ConfigNode.mapping(pairs.map { ($0.0, ConfigNode.scalar($0.1)) })
        return try JDBCOutputPlugin.make(config: PluginConfig(node: node, path: "out", file: "load.yml"), context: context)
    }

    func message(_ pairs: [(String, String)]) -> String {
        do {
            _ = try make(pairs)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func sqliteURLIsTheSQLiteOutputOnThatFile() throws {
        let plugin = try make([("driver_class", "org.sqlite.JDBC"), ("url", "jdbc:sqlite:/data/wh.db"), ("table", "t"), ("mode", "truncate_insert")])
        let sqlite = try #require(plugin as? SQLiteOutputPlugin)
        #expect(sqlite.options.path == "/data/wh.db")
        #expect(sqlite.options.table == "t")
        #expect(sqlite.options.mode == .truncateInsert)
        let file = try #require(try make([("url", "jdbc:sqlite:file:rel.db?journal_mode=wal"), ("table", "t")]) as? SQLiteOutputPlugin)
        #expect(file.options.path == "rel.db")
    }

    @Test func postgresqlURLIsThePostgreSQLOutputWithItsProperties() throws {
        let plugin = try make([
            ("driver_class", "org.postgresql.Driver"), ("url", "jdbc:postgresql://db.internal:6432/analytics?ApplicationName=etl&ssl=true"),
            ("user", "loader"), ("password", "pw"), ("table", "events"), ("mode", "merge"), ("batch_size", "10000"),
        ])
        let pg = try #require(plugin as? PostgreSQLOutputPlugin)
        #expect(pg.options.host == "db.internal")
        #expect(pg.options.port == 6432)
        #expect(pg.options.database == "analytics")
        #expect(pg.options.user == "loader")
        #expect(pg.options.password == "pw")
        #expect(pg.options.mode == .merge)
        #expect(pg.options.options == ["ApplicationName": "etl", "ssl": "true"])
    }

    @Test func urlForms() throws {
        #expect(try JDBCPostgreSQLURL("jdbc:postgresql:warehouse") == JDBCPostgreSQLURL(host: nil, port: nil, database: "warehouse", properties: []))
        #expect(try JDBCPostgreSQLURL("jdbc:postgresql://[::1]:5433/d%C3%A9v?user=a%20b") == JDBCPostgreSQLURL(host: "::1", port: 5433, database: "dév", properties: [("user", "a b")]))
        #expect(try JDBCPostgreSQLURL("jdbc:postgresql://h1:5432,h2:5432/db") == JDBCPostgreSQLURL(host: "h1", port: 5432, database: "db", properties: []))
        #expect(try JDBCPostgreSQLURL("jdbc:postgresql://host/") == JDBCPostgreSQLURL(host: "host", port: nil, database: nil, properties: []))
        #expect(throws: JDBCPostgreSQLURL.Invalid.self) { try JDBCPostgreSQLURL("jdbc:postgresql://host:99999/db") }
        #expect(throws: JDBCPostgreSQLURL.Invalid.self) { try JDBCPostgreSQLURL("jdbc:postgresql://host") }
        #expect(throws: JDBCPostgreSQLURL.Invalid.self) { try JDBCPostgreSQLURL("jdbc:postgresql://h/db?x=%zz") }
    }

    @Test func otherDatabasesAreConfigErrorsThatListTheSupportedOnes() {
        let m = message([("driver_class", "com.mysql.cj.jdbc.Driver"), ("url", "jdbc:mysql://h/db?password=hunter2"), ("table", "t")])
        #expect(m.contains("out.url"), "\(m)")
        #expect(m.contains("jdbc:sqlite:PATH") && m.contains("jdbc:postgresql://"), "\(m)")
        #expect(!m.contains("hunter2"), "\(m)")
        #expect(message([("table", "t")]).contains("needs a url"))
    }

    @Test func theTargetOutputChecksTheRemainingKeys() {
        let typo = message([("url", "jdbc:postgresql://h/db"), ("table", "t"), ("mdoe", "insert")])
        #expect(typo.contains("mdoe") && typo.contains("mode"), "\(typo)")
        let sqliteMerge = message([("url", "jdbc:sqlite:x.db"), ("table", "t"), ("mode", "merge")])
        #expect(sqliteMerge.contains("mode") && sqliteMerge.contains("merge"), "\(sqliteMerge)")
        let wrongDriver = message([("driver_class", "org.postgresql.Driver"), ("url", "jdbc:sqlite:x.db"), ("table", "t")])
        #expect(wrongDriver.contains("driver_class") && wrongDriver.contains("org.sqlite.JDBC"), "\(wrongDriver)")
        #expect(message([("url", "jdbc:sqlite::memory:"), ("table", "t")]).contains("names no database file"))
    }

    @Test func loadsIntoARealSQLiteFileThroughTheCLI() throws {
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        let dir = TempDir()
        _ = dir.write("data/a.csv", "id,name\n1,x\n2,y\n3,z\n")
        _ = dir.write("load.yml", """
            in:
              type: file
              path_prefix: data/
              parser: {type: csv, skip_header_lines: 1, columns: [{name: id, type: long}, {name: name, type: string}]}
            out:
              type: jdbc
              driver_class: org.sqlite.JDBC
              url: jdbc:sqlite:out/wh.db
              user: ignored
              table: people
              mode: replace
            """)
        let run = try KuraExecutable.run(binary, ["run", "load.yml"], in: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        let db = try SQLiteConnection(path: dir.path + "/out/wh.db", mode: .readOnly)
        #expect(try db.queryText("SELECT group_concat(id || name, ',') FROM (SELECT * FROM people ORDER BY id)") == [["1x,2y,3z"]])
    }
}
