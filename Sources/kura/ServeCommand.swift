import ArgumentParser
import Dispatch
import Foundation
import KuraCore
import KuraJobs
import KuraServe

/// `kura serve`: read-only web pages, JSON and metrics over the warehouse's history.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve read-only pages over the warehouse's history: jobs, sessions, runs, files and rejected records.",
        discussion: """
            Pages: /, /jobs/NAME, /runs, /runs/RUN_ID, /files; the same as JSON under /api/; /healthz and /metrics \
            (Prometheus text). Only GET and HEAD. Listening beyond loopback needs KURA_SERVE_TOKEN, which clients \
            send as 'Authorization: Bearer TOKEN' (every path but /healthz). Runs until SIGTERM or SIGINT.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "The folder of job files (default: jobs, when it exists).")
    var jobs: String?

    @Option(name: .long, help: "The warehouse: a SQLite path or a postgresql:// URL (default: the jobs settings' warehouse, else kura.db).")
    var warehouse: String?

    @Option(name: .long, help: "The address to listen on, HOST:PORT (port 0: any free port).")
    var listen = ListenAddress.defaultAddress.description

    func validate() throws {
        do { _ = try ListenAddress(parsing: listen) } catch let e as SystemError { throw ValidationError(e.message) }
    }

    func run() throws {
        let env = global.environment()
        let folder = jobs ?? "jobs"
        var catalog: JobCatalog?
        if jobs != nil || FileManager.default.fileExists(atPath: folder) {
            catalog = try JobCatalog(directory: folder, environment: env.environment)
        }
        let target = JobWarehouse(warehouse ?? catalog?.settings.warehouse, workingDirectory: env.workingDirectory)
        let source = HistorySource(warehouse: target, logger: env.logger)
        let token = ProcessInfo.processInfo.environment["KURA_SERVE_TOKEN"]
        let server: HistoryServer
        do {
            server = try HistoryServer(catalog: catalog, source: source, address: try ListenAddress(parsing: listen), token: token, logger: env.logger)
        } catch let e as SystemError {
            throw usageError(e.message)
        }
        let done = DispatchSemaphore(value: 0)
        let failure = ServeFailure()
        Task {
            do { try await server.run() } catch { failure.error = error }
            done.signal()
        }
        Task {
            guard let port = try? await server.waitUntilListening() else { return }
            let host = server.address.isIPv6 ? "[\(server.address.host)]" : server.address.host
            print("kura serve: http://\(host):\(port)/ (warehouse \(source.location)\(token?.isEmpty == false ? ", token required" : ""))")
            fflush(stdout)
        }
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let signals = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                failure.stopping = true
                Task { await server.stop() }
            }
            s.resume()
            return s
        }
        done.wait()
        _ = signals
        if let error = failure.error, !failure.stopping {
            throw SystemError("kura serve could not listen on \(listen): \(error)")
        }
    }
}

/// How the server task ended, read after it did: its error, and whether a signal asked it to stop.
final class ServeFailure: @unchecked Sendable {
    var error: Error?
    var stopping = false
}
