import FinanceCore
import Synchronization

/// One message on the market bus.
public enum MarketEvent: Sendable, Equatable {
    /// A tick accepted into the store.
    case tick(Tick)
    /// A bar written or rebuilt (a live 1-minute bar from ticks, or an ingested bar). A batch of bars publishes
    /// only its newest bar, with `batchStart`, the time of the batch's oldest bar (nil: the bar came alone).
    case bar(symbol: String, interval: Interval, bar: Bar, batchStart: Int64? = nil)

    /// The symbol the event is about.
    public var symbol: String {
        switch self {
        case .tick(let t): return t.symbol
        case .bar(let symbol, _, _, _): return symbol
        }
    }
}

/// The market bus: ticks and bars accepted by the `Ingestor`.
public typealias MarketBus = EventBus<MarketEvent>

/// The analytics bus: pattern and anomaly signals published by live analytics (read by alerts).
public typealias AnalyticsBus = EventBus<AnalyticsEvent>

/// An in-process publish/subscribe bus. Each subscriber gets its own bounded buffer: a slow subscriber loses
/// its oldest events, never grows memory.
public final class EventBus<Event: Sendable>: Sendable {
    private struct Subscribers {
        var next = 0
        var continuations: [Int: AsyncStream<Event>.Continuation] = [:]
    }

    private let subscribers = Mutex(Subscribers())
    private let bufferSize: Int

    /// Creates a bus whose subscribers buffer at most `bufferSize` events each.
    public init(bufferSize: Int = 4096) {
        self.bufferSize = bufferSize
    }

    /// A stream of every event published from now on; finishing iteration unsubscribes.
    public func subscribe() -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Event.self, bufferingPolicy: .bufferingNewest(self.bufferSize))
        let id = self.subscribers.withLock { s in
            s.next += 1
            s.continuations[s.next] = continuation
            return s.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    /// The number of live subscribers.
    public var subscriberCount: Int { self.subscribers.withLock { $0.continuations.count } }

    /// Publishes events to every subscriber.
    public func publish(_ events: [Event]) {
        guard !events.isEmpty else { return }
        let targets = self.subscribers.withLock { Array($0.continuations.values) }
        for continuation in targets {
            for event in events { continuation.yield(event) }
        }
    }

    /// Ends every subscription (at shutdown).
    public func finish() {
        let targets = self.subscribers.withLock { s in
            defer { s.continuations.removeAll() }
            return Array(s.continuations.values)
        }
        for continuation in targets { continuation.finish() }
    }
}
