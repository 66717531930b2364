import Foundation
import KuraTestSupport
import Testing

/// Output `jdbc` with a `jdbc:postgresql:` URL loads into the real test server as output `postgresql` does.
@Suite struct JDBCPostgreSQLTests {
    @Test(.enabled(if: pg, "needs a PostgreSQL server (KURA_TEST_PG_HOST)"))
    func embulkJDBCConfigLoadsAndMerges() throws {
        let server = try #require(TestServer.current)
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        let dir = TempDir()
        let table = uniqueName("jdbc")
        // The server listens on a unix socket, which a JDBC URL names as a `host` property (libpq's keyword).
        let url = "jdbc:postgresql:///\(server.database)?host=\(server.host)&port=\(server.port)&ApplicationName=jdbc-test"
        func config(_ mode: String) -> String {
            """
            in:
              type: file
              path_prefix: data/
              parser: {type: csv, columns: [{name: id, type: long}, {name: name, type: string}]}
            out:
              type: jdbc
              driver_class: org.postgresql.Driver
              url: '\(url)'
              user: \(server.user)
              table: \(table)
              mode: \(mode)
              merge_keys: [id]
              batch_size: 10000
            """
        }
        _ = dir.write("data/a.csv", "1,one\n2,two\n")
        _ = dir.write("load.yml", config("merge"))
        let first = try KuraExecutable.run(binary, ["run", "load.yml"], in: dir.path)
        #expect(first.status == 0, "\(first.stderr)")
        _ = dir.write("data/b.csv", "2,TWO\n3,three\n")
        let second = try KuraExecutable.run(binary, ["run", "load.yml"], in: dir.path)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try psql("SELECT string_agg(id || '=' || name, ',' ORDER BY id) FROM \(table)") == "1=one,2=TWO,3=three")
    }
}
