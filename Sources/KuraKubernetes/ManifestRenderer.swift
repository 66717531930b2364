import Foundation
import KuraCore
import KuraJobs
import KuraRuntime
import Yams

/// Turns a jobs folder into Kubernetes objects (`batch/v1` CronJobs, a `v1` ConfigMap): what `kura k8s render`
/// prints and the helm chart holds.
///
/// - One CronJob per job, named after it (DNS-1123, at most 52 characters): `schedule`, `timeZone`,
///   `concurrencyPolicy`, `startingDeadlineSeconds`, the history limits and `suspend`; its pods run
///   `kura jobs run NAME` once (`restartPolicy: Never`), as a non-root user with a read-only root filesystem.
/// - Retries: kura retries a failed session inside the pod as the job's `retries` says, and the session's budget
///   of `1 + retries` failed attempts is kept in the warehouse, so `backoffLimit: retries` (a new pod when one is
///   lost or killed) never adds attempts; `activeDeadlineSeconds` is every attempt's `timeout_seconds` plus the
///   waits between them, plus a minute.
/// - A job with `parallelism: N` gets an Indexed Job (`completionMode: Indexed`, `completions: N`,
///   `parallelism: N`) whose pods run their shard (`--shard $(JOB_COMPLETION_INDEX)/N`).
/// - The job files and every file beside them go into one ConfigMap, mounted read-only where the pods read them.
/// - Every `{{ env.X }}` in those files becomes an environment entry read from the Secret (`valueFrom.secretKeyRef`);
///   a literal password in a file is refused, so none can reach the output.
public struct ManifestRenderer {
    public let catalog: JobCatalog
    public let values: RenderValues

    public init(catalog: JobCatalog, values: RenderValues) {
        self.catalog = catalog
        self.values = values
    }

    /// The objects, as one multi-document YAML text.
    public func render() throws -> String {
        let files = try JobFolderFiles(directory: catalog.directory)
        let secrets = files.environmentNames()
        var documents = [configMap(files)]
        for job in catalog.jobs { documents.append(cronJob(job, secrets: secrets, files: files)) }
        return try documents.map { try Yams.serialize(node: $0) }.joined(separator: "---\n")
    }

    func metadata(_ name: String, component: String, job: String? = nil) -> Node {
        var labels: [(String, Node)] = [("app.kubernetes.io/name", s("kura")), ("app.kubernetes.io/component", s(component))]
        if let job { labels.append(("kura.dev/job", s(ManifestRenderer.labelValue(job)))) }
        var pairs: [(String, Node)] = [("name", s(name))]
        if let ns = values.namespace { pairs.append(("namespace", s(ns))) }
        pairs.append(("labels", m(labels)))
        return m(pairs)
    }

    func configMap(_ files: JobFolderFiles) -> Node {
        m([
            ("apiVersion", s("v1")), ("kind", s("ConfigMap")), ("metadata", metadata(values.configMapName, component: "jobs")),
            ("data", m(files.files.map { (JobFolderFiles.key(for: $0.path), s($0.text, literal: $0.text.contains("\n"))) })),
        ])
    }

    func cronJob(_ job: JobSpec, secrets: [String], files: JobFolderFiles) -> Node {
        let name = ManifestRenderer.dnsName(job.name)
        var spec: [(String, Node)] = [
            ("schedule", s(values.helmMarkers ? HelmChart.marker("schedule", job) : values.schedules[job.name] ?? job.schedule.text)),
            ("timeZone", s(job.timezone)),
            ("concurrencyPolicy", s(job.concurrencyPolicy.rawValue.capitalized)),
        ]
        if let d = job.startingDeadlineSeconds { spec.append(("startingDeadlineSeconds", n(d))) }
        spec += [
            ("successfulJobsHistoryLimit", n(values.successfulJobsHistoryLimit)),
            ("failedJobsHistoryLimit", n(values.failedJobsHistoryLimit)),
            ("suspend", values.helmMarkers ? s(HelmChart.marker("suspend", job)) : b(values.suspend[job.name] ?? values.suspend["all"] ?? job.suspend)),
            ("jobTemplate", m([("metadata", m([("labels", labels(job))])), ("spec", jobSpec(job, secrets: secrets, files: files))])),
        ]
        return m([
            ("apiVersion", s("batch/v1")), ("kind", s("CronJob")), ("metadata", metadata(name, component: "job", job: job.name)),
            ("spec", m(spec)),
        ])
    }

    func labels(_ job: JobSpec) -> Node {
        m([("app.kubernetes.io/name", s("kura")), ("kura.dev/job", s(ManifestRenderer.labelValue(job.name)))])
    }

