import FinanceCore
import FinanceStorage
import Logging
import Metrics
import ServiceLifecycle

/// Runs the streaming pattern and anomaly detectors on the market bus and publishes their signals on the
/// analytics bus (for alerts), in `RecentSignals` (for `GET /api/signals`), in metrics and in the debug log.
///
/// Every 1-minute bar feeds the 1-minute analyzer and the coarser intervals configured (closed 1h/1d bars are
/// folded from closed minutes); a bar of another interval feeds that interval's analyzer; ticks feed an
/// order-flow detector per symbol. A series seen for the first time is warmed up from the store. Only live events
/// ingested on this instance are analysed: history is never, and an event relayed from another instance was
/// analysed there.
public struct LiveAnalyticsService: Service {
    private let events: AsyncStream<MarketMessage>
    private let storage: Storage
    private let output: AnalyticsBus
    private let recent: RecentSignals
    private let settings: LiveAnalyticsSettings
    private let logger: Logger

    /// Subscribes to `bus` now, so no event published after construction is missed.
    public init(
        bus: any MarketBus, storage: Storage, output: AnalyticsBus, recent: RecentSignals,
        settings: LiveAnalyticsSettings, logger: Logger
    ) {
        self.events = bus.subscribe("live_analytics")
        self.storage = storage
        self.output = output
        self.recent = recent
        self.settings = settings
        self.logger = logger
    }

    /// Processes market events until graceful shutdown (or the market bus ends), then ends the analytics bus.
    public func run() async throws {
        let (events, storage, settings, logger) = (self.events, self.storage, self.settings, self.logger)
        let (output, recent) = (self.output, self.recent)
        await cancelWhenGracefulShutdown {
            var engine = LiveAnalyticsEngine(storage: storage, settings: settings, logger: logger)
            let metrics = LiveAnalyticsMetrics()
            var series = 0
            for await message in events where message.isLocalLive {
                let outcome = await engine.handle(message.event)
                metrics.record(outcome)
                if engine.seriesCount != series {
                    series = engine.seriesCount
                    metrics.series.record(series)
                }
                guard !outcome.events.isEmpty else { continue }
                for signal in outcome.events { Self.log(signal, logger: logger) }
                recent.append(outcome.events)
                output.publish(outcome.events)
            }
        }
        self.output.finish()
    }

    private static func log(_ signal: AnalyticsEvent, logger: Logger) {
        guard logger.logLevel <= .debug else { return }
        var metadata: Logger.Metadata = [
            "symbol": "\(signal.symbol)", "interval": "\(signal.interval.name)", "ts": "\(signal.ts)",
        ]
        switch signal {
        case .pattern(_, _, let p):
            metadata["type"] = "\(p.type.rawValue)"
            metadata["status"] = "\(p.status.rawValue)"
            logger.debug("live pattern", metadata: metadata)
        case .anomaly(_, _, let a):
            metadata["type"] = "\(a.type.rawValue)"
            metadata["severity"] = "\(a.severity)"
            logger.debug("live anomaly", metadata: metadata)
        }
    }
}

/// The Prometheus metrics of live analytics (docs/operations.md).
struct LiveAnalyticsMetrics {
    let stale = Counter(label: "financehub_live_stale_updates_total")
    let invalid = Counter(label: "financehub_live_invalid_events_total")
    let historyFailures = Counter(label: "financehub_live_history_failures_total")
    let series = Gauge(label: "financehub_live_series")
    let evicted = Counter(label: "financehub_live_symbols_evicted_total")

    func record(_ outcome: LiveAnalyticsEngine.Outcome) {
        if outcome.stale > 0 { self.stale.increment(by: outcome.stale) }
        if outcome.invalid > 0 { self.invalid.increment(by: outcome.invalid) }
        if outcome.historyFailures > 0 { self.historyFailures.increment(by: outcome.historyFailures) }
        if outcome.evicted > 0 { self.evicted.increment(by: outcome.evicted) }
        for signal in outcome.events {
            switch signal {
            case .pattern(_, _, let p):
                Counter(
                    label: "financehub_live_patterns_total",
                    dimensions: [("type", p.type.rawValue), ("status", p.status.rawValue)]
                ).increment()
            case .anomaly(_, _, let a):
                Counter(label: "financehub_live_anomalies_total", dimensions: [("type", a.type.rawValue)]).increment()
            }
        }
    }
}
