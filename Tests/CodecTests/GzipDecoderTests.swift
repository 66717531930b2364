import DecoderGzip
import EncoderGzip
import KuraCore
import KuraTestSupport
import Testing

@Suite struct GzipDecoderTests {
    let name = "data/sales.csv.gz"
    func decoder() throws -> ByteTransform { try GzipDecoder(name: name) }

    @Test func roundTripOfSystemGzip() throws {
        let original = sampleCSV(lines: 300)
        let compressed = try systemGzip(original)
        #expect(compressed.count < original.count / 2)
        #expect(try verify(compressed, decoder) == original)
    }

    @Test func emptyInputIsAnEmptyStream() throws {
        #expect(try verify([], decoder).isEmpty)
    }

    @Test func gzipOfEmptyFileDecodesToNothing() throws {
        let compressed = try systemGzip([])
        #expect(!compressed.isEmpty)
        #expect(try verify(compressed, decoder).isEmpty)
    }

    @Test func concatenatedMembersFromSystemGzip() throws {
        let a = sampleCSV(lines: 50, seed: 1), b = sampleCSV(lines: 70, seed: 2), c = Array("tail\n".utf8)
        let joined = try systemGzip(a) + systemGzip(b, level: 1) + systemGzip(c, level: 9)
        #expect(try verify(joined, decoder) == a + b + c)
    }

    @Test func concatenatedMembersFromOurEncoder() throws {
        let a = sampleCSV(lines: 40, seed: 3), b = sampleCSV(lines: 10, seed: 4)
        let joined = try transformWhole(a, GzipEncoder(level: 6)) + transformWhole(b, GzipEncoder(level: 2))
            + transformWhole([], GzipEncoder(level: 6))
        #expect(try verify(joined, decoder) == a + b)
    }

    @Test func truncatedStreamIsAnErrorNamingTheFile() throws {
        let compressed = try systemGzip(sampleCSV(lines: 200))
        for cut in [1, 5, 8, compressed.count / 2, compressed.count - 12] {
            let truncated = Array(compressed[..<(compressed.count - cut)])
            let error = try #require(throws: DataError.self) { try verify(truncated, decoder) }
            #expect(error.code == .corruptInput)
            #expect(error.file == name)
            #expect(error.message.contains("truncated gzip stream"))
            #expect(error.description.contains(name))
            #expect(error.byteOffset == Int64(truncated.count))
        }
    }

    @Test func truncatedSecondMemberIsAnError() throws {
        let first = try systemGzip(Array("first\n".utf8))
        let second = try systemGzip(sampleCSV(lines: 20))
        let input = first + second.prefix(second.count / 2)
        let error = try #require(throws: DataError.self) { try verify(input, decoder) }
        #expect(error.message.contains("member 2"))
        #expect(error.message.contains("starts at byte \(first.count)"))
    }

    @Test func trailingGarbageIsAnErrorWithItsOffset() throws {
        let compressed = try systemGzip(sampleCSV(lines: 30))
        for garbage in [Array("garbage".utf8), [0x1f, 0x00], [0x00], [0x1f]] where garbage != [0x1f] {
            let error = try #require(throws: DataError.self) { try verify(compressed + garbage, decoder) }
            #expect(error.code == .corruptInput)
            #expect(error.message.contains("trailing garbage"))
            #expect(error.file == name)
            #expect(error.byteOffset == Int64(compressed.count))
            #expect(error.message.contains("compressed byte \(compressed.count)"))
        }
    }

    @Test func lonePartialMagicAfterMemberIsTruncation() throws {
        let compressed = try systemGzip(Array("x\n".utf8))
        let error = try #require(throws: DataError.self) { try verify(compressed + [0x1f], decoder) }
        #expect(error.message.contains("truncated"))
    }

    @Test func plainTextIsNotGzip() throws {
        let error = try #require(throws: DataError.self) { try verify(Array("id,name\n1,a\n".utf8), decoder) }
        #expect(error.code == .corruptInput)
        #expect(error.message.contains("not gzip-compressed"))
    }

    @Test func corruptDataIsAnError() throws {
        var compressed = try systemGzip(sampleCSV(lines: 200))
        // Flip bits in the middle of the deflate data; the CRC or the block structure must catch it.
        compressed[compressed.count / 2] ^= 0x5a
        compressed[compressed.count / 2 + 1] ^= 0xa5
        let error = try #require(throws: DataError.self) { try verify(compressed, decoder) }
        #expect(error.code == .corruptInput)
        #expect(error.message.contains("corrupt gzip data"))
    }

    @Test func corruptChecksumInTrailerIsAnError() throws {
        var compressed = try systemGzip(sampleCSV(lines: 10))
        compressed[compressed.count - 6] ^= 0xff  // inside the CRC32
        let error = try #require(throws: DataError.self) { try verify(compressed, decoder) }
        #expect(error.message.contains("incorrect data check"))
    }

    @Test func largeRandomData() throws {
        let original = randomBytes(3 << 20)
        let compressed = try systemGzip(original, level: 1)
        #expect(try verify(compressed, decoder) == original)
    }

    @Test func outputComesInLargeChunks() throws {
        let original = sampleCSV(lines: 40_000)
        #expect(original.count > 4 * GzipDecoder.bufferSize)
        let compressed = try systemGzip(original)
        var sizes: [Int] = []
        let d = try decoder()
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

    @Test func errorIsRepeatedOnLaterCalls() throws {
        let d = try decoder()
        let bad = Array("not gzip at all".utf8)
        #expect(throws: DataError.self) { try bad.withUnsafeBytes { try d.push($0) { _ in } } }
        #expect(throws: DataError.self) { try d.finish { _ in } }
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
