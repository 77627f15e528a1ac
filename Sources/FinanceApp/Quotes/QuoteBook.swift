import FinanceCore
import FinanceStorage
import Synchronization

/// Quotes from memory: per symbol the latest price and time, bid/ask, the UTC-day open/high/low/volume, the
/// previous day's close and the change, loaded through `QuoteService` on first use and kept current by the market
/// bus (it observes every published batch synchronously, so a quote never lags an acknowledged write).
///
/// Its answers equal `QuoteService`'s for every sequence of writes: an in-order live tick of a symbol whose quote
/// comes from ticks over 1-minute bars only is applied in place with the same arithmetic the store uses (the
/// minute's volume summed tick by tick, the day's volume summed minute by minute); anything else about a symbol
/// (a bar, history, an out-of-order tick, a tick in a minute whose content the book has not seen) drops its entry,
/// and the next read loads it again. An entry is also reloaded once it is `maxAgeMilliseconds` old, so writes of
/// other processes on the same database (a CLI import, another instance) show within that time. At most
/// `maxSymbols` entries are held; the least recently used goes first.
public final class QuoteBook: Sendable {
    /// One symbol's quote and what keeping it current needs.
    struct Entry {
        var quote: Quote
        var previousClose: Double?
        /// When the entry was loaded from the store (wall clock, ms).
        var loadedAt: Int64
        var lastUsed: UInt64
        /// Present when in-order ticks can be applied in place.
        var live: LiveState?
    }

    /// What an in-place tick update needs: the day's volume before the current minute and the current minute's.
    struct LiveState {
        var lastTickTs: Int64
        var minute: Int64
        /// The current minute's volume summed over ticks the book saw from the minute's first; nil when the minute
        /// held data before the book loaded it (a tick in it then reloads).
        var minuteVolume: Double?
        /// The day's volume of the minutes before the current one; nil when the current minute is the day's first.
        var closedVolume: Double?
    }

    /// What the book has done, for tests and metrics.
    public struct Stats: Sendable, Equatable {
        /// Quotes answered from memory.
        public var hits = 0
        /// Quotes loaded from the store.
        public var loads = 0
        /// Live ticks applied in place.
        public var inPlace = 0
        /// Entries dropped by a write they could not follow.
        public var dropped = 0

        public init(hits: Int = 0, loads: Int = 0, inPlace: Int = 0, dropped: Int = 0) {
            self.hits = hits
            self.loads = loads
            self.inPlace = inPlace
            self.dropped = dropped
        }
    }

    struct State {
        var stats = Stats()
        var entries: [String: Entry] = [:]
        /// Writes seen per symbol, so a load that raced a write is not kept (cleared with `epoch` when it grows).
        var writes: [String: UInt64] = [:]
        var epoch: UInt64 = 0
        var uses: UInt64 = 0
    }

    private let state = Mutex(State())
    private let service: QuoteService
    private let clock: any WallClock
    /// The most symbols held.
    public let maxSymbols: Int
    /// How old an entry may get before it is loaded again.
    public let maxAgeMilliseconds: Int64

    /// A book over `service`'s store that observes `bus`.
    public init(
        service: QuoteService, bus: any MarketBus, clock: any WallClock, maxSymbols: Int = 10_000,
        maxAgeMilliseconds: Int64 = 1_000
    ) {
        self.service = service
        self.clock = clock
        self.maxSymbols = max(1, maxSymbols)
        self.maxAgeMilliseconds = max(0, maxAgeMilliseconds)
        bus.observe { [weak self] messages in self?.apply(messages) }
    }

    /// The number of symbols held.
    public var count: Int { self.state.withLock { $0.entries.count } }

    /// What the book has done so far.
    public var stats: Stats { self.state.withLock { $0.stats } }

    /// The quote of `symbol`: from memory when held and fresh, else loaded from the store (throws
    /// `StorageError.notFound` when the symbol has no data).
    public func quote(symbol: String) async throws -> Quote {
        let now = self.clock.nowMilliseconds()
        let held: (Quote?, UInt64, UInt64) = self.state.withLock { s in
            s.uses += 1
            if var entry = s.entries[symbol], now - entry.loadedAt <= self.maxAgeMilliseconds,
                now >= entry.loadedAt
            {
                entry.lastUsed = s.uses
                s.entries[symbol] = entry
                s.stats.hits += 1
                return (entry.quote, 0, 0)
            }
            s.stats.loads += 1
            return (nil, s.epoch, s.writes[symbol] ?? 0)
        }
        if let quote = held.0 { return quote }
        let snapshot = try await self.service.snapshot(symbol: symbol, now: now)
        self.store(symbol, snapshot, loadedAt: now, epoch: held.1, writes: held.2)
        return snapshot.quote
    }

