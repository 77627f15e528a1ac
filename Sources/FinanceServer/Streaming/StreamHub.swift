import FinanceApp
import FinanceCore
import Logging
import NIOCore
import Synchronization

/// The WebSocket fan-out: one market-bus subscription for every connection, routing each event by symbol into the
/// bounded outgoing queues (`ClientOutbox`) of the connections subscribed to it, each message encoded once and
/// shared by all of them. Never one bus subscription per connection.
///
/// Per symbol it keeps the price and quote subscribers and, per bars interval, the subscribers and one live bar
/// (`StreamLiveBar`). Quotes are read from the quote book at most once per symbol per `updateMilliseconds`, never
/// from the store per tick. Connections count against their user's `maxConnections` across both endpoints.
public final class StreamHub: Sendable {
    /// The subscribers of one symbol's channels.
    struct SymbolTopics {
        var price: [Int: StreamConnection] = [:]
        var quotes: [Int: StreamConnection] = [:]
        var bars: [Interval: BarTopic] = [:]
        var quoteLastSentAt: Int64 = .min
        var quotePending = false

        var isEmpty: Bool { self.price.isEmpty && self.quotes.isEmpty && self.bars.isEmpty }
    }

    /// One bars channel of one symbol: its subscribers and its live bar.
    struct BarTopic {
        var subscribers: [Int: StreamConnection] = [:]
        var live: StreamLiveBar
    }

    /// A bar message to send to some connections.
    typealias Delivery = (text: ByteBuffer, to: [StreamConnection])

    struct State {
        var nextId = 1
        /// Every open connection, authenticated or not.
        var all: [Int: StreamConnection] = [:]
        /// Authenticated connections per user (what `maxConnections` counts).
        var byUser: [String: [Int: StreamConnection]] = [:]
        var symbols: [String: SymbolTopics] = [:]
        var alerts: [String: [Int: StreamConnection]] = [:]
        var monitoring: [Int: StreamConnection] = [:]
        var subscriptionCount = 0
        /// Authenticated connections per tier (the `financehub_ws_connections` gauge).
        var perTier: [UserTier: Int] = [:]
    }

    public let settings: StreamQueueSettings
    public let session: StreamSessionSettings
    let clock: any WallClock
    let quotes: QuoteBook?
    let state = Mutex(State())

    public init(
        settings: StreamQueueSettings = StreamQueueSettings(), session: StreamSessionSettings = StreamSessionSettings(),
        clock: any WallClock = SystemClock(), quotes: QuoteBook? = nil
    ) {
        self.settings = settings
        self.session = session
        self.clock = clock
        self.quotes = quotes
    }

    /// The number of open connections (authenticated or not).
    public var connectionCount: Int { self.state.withLock { $0.all.count } }

    /// The open (authenticated) connections of `user`.
    public func connectionCount(user: String) -> Int { self.state.withLock { $0.byUser[user]?.count ?? 0 } }

    /// Opens a connection from `ip`, not yet authenticated.
    func open(ip: String, endpoint: StreamConnection.Endpoint) -> StreamConnection {
        let since = self.clock.nowMilliseconds()
        return self.state.withLock { state in
            let connection = StreamConnection(
                id: state.nextId, ip: ip, endpoint: endpoint, since: since, settings: self.settings)
            state.nextId += 1
            state.all[connection.id] = connection
            return connection
        }
    }

    /// Authenticates `connection` as `principal`, counting it against the user's `maxConnections`; false (and
    /// nothing changed) when the user already has that many.
    func admit(_ connection: StreamConnection, as principal: Principal) -> Bool {
        let limit = self.session.limits(principal.tier).maxConnections
        let admitted = self.state.withLock { state -> Int? in
            var mine = state.byUser[principal.user] ?? [:]
            guard mine[connection.id] == nil, mine.count < limit else { return nil }
            mine[connection.id] = connection
            state.byUser[principal.user] = mine
            connection.principal = principal
            state.perTier[principal.tier, default: 0] += 1
            return state.perTier[principal.tier]
        }
        guard let count = admitted else { return false }
        StreamMetrics.connections(tier: principal.tier.rawValue).record(count)
        return true
    }

    /// Forgets a connection and its subscriptions.
    func close(_ connection: StreamConnection) {
        let principal = connection.principal
        let counts = self.state.withLock { state -> (tier: Int, subscriptions: Int)? in
            guard state.all.removeValue(forKey: connection.id) != nil else { return nil }
            Self.unindex(&state, connection, connection.subscriptions)
            guard let principal else { return (0, state.subscriptionCount) }
            state.byUser[principal.user]?[connection.id] = nil
            if state.byUser[principal.user]?.isEmpty == true { state.byUser[principal.user] = nil }
            state.perTier[principal.tier, default: 1] -= 1
            return (state.perTier[principal.tier] ?? 0, state.subscriptionCount)
        }
        if let counts {
            if let principal { StreamMetrics.connections(tier: principal.tier.rawValue).record(counts.tier) }
            StreamMetrics.subscriptions.record(counts.subscriptions)
        }
        connection.finish()
    }

