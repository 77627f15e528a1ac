import Metrics

/// Metrics of the alert pipeline between the engine and the outbox.
enum AlertPipelineMetrics {
    /// Firings recorded in the history (duplicates of an event already recorded are not counted).
    static let firings = Counter(label: "financehub_alert_firings_total")
}
