/// Decides `in.decoders` from the first bytes of the data (its magic number), never from the file name.
enum DecoderGuesser {
    /// The decoder whose format starts with `bytes`, when one does: gzip (`1f 8b`), bzip2 (`BZh` and a block size).
    static func decoder(forMagic bytes: ArraySlice<UInt8>) -> String? {
        let b = Array(bytes.prefix(4))
        if b.count >= 2 && b[0] == 0x1F && b[1] == 0x8B { return "gzip" }
        if b.count >= 4 && b[0] == 0x42 && b[1] == 0x5A && b[2] == 0x68 && (0x31...0x39).contains(b[3]) { return "bzip2" }
        return nil
    }

    /// The decision for the decoders found (`found` in the order they apply) in `file`.
    static func decision(_ found: [String], file: String) -> GuessDecision {
        GuessDecision(
            key: "in.decoders", candidates: ["gzip (1f 8b)", "bzip2 (BZh1-9)", "none"],
            winner: found.isEmpty ? "none" : found.joined(separator: ", then "),
            evidence: found.isEmpty
                ? ["the first bytes of \(file) are no compressed format's magic number"]
                : found.map { "\(file) starts with the \($0) magic number (whatever its name)" })
    }
}
