import AsyncHTTPClient
import FinanceCore
import Foundation
import Logging

/// Finnhub (`https://finnhub.io/api/v1`, key in the `X-Finnhub-Token` header): quotes (`/quote`, against the
/// previous close) and candles (`/stock/candle`, premium: a free key gets HTTP 403 → `planRestricted`).
///
/// An unknown symbol is answered with zeros (`c == 0 && t == 0` → `unknownSymbol`); a candle answer with
/// `s: "no_data"` is an empty history.
public struct FinnhubProvider: QuoteProvider, BarHistoryProvider {
    public let name = "finnhub"
    public let capabilities: Set<ProviderCapability> = [.quote, .barsHistory]
    public static let defaultBaseURL = "https://finnhub.io/api/v1"

    let http: ProviderHTTP

    /// - Parameter baseURL: up to and including `/api/v1` (`providers.finnhub.baseUrl`).
    public init(
        client: HTTPClient, baseURL: String = FinnhubProvider.defaultBaseURL, timeoutSeconds: Double = 5,
        logger: Logger = Logger(label: "financehub.providers.finnhub")
    ) {
        self.http = ProviderHTTP(
            client: client, provider: "finnhub", baseURL: baseURL, timeoutSeconds: timeoutSeconds,
            keyPlacement: .header("X-Finnhub-Token"), logger: logger)
    }

    public func quote(_ symbol: UpstreamSymbol, call: ProviderCall) async throws -> ProviderQuote {
        let response = try await self.get("/quote", query: [("symbol", symbol.id)], call: call)
        struct Body: Decodable {
            var c: Double
            var d: Double?
            var dp: Double?
            var h: Double?
            var l: Double?
            var o: Double?
            var pc: Double?
            var t: Int64
        }
        let body = try self.http.decode(Body.self, from: response, endpoint: "/quote")
        if body.c == 0 && body.t == 0 { throw ProviderError.unknownSymbol(symbol.symbol) }
        guard body.t > 0 else { throw ProviderError.malformed("finnhub /quote: no time") }
        let quote = Quote(
            symbol: symbol.symbol, price: try Check.price(body.c, "price"), ts: body.t * 1000,
            open: try Check.finite(body.o, "open"), high: try Check.finite(body.h, "high"),
            low: try Check.finite(body.l, "low"), change: try Check.finite(body.d, "change"),
            changePercent: try Check.finite(body.dp, "change percent"))
        return ProviderQuote(
            quote: quote, changeBasis: .previousClose,
            previousClose: try body.pc.map { try Check.price($0, "previous close") })
    }

    /// Candles at 1, 5, 15, 30 or 60 minutes or a day (`unsupported` otherwise).
    public func bars(_ symbol: UpstreamSymbol, interval: Interval, from: Int64, to: Int64, call: ProviderCall)
        async throws -> [Bar]
    {
        let resolutions: [Interval: String] = [
            .minute1: "1", .minute5: "5", .minute15: "15", .minute30: "30", .hour1: "60", .day1: "D",
        ]
        guard let resolution = resolutions[interval] else {
            throw ProviderError.unsupported("finnhub bars at \(interval)")
        }
        guard to > from else { return [] }
        let response = try await self.get(
            "/stock/candle",
            query: [
                ("symbol", symbol.id), ("resolution", resolution), ("from", String(from / 1000)),
                ("to", String((to - 1) / 1000)),
            ], call: call)
        struct Body: Decodable {
            var s: String
            var o: [Double]?
            var h: [Double]?
            var l: [Double]?
            var c: [Double]?
            var v: [Double]?
            var t: [Int64]?
        }
        let body = try self.http.decode(Body.self, from: response, endpoint: "/stock/candle")
        if body.s == "no_data" { return [] }
        guard body.s == "ok", let o = body.o, let h = body.h, let l = body.l, let c = body.c, let v = body.v,
            let t = body.t, [o.count, h.count, l.count, c.count, v.count].allSatisfy({ $0 == t.count })
        else { throw ProviderError.malformed("finnhub /stock/candle: arrays missing or of different lengths") }
        var bars: [Bar] = []
        for i in t.indices where t[i] * 1000 >= from && t[i] * 1000 < to {
            bars.append(
                try Check.bar(
                    Bar(ts: t[i] * 1000, open: o[i], high: h[i], low: l[i], close: c[i], volume: v[i]), "candle"))
        }
        return bars.sorted { $0.ts < $1.ts }
    }

    private func get(_ path: String, query: [(String, String)], call: ProviderCall) async throws
        -> ProviderHTTP.Response
    {
        guard call.key != nil else { throw ProviderError.unauthorized("finnhub needs a key") }
        let response = try await self.http.get(path, query: query, endpoint: path, call: call)
        try self.http.checkStatus(response)
        return response
    }
}
