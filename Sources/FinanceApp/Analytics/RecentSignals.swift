import FinanceCore
import Synchronization

/// The most recent live signals in memory (a ring buffer), for `GET /api/signals`.
public final class RecentSignals: Sendable {
    private struct Ring {
        var items: [AnalyticsEvent] = []
        /// Index of the oldest item once the ring is full.
        var head = 0
    }

    /// How many signals are kept; older ones are dropped.
    public let capacity: Int
    private let ring = Mutex(Ring())

    /// A buffer of the last `capacity` signals.
    public init(capacity: Int = 1000) {
        self.capacity = max(1, capacity)
    }

    /// Appends signals in arrival order.
    public func append(_ events: [AnalyticsEvent]) {
        guard !events.isEmpty else { return }
        let capacity = self.capacity
        self.ring.withLock { r in
            for event in events {
                if r.items.count < capacity {
                    r.items.append(event)
                } else {
                    r.items[r.head] = event
                    r.head = (r.head + 1) % capacity
                }
            }
        }
    }

    /// Every signal held, oldest first.
    public var all: [AnalyticsEvent] {
        self.ring.withLock { r in Array(r.items[r.head...] + r.items[..<r.head]) }
    }

    /// The newest `limit` signals matching the filters (nil = any), oldest first.
    public func signals(
        symbol: String? = nil, interval: Interval? = nil, kind: AnalyticsEvent.Kind? = nil, limit: Int
    ) -> [AnalyticsEvent] {
        let matching = self.all.filter { e in
            (symbol.map { e.symbol == $0 } ?? true) && (interval.map { e.interval == $0 } ?? true)
                && (kind.map { e.kind == $0 } ?? true)
        }
        return Array(matching.suffix(max(0, limit)))
    }
}
