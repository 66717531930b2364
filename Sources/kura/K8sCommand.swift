import ArgumentParser
import Foundation
import KuraCore
import KuraJobs
import KuraKubernetes
import KuraRuntime

/// `kura k8s`: the jobs as Kubernetes objects.
struct K8sCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k8s", abstract: "Render the jobs as Kubernetes objects.", subcommands: [Render.self])

    /// `kura k8s render`: CronJobs (Indexed Jobs for parallel jobs) and the ConfigMap of the job files.
    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the jobs as Kubernetes objects (batch/v1 CronJobs, a v1 ConfigMap) in multi-document YAML.",
            discussion: """
                Secrets are referenced, never copied: every {{ env.X }} in the job folder's files becomes an env \
                entry read from the Secret (--values secret_name, default kura-secrets, key X).
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var folder: JobsCommand.Folder

        @Option(name: .long, help: "The container image the pods run.")
        var image: String

        @Option(name: .long, help: "The namespace of the objects (default: none, the one kubectl applies to).")
        var namespace: String?

        @Option(name: .long, help: "A YAML file of render values: resources, secret_name, history limits, schedules, suspend, …")
        var values: String?

        @Option(name: .long, help: "Write a helm chart of the same objects into this folder instead of printing them.")
        var helmChart: String?

        func run() throws {
            let env = global.environment()
            let catalog = try JobCatalog(directory: folder.jobs, environment: env.environment)
            var settings = RenderValues(image: image, namespace: namespace)
            if let values { try settings.apply(try ConfigLoader(environment: env.environment).load(path: values), file: values) }
            if let namespace { settings.namespace = namespace }
            if let helmChart {
                try HelmChart(catalog: catalog, values: settings).write(to: helmChart)
                print("wrote the helm chart of \(catalog.jobs.count) job(s) to \(helmChart)")
                return
            }
            print(try ManifestRenderer(catalog: catalog, values: settings).render(), terminator: "")
        }
    }
}
