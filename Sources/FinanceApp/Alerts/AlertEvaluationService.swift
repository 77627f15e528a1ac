import FinanceCore
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Evaluates alerts on live market events and hands their firings to `onFirings` (the outbox).
///
/// It reads the market bus (live events only; of those, only the ones ingested on this instance: a tick relayed
/// from another instance was evaluated there, so each tick is evaluated once) and the analytics bus (pattern
/// signals). A reader task moves events into an `AlertInbox`, which coalesces them per symbol (low, high, last)
/// while the evaluating task is busy, so a burst never makes evaluation fall behind without bound and a crossing
/// inside the burst still fires. The delay between an event's arrival and its evaluation is
/// `financehub_alerts_lag_seconds`. Alerts change through `control`; their crossing state is saved through
/// `saveStates` every `stateSaveInterval` and at shutdown, and restored by `load`.
public struct AlertEvaluationService: Service {
    /// Loads every alert with its saved state (at start).
    public typealias Loader = @Sendable () async throws -> [(Alert, [String: Double]?)]
    /// Loads the last `request.bars` closed bars of a series before `before` (ms), ascending.
    public typealias HistoryLoader = @Sendable (_ request: AlertWarmUp, _ before: Int64) async throws -> [Bar]

    /// Changes alerts and feeds portfolio and sector values.
    public let control: AlertEvaluationControl
    let inbox: AlertInbox
    private let market: AsyncStream<MarketMessage>
    private let signals: AsyncStream<AnalyticsEvent>?
    private let load: Loader
    private let history: HistoryLoader?
    private let saveStates: (@Sendable ([String: [String: Double]]) async -> Void)?
    private let onFirings: @Sendable ([AlertFiring]) async -> Void
    private let stateSaveInterval: Duration
    private let logger: Logger

    /// Subscribes to `bus` and `analytics` now, so no event published after construction is missed.
    public init(
        bus: any MarketBus, analytics: AnalyticsBus?, load: @escaping Loader, history: HistoryLoader?,
        saveStates: (@Sendable ([String: [String: Double]]) async -> Void)?, stateSaveInterval: Duration = .seconds(10),
        logger: Logger, onFirings: @escaping @Sendable ([AlertFiring]) async -> Void
    ) {
        let inbox = AlertInbox()
        self.inbox = inbox
        self.control = AlertEvaluationControl(inbox: inbox)
        self.market = bus.subscribe("alerts")
        self.signals = analytics?.subscribe("alerts")
        self.load = load
        self.history = history
        self.saveStates = saveStates
        self.stateSaveInterval = stateSaveInterval
        self.logger = logger
        self.onFirings = onFirings
    }

    /// A history loader reading stored bars (rollups included) through `BarQueryService`.
    public static func storageHistory(_ queries: BarQueryService) -> HistoryLoader {
        { request, before in
            try await queries.bars(
                symbol: request.symbol, interval: request.interval, from: nil, to: before,
                limit: min(request.bars, BarQueryService.maxLimit), now: before)
        }
    }

    public func run() async throws {
        let (inbox, market, signals) = (self.inbox, self.market, self.signals)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await message in market where message.isLocalLive {
                        switch message.event {
                        case .tick(let tick): inbox.add(symbol: tick.symbol, ts: tick.ts, price: tick.price)
                        case .bar(let symbol, let interval, let bar, _):
                            inbox.add(symbol: symbol, interval: interval, bar: bar)
                        }
                    }
                    inbox.finish()
                }
                if let signals {
                    group.addTask {
                        for await signal in signals { inbox.add(signal: signal) }
                    }
                }
                // Ends when the market bus ends or at shutdown; then the readers are done with.
                await self.evaluate()
                group.cancelAll()
            }
        }
        // The bus ends only at shutdown, except when an application is run a second time (its streams were
        // consumed by the first run): then this service idles rather than end the service group early.
        try? await gracefulShutdown()
    }

    /// The evaluating loop: loads the alerts, then evaluates whatever waits whenever something does.
    private func evaluate() async {
        var evaluator = AlertEvaluator()
        let metrics = AlertEvaluationMetrics()
        do {
            let alerts = try await self.load()
            for (alert, state) in alerts {
                evaluator.engine.add(alert, state: state)
                self.inbox.watched.set(alert)
            }
            self.logger.info("alerts loaded", metadata: ["count": "\(alerts.count)"])
        } catch {
            self.logger.error("alerts could not be loaded", metadata: ["error": "\(error)"])
        }
        var lastSave = ContinuousClock.now
        for await _ in self.inbox.wakeUps {
            await self.round(&evaluator, metrics: metrics)
            if ContinuousClock.now - lastSave >= self.stateSaveInterval {
                lastSave = .now
                await self.save(evaluator)
            }
        }
        // Whatever came before the end, then the final state.
        await self.round(&evaluator, metrics: metrics)
        await self.save(evaluator)
    }

    private func round(_ evaluator: inout AlertEvaluator, metrics: AlertEvaluationMetrics) async {
        let batch = self.inbox.drain()
        guard !batch.isEmpty else { return }
        if let oldest = batch.oldest {
            let lag = ContinuousClock.now - oldest
            metrics.lag.record(Double(lag.components.seconds) + Double(lag.components.attoseconds) * 1e-18)
        }
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        var firings = evaluator.apply(batch.commands)
        if let history = self.history { await evaluator.warmUp(now: now, history: history, logger: self.logger) }
        firings += evaluator.evaluate(batch, now: now)
        metrics.record(batch, firings: firings.count, alerts: evaluator.engine.count)
        if !firings.isEmpty { await self.onFirings(firings) }
    }

    private func save(_ evaluator: AlertEvaluator) async {
        guard let saveStates = self.saveStates else { return }
        let states = evaluator.engine.takeChangedStates()
        guard !states.isEmpty else { return }
        // In a task of its own: the last save runs while shutdown has already cancelled this one.
        await Task { await saveStates(states) }.value
    }
}

/// The Prometheus metrics of alert evaluation (docs/operations.md).
struct AlertEvaluationMetrics {
    let lag = Gauge(label: "financehub_alerts_lag_seconds")
    let ticks = Counter(label: "financehub_alerts_ticks_total")
    let coalesced = Counter(label: "financehub_alerts_ticks_coalesced_total")
    let dropped = Counter(label: "financehub_alerts_events_dropped_total")
    let firings = Counter(label: "financehub_alerts_firings_total")
    let alerts = Gauge(label: "financehub_alerts_held")

    func record(_ batch: AlertInbox.Batch, firings: Int, alerts: Int) {
        if batch.ticks > 0 { self.ticks.increment(by: batch.ticks) }
        if batch.coalesced > 0 { self.coalesced.increment(by: batch.coalesced) }
        if batch.dropped > 0 { self.dropped.increment(by: batch.dropped) }
        if firings > 0 { self.firings.increment(by: firings) }
        self.alerts.record(alerts)
    }
}
