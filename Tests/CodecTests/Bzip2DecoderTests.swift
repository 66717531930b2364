import DecoderBzip2
import KuraCore
import KuraTestSupport
import Testing

@Suite struct Bzip2DecoderTests {
    let name = "logs/app.log.bz2"
    func decoder() throws -> ByteTransform { Bzip2Decoder(name: name) }

    @Test func roundTripOfSystemBzip2() throws {
        let original = sampleCSV(lines: 300)
        let compressed = try systemBzip2(original)
        #expect(try verify(compressed, decoder) == original)
    }

    @Test func emptyInputIsAnEmptyStream() throws {
        #expect(try verify([], decoder).isEmpty)
        #expect(try verify(systemBzip2([]), decoder).isEmpty)
    }

    @Test func concatenatedStreams() throws {
        let a = sampleCSV(lines: 60, seed: 5), b = Array("last line\n".utf8)
        let joined = try systemBzip2(a) + systemBzip2(b) + systemBzip2([])
        #expect(try verify(joined, decoder) == a + b)
    }

    @Test func truncatedStreamIsAnErrorNamingTheFile() throws {
        let compressed = try systemBzip2(sampleCSV(lines: 200))
        for cut in [1, 4, compressed.count / 2, compressed.count - 3] {
            let truncated = Array(compressed[..<(compressed.count - cut)])
            let error = try #require(throws: DataError.self) { try verify(truncated, decoder) }
            #expect(error.code == .corruptInput)
            #expect(error.file == name)
            #expect(error.message.contains("truncated bzip2 stream"))
            #expect(error.description.contains(name))
        }
    }

    @Test func trailingGarbageIsAnError() throws {
        let compressed = try systemBzip2(sampleCSV(lines: 30))
        let error = try #require(throws: DataError.self) { try verify(compressed + Array("junk".utf8), decoder) }
        #expect(error.code == .corruptInput)
        #expect(error.message.contains("trailing garbage"))
        #expect(error.message.contains("compressed byte \(compressed.count)"))
    }

    @Test func plainTextIsNotBzip2() throws {
        let error = try #require(throws: DataError.self) { try verify(Array("hello\n".utf8), decoder) }
        #expect(error.message.contains("not bzip2-compressed"))
    }

    @Test func corruptDataIsAnError() throws {
        var compressed = try systemBzip2(sampleCSV(lines: 300))
        compressed[compressed.count / 2] ^= 0x10
        let error = try #require(throws: DataError.self) { try verify(compressed, decoder) }
        #expect(error.code == .corruptInput)
    }

    @Test func largeRandomData() throws {
        let original = randomBytes(2 << 20, seed: 11)
        let compressed = try systemBzip2(original)
        #expect(try verify(compressed, decoder) == original)
    }

    @Test func pluginMakesDecoders() throws {
        let plugin = try Bzip2DecoderPlugin.descriptor.makeDecoderPlugin(section([], path: "in.decoders[0]"))
        let out = try transformWhole(systemBzip2(Array("z\n".utf8)), plugin.makeDecoder(for: InputTask(name: "z.bz2")))
        #expect(out == Array("z\n".utf8))
        #expect(throws: ConfigError.self) {
            _ = try Bzip2DecoderPlugin.descriptor.makeDecoderPlugin(section([("small", "true")], path: "in.decoders[0]"))
        }
    }
}
