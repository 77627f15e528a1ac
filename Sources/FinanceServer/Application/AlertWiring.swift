import FinanceApp
import FinanceCore
import FinanceStorage
import Logging
import ServiceLifecycle
import Synchronization

/// The alert pipeline of one instance: the engine (`AlertEvaluationService`, fed by the live market and analytics
/// buses), the sink that turns its firings into history rows and outbox deliveries, the digest timer, and the
/// delivery service that sends the outbox (the `websocket` channel through `AlertStreamFanout`, to this instance's
/// hub and the others through the relay).
public struct AlertWiring: Sendable {
    public let evaluation: AlertEvaluationService
    public let sink: AlertFiringSink
    public let deliverer: AlertDeliverer
    /// Email channels' address confirmations (the codes mailed through `smtp.*`).
    public let emails: EmailConfirmations
    let outbox: any AlertOutboxRepository
    /// The sink's nudge to the delivery service.
    let signal: AlertOutboxSignal
    let settings: AlertDeliverySettings
    let clock: any WallClock
    let logger: Logger

    /// Portfolio values and sector levels for the engine.
    let targetValues: AlertTargetValueFeed
    /// Alert changes of the other instances, applied to this engine.
    let remoteChanges: RelayAlertChangesService
    /// Keeps the engine's alerts (and the other instances') in step with what the API stores, seeding symbol alerts
    /// with the quote book's price.
    let changes: any AlertChangeObserver

    init(
        storage: Storage, marketBus: any MarketBus, analyticsBus: AnalyticsBus, barQueries: BarQueryService,
        valuation: PortfolioValuation, sectors: SectorIndex, book: QuoteBook, fanout: AlertStreamFanout,
        relay: RelayService,
        settings: AlertDeliverySettings, clock: any WallClock, logger: Logger
    ) {
        let alerts = storage.alerts
        let control = Control()
        let signal = AlertOutboxSignal()
        let sink = AlertFiringSink(
            alerts: alerts, outbox: storage.alertOutbox,
            throttle: AlertThrottle(
                perUserPerMinute: settings.perUserPerMinute, perAlertPerMinute: settings.perAlertPerMinute),
            clock: clock, logger: logger, onDisabled: { id in control.value.withLock { $0 }?.remove(id: id) },
            onChanged: { id in relay.send(alertChanged: id) }, onQueued: { signal.notify() })
        self.evaluation = AlertEvaluationService(
            bus: marketBus, analytics: analyticsBus,
            load: {
                let states = try await alerts.alertStates()
                return try await alerts.enabledAlerts().map { ($0, states[$0.id]) }
            },
            history: AlertEvaluationService.storageHistory(barQueries),
            saveStates: { states in try? await alerts.saveAlertStates(states) }, logger: logger,
            onFirings: { firings in await sink.record(firings) })
        let evaluationControl = self.evaluation.control
        control.value.withLock { $0 = evaluationControl }
        self.targetValues = AlertTargetValueFeed(
            bus: marketBus, valuation: valuation, sectors: sectors, control: self.evaluation.control)
        self.changes = EngineAlertChanges(control: self.evaluation.control, book: book, relay: relay)
        self.remoteChanges = RelayAlertChangesService(
            relay: relay, alerts: alerts,
            apply: EngineAlertChanges(control: self.evaluation.control, book: book, relay: nil), logger: logger)
        self.sink = sink
        let emails = EmailConfirmations(
            repository: storage.emailConfirmations, settings: settings, clock: clock, logger: logger)
        self.emails = emails
        self.deliverer = AlertDeliverer(
            settings: settings, webSocket: { owner, body in fanout.send(user: owner, body: body) },
            emailConfirmed: { owner, address in try await emails.isConfirmed(owner: owner, address: address) },
            clock: clock, logger: logger)
        self.outbox = storage.alertOutbox
        self.signal = signal
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// The engine, its portfolio and sector values, the digest timer and the delivery service.
    var services: [any Service] {
        [
            self.evaluation, self.targetValues, self.remoteChanges, AlertDigestService(sink: self.sink),
            AlertDeliveryService(
                outbox: self.outbox, deliverer: self.deliverer, settings: self.settings, clock: self.clock,
                logger: self.logger, signal: self.signal),
        ]
    }

    /// The engine's control, set once the engine exists (the sink is built first).
    private final class Control: Sendable {
        let value = Mutex<AlertEvaluationControl?>(nil)
    }
}

/// Tells the engine about alerts the REST API stores or deletes, and the other instances through the relay.
struct EngineAlertChanges: AlertChangeObserver {
    let control: AlertEvaluationControl
    let book: QuoteBook
    /// Nil for changes that came from another instance (they are not relayed back).
    let relay: RelayService?

    func alertSaved(_ alert: Alert) async {
        self.relay?.send(alertChanged: alert.id)
        self.control.update(alert)
        if case .symbol(let symbol) = alert.target, let quote = try? await self.book.quote(symbol: symbol) {
            self.control.seedPrice(symbol: symbol, ts: quote.ts, price: quote.price)
        }
    }

    func alertDeleted(id: String, owner: String) async {
        self.relay?.send(alertChanged: id)
        self.control.remove(id: id)
    }
}