    /// Keeps a loaded snapshot unless a write to its symbol came in while it was read.
    private func store(_ symbol: String, _ snapshot: QuoteSnapshot, loadedAt: Int64, epoch: UInt64, writes: UInt64) {
        self.state.withLock { s in
            guard s.epoch == epoch, (s.writes[symbol] ?? 0) == writes else { return }
            s.uses += 1
            var live: LiveState? = nil
            let q = snapshot.quote
            // In place only over tick-built minutes: the newest minute bar is the latest tick's and closes at its price
            // (a bar posted over that minute would make it the day's close instead).
            if snapshot.fromTick, snapshot.storedIntervals == [.minute1], let volume = q.volume, q.open != nil,
                let bar = snapshot.latestBar, bar.ts == Interval.minute1.bucketStart(q.ts), bar.close == q.price
            {
                live = LiveState(
                    lastTickTs: q.ts, minute: Interval.minute1.bucketStart(q.ts), minuteVolume: nil,
                    closedVolume: volume)
            }
            s.entries[symbol] = Entry(
                quote: q, previousClose: snapshot.previousClose, loadedAt: loadedAt, lastUsed: s.uses, live: live)
            if s.entries.count > self.maxSymbols { Self.evict(&s, keeping: self.maxSymbols) }
        }
    }

    /// Drops the least recently used entries down to `keeping`, with a tenth more room.
    private static func evict(_ s: inout State, keeping: Int) {
        let target = keeping - keeping / 10
        let oldest = s.entries.sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(s.entries.count - target)
        for (symbol, _) in oldest { s.entries[symbol] = nil }
    }

    /// Applies one published batch: ticks in place where exact, every other change by dropping the entry.
    func apply(_ messages: [MarketMessage]) {
        self.state.withLock { s in
            for message in messages {
                let symbol = message.event.symbol
                s.writes[symbol, default: 0] &+= 1
                guard let entry = s.entries[symbol] else { continue }
                if message.freshness == .live, case .tick(let tick) = message.event,
                    let updated = Self.applying(tick, to: entry)
                {
                    s.entries[symbol] = updated
                    s.stats.inPlace += 1
                } else if message.freshness == .live, case .bar(_, .minute1, _, nil) = message.event,
                    entry.live != nil
                {
                    // The minute bar a tick write rebuilt: the tick itself was applied just before.
                    continue
                } else {
                    s.entries[symbol] = nil
                    s.stats.dropped += 1
                }
            }
            if s.writes.count > 4 * self.maxSymbols {
                s.writes.removeAll()
                s.epoch &+= 1
            }
        }
    }

    /// The entry after an in-order live tick, or nil when the tick cannot be applied in place.
    static func applying(_ tick: Tick, to entry: Entry) -> Entry? {
        guard var live = entry.live, tick.ts >= live.lastTickTs else { return nil }
        var e = entry
        var q = e.quote
        let size = tick.size ?? 0
        let minute = Interval.minute1.bucketStart(tick.ts)
        let minuteVolume: Double
        if minute == live.minute {
            guard let before = live.minuteVolume else { return nil }
            minuteVolume = before + size
        } else {
            let newDay = Interval.day1.bucketStart(tick.ts) != Interval.day1.bucketStart(q.ts)
            if newDay {
                e.previousClose = q.price
                q.open = tick.price
                q.high = tick.price
                q.low = tick.price
                live.closedVolume = nil
            } else {
                live.closedVolume = q.volume ?? 0
            }
            live.minute = minute
            minuteVolume = size
        }
        live.minuteVolume = minuteVolume
        q.high = max(q.high ?? tick.price, tick.price)
        q.low = min(q.low ?? tick.price, tick.price)
        // Summed as the store sums: the day's first minute alone, each later minute added to the ones before it.
        q.volume = live.closedVolume.map { $0 + minuteVolume } ?? minuteVolume
        q.price = tick.price
        q.ts = tick.ts
        q.bid = tick.bid
        q.ask = tick.ask
        q.setChange(from: e.previousClose)
        live.lastTickTs = tick.ts
        e.quote = q
        e.live = live
        return e
    }
}
