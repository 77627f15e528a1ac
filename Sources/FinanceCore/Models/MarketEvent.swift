/// One market fact accepted by the ingestor: a tick or a bar.
public enum MarketEvent: Sendable, Equatable {
    /// A tick accepted into the store.
    case tick(Tick)
    /// A bar written or rebuilt (a live 1-minute bar from ticks, or an ingested bar). A batch of bars publishes
    /// only its newest bar, with `batchStart`, the time of the batch's oldest bar; `batchStart` is nil only for a
    /// 1-minute bar rebuilt from ticks (the quote book relies on it).
    case bar(symbol: String, interval: Interval, bar: Bar, batchStart: Int64? = nil)

    /// The symbol the event is about.
    public var symbol: String {
        switch self {
        case .tick(let t): return t.symbol
        case .bar(let symbol, _, _, _): return symbol
        }
    }
}

/// Where an event was ingested: on this instance, or on another instance sharing the database (relayed).
public enum EventOrigin: Sendable, Equatable {
    case local
    case remote
}

/// Whether an event is news (a feed, a live push) or history being filled in (an import, a backfill, a restore).
public enum EventFreshness: String, Sendable, Equatable {
    case live
    case historical
}

/// A market event as the bus carries it: the event with its origin and freshness. Only live events of local
/// origin are analysed (patterns, anomalies, alerts); remote ones feed only state such as WebSocket fan-out.
public struct MarketMessage: Sendable, Equatable {
    public var event: MarketEvent
    public var origin: EventOrigin
    public var freshness: EventFreshness

    public init(_ event: MarketEvent, origin: EventOrigin = .local, freshness: EventFreshness = .live) {
        self.event = event
        self.origin = origin
        self.freshness = freshness
    }

    /// True for a live event ingested on this instance: the only kind analysis looks at.
    public var isLocalLive: Bool { self.origin == .local && self.freshness == .live }
}
