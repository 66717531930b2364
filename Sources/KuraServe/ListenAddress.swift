import KuraCore

/// Where `kura serve` listens: a host (an IPv4 or IPv6 address, or `localhost`) and a port.
public struct ListenAddress: Equatable, Sendable, CustomStringConvertible {
    /// The address: IPv4 dotted (`127.0.0.1`, `0.0.0.0`) or IPv6 (`::1`, `::`).
    public var host: String
    /// The TCP port; 0 lets the system pick one.
    public var port: UInt16

    /// The default, `127.0.0.1:8080`.
    public static let defaultAddress = ListenAddress(host: "127.0.0.1", port: 8080)

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Reads `HOST:PORT`, `[IPV6]:PORT`, `:PORT` (loopback) or `PORT` (loopback); `localhost` means `127.0.0.1`.
    /// Throws a message that shows the accepted forms.
    public init(parsing text: String) throws {
        let fix = "write it as HOST:PORT, such as 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080"
        var host = "127.0.0.1"
        var portText = text
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw SystemError("--listen '\(text)' has no port after the IPv6 address; \(fix)") }
            portText = String(rest.dropFirst())
        } else if let colon = text.lastIndex(of: ":") {
            if text[..<colon].contains(":") { throw SystemError("--listen '\(text)': put an IPv6 address in brackets; \(fix)") }
            let h = String(text[..<colon])
            if !h.isEmpty { host = h }
            portText = String(text[text.index(after: colon)...])
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = UInt16(portText) else {
            throw SystemError("--listen '\(text)': '\(portText)' is not a port (0 to 65535); \(fix)")
        }
        guard Self.isIPv4(host) || host.contains(":") else {
            throw SystemError("--listen '\(text)': '\(host)' is not an IP address; \(fix)")
        }
        self.init(host: host, port: port)
    }

    /// Whether only this machine can connect: `127.0.0.0/8` or `::1`.
    public var isLoopback: Bool {
        host == "::1" || (Self.isIPv4(host) && host.hasPrefix("127."))
    }

    /// Whether `host` is an IPv6 address.
    public var isIPv6: Bool { host.contains(":") }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isNumber) && Int(p)! <= 255 }
    }
}
