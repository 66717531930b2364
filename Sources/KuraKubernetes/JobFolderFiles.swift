import Foundation
import KuraCore
import KuraRuntime

/// Every file of a jobs folder (job files, settings, the configs, SQL and scripts beside them), as the ConfigMap
/// holds them, and what they ask of the environment.
struct JobFolderFiles {
    /// A file: its path relative to the folder, and its text.
    struct File {
        var path: String
        var text: String
    }

    var files: [File]

    /// The most a ConfigMap may hold.
    static let sizeLimit = 1_000_000

    /// Reads every file below `directory` (hidden ones left out), sorted by path; refuses binary files, a folder
    /// too large for a ConfigMap, and literal passwords.
    init(directory: String) throws {
        let fm = FileManager.default
        var found: [File] = []
        var total = 0
        let paths = (fm.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
        for path in paths where !path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: directory + "/" + path, isDirectory: &isDir), !isDir.boolValue else { continue }
            guard let data = fm.contents(atPath: directory + "/" + path), let text = String(data: data, encoding: .utf8) else {
                throw ConfigError(path: "", file: directory + "/" + path, "not a text file; a jobs folder holds job files, configs, SQL and scripts",
                    fix: "move data files out of the jobs folder")
            }
            total += data.count
            found.append(File(path: path, text: text))
        }
        guard total <= Self.sizeLimit else {
            throw ConfigError(path: "", file: directory, "the jobs folder holds \(total) bytes, more than a ConfigMap can (\(Self.sizeLimit))",
                fix: "keep only job files, configs, SQL and scripts in it")
        }
        files = found
        for file in files where file.path.hasSuffix(".yml") || file.path.hasSuffix(".yaml") || file.path.hasSuffix(".liquid") {
            try Self.refuseLiteralSecrets(file, in: directory)
        }
    }

    /// The ConfigMap key of `path`: `/` as `__` (keys may hold only letters, digits, `-`, `_` and `.`).
    static func key(for path: String) -> String {
        path.replacingOccurrences(of: "/", with: "__").map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? String($0) : "-" }.joined()
    }

    /// The environment variables the files read through `{{ env.NAME }}` or `{{ env['NAME'] }}`, sorted.
    func environmentNames() -> [String] {
        var names = Set<String>()
        let pattern = try! NSRegularExpression(pattern: #"\{[{%][^}]*?env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[['"]([A-Za-z_][A-Za-z0-9_]*)['"]\])"#)
        for file in files {
            let ns = file.text as NSString
            for match in pattern.matches(in: file.text, range: NSRange(location: 0, length: ns.length)) {
                for group in 1...2 where match.range(at: group).location != NSNotFound {
                    names.insert(ns.substring(with: match.range(at: group)))
                }
            }
        }
        return names.sorted()
    }

    /// Throws when a YAML file writes a password, token or key (or a URL's password) as a literal, not a template.
    static func refuseLiteralSecrets(_ file: File, in directory: String) throws {
        let path = directory + "/" + file.path
        guard let node = try? ConfigLoader(environment: [:]).parse(yaml: file.text, file: path) else { return }
        func walk(_ node: ConfigNode, _ key: String) throws {
            switch node.kind {
            case .scalar(let text, _):
                let literal = !text.contains("{{") && !text.contains("{%")
                if literal && !text.isEmpty && (Redaction.isSecretKey(key) || Redaction.url(text) != text) {
                    throw ConfigError(path: key, mark: node.mark, file: path, "a secret is written in the file (key '\(key)')",
                        fix: "write it as {{ env.NAME }} and put NAME in the Kubernetes Secret; the manifests reference it, never copy it")
                }
            case .sequence(let items): for item in items { try walk(item, key) }
            case .mapping(let entries): for (k, v) in entries { try walk(v, k) }
            case .null: break
            }
        }
        try walk(node, "")
    }
}
