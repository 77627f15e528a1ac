import FinanceCore
import Synchronization

/// The market bus: every tick and bar the ingestor accepts, as `MarketMessage`s tagged with origin and freshness.
/// Subscribers get live events only unless they ask for history too (state that must follow every write, such as
/// a quote book); history never reaches WebSocket clients, analytics or alerts.
public protocol MarketBus: Sendable {
    /// Publishes messages to every subscriber that takes them; a subscriber that is behind loses its oldest
    /// messages (counted in `financehub_bus_dropped_total`).
    func publish(_ messages: [MarketMessage])
    /// The messages published from now on: live ones, plus historical ones when `includingHistory`. `subscriber`
    /// names the subscription in metrics.
    func subscribe(_ subscriber: String, includingHistory: Bool) -> AsyncStream<MarketMessage>
    /// Calls `observer` with every batch published from now on, live and historical, synchronously inside
    /// `publish` (before the write that published it is acknowledged): for state that must never lag a write,
    /// such as the quote book. An observer must be quick and must not block.
    func observe(_ observer: @escaping @Sendable ([MarketMessage]) -> Void)
    /// Ends every subscription (at shutdown).
    func finish()
}

extension MarketBus {
    /// The live messages published from now on.
    public func subscribe(_ subscriber: String) -> AsyncStream<MarketMessage> {
        self.subscribe(subscriber, includingHistory: false)
    }

    /// Publishes events that share one origin and freshness.
    public func publish(_ events: [MarketEvent], origin: EventOrigin = .local, freshness: EventFreshness = .live) {
        self.publish(events.map { MarketMessage($0, origin: origin, freshness: freshness) })
    }
}

/// The market bus of one process, on an `EventBus`.
public struct InProcessMarketBus: MarketBus {
    let bus: EventBus<MarketMessage>
    private let observers: Observers

    /// The synchronous observers, shared by copies of the bus.
    private final class Observers: Sendable {
        let all = Mutex<[@Sendable ([MarketMessage]) -> Void]>([])
    }

    /// A bus whose subscribers buffer at most `bufferSize` messages each.
    public init(bufferSize: Int = 4096) {
        self.bus = EventBus(name: "market", bufferSize: bufferSize)
        self.observers = Observers()
    }

    public func publish(_ messages: [MarketMessage]) {
        guard !messages.isEmpty else { return }
        for observer in self.observers.all.withLock({ $0 }) { observer(messages) }
        self.bus.publish(messages)
    }

    public func observe(_ observer: @escaping @Sendable ([MarketMessage]) -> Void) {
        self.observers.all.withLock { $0.append(observer) }
    }

    public func subscribe(_ subscriber: String, includingHistory: Bool) -> AsyncStream<MarketMessage> {
        if includingHistory { return self.bus.subscribe(subscriber) }
        return self.bus.subscribe(subscriber) { $0.freshness == .live }
    }

    public func finish() {
        self.bus.finish()
    }
}
