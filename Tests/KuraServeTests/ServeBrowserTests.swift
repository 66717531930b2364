import Foundation
import KuraTestSupport
import Testing

/// The pages in a real browser: headless Chromium (Debian's `chromium`) loads them from the fixture's server; the
/// tests read the DOM it built and save a screenshot. Skipped, saying so, when Chromium is not installed.
@Suite struct ServeBrowserTests {
    static let chromium: String? = {
        let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        if found == nil { print("browser tests skipped: chromium is not installed (scripts/deps installs Debian's chromium)") }
        return found
    }()

    /// Runs headless Chromium with `args` and `url`; returns its stdout.
    func chromium(_ args: [String], _ url: String) throws -> String {
        let binary = try #require(Self.chromium)
        let profile = TempDir()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(profile.path)", "--hide-scrollbars", "--window-size=1280,900",
        ] + args + [url]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "chromium exited with \(p.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }

    @Test(.enabled(if: chromium != nil)) func theHomePageRendersJobsSessionCellsAndHostileTextAsText() throws {
        let f = try ServeFixture.get()
        let dom = try chromium(["--dump-dom"], f.server.baseURL + "/")
        #expect(dom.contains("<table id=\"jobs\">"), "no jobs table in the DOM: \(dom.prefix(500))")
        for job in ["events_import", "train_model", "user_features"] { #expect(dom.contains("data-job=\"\(job)\"")) }
        #expect(dom.components(separatedBy: "class=\"cell succeeded\"").count - 1 == 6)
        #expect(dom.components(separatedBy: "class=\"cell failed\"").count - 1 == 1, "the hostile job's failed session")
        #expect(dom.contains("evil&lt;script&gt;job"), "the job name is a text node")
        #expect(!dom.lowercased().contains("<script"), "the browser built no script element")
    }

    @Test(.enabled(if: chromium != nil)) func theRunPageShowsRejectedRawTextAsText() throws {
        let f = try ServeFixture.get()
        let dom = try chromium(["--dump-dom"], f.server.baseURL + "/runs/" + f.hostileRun)
        #expect(dom.components(separatedBy: "<tr class=\"reject\">").count - 1 == 7)
        #expect(dom.contains("&lt;script&gt;alert(\"raw4\")&lt;/script&gt;,bad"))
        #expect(dom.contains("&lt;img src=x onerror=alert(1)&gt;.csv"))
        #expect(!dom.lowercased().contains("<script") && !dom.contains("<img"), "no element came from the data")
    }

    @Test(.enabled(if: chromium != nil)) func aJobPageDrawsItsPlotsAndAScreenshotIsSaved() throws {
        let f = try ServeFixture.get()
        let dom = try chromium(["--dump-dom"], f.server.baseURL + "/jobs/user_features")
        #expect(dom.components(separatedBy: "<svg").count - 1 == 2)
        #expect(dom.components(separatedBy: "<circle").count - 1 == 6, "three sessions in each plot")
        let shot = f.dir.path + "/home.png"
        _ = try chromium(["--screenshot=\(shot)"], f.server.baseURL + "/")
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG")
        #expect(png.count > 10_000, "a blank screenshot is smaller: \(png.count) bytes")
    }
}
