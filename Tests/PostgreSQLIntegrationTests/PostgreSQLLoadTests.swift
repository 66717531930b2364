import Foundation
import KuraBuiltins
import KuraCore
import KuraTestSupport
import Testing

@testable import KuraRuntime

/// A whole load through the real plugins into a real PostgreSQL server (skipped when `KURA_TEST_PG_HOST` is unset;
/// `scripts/test` sets it).
@Suite struct PostgreSQLLoadTests {
    static let header = "id,name,score,ok,at,extra\n"

    func csvConfig(out: String) -> String {
        """
        in:
          type: file
          path_prefix: data/
          parser:
            type: csv
            newline: LF
            skip_header_lines: 1
            columns:
              - {name: id, type: long}
              - {name: name, type: string}
              - {name: score, type: double}
              - {name: ok, type: boolean}
              - {name: at, type: timestamp, format: '%Y-%m-%d %H:%M:%S'}
              - {name: extra, type: json}
        out:
        \(out)
        """
    }

    @Test(.enabled(if: pg, "needs a PostgreSQL server (KURA_TEST_PG_HOST)"))
    func loadWithRejectsAndLedgerIsExactlyOnce() throws {
        let server = try #require(TestServer.current)
        let dir = TempDir()
        let table = "events_\(UInt32.random(in: 0...UInt32.max))"
        _ = dir.write("data/a.csv", Self.header + "1,a,1.5,true,2024-01-01 00:00:00,{}\n2,b,x,true,2024-01-01 00:00:00,{}\n")
        _ = dir.write("data/b.csv", Self.header + "3,c,2,false,2024-01-02 00:00:00,[1]\n")
        let out = """
              type: postgresql
              host: \(server.host)
              port: \(server.port)
              user: \(server.user)
              database: \(server.database)
              table: \(table)
              mode: insert
            """
        let config = dir.write("load.yml", csvConfig(out: out))
        let env = KuraEnvironment(registry: BuiltinPlugins.registry, logger: .silent, workingDirectory: dir.path, environment: [:])
        let first = try LoadRunner(pipeline: try env.pipeline(configPath: config)).run()
        #expect(first.total == RowCounts(read: 3, loaded: 2, rejected: 1, filtered: 0))
        #expect(try psql("SELECT string_agg(id::text || ':' || name, ',' ORDER BY id) FROM \(table)") == "1:a,3:c")
        #expect(try psql("SELECT file || ':' || line || ':' || column_name || ':' || code FROM kura.rejects WHERE target LIKE '%\(table)%'")
            == "data/a.csv:3:score:CAST")
        let second = try LoadRunner(pipeline: try env.pipeline(configPath: config)).run()
        #expect(second.total.loaded == 0)
        #expect(second.skipped.count == 2)
        #expect(try psql("SELECT count(*) FROM \(table)") == "2")
        _ = try psql("DROP TABLE \(table)")
    }
}
