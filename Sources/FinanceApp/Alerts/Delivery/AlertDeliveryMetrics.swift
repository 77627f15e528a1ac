import FinanceStorage
import Metrics

/// Alert delivery's metrics: `financehub_alert_deliveries_total{channel,outcome}` (outcome `delivered`, `retry`,
/// `failed`) and `financehub_alert_delivery_duration_seconds{channel}`.
enum AlertDeliveryMetrics {
    static func attempt(channel: String, outcome: DeliveryOutcome, seconds: Double) {
        let name: String
        switch outcome {
        case .delivered: name = "delivered"
        case .retry: name = "retry"
        case .failed: name = "failed"
        }
        Counter(label: "financehub_alert_deliveries_total", dimensions: [("channel", channel), ("outcome", name)])
            .increment()
        Metrics.Timer(
            label: "financehub_alert_delivery_duration_seconds", dimensions: [("channel", channel)],
            preferredDisplayUnit: .seconds
        ).recordSeconds(max(0, seconds))
    }
}
