import AsyncHTTPClient
import FinanceCore
import Foundation
import Logging

/// Polygon.io (renamed Massive in 2025; `https://api.polygon.io` still answers; key as the `apiKey=` query
/// parameter): aggregate bars (`/v2/aggs/ticker/{T}/range/{n}/{minute|hour|day}/{from}/{to}`, paginated by
/// `next_url`) and the previous session's bar as a quote (`/v2/aggs/ticker/{T}/prev`).
///
/// Each page is an upstream request of its own: the call's `beforeRequest` runs before every one. `next_url` does
/// not carry the key, and is followed on the configured base URL (its path and query only), so the key never goes
/// to another host. Times are ms (day bars moved to 00:00 UTC of their date); a value above 10^15 is taken for nanoseconds and converted.
/// HTTP 429 → `rateLimited` (Retry-After honoured), 403 → `planRestricted`, 401 → `unauthorized`.
public struct PolygonProvider: QuoteProvider, BarHistoryProvider {
    public let name = "polygon"
    public let capabilities: Set<ProviderCapability> = [.quote, .barsHistory]
    public static let defaultBaseURL = "https://api.polygon.io"
    /// The most pages one history call follows (a guard against a `next_url` loop).
    public var maxPages = 100

    let http: ProviderHTTP

    public init(
        client: HTTPClient, baseURL: String = PolygonProvider.defaultBaseURL, timeoutSeconds: Double = 5,
        logger: Logger = Logger(label: "financehub.providers.polygon")
    ) {
        self.http = ProviderHTTP(
            client: client, provider: "polygon", baseURL: baseURL, timeoutSeconds: timeoutSeconds,
            keyPlacement: .query("apiKey"), logger: logger)
    }

    struct Aggregate: Decodable {
        var o: Double
        var h: Double
        var l: Double
        var c: Double
        var v: Double
        var t: Double
    }

    struct Page: Decodable {
        var status: String?
        var resultsCount: Int?
        var results: [Aggregate]?
        var next_url: String?
    }

    /// The previous session's bar: the quote's price is the PREVIOUS CLOSE (not a live price; the free plan is
    /// end-of-day), stamped with that bar's time, with the session's open, high, low and volume; no change figures.
    public func quote(_ symbol: UpstreamSymbol, call: ProviderCall) async throws -> ProviderQuote {
        let endpoint = "/v2/aggs/ticker/{T}/prev"
        let response = try await self.get(
            "/v2/aggs/ticker/\(ProviderHTTP.escape(symbol.id))/prev", query: [("adjusted", "true")],
            endpoint: endpoint, call: call, symbol: symbol)
        let page = try self.http.decode(Page.self, from: response, endpoint: endpoint)
        guard let bar = page.results?.last else { throw ProviderError.unknownSymbol(symbol.symbol) }
        let checked = try Self.bar(bar)
        let quote = Quote(
            symbol: symbol.symbol, price: checked.close, ts: checked.ts, open: checked.open, high: checked.high,
            low: checked.low, volume: checked.volume)
        return ProviderQuote(quote: quote, changeBasis: .previousClose)
    }

    /// Bars at minute, hour or day multiples (`unsupported` for weeks and months: Polygon's weeks start on Sunday).
    public func bars(_ symbol: UpstreamSymbol, interval: Interval, from: Int64, to: Int64, call: ProviderCall)
        async throws -> [Bar]
    {
        guard case .fixed(let step) = interval.unit else {
            throw ProviderError.unsupported("polygon bars at \(interval)")
        }
        let (multiplier, timespan): (Int64, String) =
            step % 86_400_000 == 0
            ? (step / 86_400_000, "day")
            : step % 3_600_000 == 0 ? (step / 3_600_000, "hour") : (step / 60_000, "minute")
        guard to > from else { return [] }
        let endpoint = "/v2/aggs/ticker/{T}/range"
        var url =
            self.http.baseURL
            + "/v2/aggs/ticker/\(ProviderHTTP.escape(symbol.id))/range/\(multiplier)/\(timespan)/\(from)/\(to - 1)"
        var query = [("adjusted", "true"), ("sort", "asc"), ("limit", "50000")]
        var bars: [Bar] = []
        for _ in 0..<self.maxPages {
            let response = try await self.get(url: url, query: query, endpoint: endpoint, call: call, symbol: symbol)
            let page = try self.http.decode(Page.self, from: response, endpoint: endpoint)
            for aggregate in page.results ?? [] {
                var bar = try Self.bar(aggregate)
                // Daily bars are stamped at midnight New York time (04:00 or 05:00 UTC): our days start 00:00 UTC.
                if timespan == "day" { bar.ts -= bar.ts % 86_400_000 }
                if bar.ts >= from, bar.ts < to { bars.append(bar) }
            }
            guard let next = page.next_url, !next.isEmpty else {
                return bars.sorted { $0.ts < $1.ts }
            }
            url = Self.follow(next, on: self.http.baseURL)
            query = []
        }
        throw ProviderError.malformed("polygon: more than \(self.maxPages) pages")
    }

    /// `next_url` moved onto `baseURL`: its path and query after the base URL's own path (a base URL with a path
    /// prefix, such as a proxy's or the fake's, is kept once).
    static func follow(_ next: String, on baseURL: String) -> String {
        let basePath = Self.pathAndQuery(of: baseURL)
        var rest = Self.pathAndQuery(of: next)
        if !basePath.isEmpty, basePath != "/", rest.hasPrefix(basePath + "/") { rest.removeFirst(basePath.count) }
        return baseURL + rest
    }

    /// `/v2/...?cursor=...` of an absolute (or already relative) URL.
    static func pathAndQuery(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url.hasPrefix("/") ? url : "/" + url }
        let afterHost = url[scheme.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? url.endIndex
        return String(url[afterHost...])
    }

    /// A checked bar from an aggregate, its time normalised to ms.
    static func bar(_ a: Aggregate) throws -> Bar {
        guard a.t.isFinite, a.t > 0 else { throw ProviderError.malformed("polygon: a bad bar time") }
        let ts = a.t > 1e15 ? Int64(a.t / 1_000_000) : Int64(a.t)
        return try Check.bar(Bar(ts: ts, open: a.o, high: a.h, low: a.l, close: a.c, volume: a.v), "polygon bar")
    }

    private func get(
        _ path: String, query: [(String, String)], endpoint: String, call: ProviderCall, symbol: UpstreamSymbol
    ) async throws -> ProviderHTTP.Response {
        try await self.get(url: self.http.baseURL + path, query: query, endpoint: endpoint, call: call, symbol: symbol)
    }

    private func get(
        url: String, query: [(String, String)], endpoint: String, call: ProviderCall, symbol: UpstreamSymbol
    ) async throws -> ProviderHTTP.Response {
        guard call.key != nil else { throw ProviderError.unauthorized("polygon needs a key") }
        let response = try await self.http.get(url: url, query: query, endpoint: endpoint, call: call)
        try self.http.checkStatus(response, notFound: .unknownSymbol(symbol.symbol))
        return response
    }
}