    func jobSpec(_ job: JobSpec, secrets: [String], files: JobFolderFiles) -> Node {
        var pairs: [(String, Node)] = [("backoffLimit", n(job.retries.limit))]
        if let timeout = job.timeoutSeconds {
            let waits = (2..<(job.retries.limit + 2)).reduce(0) { $0 + job.retries.delay(beforeAttempt: $1) }
            pairs.append(("activeDeadlineSeconds", n(timeout * (job.retries.limit + 1) + waits + 60)))
        }
        if job.parallelism > 1 {
            pairs += [("completionMode", s("Indexed")), ("completions", n(job.parallelism)), ("parallelism", n(job.parallelism))]
        }
        pairs.append(("template", m([("metadata", m([("labels", labels(job))])), ("spec", podSpec(job, secrets: secrets, files: files))])))
        return m(pairs)
    }

    func podSpec(_ job: JobSpec, secrets: [String], files: JobFolderFiles) -> Node {
        var args = ["jobs", "run", job.name, "--jobs", values.jobsPath, "--log-format", "json"]
        if job.parallelism > 1 { args += ["--shard", "$(JOB_COMPLETION_INDEX)/\(job.parallelism)"] }
        var env: [Node] = [m([("name", s("KURA_LOG_FORMAT")), ("value", s("json"))])]
        for name in secrets {
            env.append(m([
                ("name", s(name)),
                ("valueFrom", m([("secretKeyRef", m([("name", s(values.secretName)), ("key", s(values.secretKeys[name] ?? name))]))])),
            ]))
        }
        let resources = m([("requests", m(values.requests.sorted { $0.key < $1.key }.map { ($0.key, s($0.value)) })),
                           ("limits", m(values.limits.sorted { $0.key < $1.key }.map { ($0.key, s($0.value)) }))])
        let container = m([
            ("name", s("kura")), ("image", s(values.image)), ("args", .sequence(Node.Sequence(args.map { s($0) }))),
            ("workingDir", s(values.workingDirectory)), ("env", .sequence(Node.Sequence(env))), ("resources", resources),
            ("securityContext", m([("allowPrivilegeEscalation", b(false)), ("readOnlyRootFilesystem", b(true)),
                                   ("capabilities", m([("drop", .sequence(Node.Sequence([s("ALL")])))]))])),
            ("volumeMounts", .sequence(Node.Sequence([
                m([("name", s("jobs")), ("mountPath", s(values.jobsPath)), ("readOnly", b(true))]),
                m([("name", s("work")), ("mountPath", s(values.workingDirectory))]),
                m([("name", s("tmp")), ("mountPath", s("/tmp"))]),
            ]))),
        ])
        let items = files.files.map { m([("key", s(JobFolderFiles.key(for: $0.path))), ("path", s($0.path))]) }
        var pod: [(String, Node)] = [("restartPolicy", s("Never"))]
        if let sa = values.serviceAccountName { pod.append(("serviceAccountName", s(sa))) }
        pod += [
            ("securityContext", m([("runAsNonRoot", b(true)), ("runAsUser", n(10001)), ("runAsGroup", n(10001)), ("fsGroup", n(10001))])),
            ("containers", .sequence(Node.Sequence([container]))),
            ("volumes", .sequence(Node.Sequence([
                m([("name", s("jobs")), ("configMap", m([("name", s(values.configMapName)), ("items", .sequence(Node.Sequence(items)))]))]),
                m([("name", s("work")), ("emptyDir", m([]))]),
                m([("name", s("tmp")), ("emptyDir", m([]))]),
            ]))),
        ]
        return m(pod)
    }

    /// A job name as a DNS-1123 label for a CronJob: lower case, `_` and other characters as `-`, at most 52
    /// characters (a longer name keeps 43 and a hash of the whole).
    public static func dnsName(_ name: String) -> String {
        var out = ""
        for ch in name.lowercased() {
            let ok = ch.isASCII && (ch.isLetter || ch.isNumber)
            if ok { out.append(ch) } else if out.last != "-" { out.append("-") }
        }
        out = String(out.drop { $0 == "-" }.reversed().drop { $0 == "-" }.reversed())
        if out.isEmpty { out = "job" }
        guard out.count > 52 else { return out }
        let hash = String(fnv1a(name), radix: 16)
        return String(out.prefix(43)).trimmingCharacters(in: CharacterSet(charactersIn: "-")) + "-" + String(hash.prefix(8))
    }

    /// A job name as a label value (at most 63 characters of `[A-Za-z0-9_.-]`).
    static func labelValue(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) ? $0 : "_" }.prefix(63))
    }

    func m(_ pairs: [(String, Node)]) -> Node { .mapping(Node.Mapping(pairs.map { (s($0.0, plain: true), $0.1) })) }
    func s(_ text: String, plain: Bool = false, literal: Bool = false) -> Node {
        .scalar(Node.Scalar(text, Tag(.str), literal ? .literal : plain ? .plain : .doubleQuoted))
    }
    func n(_ value: Int) -> Node { .scalar(Node.Scalar(String(value), Tag(.int), .plain)) }
    func b(_ value: Bool) -> Node { .scalar(Node.Scalar(value ? "true" : "false", Tag(.bool), .plain)) }
}
