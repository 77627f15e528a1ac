import FinanceCore
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
import Synchronization

/// A local WebSocket server speaking one live source's protocol (Binance's spot trade stream, Coinbase Advanced
/// Trade's `market_trades`, Finnhub's trades), on 127.0.0.1 at a free port, for tests and benchmarks.
///
/// It records what each connection subscribed, publishes trades to the connections subscribed to their symbol
/// (each carrying its send time: Binance's `E`, Coinbase's message `timestamp`), drops connections on demand or
/// every N trades, sends pings or heartbeats, and sends any frame it is given (malformed ones included).
///
/// A trade counts as delivered when it was handed to a connection that was still open once the write returned;
/// dropping a connection first marks it closed, then waits until everything written before is on the socket, then
/// closes the socket. So a delivered trade reaches the client unless the network loses it, and the trades published
/// while no connection is subscribed are reported apart.
public final class FakeTradeStreamServer: Sendable {
    public enum Flavor: String, Sendable, CaseIterable {
        case binance, coinbase, finnhub
    }

    public struct Options: Sendable {
        /// Finnhub: refuse the upgrade unless the `token` query parameter is this.
        public var requiredToken: String?
        /// Drop a connection after every this many trade messages sent on it.
        public var dropEvery: Int?
        /// Send pings every this often: WebSocket pings (Binance), `heartbeats` messages (Coinbase),
        /// `{"type":"ping"}` (Finnhub).
        public var pingInterval: Duration?
        public var maxFrameSize: Int

        public init(
            requiredToken: String? = nil, dropEvery: Int? = nil, pingInterval: Duration? = nil,
            maxFrameSize: Int = 1 << 22
        ) {
            self.requiredToken = requiredToken
            self.dropEvery = dropEvery
            self.pingInterval = pingInterval
            self.maxFrameSize = maxFrameSize
        }
    }

    /// One trade to publish, with the provider's symbol (`BTCUSDT`, `BTC-USD`, `AAPL`). Price and size are written
    /// as given (strings on Binance and Coinbase, numbers on Finnhub).
    public struct Trade: Sendable, Hashable {
        public var symbol: String
        public var id: Int64
        public var price: String
        public var size: String
        /// Trade time, ms since the epoch.
        public var ts: Int64

        public init(symbol: String, id: Int64, price: String, size: String, ts: Int64) {
            self.symbol = symbol
            self.id = id
            self.price = price
            self.size = size
            self.ts = ts
        }
    }

    /// What `publishTrades` sent: trade ids delivered to a subscribed open connection, and those published while
    /// none was (during a reconnection).
    public struct PublishReport: Sendable {
        public var delivered: [Int64] = []
        public var undelivered: [Int64] = []
        public var drops = 0
    }

    public let flavor: Flavor
    /// The bound port.
    public let port: Int
    private let registry: FakeStreamRegistry
    private let group: ServiceGroup
    private let runTask: Task<Void, any Error>

    /// `ws://127.0.0.1:<port>`.
    public var url: String { "ws://127.0.0.1:\(self.port)" }

    private init(
        flavor: Flavor, port: Int, registry: FakeStreamRegistry, group: ServiceGroup, runTask: Task<Void, any Error>
    ) {
        self.flavor = flavor
        self.port = port
        self.registry = registry
        self.group = group
        self.runTask = runTask
    }

