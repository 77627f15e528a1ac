import FinanceApp
import FinanceCore
import Logging
import NIOCore
import Synchronization

/// The WebSocket fan-out: one market-bus subscription for every connection, routing each tick by symbol into the
/// bounded outgoing queues (`ClientOutbox`) of the connections subscribed to it, each price message encoded once and
/// shared by all of them. Never one bus subscription per connection.
public final class StreamHub: Sendable {
    /// One connected client.
    final class Connection: Sendable {
        let id: Int
        let user: String
        private let outbox: Mutex<ClientOutbox>
        private let wake: AsyncStream<Void>.Continuation
        /// Yields when messages are waiting (at most one pending wake-up).
        let wakeUps: AsyncStream<Void>
        private let slowFlag = Atomic<Bool>(false)

        init(id: Int, user: String, settings: StreamQueueSettings) {
            self.id = id
            self.user = user
            self.outbox = Mutex(ClientOutbox(settings: settings))
            (self.wakeUps, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        }

        /// Queues a message; false when the client turned out too slow.
        @discardableResult
        func send(_ text: ByteBuffer, symbol: String?, now: Int64) -> Bool {
            let outcome = self.outbox.withLock { $0.push(text, symbol: symbol, now: now) }
            if outcome == .slow { self.slowFlag.store(true, ordering: .relaxed) }
            self.wake.yield()
            return outcome != .slow
        }

        /// The waiting messages, oldest first.
        func drain() -> [ByteBuffer] { self.outbox.withLock { $0.drain() } }

        var queueDepth: Int { self.outbox.withLock { $0.count } }
        var isSlow: Bool { self.slowFlag.load(ordering: .relaxed) }

        func finish() { self.wake.finish() }
    }

    private struct State {
        var nextId = 1
        var connections: [Int: Connection] = [:]
        var bySymbol: [String: Set<Int>] = [:]
        var symbolsOf: [Int: Set<String>] = [:]
    }

    public let settings: StreamQueueSettings
    private let clock: any WallClock
    private let state = Mutex(State())

    public init(settings: StreamQueueSettings = StreamQueueSettings(), clock: any WallClock = SystemClock()) {
        self.settings = settings
        self.clock = clock
    }

    /// The number of open connections.
    public var connectionCount: Int { self.state.withLock { $0.connections.count } }

    /// Registers a connection of `user` subscribed to the prices of `symbols`.
    func connect(user: String, symbols: Set<String>) -> Connection {
        self.state.withLock { state in
            let connection = Connection(id: state.nextId, user: user, settings: self.settings)
            state.nextId += 1
            state.connections[connection.id] = connection
            state.symbolsOf[connection.id] = symbols
            for symbol in symbols { state.bySymbol[symbol, default: []].insert(connection.id) }
            return connection
        }
    }

    /// Forgets a connection.
    func disconnect(_ connection: Connection) {
        self.state.withLock { state in
            for symbol in state.symbolsOf[connection.id] ?? [] {
                state.bySymbol[symbol]?.remove(connection.id)
                if state.bySymbol[symbol]?.isEmpty == true { state.bySymbol[symbol] = nil }
            }
            state.symbolsOf[connection.id] = nil
            state.connections[connection.id] = nil
        }
        connection.finish()
    }

    /// Routes one bus message: a live tick goes to the connections subscribed to its symbol.
    public func route(_ message: MarketMessage) {
        guard message.freshness == .live, case .tick(let tick) = message.event else { return }
        let targets = self.state.withLock { state -> [Connection] in
            guard let ids = state.bySymbol[tick.symbol] else { return [] }
            return ids.compactMap { state.connections[$0] }
        }
        guard !targets.isEmpty else { return }
        let text = Self.priceMessage(tick)
        let now = self.clock.nowMilliseconds()
        for connection in targets { connection.send(text, symbol: tick.symbol, now: now) }
    }

    /// Routes the market bus until it ends.
    public func run(bus: any MarketBus) async {
        for await message in bus.subscribe("websocket_hub") { self.route(message) }
    }

    /// `{"type":"price","symbol","price","size"?,"bid"?,"ask"?,"ts"}`, encoded once per tick.
    static func priceMessage(_ tick: Tick) -> ByteBuffer {
        var json = JSONOutput(capacity: 128)
        json.beginObject()
        json.key("type")
        json.value("price")
        json.key("symbol")
        json.value(tick.symbol)
        json.key("price")
        try? json.value(tick.price)
        try? json.field("size", tick.size)
        try? json.field("bid", tick.bid)
        try? json.field("ask", tick.ask)
        json.key("ts")
        json.value(tick.ts)
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }
}
