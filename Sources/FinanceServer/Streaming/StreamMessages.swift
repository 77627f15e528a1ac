import FinanceApp
import FinanceCore
import NIOCore

/// The server's WebSocket messages, each encoded once into the bytes of a text frame.
enum StreamMessages {
    /// The `{"type":"error","code"}` codes (docs/websocket.md).
    enum ErrorCode: Int, Sendable {
        case invalidMessage = 400
        case notAuthenticated = 401
        case authFailed = 402
        case authTimeout = 404
        case symbolLimit = 405
        case connectionLimit = 406
        case slowClient = 407
        case rateLimited = 429
    }

    /// `{"type":"price","symbol","price","size"?,"bid"?,"ask"?,"ts","snapshot"?}`.
    static func price(_ tick: Tick, snapshot: Bool = false) -> ByteBuffer {
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
        if snapshot { Self.snapshotFlag(&json) }
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }

    /// `{"type":"bar","symbol","interval","ts","open","high","low","close","volume","closed","snapshot"?}`.
    static func bar(symbol: String, interval: Interval, _ bar: Bar, closed: Bool, snapshot: Bool = false)
        -> ByteBuffer
    {
        var json = JSONOutput(capacity: 192)
        json.beginObject()
        json.key("type")
        json.value("bar")
        json.key("symbol")
        json.value(symbol)
        json.key("interval")
        json.value(interval.name)
        json.key("ts")
        json.value(bar.ts)
        json.key("open")
        try? json.value(bar.open)
        json.key("high")
        try? json.value(bar.high)
        json.key("low")
        try? json.value(bar.low)
        json.key("close")
        try? json.value(bar.close)
        json.key("volume")
        try? json.value(bar.volume)
        json.key("closed")
        json.value(closed)
        if snapshot { Self.snapshotFlag(&json) }
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }

    /// `{"type":"quote", ...}` with the fields of `GET /api/quotes/{symbol}` (from the quote book).
    static func quote(_ quote: Quote, snapshot: Bool = false) -> ByteBuffer {
        var json = JSONOutput(capacity: 256)
        json.beginObject()
        json.key("type")
        json.value("quote")
        json.key("symbol")
        json.value(quote.symbol)
        json.key("price")
        try? json.value(quote.price)
        json.key("ts")
        json.value(quote.ts)
        try? json.field("bid", quote.bid)
        try? json.field("ask", quote.ask)
        try? json.field("open", quote.open)
        try? json.field("high", quote.high)
        try? json.field("low", quote.low)
        try? json.field("volume", quote.volume)
        try? json.field("change", quote.change)
        try? json.field("changePercent", quote.changePercent)
        if snapshot { Self.snapshotFlag(&json) }
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }

    /// The latest price of a quote as a price message (a subscription's snapshot).
    static func price(of quote: Quote) -> ByteBuffer {
        Self.price(
            Tick(symbol: quote.symbol, ts: quote.ts, price: quote.price, bid: quote.bid, ask: quote.ask),
            snapshot: true)
    }

    /// `{"type":"error","code","message"}`.
    static func error(_ code: ErrorCode, _ message: String) -> ByteBuffer {
        var json = JSONOutput(capacity: 96)
        json.beginObject()
        json.key("type")
        json.value("error")
        json.key("code")
        json.value(Int64(code.rawValue))
        json.key("message")
        json.value(message)
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }

    /// `{"type":"subscribed","subscriptions":{...}}`.
    static func subscribed(_ subscriptions: StreamSubscriptions) -> ByteBuffer {
        var json = JSONOutput(capacity: 128)
        json.beginObject()
        json.key("type")
        json.value("subscribed")
        json.key("subscriptions")
        subscriptions.write(to: &json)
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }

    /// `{"type":"authenticated","user","tier","expiresAt"}`.
    static func authenticated(_ principal: Principal) -> ByteBuffer {
        var json = JSONOutput(capacity: 96)
        json.beginObject()
        json.key("type")
        json.value("authenticated")
        json.key("user")
        json.value(principal.user)
        json.key("tier")
        json.value(principal.tier.rawValue)
        json.key("expiresAt")
        json.value(principal.expiresAt)
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }

    /// `{"type":"token_expiring","expiresAt"}`.
    static func tokenExpiring(_ expiresAt: Int64) -> ByteBuffer {
        var json = JSONOutput(capacity: 64)
        json.beginObject()
        json.key("type")
        json.value("token_expiring")
        json.key("expiresAt")
        json.value(expiresAt)
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }

    /// `{"type":"heartbeat","ts"}`.
    static func heartbeat(_ ts: Int64) -> ByteBuffer {
        var json = JSONOutput(capacity: 48)
        json.beginObject()
        json.key("type")
        json.value("heartbeat")
        json.key("ts")
        json.value(ts)
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }

    static let pong = ByteBuffer(string: #"{"type":"pong"}"#)

    /// `{"type":"monitoring","ts","connections","byTier":{...},"subscriptions"}` (the admin dashboard's channel).
    static func monitoring(_ stats: StreamHubStats, ts: Int64) -> ByteBuffer {
        var json = JSONOutput(capacity: 160)
        json.beginObject()
        json.key("type")
        json.value("monitoring")
        json.key("ts")
        json.value(ts)
        json.key("connections")
        json.value(Int64(stats.connections))
        json.key("byTier")
        json.beginObject()
        for (tier, count) in stats.byTier.sorted(by: { $0.key < $1.key }) {
            json.key(dynamic: tier)
            json.value(Int64(count))
        }
        json.endObject()
        json.key("subscriptions")
        json.value(Int64(stats.subscriptions))
        json.endObject()
        return ByteBuffer(bytes: json.bytes)
    }

    private static func snapshotFlag(_ json: inout JSONOutput) {
        json.key("snapshot")
        json.value(true)
    }
}