    /// Starts a server on 127.0.0.1 at a free port.
    public static func start(
        _ flavor: Flavor, options: Options = .init(), logger: Logger = Logger(label: "financehub.fake-stream")
    ) async throws -> FakeTradeStreamServer {
        let registry = FakeStreamRegistry(flavor: flavor, options: options)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: Router(),
            server: .http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: options.maxFrameSize))) {
                request, channel, _ in
                let path = request.path ?? "/"
                if let required = options.requiredToken, FakeStreamRegistry.query(path, "token") != required {
                    return .dontUpgrade
                }
                return .upgrade([:]) { inbound, outbound, _ in
                    try await registry.serve(inbound: inbound, outbound: outbound, channel: channel, path: path)
                }
            },
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let runTask = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            _ = try await runTask.value
            throw FakeStreamError.notStarted
        }
        return FakeTradeStreamServer(flavor: flavor, port: port, registry: registry, group: group, runTask: runTask)
    }

    /// Closes every connection and stops the server.
    public func stop() async {
        await self.registry.dropAll()
        await self.group.triggerGracefulShutdown()
        _ = try? await self.runTask.value
    }

    /// The number of connections accepted so far.
    public var connectionCount: Int { self.registry.connectionCount }

    /// The number of connections open now.
    public var openConnectionCount: Int { self.registry.openConnections.count }

    /// What connection number `index` (0 = the first accepted) subscribed, in order: stream names on Binance
    /// (`btcusdt@trade`, from the URL or SUBSCRIBE messages), `channel:product` on Coinbase
    /// (`market_trades:BTC-USD`), symbols on Finnhub.
    public func subscriptions(connection index: Int) -> [String] {
        self.registry.subscriptionLog(index)
    }

    /// The text messages clients sent, in order, over all connections.
    public var receivedMessages: [String] { self.registry.received }

    /// Waits until an open connection is subscribed to every one of `items` (as `subscriptions` names them) and
    /// returns its number; throws after `timeout`.
    @discardableResult
    public func waitUntilSubscribed(_ items: [String], timeout: Duration = .seconds(10)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let index = self.registry.subscribedConnection(items) { return index }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw FakeStreamError.timeout("no connection subscribed to \(items)")
    }

    /// The subscription key of a trade's symbol on this flavor.
    public func subscriptionKey(_ symbol: String) -> String {
        self.registry.subscriptionKey(symbol)
    }

    /// Publishes one trade to every open connection subscribed to its symbol; true when at least one got it.
    @discardableResult
    public func publish(_ trade: Trade) async -> Bool {
        await self.registry.publish(trade)
    }

    /// Sends `text` as a text frame on every open connection (e.g. a malformed frame).
    public func sendRaw(_ text: String) async {
        await self.registry.sendRaw(text)
    }

    /// Skips `count` sequence numbers on every open connection (Coinbase), as a lost message would.
    public func skipSequence(_ count: Int64) {
        self.registry.skipSequence(count)
    }

    /// Sends one ping (or heartbeat) on every open connection.
    public func ping() async {
        await self.registry.pingAll()
    }

    /// Drops every open connection (their trades written before are delivered first).
    public func dropConnections() async {
        await self.registry.dropAll()
    }

    /// Publishes `ratePerSecond` trades a second for `duration`, round robin over `symbols` (provider symbols),
    /// paced in 1 ms steps, with trade ids from `firstId` and trade time = send time; drops every connection once
    /// after `dropAfter` when given.
    public func publishTrades(
        symbols: [String], ratePerSecond: Int, duration: Duration, firstId: Int64 = 1, dropAfter: Duration? = nil
    ) async -> PublishReport {
        var report = PublishReport()
        let clock = ContinuousClock()
        let start = clock.now
        let seconds = Double(duration.nanoseconds) / 1e9
        let total = Int(Double(ratePerSecond) * seconds)
        var sent = 0
        var dropped = dropAfter == nil
        var id = firstId
        while sent < total {
            let elapsed = clock.now - start
            if !dropped, let dropAfter, elapsed >= dropAfter {
                dropped = true
                await self.dropConnections()
                report.drops += 1
            }
            // Every trade due by now, then sleep a millisecond.
            let due = min(total, Int(Double(ratePerSecond) * Double(elapsed.nanoseconds) / 1e9) + 1)
            while sent < due {
                let symbol = symbols[sent % symbols.count]
                let price = String(format: "%.2f", 100 + Double(id % 1000) / 100)
                let trade = Trade(
                    symbol: symbol, id: id, price: price, size: "1.5", ts: FakeStreamRegistry.nowMilliseconds())
                if await self.publish(trade) {
                    report.delivered.append(id)
                } else {
                    report.undelivered.append(id)
                }
                id += 1
                sent += 1
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return report
    }
}

/// Why the fake server failed.
public enum FakeStreamError: Error, Sendable {
    case notStarted
    case timeout(String)
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        self.components.seconds * 1_000_000_000 + self.components.attoseconds / 1_000_000_000
    }
}
