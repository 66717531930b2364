import DecoderGzip
import EncoderGzip
import KuraCore
import KuraTestSupport
import Testing

@Suite struct GzipEncoderTests {
    @Test(arguments: [0, 1, 6, 9])
    func levelsRoundTrip(level: Int) throws {
        let original = sampleCSV(lines: 500)
        let compressed = try verify(original) { try GzipEncoder(level: level) }
        #expect(try systemGunzip(compressed) == original)
        #expect(try verify(compressed) { try GzipDecoder(name: "out.gz") } == original)
        if level == 0 {
            #expect(compressed.count > original.count)
        } else {
            #expect(compressed.count < original.count / 2)
        }
    }

    @Test func higherLevelsCompressBetter() throws {
        let original = sampleCSV(lines: 5000)
        let fast = try transformWhole(original, GzipEncoder(level: 1))
        let best = try transformWhole(original, GzipEncoder(level: 9))
        #expect(best.count < fast.count)
    }

    @Test func emptyInputIsAValidGzipFile() throws {
        let compressed = try verify([]) { try GzipEncoder(level: 6) }
        #expect(compressed.starts(with: [0x1f, 0x8b]))
        #expect(try systemGunzip(compressed).isEmpty)
    }

    @Test func largeRandomDataRoundTrips() throws {
        let original = randomBytes(3 << 20, seed: 3)
        var chunks: [Int] = []
        let encoder = try GzipEncoder(level: 6)
        var compressed: [UInt8] = []
        try original.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let n = min(100_000, all.count - offset)
                try encoder.push(UnsafeRawBufferPointer(rebasing: all[offset..<offset + n])) {
                    chunks.append($0.count)
                    compressed.append(contentsOf: $0)
                }
                offset += n
            }
        }
        try encoder.finish {
            chunks.append($0.count)
            compressed.append(contentsOf: $0)
        }
        #expect(chunks.dropLast().allSatisfy { $0 == GzipEncoder.bufferSize })
        #expect(try systemGunzip(compressed) == original)
    }

    @Test func levelOption() throws {
        let d = try GzipEncoderPlugin.descriptor.makeEncoderPlugin(section([], path: "out.encoders[0]"))
        #expect((d as? GzipEncoderPlugin)?.options.level == 6)
        let nine = try GzipEncoderPlugin.descriptor.makeEncoderPlugin(section([("level", "9")], path: "out.encoders[0]"))
        #expect((nine as? GzipEncoderPlugin)?.options.level == 9)
        #expect(try systemGunzip(transformWhole(Array("ok".utf8), nine.makeEncoder())) == Array("ok".utf8))
        for bad in ["10", "-1"] {
            let error = try #require(throws: ConfigError.self) {
                _ = try GzipEncoderPlugin.descriptor.makeEncoderPlugin(section([("level", bad)], path: "out.encoders[0]"))
            }
            #expect(error.path == "out.encoders[0].level")
            #expect(error.message.contains("out of range"))
        }
        let typo = try #require(throws: ConfigError.self) {
            _ = try GzipEncoderPlugin.descriptor.makeEncoderPlugin(section([("levle", "3")], path: "out.encoders[0]"))
        }
        #expect(typo.fix?.contains("level") == true)
    }
}