    /// Replaces the subscriptions of `connection` with `new`, queueing `first` (the reply and the snapshots) under
    /// the same lock, so that no update of a new subscription can overtake its snapshot. A new bars subscription
    /// seeds the live bar with `storedBars` (the store's latest bar) when the hub holds none; when the hub holds
    /// one, it is the snapshot instead.
    func update(
        _ connection: StreamConnection, to new: StreamSubscriptions, first: [ByteBuffer],
        storedBars: [BarKey: Bar] = [:]
    ) {
        let now = self.clock.nowMilliseconds()
        let count = self.state.withLock { state -> Int in
            guard state.all[connection.id] != nil else { return state.subscriptionCount }
            let old = connection.subscriptions
            Self.unindex(&state, connection, old)
            connection.subscriptions = new
            Self.index(&state, connection, new)
            for message in first { connection.send(message, now: now) }
            for (channel, symbol) in new.pairs(notIn: old) {
                guard case .bars(let interval) = channel else { continue }
                let key = BarKey(symbol: symbol, interval: interval)
                if let stored = storedBars[key] {
                    state.symbols[symbol]?.bars[interval]?.live.seed(stored, now: now)
                }
                let live = state.symbols[symbol]?.bars[interval]?.live.bar ?? storedBars[key]
                if let bar = live {
                    let closed = interval.nextBucketStart(after: bar.ts) <= now
                    connection.send(
                        StreamMessages.bar(symbol: symbol, interval: interval, bar, closed: closed, snapshot: true),
                        now: now)
                }
            }
            return state.subscriptionCount
        }
        StreamMetrics.subscriptions.record(count)
    }

    /// A symbol and a bars interval.
    struct BarKey: Hashable, Sendable {
        var symbol: String
        var interval: Interval
    }

    private static func index(_ state: inout State, _ connection: StreamConnection, _ subs: StreamSubscriptions) {
        let id = connection.id
        for (channel, symbols) in subs.symbols {
            for symbol in symbols {
                var topics = state.symbols.removeValue(forKey: symbol) ?? SymbolTopics()
                switch channel {
                case .price: topics.price[id] = connection
                case .quotes: topics.quotes[id] = connection
                case .bars(let interval):
                    topics.bars[interval, default: BarTopic(live: StreamLiveBar(interval: interval))]
                        .subscribers[id] = connection
                case .alerts, .monitoring: break
                }
                state.symbols[symbol] = topics
            }
        }
        if subs.alerts, let user = connection.principal?.user { state.alerts[user, default: [:]][id] = connection }
        if subs.monitoring { state.monitoring[id] = connection }
        state.subscriptionCount += subs.count
    }

    private static func unindex(_ state: inout State, _ connection: StreamConnection, _ subs: StreamSubscriptions) {
        let id = connection.id
        for (channel, symbols) in subs.symbols {
            for symbol in symbols {
                guard var topics = state.symbols.removeValue(forKey: symbol) else { continue }
                switch channel {
                case .price: topics.price[id] = nil
                case .quotes: topics.quotes[id] = nil
                case .bars(let interval):
                    topics.bars[interval]?.subscribers[id] = nil
                    if topics.bars[interval]?.subscribers.isEmpty == true { topics.bars[interval] = nil }
                case .alerts, .monitoring: break
                }
                if !topics.isEmpty { state.symbols[symbol] = topics }
            }
        }
        if subs.alerts, let user = connection.principal?.user {
            state.alerts[user]?[id] = nil
            if state.alerts[user]?.isEmpty == true { state.alerts[user] = nil }
        }
        if subs.monitoring { state.monitoring[id] = nil }
        state.subscriptionCount -= subs.count
    }

    /// Routes one bus message: a live tick goes to the symbol's price subscribers, updates its live bars and marks
    /// its quote for the next flush; a live ingested bar updates the live bar of its interval.
    public func route(_ message: MarketMessage) {
        guard message.freshness == .live else { return }
        switch message.event {
        case .tick(let tick): self.route(tick)
        case .bar(let symbol, let interval, let bar, let batchStart):
            // A 1-minute bar rebuilt from ticks (no batch start) repeats the ticks already applied.
            guard batchStart != nil else { return }
            self.route(bar, symbol: symbol, interval: interval)
        }
    }

