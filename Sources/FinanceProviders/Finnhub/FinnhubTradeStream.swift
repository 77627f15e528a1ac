import FinanceCore
import Foundation
import Logging

/// Live trades from Finnhub's WebSocket (`wss://ws.finnhub.io?token=KEY`, free plan: US stocks, forex and
/// crypto), one `subscribe` message per symbol, sent again after every reconnection (Finnhub drops connections
/// every few hours).
///
/// The key is a secret: it is removed from every log line and error this stream writes, the WebSocket library's
/// included. Our symbol is Finnhub's unless `symbolMap` names it otherwise (e.g. `BTC` → `BINANCE:BTCUSDT`).
public struct FinnhubTradeStream: LiveTradeStreamSource {
    public let name = "finnhub"
    public let capabilities: Set<ProviderCapability> = [.liveTrades]
    public let wsUrl: String
    let apiKey: String
    /// Our symbol to Finnhub's.
    public let symbolMap: [String: String]
    public let options: LiveStreamOptions
    /// Counters of every stream opened by this value.
    public let counters = LiveStreamCounters()
    let logger: Logger

    public init(
        apiKey: String, wsUrl: String = "wss://ws.finnhub.io", symbolMap: [String: String] = [:],
        options: LiveStreamOptions = .init(), logger: Logger = Logger(label: "financehub.providers.finnhub")
    ) {
        self.apiKey = apiKey
        self.wsUrl = wsUrl
        self.symbolMap = symbolMap
        self.options = options
        self.logger = logger
    }

    /// A snapshot of the counters.
    public var stats: LiveStreamStats { self.counters.snapshot }
    public var streamStats: LiveStreamStats? { self.stats }

    /// Finnhub's symbol for ours.
    public func upstreamId(_ symbol: String) -> String { self.symbolMap[symbol] ?? symbol }

    public func trades(symbols: [String]) -> AsyncThrowingStream<[Tick], any Error> {
        self.stream(symbols) { $0.map(\.tick) }
    }

    /// The trades with the fields Finnhub gives (no trade id nor send time).
    public func tradeEvents(symbols: [String]) -> AsyncThrowingStream<[LiveTrade], any Error> {
        self.stream(symbols) { $0 }
    }

    func spec(symbols: [String]) -> LiveStreamSpec {
        let (ids, canonical) = self.upstreamIds(symbols)
        let messages = ids.map { id in "{\"type\":\"subscribe\",\"symbol\":\"\(Self.escaped(id))\"}" }
        // `wss://ws.finnhub.io?token=` as documented, with the root path made explicit for the request line.
        var base = self.wsUrl
        if let scheme = base.range(of: "://"), !base[scheme.upperBound...].contains("/") {
            if let q = base.firstIndex(of: "?") { base.insert("/", at: q) } else { base += "/" }
        }
        let separator = base.contains("?") ? "&" : "?"
        let token = self.apiKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let map = canonical
        return LiveStreamSpec(
            name: self.name, url: base + separator + "token=" + token, subscribeMessages: messages,
            secrets: [self.apiKey, token], makeDecoder: { FinnhubFrameDecoder(canonical: map) })
    }

    static func escaped(_ s: String) -> String {
        s.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
    }
}

/// Reads Finnhub messages: `trade` (prices and volumes as numbers), `ping` (nothing to answer) and `error`.
struct FinnhubFrameDecoder: LiveFrameDecoder {
    let canonical: [String: String]
    let json = JSONDecoder()

    struct Message: Decodable {
        struct Trade: Decodable {
            let p: Double
            let s: String
            let t: Int64
            let v: Double?
        }
        let type: String
        let data: [Trade]?
        let msg: String?
    }

    mutating func decode(_ text: String) -> LiveFrame {
        let message: Message
        do {
            message = try self.json.decode(Message.self, from: Data(text.utf8))
        } catch {
            return LiveFrame(invalid: "not a Finnhub message")
        }
        switch message.type {
        case "trade":
            var frame = LiveFrame()
            for trade in message.data ?? [] {
                guard let symbol = self.canonical[trade.s] else { continue }
                guard trade.p.isFinite, trade.p > 0 else {
                    frame.invalid = "a trade with an unreadable price"
                    continue
                }
                frame.trades.append(LiveTrade(tick: Tick(symbol: symbol, ts: trade.t, price: trade.p, size: trade.v)))
            }
            return frame
        case "error":
            return LiveFrame(upstreamError: message.msg ?? "error")
        case "ping":
            return .ignored
        default:
            return .ignored
        }
    }
}
