import FinanceCore
import Metrics
import Synchronization

/// The analytics bus: pattern and anomaly signals published by live analytics (read by alerts).
public typealias AnalyticsBus = EventBus<AnalyticsEvent>

/// An in-process publish/subscribe bus. Each subscriber gets its own bounded buffer: a slow subscriber loses
/// its oldest events, never grows memory, and every event it loses is counted in `financehub_bus_dropped_total`
/// by bus and subscriber.
public final class EventBus<Event: Sendable>: Sendable {
    private struct Subscriber {
        var continuation: AsyncStream<Event>.Continuation
        var accepts: @Sendable (Event) -> Bool
        var dropped: Counter
    }

    private struct Subscribers {
        var next = 0
        var all: [Int: Subscriber] = [:]
    }

    private let subscribers = Mutex(Subscribers())
    private let bufferSize: Int
    /// The bus's name in metrics, e.g. `market`.
    public let name: String

    /// Creates a bus whose subscribers buffer at most `bufferSize` events each.
    public init(name: String = "analytics", bufferSize: Int = 4096) {
        self.name = name
        self.bufferSize = bufferSize
    }

    /// A stream of the events published from now on that `accepts` lets through; finishing iteration
    /// unsubscribes. `subscriber` names it in the drop metric.
    public func subscribe(
        _ subscriber: String = "default", accepts: @escaping @Sendable (Event) -> Bool = { _ in true }
    ) -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Event.self, bufferingPolicy: .bufferingNewest(self.bufferSize))
        let dropped = Counter(
            label: "financehub_bus_dropped_total", dimensions: [("bus", self.name), ("subscriber", subscriber)])
        let id = self.subscribers.withLock { s in
            s.next += 1
            s.all[s.next] = Subscriber(continuation: continuation, accepts: accepts, dropped: dropped)
            return s.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.all.removeValue(forKey: id) }
        }
        return stream
    }

    /// The number of live subscribers.
    public var subscriberCount: Int { self.subscribers.withLock { $0.all.count } }

    /// Publishes events to every subscriber that accepts them; returns how many deliveries dropped an older event.
    @discardableResult
    public func publish(_ events: [Event]) -> Int {
        guard !events.isEmpty else { return 0 }
        let targets = self.subscribers.withLock { Array($0.all.values) }
        var total = 0
        for target in targets {
            var drops = 0
            for event in events where target.accepts(event) {
                if case .dropped = target.continuation.yield(event) { drops += 1 }
            }
            if drops > 0 {
                target.dropped.increment(by: drops)
                total += drops
            }
        }
        return total
    }

    /// Ends every subscription (at shutdown).
    public func finish() {
        let targets = self.subscribers.withLock { s in
            defer { s.all.removeAll() }
            return Array(s.all.values)
        }
        for target in targets { target.continuation.finish() }
    }
}
