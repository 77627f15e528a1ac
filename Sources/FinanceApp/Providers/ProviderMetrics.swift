import FinanceProviders
import Metrics

/// The provider layer's metrics (swift-metrics; `GET /metrics` renders them, docs/operations.md lists them). Handles
/// are made at each record, as `OperationTimer` does, so a metric recorded before the metrics system is bootstrapped
/// is not bound to the no-op handler for good; the factory keeps one per name and labels.
public enum ProviderMetrics {
    /// One upstream request: `financehub_provider_requests_total{provider,key,outcome}` (key: the key's id) and
    /// `financehub_provider_request_duration_seconds{provider}`.
    public static func request(provider: String, keyId: String, outcome: ProviderOutcome, seconds: Double) {
        Counter(
            label: "financehub_provider_requests_total",
            dimensions: [("provider", provider), ("key", keyId), ("outcome", outcome.rawValue)]
        ).increment()
        Metrics.Timer(
            label: "financehub_provider_request_duration_seconds", dimensions: [("provider", provider)],
            preferredDisplayUnit: .seconds
        ).recordSeconds(max(0, seconds))
    }

    /// One answer of a response cache: `financehub_provider_cache_total{kind,result}` (`hit`, `coalesced`, `miss`).
    public static func cache(kind: String, result: String) {
        Counter(label: "financehub_provider_cache_total", dimensions: [("kind", kind), ("result", result)])
            .increment()
    }

    /// A provider's health now: `financehub_provider_health_score{provider}` (0–100) and
    /// `financehub_provider_circuit_open{provider}` (1 while the circuit is open, else 0).
    public static func health(provider: String, score: Double, circuit: ProviderHealth.Circuit) {
        Gauge(label: "financehub_provider_health_score", dimensions: [("provider", provider)]).record(score)
        let open: Double
        if case .open = circuit { open = 1 } else { open = 0 }
        Gauge(label: "financehub_provider_circuit_open", dimensions: [("provider", provider)]).record(open)
    }

    /// The share of a provider's keys usable now: `financehub_provider_budget_headroom{provider}` (0–1).
    public static func headroom(provider: String, share: Double) {
        Gauge(label: "financehub_provider_budget_headroom", dimensions: [("provider", provider)]).record(share)
    }

    /// Live trades reaching the market bus: `financehub_provider_stream_lag_seconds{provider}`, from each trade's time
    /// (the upstream's send time) to its ingestion.
    public static func streamLag(provider: String, milliseconds: [Int64]) {
        let timer = Metrics.Timer(
            label: "financehub_provider_stream_lag_seconds", dimensions: [("provider", provider)],
            preferredDisplayUnit: .seconds)
        for ms in milliseconds { timer.recordMilliseconds(max(0, ms)) }
    }

    /// What a live stream's counters gained since `before`: `financehub_provider_stream_reconnects_total`,
    /// `_gap_milliseconds_total` (time without a connection), `_sequence_gaps_total` and `_missed_messages_total`, each
    /// `{provider}`.
    public static func stream(provider: String, now: LiveStreamStats, before: LiveStreamStats) {
        let dimensions = [("provider", provider)]
        func add(_ name: String, _ delta: Int) {
            if delta > 0 {
                Counter(label: "financehub_provider_stream_\(name)", dimensions: dimensions).increment(by: delta)
            }
        }
        add("reconnects_total", now.reconnects - before.reconnects)
        add("sequence_gaps_total", now.sequenceGaps - before.sequenceGaps)
        add("missed_messages_total", now.missedMessages - before.missedMessages)
        let gapMs = now.totalGapMilliseconds - before.totalGapMilliseconds
        if gapMs > 0 {
            Counter(label: "financehub_provider_stream_gap_milliseconds_total", dimensions: dimensions)
                .increment(by: Int(gapMs))
        }
    }
}
