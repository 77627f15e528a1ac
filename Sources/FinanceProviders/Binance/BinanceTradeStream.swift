import FinanceCore
import Foundation
import Logging

/// Live trades from Binance's key-free spot market-data stream (`<symbol>@trade`), over one WebSocket that
/// reconnects and subscribes again after any disconnection.
///
/// Our symbol `BTC` is Binance's `BTCUSDT` (the symbol followed by `quoteCurrency`) unless `symbolMap` names it
/// otherwise. WebSocket pings are answered by the client library.
public struct BinanceTradeStream: LiveTradeStreamSource {
    /// How the symbols are subscribed.
    public enum Subscription: Sendable {
        /// In the URL: `/stream?streams=btcusdt@trade/ethusdt@trade`.
        case combinedURL
        /// With `SUBSCRIBE` messages on `/stream` (at most `maxStreamsPerMessage` streams each).
        case messages
    }

    public let name = "binance"
    public let capabilities: Set<ProviderCapability> = [.liveTrades]
    public let wsUrl: String
    public let quoteCurrency: String
    /// Our symbol to Binance's (e.g. `XBT` → `BTCUSDT`), for symbols that do not follow the quote-currency rule.
    public let symbolMap: [String: String]
    public let subscription: Subscription
    public let options: LiveStreamOptions
    /// Counters of every stream opened by this value.
    public let counters = LiveStreamCounters()
    let logger: Logger

    /// The most streams one SUBSCRIBE message names.
    static let maxStreamsPerMessage = 200

    public init(
        wsUrl: String = "wss://data-stream.binance.vision", quoteCurrency: String = "USDT",
        symbolMap: [String: String] = [:], subscription: Subscription = .messages,
        options: LiveStreamOptions = .init(), logger: Logger = Logger(label: "financehub.providers.binance")
    ) {
        self.wsUrl = wsUrl.hasSuffix("/") ? String(wsUrl.dropLast()) : wsUrl
        self.quoteCurrency = quoteCurrency.uppercased()
        self.symbolMap = symbolMap
        self.subscription = subscription
        self.options = options
        self.logger = logger
    }

    /// A snapshot of the counters.
    public var stats: LiveStreamStats { self.counters.snapshot }
    public var streamStats: LiveStreamStats? { self.stats }

    /// Binance's symbol for ours (`BTC` → `BTCUSDT`).
    public func upstreamId(_ symbol: String) -> String {
        self.symbolMap[symbol]?.uppercased() ?? symbol.uppercased() + self.quoteCurrency
    }

    public func trades(symbols: [String]) -> AsyncThrowingStream<[Tick], any Error> {
        self.stream(symbols) { $0.map(\.tick) }
    }

    /// The trades with the Binance trade id and event time (`E`).
    public func tradeEvents(symbols: [String]) -> AsyncThrowingStream<[LiveTrade], any Error> {
        self.stream(symbols) { $0 }
    }

    func spec(symbols: [String]) -> LiveStreamSpec {
        let (ids, canonical) = self.upstreamIds(symbols)
        let streams = ids.map { id in id.lowercased() + "@trade" }
        let url: String
        var messages: [String] = []
        switch self.subscription {
        case .combinedURL:
            url = self.wsUrl + "/stream?streams=" + streams.joined(separator: "/")
        case .messages:
            url = self.wsUrl + "/stream"
            var id = 1
            for start in stride(from: 0, to: streams.count, by: Self.maxStreamsPerMessage) {
                let chunk = streams[start..<min(start + Self.maxStreamsPerMessage, streams.count)]
                let params = chunk.map { "\"\($0)\"" }.joined(separator: ",")
                messages.append("{\"method\":\"SUBSCRIBE\",\"params\":[\(params)],\"id\":\(id)}")
                id += 1
            }
        }
        let map = canonical
        return LiveStreamSpec(
            name: self.name, url: url, subscribeMessages: messages,
            makeDecoder: { BinanceFrameDecoder(canonical: map) })
    }
}

/// Reads Binance stream frames: trades (raw or in a combined-stream `{"stream", "data"}` wrapper), subscription
/// answers `{"result": null, "id": N}` and errors `{"code", "msg"}`.
struct BinanceFrameDecoder: LiveFrameDecoder {
    /// Binance's symbol (upper case) to ours.
    let canonical: [String: String]
    let json = JSONDecoder()

    final class Message: Decodable {
        let stream: String?
        let data: Message?
        let e: String?
        let E: Int64?
        let s: String?
        let t: Int64?
        let p: String?
        let q: String?
        let T: Int64?
        let id: Int?
        let code: Int?
        let msg: String?
    }

    mutating func decode(_ text: String) -> LiveFrame {
        let outer: Message
        do {
            outer = try self.json.decode(Message.self, from: Data(text.utf8))
        } catch {
            return LiveFrame(invalid: "not a Binance message")
        }
        let message = outer.data ?? outer
        if message.code != nil || message.msg != nil {
            return LiveFrame(upstreamError: "code \(message.code.map(String.init) ?? "?"): \(message.msg ?? "")")
        }
        guard let event = message.e else {
            return outer.id != nil ? .ignored : LiveFrame(invalid: "an unknown message")
        }
        guard event == "trade" else { return .ignored }
        guard let s = message.s, let id = message.t, let p = message.p, let q = message.q, let ts = message.T else {
            return LiveFrame(invalid: "a trade without s, t, p, q or T")
        }
        guard let price = Double(p), price.isFinite, let size = Double(q), size.isFinite else {
            return LiveFrame(invalid: "a trade with an unreadable price or quantity")
        }
        guard let symbol = self.canonical[s.uppercased()] else {
            return LiveFrame(invalid: "a trade of an unsubscribed symbol \(s)")
        }
        return LiveFrame(trades: [
            LiveTrade(
                tick: Tick(symbol: symbol, ts: ts, price: price, size: size), tradeId: String(id), sentAt: message.E)
        ])
    }
}
