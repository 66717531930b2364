import Testing

@testable import KuraCore

/// What printed plans and messages hide.
@Suite struct RedactionTests {
    @Test func urlPasswordsAreMaskedAndTheRestKept() {
        #expect(Redaction.url("postgresql://loader:pw@db:5432/wh") == "postgresql://loader:********@db:5432/wh")
        #expect(Redaction.url("postgresql://loader@db/wh?password=pw&sslmode=require")
            == "postgresql://loader@db/wh?password=********&sslmode=require")
        #expect(Redaction.url("postgresql://db/wh") == "postgresql://db/wh")
        #expect(Redaction.url("s3://bucket/a:b@c") == "s3://bucket/a:b@c", "an @ after the authority is a path")
        #expect(Redaction.url("not a url: a:b@c") == "not a url: a:b@c")
    }

    @Test func secretsQuotedInFreeTextAreMasked() {
        #expect(Redaction.text("could not connect to postgresql://u:hunter2@db/wh: refused")
            == "could not connect to postgresql://u:********@db/wh: refused")
        #expect(Redaction.text("host=db password=hunter2 user=u\nPGPASSWORD=x2 psql") == "host=db password=******** user=u\nPGPASSWORD=******** psql")
        #expect(Redaction.text("exit status 1: no such file") == "exit status 1: no such file")
        #expect(Redaction.text("token= and  two  spaces") == "token= and  two  spaces", "an empty value and the spacing are kept")
    }

    @Test func secretKeysAreMaskedAtAnyDepth() {
        let node = ConfigNode.mapping([
            ("out", .mapping([
                ("password", .scalar("pw")), ("user", .scalar("loader")),
                ("s3", .mapping([("aws_secret_access_key", .scalar("k")), ("bucket", .scalar("b"))])),
                ("options", ConfigNode(.sequence([.mapping([("api_token", .scalar("t"))])]))),
                ("empty_password", ConfigNode(.null)),
            ]))
        ])
        let text = Redaction.config(node).yamlText
        #expect(!text.contains(": pw") && !text.contains(": k,") && !text.contains(": t}"))
        #expect(text.contains("password: \"********\"") && text.contains("aws_secret_access_key: \"********\""))
        #expect(text.contains("user: loader") && text.contains("bucket: b"))
        #expect(Redaction.config(node)["out"]?["empty_password"]?.isNull == true, "nothing to hide stays null")
    }
}