    private func route(_ tick: Tick) {
        let now = self.clock.nowMilliseconds()
        let updateMs = self.session.updateMilliseconds
        var bars: [(Interval, StreamLiveBar.Output, [StreamConnection])] = []
        let targets = self.state.withLock { state -> [StreamConnection] in
            guard let found = state.symbols[tick.symbol] else { return [] }
            if found.bars.isEmpty {
                // The common case (prices, perhaps quotes): one lookup, no copy of the subscriber tables.
                if !found.quotes.isEmpty, !found.quotePending { state.symbols[tick.symbol]?.quotePending = true }
                return Array(found.price.values)
            }
            var topics = state.symbols.removeValue(forKey: tick.symbol)!
            if !topics.quotes.isEmpty { topics.quotePending = true }
            for (interval, var topic) in topics.bars {
                for output in topic.live.apply(tick, now: now, updateMilliseconds: updateMs) {
                    bars.append((interval, output, Array(topic.subscribers.values)))
                }
                topics.bars[interval] = topic
            }
            state.symbols[tick.symbol] = topics
            return Array(topics.price.values)
        }
        if !targets.isEmpty {
            let text = StreamMessages.price(tick)
            for connection in targets { connection.send(text, symbol: tick.symbol, now: now) }
        }
        for (interval, output, to) in bars {
            let text = StreamMessages.bar(symbol: tick.symbol, interval: interval, output.bar, closed: output.closed)
            for connection in to { connection.send(text, now: now) }
        }
    }

    private func route(_ bar: Bar, symbol: String, interval: Interval) {
        let now = self.clock.nowMilliseconds()
        let updateMs = self.session.updateMilliseconds
        let out = self.state.withLock { state -> [StreamLiveBar.Output] in
            guard var topic = state.symbols[symbol]?.bars[interval] else { return [] }
            let out = topic.live.apply(bar, now: now, updateMilliseconds: updateMs)
            state.symbols[symbol]!.bars[interval] = topic
            return out
        }
        guard !out.isEmpty else { return }
        let to = self.state.withLock { $0.symbols[symbol]?.bars[interval].map { Array($0.subscribers.values) } ?? [] }
        for output in out {
            let text = StreamMessages.bar(symbol: symbol, interval: interval, output.bar, closed: output.closed)
            for connection in to { connection.send(text, now: now) }
        }
    }

    /// Routes the market bus until it ends, flushing paced updates (open bars, quotes) every `flushMilliseconds`.
    public func run(bus: any MarketBus) async {
        let messages = bus.subscribe("websocket_hub")
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in messages { self.route(message) }
            }
            group.addTask {
                var round = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(self.session.flushMilliseconds))
                    await self.flush()
                    round += 1
                    if Int64(round) * self.session.flushMilliseconds >= 1_000 {
                        round = 0
                        self.sampleQueues()
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Sends what pacing held back: open-bar updates whose pace allows, bars whose time is over, and the quotes of
    /// symbols that ticked (read from the quote book, at most once per symbol per `updateMilliseconds`).
    func flush() async {
        let now = self.clock.nowMilliseconds()
        let updateMs = self.session.updateMilliseconds
        var bars: [(String, Interval, StreamLiveBar.Output, [StreamConnection])] = []
        var quoteSymbols: [String] = []
        self.state.withLock { state in
            for (symbol, topics) in state.symbols where topics.quotePending || !topics.bars.isEmpty {
                if topics.quotePending, topics.quoteLastSentAt == .min || now - topics.quoteLastSentAt >= updateMs {
                    state.symbols[symbol]!.quotePending = false
                    state.symbols[symbol]!.quoteLastSentAt = now
                    quoteSymbols.append(symbol)
                }
                for (interval, topic) in topics.bars where topic.live.needsFlush {
                    var live = topic.live
                    for output in live.flush(now: now, updateMilliseconds: updateMs) {
                        bars.append((symbol, interval, output, Array(topic.subscribers.values)))
                    }
                    state.symbols[symbol]!.bars[interval]!.live = live
                }
            }
        }
        for (symbol, interval, output, to) in bars {
            let text = StreamMessages.bar(symbol: symbol, interval: interval, output.bar, closed: output.closed)
            for connection in to { connection.send(text, now: now) }
        }
        guard let book = self.quotes else { return }
        for symbol in quoteSymbols {
            guard let quote = try? await book.quote(symbol: symbol) else { continue }
            let to = self.state.withLock { $0.symbols[symbol].map { Array($0.quotes.values) } ?? [] }
            let text = StreamMessages.quote(quote)
            for connection in to { connection.send(text, now: now) }
        }
    }

    /// Sends an alert notification (a JSON object's text) to `user`'s connections subscribed to `alerts`.
    public func publishAlert(user: String, _ text: ByteBuffer) {
        let now = self.clock.nowMilliseconds()
        let to = self.state.withLock { $0.alerts[user].map { Array($0.values) } ?? [] }
        for connection in to { connection.send(text, now: now) }
    }

    /// Samples the send-queue depth gauges.
    func sampleQueues() {
        let all = self.state.withLock { Array($0.all.values) }
        var total = 0
        var deepest = 0
        for connection in all {
            let depth = connection.queueDepth
            total += depth
            deepest = max(deepest, depth)
        }
        StreamMetrics.queueDepth.record(total)
        StreamMetrics.queueDepthMax.record(deepest)
    }
}
