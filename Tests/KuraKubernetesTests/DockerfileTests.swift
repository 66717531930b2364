import Foundation
import KuraTestSupport
import Testing

/// The image's run stage installs every shared library the binary needs: each library `ldd` reports for the built
/// `kura` (less the Swift runtime, which the image links statically) comes from a Debian package that the stage
/// installs, that one of those depends on, or that every Debian system has.
@Suite struct DockerfileTests {
    func output(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return p.terminationStatus == 0 ? text : ""
    }

    /// The packages the Dockerfile's last `apt-get install` names.
    func runStagePackages() throws -> [String] {
        let text = try String(contentsOfFile: repositoryRoot + "/deploy/Dockerfile", encoding: .utf8)
        let stage = text.components(separatedBy: "FROM debian:").last ?? ""
        let install = stage.components(separatedBy: "--no-install-recommends").dropFirst().first ?? ""
        return install.components(separatedBy: "&&")[0].split(whereSeparator: { $0 == " " || $0 == "\\" || $0 == "\n" }).map(String.init)
    }

    /// `packages` and everything they depend on, as installed here.
    func closure(_ packages: [String]) throws -> Set<String> {
        var seen = Set<String>()
        var todo = packages
        while let p = todo.popLast() {
            guard seen.insert(p).inserted else { continue }
            let depends = try output(["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", p])
            for alternative in depends.split(separator: ",") {
                for option in alternative.split(separator: "|") {
                    let name = option.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
                    let bare = name.split(separator: ":").first.map(String.init) ?? ""
                    if !bare.isEmpty { todo.append(bare) }
                }
            }
        }
        return seen
    }

    /// The Debian package that holds `path` (trying the /lib and /usr/lib spellings, and the file a link names).
    func package(of path: String) throws -> String {
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var candidates: [String] = []
        for p in [path, real] {
            candidates += [p, p.hasPrefix("/usr/") ? String(p.dropFirst(4)) : "/usr" + p]
        }
        for c in candidates {
            let found = try output(["dpkg", "-S", c]).split(separator: "\n").first.flatMap { $0.split(separator: ":").first }
            if let found { return String(found) }
        }
        return ""
    }

    @Test func everyLibraryTheBinaryLinksIsInstalledByTheRunStage() throws {
        let binary = try #require(KuraExecutable.path, "the kura executable was not built next to the tests")
        let installed = try closure(try runStagePackages())
        #expect(installed.contains("libpq5") && installed.contains("libsqlite3-0"))
        let lines = try output(["ldd", binary]).split(separator: "\n")
        var checked = 0
        for line in lines {
            let parts = line.split(separator: " ")
            guard parts.count >= 3, parts[1] == "=>", parts[2].hasPrefix("/") else { continue }
            let path = String(parts[2])
            if path.contains("swift") || path.contains("/opt/") { continue }  // the Swift runtime: linked statically in the image
            let owner = try package(of: path)
            let priority = try output(["dpkg-query", "-W", "-f=${Priority}", owner])
            #expect(!owner.isEmpty, "\(path) belongs to no Debian package")
            #expect(installed.contains(owner) || priority == "required", "\(path) comes from \(owner), which the run stage does not install")
            checked += 1
        }
        #expect(checked >= 5, "ldd reported too few libraries to check: \(lines)")
    }
}
