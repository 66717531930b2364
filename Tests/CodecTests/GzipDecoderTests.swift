import DecoderGzip
import EncoderGzip
import KuraCore
import KuraTestSupport
import Testing

@Suite struct GzipDecoderTests {
    let name = "data/sales.csv.gz"
    /// Every test runs on each engine: ISA-L, zlib, and the automatic choice between them.
    static let engines = InflateEngine.allCases
    func decoder(_ engine: InflateEngine) -> () throws -> ByteTransform { { try GzipDecoder(name: self.name, engine: engine) } }

    @Test(arguments: Self.engines) func roundTripOfSystemGzip(_ engine: InflateEngine) throws {
        let original = sampleCSV(lines: 300)
        let compressed = try systemGzip(original)
        #expect(compressed.count < original.count / 2)
        #expect(try verify(compressed, decoder(engine)) == original)
    }

    @Test(arguments: Self.engines) func emptyInputIsAnEmptyStream(_ engine: InflateEngine) throws {
        #expect(try verify([], decoder(engine)).isEmpty)
    }

    @Test(arguments: Self.engines) func gzipOfEmptyFileDecodesToNothing(_ engine: InflateEngine) throws {
        let compressed = try systemGzip([])
        #expect(!compressed.isEmpty)
        #expect(try verify(compressed, decoder(engine)).isEmpty)
    }

    @Test(arguments: Self.engines) func concatenatedMembersFromSystemGzip(_ engine: InflateEngine) throws {
        let a = sampleCSV(lines: 50, seed: 1), b = sampleCSV(lines: 70, seed: 2), c = Array("tail\n".utf8)
        let joined = try systemGzip(a) + systemGzip(b, level: 1) + systemGzip(c, level: 9)
        #expect(try verify(joined, decoder(engine)) == a + b + c)
    }

    @Test(arguments: Self.engines) func concatenatedMembersFromOurEncoder(_ engine: InflateEngine) throws {
        let a = sampleCSV(lines: 40, seed: 3), b = sampleCSV(lines: 10, seed: 4)
        let joined = try transformWhole(a, GzipEncoder(level: 6)) + transformWhole(b, GzipEncoder(level: 2))
            + transformWhole([], GzipEncoder(level: 6))
        #expect(try verify(joined, decoder(engine)) == a + b)
    }

    @Test(arguments: Self.engines) func truncatedStreamIsAnErrorNamingTheFile(_ engine: InflateEngine) throws {
        let compressed = try systemGzip(sampleCSV(lines: 200))
        for cut in [1, 5, 8, compressed.count / 2, compressed.count - 12] {
            let truncated = Array(compressed[..<(compressed.count - cut)])
            let error = try #require(throws: DataError.self) { try verify(truncated, decoder(engine)) }
            #expect(error.code == .corruptInput)
            #expect(error.file == name)
            #expect(error.message.contains("truncated gzip stream"))
            #expect(error.description.contains(name))
            #expect(error.byteOffset == Int64(truncated.count))
        }
    }

    @Test(arguments: Self.engines) func truncatedSecondMemberIsAnError(_ engine: InflateEngine) throws {
        let first = try systemGzip(Array("first\n".utf8))
        let second = try systemGzip(sampleCSV(lines: 20))
        let input = first + second.prefix(second.count / 2)
        let error = try #require(throws: DataError.self) { try verify(input, decoder(engine)) }
        #expect(error.message.contains("member 2"))
        #expect(error.message.contains("starts at byte \(first.count)"))
    }

    @Test(arguments: Self.engines) func trailingGarbageIsAnErrorWithItsOffset(_ engine: InflateEngine) throws {
        let compressed = try systemGzip(sampleCSV(lines: 30))
        for garbage in [Array("garbage".utf8), [0x1f, 0x00], [0x00], [0x1f]] where garbage != [0x1f] {
            let error = try #require(throws: DataError.self) { try verify(compressed + garbage, decoder(engine)) }
            #expect(error.code == .corruptInput)
            #expect(error.message.contains("trailing garbage"))
            #expect(error.file == name)
            #expect(error.byteOffset == Int64(compressed.count))
            #expect(error.message.contains("compressed byte \(compressed.count)"))
        }
    }

    @Test(arguments: Self.engines) func lonePartialMagicAfterMemberIsTruncation(_ engine: InflateEngine) throws {
        let compressed = try systemGzip(Array("x\n".utf8))
        let error = try #require(throws: DataError.self) { try verify(compressed + [0x1f], decoder(engine)) }
        #expect(error.message.contains("truncated"))
    }

    @Test(arguments: Self.engines) func plainTextIsNotGzip(_ engine: InflateEngine) throws {
        let error = try #require(throws: DataError.self) { try verify(Array("id,name\n1,a\n".utf8), decoder(engine)) }
        #expect(error.code == .corruptInput)
        #expect(error.message.contains("not gzip-compressed"))
    }

