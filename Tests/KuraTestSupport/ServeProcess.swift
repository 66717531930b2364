import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A `kura serve` process started for a test on a free loopback port, stopped (SIGTERM) when released.
public final class ServeProcess {
    /// The server's base URL, such as `http://127.0.0.1:40123`.
    public let baseURL: String
    let process: Process

    /// Starts `kura serve ARGS --listen 127.0.0.1:0` in `dir` (with `environment` added) and waits for the line
    /// that names its port.
    public init(_ args: [String], in dir: String, environment: [String: String] = [:]) throws {
        let binary = try KuraExecutable.path ?? { throw ServeProcessError("the kura executable is not built") }()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["serve"] + args + ["--listen", "127.0.0.1:0"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.standardError
        try p.run()
        process = p
        ServeProcess.started(p)
        var line = Data()
        let reader = out.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let start = text.range(of: "http://"), let end = text[start.upperBound...].firstIndex(of: "/") else {
            p.terminate()
            throw ServeProcessError("kura serve did not say where it listens; it wrote: \(text)")
        }
        baseURL = String(text[start.lowerBound..<end])
    }

    /// Servers still running when the test process exits (a shared fixture is never released) are stopped then.
    static let running = RunningServers()

    static func started(_ p: Process) {
        running.add(p)
        atexit { ServeProcess.running.stopAll() }
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Stops the server with SIGTERM and returns its exit status.
    public func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A response: status, headers (names in lower case) and body.
    public struct Response {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    /// Sends `method path` with `headers` and returns the response.
    public func request(_ path: String, method: String = "GET", headers: [String: String] = [:]) throws -> Response {
        guard let url = URL(string: baseURL + path) else { throw ServeProcessError("bad path \(path)") }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let done = DispatchSemaphore(value: 0)
        let box = ResponseBox()
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                var h: [String: String] = [:]
                for (k, v) in http.allHeaderFields { h[String(describing: k).lowercased()] = String(describing: v) }
                box.value = Response(status: http.statusCode, headers: h, body: String(decoding: data ?? Data(), as: UTF8.self))
            } else {
                box.error = error.map { "\($0)" } ?? "no response"
            }
            done.signal()
        }.resume()
        done.wait()
        guard let value = box.value else { throw ServeProcessError("\(method) \(path): \(box.error ?? "no response")") }
        return value
    }
}

/// Why a test's server could not be started or asked.
public struct ServeProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

final class ResponseBox: @unchecked Sendable {
    var value: ServeProcess.Response?
    var error: String?
}

/// The servers the tests started, stopped when the test process exits.
final class RunningServers: @unchecked Sendable {
    private let lock = NSLock()
    private var processes: [Process] = []

    func add(_ p: Process) { lock.withLock { processes.append(p) } }

    func stopAll() {
        for p in lock.withLock({ processes }) where p.isRunning { kill(p.processIdentifier, SIGKILL) }
    }
}
