import AsyncHTTPClient
import FinanceCore
import Foundation
import Logging

/// A coin of CoinGecko's `/coins/list`.
public struct CoinGeckoCoin: Hashable, Sendable, Decodable {
    /// CoinGecko's id (`bitcoin`), what `UpstreamSymbol.id` must hold.
    public var id: String
    /// The ticker symbol, lower case as CoinGecko gives it (`btc`); several coins may share one.
    public var symbol: String
    public var name: String

    public init(id: String, symbol: String, name: String) {
        self.id = id
        self.symbol = symbol
        self.name = name
    }
}

/// CoinGecko (demo key, `https://api.coingecko.com/api/v3`, key in the `x-cg-demo-api-key` header, optional):
/// quotes (`/simple/price`, 24 h change), bars (`/coins/{id}/market_chart`), the coin list and symbol resolution,
/// and a free `/ping`.
///
/// Bars come from `/coins/{id}/market_chart`, not `/coins/{id}/ohlc`: the chart's price points are 5-minutely for a
/// day back, hourly up to 90 days and daily beyond, which serves 5 m to 1 d bars, while `/ohlc` has 30-minute,
/// 4-hour or 4-day candles only (never daily). Each bar is folded from the price points in its bucket (a single
/// point gives open = high = low = close = price), and its volume is 0: the chart's `total_volumes` are rolling
/// 24 h figures, not per-bar volumes. Intervals finer than the chart's granularity for the range are
/// `unsupported`, as are weeks and months.
///
/// CoinGecko may answer an error inside HTTP 200: `status.error_code` is checked before parsing (429 →
/// `rateLimited`, 10002/10010/10011 → `unauthorized`, 10005 → `planRestricted`).
public struct CoinGeckoProvider: QuoteProvider, BarHistoryProvider {
    public let name = "coingecko"
    public let capabilities: Set<ProviderCapability> = [.quote, .barsHistory]
    public static let defaultBaseURL = "https://api.coingecko.com/api/v3"

    let http: ProviderHTTP
    let now: @Sendable () -> Int64

    /// - Parameters:
    ///   - baseURL: up to and including `/api/v3` (`providers.coingecko.baseUrl`).
    ///   - now: the clock the chart's `days` is computed from (ms since the epoch).
    public init(
        client: HTTPClient, baseURL: String = CoinGeckoProvider.defaultBaseURL, timeoutSeconds: Double = 5,
        logger: Logger = Logger(label: "financehub.providers.coingecko"),
        now: @escaping @Sendable () -> Int64 = { SystemClock().nowMilliseconds() }
    ) {
        self.http = ProviderHTTP(
            client: client, provider: "coingecko", baseURL: baseURL, timeoutSeconds: timeoutSeconds,
            keyPlacement: .header("x-cg-demo-api-key"), logger: logger)
        self.now = now
    }

    /// The latest price with its 24 h volume and change; stamped with CoinGecko's `last_updated_at`.
    public func quote(_ symbol: UpstreamSymbol, call: ProviderCall) async throws -> ProviderQuote {
        let currency = symbol.currency.lowercased()
        let response = try await self.get(
            "/simple/price",
            query: [
                ("ids", symbol.id), ("vs_currencies", currency), ("include_24hr_vol", "true"),
                ("include_24hr_change", "true"), ("include_last_updated_at", "true"),
            ], call: call)
        let body = try self.http.decode([String: [String: Double?]].self, from: response, endpoint: "/simple/price")
        guard let coin = body[symbol.id] else { throw ProviderError.unknownSymbol(symbol.symbol) }
        guard let rawPrice = coin[currency], let price = rawPrice else {
            throw ProviderError.unknownSymbol(symbol.symbol)
        }
        guard let updated = coin["last_updated_at"] ?? nil, updated.isFinite, updated > 0 else {
            throw ProviderError.malformed("coingecko /simple/price: no last_updated_at")
        }
        var quote = Quote(
            symbol: symbol.symbol, price: try Check.price(price, "price"), ts: Int64(updated) * 1000,
            volume: try (coin["\(currency)_24h_vol"] ?? nil).map { try Check.volume($0, "24h volume") },
            changePercent: try Check.finite(coin["\(currency)_24h_change"] ?? nil, "24h change"))
        if let percent = quote.changePercent, percent > -100 {
            // The change in price units against the price 24 h ago, derived from the percentage.
            quote.change = price - price / (1 + percent / 100)
        }
        return ProviderQuote(quote: quote, changeBasis: .rolling24h)
    }