    @Test(arguments: Self.engines) func corruptDataIsAnError(_ engine: InflateEngine) throws {
        var compressed = try systemGzip(sampleCSV(lines: 200))
        // Flip bits in the middle of the deflate data; the CRC or the block structure must catch it.
        compressed[compressed.count / 2] ^= 0x5a
        compressed[compressed.count / 2 + 1] ^= 0xa5
        let error = try #require(throws: DataError.self) { try verify(compressed, decoder(engine)) }
        #expect(error.code == .corruptInput)
        #expect(error.message.contains("corrupt gzip data"))
    }

    @Test(arguments: Self.engines) func corruptChecksumInTrailerIsAnError(_ engine: InflateEngine) throws {
        var compressed = try systemGzip(sampleCSV(lines: 10))
        compressed[compressed.count - 6] ^= 0xff  // inside the CRC32
        let error = try #require(throws: DataError.self) { try verify(compressed, decoder(engine)) }
        #expect(error.message.contains("incorrect data check"))
    }

    @Test(arguments: Self.engines) func largeRandomData(_ engine: InflateEngine) throws {
        let original = randomBytes(3 << 20)
        let compressed = try systemGzip(original, level: 1)
        #expect(try verify(compressed, decoder(engine)) == original)
    }

    @Test(arguments: Self.engines) func outputComesInLargeChunks(_ engine: InflateEngine) throws {
        let original = sampleCSV(lines: 40_000)
        #expect(original.count > 4 * GzipDecoder.bufferSize)
        let compressed = try systemGzip(original)
        var sizes: [Int] = []
        let d = try decoder(engine)()
        try compressed.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let n = min(1000, all.count - offset)
                try d.push(UnsafeRawBufferPointer(rebasing: all[offset..<offset + n])) { sizes.append($0.count) }
                offset += n
            }
        }
        try d.finish { sizes.append($0.count) }
        #expect(sizes.reduce(0, +) == original.count)
        #expect(sizes.dropLast().allSatisfy { $0 == GzipDecoder.bufferSize })
    }

    @Test(arguments: Self.engines) func errorIsRepeatedOnLaterCalls(_ engine: InflateEngine) throws {
        let d = try decoder(engine)()
        let bad = Array("not gzip at all".utf8)
        #expect(throws: DataError.self) { try bad.withUnsafeBytes { try d.push($0) { _ in } } }
        #expect(throws: DataError.self) { try d.finish { _ in } }
    }

    @Test(arguments: Self.engines)
    func zlibStreamDecodesExceptOnISAL(_ engine: InflateEngine) throws {
        // A zlib-wrapped stream (what zlib's compress() writes): zlib reads it; ISA-L reads gzip members only.
        let original = sampleCSV(lines: 100)
        let zlibStream = try runTool("/usr/bin/python3", ["-c", "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))"], input: original)
        if engine == .isal {
            let error = try #require(throws: DataError.self) { try verify(zlibStream, decoder(engine)) }
            #expect(error.code == .corruptInput)
        } else {
            #expect(try verify(zlibStream, decoder(engine)) == original)
        }
    }

    @Test func bothEnginesAgreeOnManyMembersOfEverySize() throws {
        var joined: [UInt8] = []
        var expected: [UInt8] = []
        for k in 0..<40 {
            let part = k % 7 == 0 ? [] : (k % 3 == 0 ? randomBytes(k * 997) : sampleCSV(lines: k * 13, seed: UInt64(k)))
            joined += try systemGzip(part, level: 1 + k % 9)
            expected += part
        }
        let isal = try verify(joined, decoder(.isal))
        let zlib = try verify(joined, decoder(.zlib))
        #expect(isal == expected)
        #expect(zlib == expected)
    }

    @Test func pluginRejectsUnknownOptions() throws {
        let config = section([("level", "3")], path: "in.decoders[0]")
        let error = try #require(throws: ConfigError.self) {
            _ = try GzipDecoderPlugin.descriptor.makeDecoderPlugin(config)
        }
        #expect(error.path == "in.decoders[0].level")
        #expect(error.message.contains("unknown key"))
        let plugin = try GzipDecoderPlugin.descriptor.makeDecoderPlugin(section([], path: "in.decoders[0]"))
        let compressed = try systemGzip(Array("a\n".utf8))
        let out = try transformWhole(compressed, plugin.makeDecoder(for: InputTask(name: "x.gz")))
        #expect(out == Array("a\n".utf8))
    }
}

extension PluginDescriptor {
    /// Makes the decoder plugin of a decoder descriptor.
    func makeDecoderPlugin(_ config: PluginConfig) throws -> DecoderPlugin {
        guard case .decoder(let make) = factory else { throw SystemError("\(name) is not a decoder") }
        return try make(config)
    }

    /// Makes the encoder plugin of an encoder descriptor.
    func makeEncoderPlugin(_ config: PluginConfig) throws -> EncoderPlugin {
        guard case .encoder(let make) = factory else { throw SystemError("\(name) is not an encoder") }
        return try make(config)
    }
}
