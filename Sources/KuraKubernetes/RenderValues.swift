import KuraCore

/// What `kura k8s render` needs beyond the job files: the image, the namespace, and the values file's settings.
///
/// The values file (`--values FILE`, YAML) may set: `namespace`, `image`, `secret_name` (the Secret the jobs'
/// `{{ env.X }}` come from; default `kura-secrets`), `secret_keys` (a variable → key map, when the Secret's key is
/// not the variable's name), `resources` (`requests` / `limits` with `cpu` and `memory`),
/// `successful_jobs_history_limit` (default 3), `failed_jobs_history_limit` (default 1), `service_account_name`,
/// `schedules` (a job name → cron expression map that overrides the job files), `suspend` (a job name → true map,
/// or `all: true`), and `configmap_name` (default `kura-jobs`).
public struct RenderValues: Equatable, Sendable {
    public var image: String
    public var namespace: String?
    public var secretName = "kura-secrets"
    /// The Secret's key for an environment variable, when it is not the variable's name (default: the name).
    public var secretKeys: [String: String] = [:]
    public var configMapName = "kura-jobs"
    public var requests: [String: String] = ["cpu": "250m", "memory": "256Mi"]
    public var limits: [String: String] = ["memory": "512Mi"]
    public var successfulJobsHistoryLimit = 3
    public var failedJobsHistoryLimit = 1
    public var serviceAccountName: String?
    public var schedules: [String: String] = [:]
    public var suspend: [String: Bool] = [:]
    /// Where the pods mount the job files (default `/etc/kura/jobs`).
    public var jobsPath = "/etc/kura/jobs"
    /// The pods' working directory, an empty writable volume (default `/var/lib/kura`).
    public var workingDirectory = "/var/lib/kura"
    /// Whether the output is a helm chart's template: the values a chart sets become markers that
    /// `HelmChart` turns into `{{ .Values.… }}` (default false).
    var helmMarkers = false

    public init(image: String, namespace: String? = nil) {
        self.image = image
        self.namespace = namespace
    }

    /// The keys a values file may have.
    static let keys = [
        "namespace", "image", "secret_name", "secret_keys", "configmap_name", "resources", "successful_jobs_history_limit",
        "failed_jobs_history_limit", "service_account_name", "schedules", "suspend",
    ]

    /// Reads a values file's tree over these values; throws a located `ConfigError` for a bad key or value.
    public mutating func apply(_ node: ConfigNode, file: String) throws {
        guard let entries = node.mappingEntries else {
            throw ConfigError(path: "", mark: node.mark, file: file, "a values file must be a mapping")
        }
        for (key, value) in entries {
            let text = value.scalarText
            switch key {
            case "namespace": namespace = text
            case "image": if let text { image = text }
            case "secret_name": if let text { secretName = text }
            case "secret_keys": secretKeys = try Self.strings(value, key, file)
            case "configmap_name": if let text { configMapName = text }
            case "service_account_name": serviceAccountName = text
            case "successful_jobs_history_limit": successfulJobsHistoryLimit = try Self.count(value, key, file)
            case "failed_jobs_history_limit": failedJobsHistoryLimit = try Self.count(value, key, file)
            case "resources":
                if let r = value["requests"] { requests = try Self.strings(r, "resources.requests", file) }
                if let l = value["limits"] { limits = try Self.strings(l, "resources.limits", file) }
            case "schedules": schedules = try Self.strings(value, key, file)
            case "suspend": suspend = try Self.strings(value, key, file).mapValues { ["true", "yes", "on"].contains($0.lowercased()) }
            default:
                throw ConfigError(
                    path: key, mark: value.mark, file: file, "unknown key '\(key)'",
                    fix: nearest(key, in: Self.keys).map { "did you mean '\($0)'?" } ?? "the keys are \(Self.keys.joined(separator: ", "))")
            }
        }
    }

    static func count(_ node: ConfigNode, _ key: String, _ file: String) throws -> Int {
        guard let n = node.scalarText.flatMap({ Int($0) }), n >= 0 else {
            throw ConfigError(path: key, mark: node.mark, file: file, "'\(key)' must be a whole number of at least 0")
        }
        return n
    }

    static func strings(_ node: ConfigNode, _ key: String, _ file: String) throws -> [String: String] {
        guard let entries = node.mappingEntries else {
            throw ConfigError(path: key, mark: node.mark, file: file, "'\(key)' must be a mapping")
        }
        var out: [String: String] = [:]
        for (k, v) in entries {
            guard let text = v.scalarText else { throw ConfigError(path: key + "." + k, mark: v.mark, file: file, "a single value is needed") }
            out[k] = text
        }
        return out
    }
}