    /// Bars folded from the market chart's price points (see the type's documentation), volume 0.
    public func bars(_ symbol: UpstreamSymbol, interval: Interval, from: Int64, to: Int64, call: ProviderCall)
        async throws -> [Bar]
    {
        guard case .fixed(let step) = interval.unit else {
            throw ProviderError.unsupported("coingecko bars at \(interval)")
        }
        let days = max(1, (self.now() - from + 86_399_999) / 86_400_000)
        let granularity: Int64 = days == 1 ? 300_000 : days <= 90 ? 3_600_000 : 86_400_000
        guard step >= granularity else {
            throw ProviderError.unsupported("coingecko bars at \(interval) for \(days) days back")
        }
        let endpoint = "/coins/{id}/market_chart"
        let response = try await self.get(
            "/coins/\(ProviderHTTP.escape(symbol.id))/market_chart",
            query: [("vs_currency", symbol.currency.lowercased()), ("days", String(days))], endpoint: endpoint,
            call: call, notFound: .unknownSymbol(symbol.symbol))
        struct Chart: Decodable { var prices: [[Double]] }
        let chart = try self.http.decode(Chart.self, from: response, endpoint: endpoint)
        var bars: [Bar] = []
        for point in chart.prices {
            guard point.count == 2, point[0].isFinite else { throw ProviderError.malformed("a bad chart point") }
            let ts = Int64(point[0])
            guard ts >= from, ts < to else { continue }
            let price = try Check.price(point[1], "chart price")
            let bucket = ts - ((ts % step) + step) % step
            if let last = bars.last, last.ts == bucket {
                bars[bars.count - 1].absorb(
                    Bar(ts: bucket, open: price, high: price, low: price, close: price, volume: 0))
            } else if let last = bars.last, last.ts > bucket {
                throw ProviderError.malformed("chart points out of order")
            } else {
                bars.append(Bar(ts: bucket, open: price, high: price, low: price, close: price, volume: 0))
            }
        }
        return bars.filter { $0.ts >= from }
    }

    /// Every coin CoinGecko lists (`/coins/list`).
    public func coinList(call: ProviderCall) async throws -> [CoinGeckoCoin] {
        let response = try await self.get("/coins/list", query: [], call: call)
        return try self.http.decode([CoinGeckoCoin].self, from: response, endpoint: "/coins/list")
    }

    /// CoinGecko ids of `symbols` (our symbols, any case), keyed by the symbol upper-cased; symbols CoinGecko does
    /// not list are absent. Where several coins share a symbol (there are many `eth`), the one with the highest
    /// market cap wins, from `/coins/markets` (one more request, only when there is such a tie).
    public func resolve(_ symbols: [String], call: ProviderCall) async throws -> [String: String] {
        let coins = try await self.coinList(call: call)
        let wanted = Set(symbols.map { $0.lowercased() })
        var candidates: [String: [String]] = [:]
        for coin in coins where wanted.contains(coin.symbol.lowercased()) {
            candidates[coin.symbol.uppercased(), default: []].append(coin.id)
        }
        let ambiguous = candidates.values.filter { $0.count > 1 }.flatMap { $0 }
        var marketCaps: [String: Double] = [:]
        if !ambiguous.isEmpty {
            let response = try await self.get(
                "/coins/markets",
                query: [
                    ("vs_currency", "usd"), ("ids", ambiguous.joined(separator: ",")), ("order", "market_cap_desc"),
                    ("per_page", "250"),
                ], call: call)
            struct Market: Decodable {
                var id: String
                var market_cap: Double?
            }
            for market in try self.http.decode([Market].self, from: response, endpoint: "/coins/markets") {
                marketCaps[market.id] = market.market_cap ?? 0
            }
        }
        return candidates.mapValues { ids in
            ids.max { (marketCaps[$0] ?? -1, $1) < (marketCaps[$1] ?? -1, $0) }!
        }
    }

    /// The free health probe: throws unless CoinGecko answers `/ping`.
    public func ping(call: ProviderCall = ProviderCall()) async throws {
        let response = try await self.get("/ping", query: [], call: call)
        struct Pong: Decodable { var gecko_says: String }
        _ = try self.http.decode(Pong.self, from: response, endpoint: "/ping")
    }

    /// A GET with CoinGecko's error mapping: `status.error_code` first (whatever the HTTP status), then the status.
    private func get(
        _ path: String, query: [(String, String)], endpoint: String? = nil, call: ProviderCall,
        notFound: ProviderError? = nil
    ) async throws -> ProviderHTTP.Response {
        let response = try await self.http.get(path, query: query, endpoint: endpoint ?? path, call: call)
        struct Status: Decodable {
            struct Inner: Decodable {
                var error_code: Int?
                var error_message: String?
            }
            var status: Inner?
        }
        if let status = (try? JSONDecoder().decode(Status.self, from: response.body))?.status,
            let code = status.error_code, code != 0
        {
            let message = ProviderHTTP.redacted(status.error_message ?? "error \(code)", key: call.key)
            switch code {
            case 429: throw ProviderError.rateLimited(retryAfterSeconds: response.retryAfterSeconds, reason: message)
            case 10002, 10010, 10011: throw ProviderError.unauthorized("coingecko \(code): \(message)")
            case 10005: throw ProviderError.planRestricted("coingecko \(code): \(message)")
            default: break
            }
        }
        try self.http.checkStatus(response, notFound: notFound)
        return response
    }
}
