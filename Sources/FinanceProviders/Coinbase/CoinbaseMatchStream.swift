import FinanceCore
import Foundation
import Logging
import Synchronization

/// Live trades (matches) from Coinbase Advanced Trade's key-free market data WebSocket: the `market_trades`
/// channel, with `heartbeats` keeping the connection open while a product is quiet. Subscriptions are sent right
/// after connecting (Coinbase closes a connection without one within 5 s), again after every reconnection.
///
/// Our symbol `BTC` is Coinbase's product `BTC-USD` (the symbol, a dash, `quoteCurrency`) unless `productMap` names
/// it otherwise. Jumps in a connection's `sequence_num` are counted and logged as sequence gaps. The trades of the
/// snapshot sent on subscribing that were already delivered (by trade id) are skipped.
public struct CoinbaseMatchStream: LiveTradeStreamSource {
    public let name = "coinbase"
    public let capabilities: Set<ProviderCapability> = [.liveTrades]
    public let wsUrl: String
    public let quoteCurrency: String
    /// Our symbol to Coinbase's product id, for symbols that do not follow the quote-currency rule.
    public let productMap: [String: String]
    public let options: LiveStreamOptions
    /// Counters of every stream opened by this value.
    public let counters = LiveStreamCounters()
    let logger: Logger

    public init(
        wsUrl: String = "wss://advanced-trade-ws.coinbase.com", quoteCurrency: String = "USD",
        productMap: [String: String] = [:], options: LiveStreamOptions = .init(),
        logger: Logger = Logger(label: "financehub.providers.coinbase")
    ) {
        self.wsUrl = wsUrl
        self.quoteCurrency = quoteCurrency.uppercased()
        self.productMap = productMap
        self.options = options
        self.logger = logger
    }

    /// A snapshot of the counters.
    public var stats: LiveStreamStats { self.counters.snapshot }
    public var streamStats: LiveStreamStats? { self.stats }

    /// Coinbase's product id for our symbol (`BTC` → `BTC-USD`).
    public func upstreamId(_ symbol: String) -> String {
        self.productMap[symbol]?.uppercased() ?? symbol.uppercased() + "-" + self.quoteCurrency
    }

    public func trades(symbols: [String]) -> AsyncThrowingStream<[Tick], any Error> {
        self.stream(symbols) { $0.map(\.tick) }
    }

    /// The trades with the Coinbase trade id and the message's time.
    public func tradeEvents(symbols: [String]) -> AsyncThrowingStream<[LiveTrade], any Error> {
        self.stream(symbols) { $0 }
    }

    func spec(symbols: [String]) -> LiveStreamSpec {
        let (products, canonical) = self.upstreamIds(symbols)
        let list = products.map { "\"\($0)\"" }.joined(separator: ",")
        let messages = ["market_trades", "heartbeats"].map {
            "{\"type\":\"subscribe\",\"product_ids\":[\(list)],\"channel\":\"\($0)\"}"
        }
        let map = canonical
        let delivered = CoinbaseDelivered()
        return LiveStreamSpec(
            name: self.name, url: self.wsUrl, subscribeMessages: messages,
            makeDecoder: { CoinbaseFrameDecoder(canonical: map, delivered: delivered) })
    }
}

/// The newest trade id delivered per product, over all the connections of one stream.
final class CoinbaseDelivered: Sendable {
    private let newest = Mutex<[String: Int64]>([:])

    /// True when the trade is new (and notes it), false when a trade with this id or a newer one was delivered.
    func isNew(product: String, tradeId: String) -> Bool {
        guard let id = Int64(tradeId) else { return true }
        return self.newest.withLock { newest in
            if let seen = newest[product], id <= seen { return false }
            newest[product] = id
            return true
        }
    }
}

/// Reads Coinbase Advanced Trade messages of one connection.
struct CoinbaseFrameDecoder: LiveFrameDecoder {
    let canonical: [String: String]
    let delivered: CoinbaseDelivered
    let json = JSONDecoder()
    var lastSequence: Int64?

    init(canonical: [String: String], delivered: CoinbaseDelivered) {
        self.canonical = canonical
        self.delivered = delivered
    }

    struct Message: Decodable {
        struct Event: Decodable {
            let type: String?
            let trades: [Trade]?
        }
        struct Trade: Decodable {
            let trade_id: String
            let product_id: String
            let price: String
            let size: String
            let side: String?
            let time: String
        }
        let type: String?
        let message: String?
        let channel: String?
        let timestamp: String?
        let sequence_num: Int64?
        let events: [Event]?
    }

    mutating func decode(_ text: String) -> LiveFrame {
        let message: Message
        do {
            message = try self.json.decode(Message.self, from: Data(text.utf8))
        } catch {
            return LiveFrame(invalid: "not a Coinbase message")
        }
        if message.type == "error" {
            return LiveFrame(upstreamError: message.message ?? "error")
        }
        guard let channel = message.channel else { return LiveFrame(invalid: "a message without a channel") }
        var frame = LiveFrame()
        if let sequence = message.sequence_num {
            if let last = self.lastSequence, sequence > last + 1 {
                frame.missedMessages = Int(sequence - last - 1)
            }
            if sequence > self.lastSequence ?? -1 { self.lastSequence = sequence }
        }
        guard channel == "market_trades" else { return frame }
        let sentAt = message.timestamp.flatMap { Timestamp.parse($0) }
        for event in message.events ?? [] {
            // Oldest first (a snapshot lists the newest first), so that skipping delivered ids keeps the others.
            let trades = (event.trades ?? []).sorted { (Int64($0.trade_id) ?? 0) < (Int64($1.trade_id) ?? 0) }
            for trade in trades {
                guard let symbol = self.canonical[trade.product_id] else { continue }
                guard let price = Double(trade.price), price.isFinite, let size = Double(trade.size), size.isFinite,
                    let ts = Timestamp.parse(trade.time)
                else {
                    frame.invalid = "a trade with an unreadable price, size or time"
                    continue
                }
                guard self.delivered.isNew(product: trade.product_id, tradeId: trade.trade_id) else { continue }
                frame.trades.append(
                    LiveTrade(
                        tick: Tick(symbol: symbol, ts: ts, price: price, size: size), tradeId: trade.trade_id,
                        sentAt: sentAt))
            }
        }
        return frame
    }
}
