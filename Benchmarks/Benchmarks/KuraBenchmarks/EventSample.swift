import EncoderGzip
import KuraCore
import KuraFormats

/// A small, seeded pseudo-random generator (SplitMix64), so every run benchmarks the same bytes.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A double in `0 ..< 1`.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// An integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
}

/// An in-memory e-commerce event log shaped like the rows of `shared/bench/gen_events.py`: the same ten columns,
/// value ranges and mix of awkward fields (commas, doubled quotes and line breaks inside quoted referrers, a JSON
/// attributes object, ~5% missing prices). Not byte-identical to the Python output, which is not needed here.
struct EventSample {
    /// Number of records.
    let rows: Int
    /// The CSV text, with a header line, LF line ends and RFC 4180 quoting.
    let csv: [UInt8]
    /// The JSON Lines text, timestamps as `YYYY-MM-DDTHH:MM:SSZ`.
    let jsonl: [UInt8]

    static let eventTypes = ["page_view", "click", "search", "add_to_cart", "remove_from_cart", "checkout", "purchase", "signup"]
    static let eventWeights = [45, 20, 12, 9, 3, 4, 5, 2]
    static let countries = ["US", "DE", "GB", "FR", "JP", "BR", "IN", "CA", "AU", "NL",
                            "ES", "IT", "SE", "PL", "KR", "MX", "ZA", "SG", "CH", "NO"]
    static let countryWeights = [30, 10, 9, 7, 7, 6, 6, 4, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1]
    static let hosts = ["https://www.google.com/search?q=", "https://www.bing.com/search?q=",
                        "https://duckduckgo.com/?q=", "https://t.co/", "https://news.ycombinator.com/item?id=",
                        "https://www.facebook.com/l.php?u=", "https://example-shop.com/p/", "android-app://com.example/"]
    static let words = ["shoes", "red", "sale", "winter", "jacket", "cheap", "laptop", "usb-c", "cable", "gift",
                        "kids", "organic", "coffee", "mug", "desk", "lamp", "phone", "case", "wireless", "earbuds"]
    static let campaigns = ["spring", "summer", "black-friday", "cyber-monday", "newsletter", "retarget"]
    static let abGroups = ["A", "B", "control"]
    static let browsers = ["chrome", "safari", "firefox", "edge", "app"]
    static let header = "id,user_id,event_time,event_type,price,quantity,country,is_mobile,referrer,attributes"

    /// Generates `rows` events from `seed`.
    init(rows: Int, seed: UInt64 = 42) {
        self.rows = rows
        var rng = SeededGenerator(seed: seed)
        func weighted(_ values: [String], _ weights: [Int]) -> String {
            var x = rng.int(0...(weights.reduce(0, +) - 1))
            for (v, w) in zip(values, weights) {
                if x < w { return v }
                x -= w
            }
            return values[values.count - 1]
        }
        let hotUsers = (0..<5000).map { _ in rng.int(1...2_000_000_000) }
        var csv = Array((Self.header + "\n").utf8)
        var jsonl: [UInt8] = []
        csv.reserveCapacity(rows * 200)
        jsonl.reserveCapacity(rows * 300)
        var t = 1_704_067_200  // 2024-01-01 00:00:00 UTC
        for i in 0..<rows {
            t += Int(rng.unit() * 3)
            let (date, time) = Self.civil(t)
            let userID = rng.unit() < 0.6 ? hotUsers[rng.int(0...4999)] : rng.int(1...2_000_000_000)
            let eventType = weighted(Self.eventTypes, Self.eventWeights)
            let price: String? = rng.unit() < 0.05 ? nil : Self.priceText(cents: Int((rng.unit() * rng.unit() * 500 + 0.5) * 100))
            let quantity = rng.unit() < 0.7 ? 1 : rng.int(2...25)
            let country = weighted(Self.countries, Self.countryWeights)
            let isMobile = rng.unit() < 0.55
            let q = rng.unit()
            let w1 = Self.words[rng.int(0...19)], w2 = Self.words[rng.int(0...19)]
            let referrer: String
            if q < 0.01 {
                referrer = "Forwarded mail:\n\"\(w1) \(w2)\" offer"
            } else if q < 0.03 {
                referrer = "Ad \"\(w1) \(w2)\" banner"
            } else if q < 0.13 {
                referrer = "\(Self.hosts[rng.int(0...7)])\(w1)+\(w2)&utm=a,b,c"
            } else {
                referrer = "\(Self.hosts[rng.int(0...7)])\(w1)+\(w2)"
            }
            var attributes = "{\"session\":\"\(Self.hex8(rng.next()))\",\"ab\":\"\(Self.abGroups[rng.int(0...2)])\","
                + "\"browser\":\"\(Self.browsers[rng.int(0...4)])\""
            if rng.unit() < 0.3 { attributes += ",\"campaign\":\"\(Self.campaigns[rng.int(0...5)])\"" }
            if rng.unit() < 0.2 {
                attributes += ",\"items\":[" + (0...rng.int(0...2)).map { _ in String(rng.int(1...99999)) }.joined(separator: ",") + "]"
            }
            attributes += "}"
            let id = 5_000_000_000 + i

            let csvFields = [
                String(id), String(userID), date + " " + time, eventType, price ?? "", String(quantity), country,
                isMobile ? "true" : "false", Self.csvQuoted(referrer), Self.csvQuoted(attributes),
            ]
            csv.append(contentsOf: csvFields.joined(separator: ",").utf8)
            csv.append(10)

            var line = "{\"id\":\(id),\"user_id\":\(userID),\"event_time\":\"\(date)T\(time)Z\",\"event_type\":\"\(eventType)\","
            line += "\"price\":\(price ?? "null"),\"quantity\":\(quantity),\"country\":\"\(country)\","
            line += "\"is_mobile\":\(isMobile),\"referrer\":"
            jsonl.append(contentsOf: line.utf8)
            JSON.appendQuoted(referrer, to: &jsonl)
            jsonl.append(contentsOf: ",\"attributes\":\(attributes)}\n".utf8)
        }
        self.csv = csv
        self.jsonl = jsonl
    }

    /// `YYYY-MM-DD` and `HH:MM:SS` of `seconds` since the epoch (UTC).
    static func civil(_ seconds: Int) -> (String, String) {
        let days = seconds / 86400, rem = seconds % 86400
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return ("\(y)-\(two(m))-\(two(d))", "\(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))")
    }

    static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }

    /// A price the way Python's `repr(round(x, 2))` writes it: `12.5`, `3.0`, `176.99`.
    static func priceText(cents: Int) -> String {
        let whole = cents / 100, frac = cents % 100
        if frac == 0 { return "\(whole).0" }
        if frac % 10 == 0 { return "\(whole).\(frac / 10)" }
        return "\(whole).\(two(frac))"
    }

    static func hex8(_ v: UInt64) -> String {
        let s = String(v & 0xFFFF_FFFF, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    /// `field` quoted as Python's csv writer does (only when it holds a comma, quote or line break).
    static func csvQuoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        var quoted = "\""
        for c in field {
            if c == "\"" { quoted.append("\"") }
            quoted.append(c)
        }
        return quoted + "\""
    }

    /// `bytes` compressed with the gzip encoder plugin (level 6, as `gzip -6`).
    static func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
        let encoder = try GzipEncoderPlugin().makeEncoder()
        var out: [UInt8] = []
        try bytes.withUnsafeBytes { try encoder.push($0) { out.append(contentsOf: $0) } }
        try encoder.finish { out.append(contentsOf: $0) }
        return out
    }
}
