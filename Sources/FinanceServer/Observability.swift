import Metrics
import Prometheus
import Synchronization

/// Process-wide metrics: swift-metrics bootstrapped once with the Prometheus factory.
public enum Observability {
    /// The registry `/metrics` renders.
    public static let registry = PrometheusMetricsFactory.defaultRegistry
    private static let bootstrapped = Mutex(false)

    /// Bootstraps swift-metrics with Prometheus (names sanitized to `[a-zA-Z0-9_]`); later calls do nothing.
    public static func bootstrap() {
        let first = self.bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        var factory = PrometheusMetricsFactory(registry: self.registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (Self.sanitize(name), labels.map { (Self.sanitize($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
    }

    static func sanitize(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }
}
