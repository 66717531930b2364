import ArgumentParser
import Foundation
import KuraCore
import KuraRuntime

/// Where a run's figures go: a Prometheus Pushgateway, a textfile collector's file, or both.
struct MetricsOptions: ParsableArguments {
    @Option(name: .customLong("metrics-push"), help: "Push the run's figures to this Prometheus Pushgateway URL.")
    var push: String?

    @Option(name: .customLong("metrics-file"), help: "Write the run's figures in Prometheus' text format to this file (node_exporter's textfile collector).")
    var file: String?

    /// Publishes `metrics` where asked; a failure to publish is logged, not fatal (the run's outcome stands).
    func publish(_ metrics: RunMetrics, logger: Logger) {
        if let file {
            do { try metrics.write(to: file) } catch { logger.error("could not write metrics to \(file): \(error)") }
        }
        if let push {
            do { try metrics.push(to: push) } catch { logger.error("\(error)") }
        }
    }
}
