import FinanceCore

/// What a market-data provider can do; on-demand fetches, polling and live feeds pick providers by capability.
public enum ProviderCapability: String, Sendable, CaseIterable {
    case quote
    case barsHistory
    case liveTrades
    case news
    case symbolSearch
}

/// A source of market data: an upstream API, a public stream or the simulated market. Adapters turn their
/// source's wire format into domain values and nothing more: keys, budgets, caching, health and storage live in
/// the application layer. Each capability is a protocol of its own below.
public protocol MarketDataProvider: Sendable {
    /// The provider's name everywhere (configuration, API, metrics, a quote's `source`), e.g. `coingecko`.
    var name: String { get }
    /// The capabilities this provider offers.
    var capabilities: Set<ProviderCapability> { get }
}

/// A provider that answers the latest quote of a symbol.
public protocol QuoteProvider: MarketDataProvider {
    /// The latest quote of `symbol`; throws `ProviderError`.
    func quote(_ symbol: UpstreamSymbol, call: ProviderCall) async throws -> ProviderQuote
}

/// A provider that answers bars of the past.
public protocol BarHistoryProvider: MarketDataProvider {
    /// Bars of `symbol` at `interval` with `from <= ts < to` (ms), ascending; throws `ProviderError`
    /// (`unsupported` for an interval the provider does not serve).
    func bars(_ symbol: UpstreamSymbol, interval: Interval, from: Int64, to: Int64, call: ProviderCall)
        async throws -> [Bar]
}

/// A provider that streams trades as they happen.
public protocol LiveTradeProvider: MarketDataProvider {
    /// Batches of trades of `symbols` as they arrive, until the consumer stops iterating (or the source fails).
    func trades(symbols: [String]) -> AsyncThrowingStream<[Tick], any Error>
    /// The connection counters of a WebSocket source (connects, gaps, sequence gaps), nil for other sources.
    var streamStats: LiveStreamStats? { get }
}

extension LiveTradeProvider {
    public var streamStats: LiveStreamStats? { nil }
}

/// A provider that finds assets by symbol or name.
public protocol SymbolSearchProvider: MarketDataProvider {
    /// Assets matching `text`, best match first (an exact symbol match, if any, comes first).
    func searchAssets(_ text: String) async throws -> [Asset]
}

/// A provider of news articles.
public protocol NewsProvider: MarketDataProvider {
    /// Articles about `query` (a symbol or free text), newest first, at most `limit`.
    func news(query: String, limit: Int, call: ProviderCall) async throws -> [NewsArticle]
}

/// One news article.
public struct NewsArticle: Sendable, Equatable {
    public var title: String
    public var url: String
    public var source: String
    /// Publication time, ms since the epoch.
    public var publishedAt: Int64
    public var summary: String?

    public init(title: String, url: String, source: String, publishedAt: Int64, summary: String? = nil) {
        self.title = title
        self.url = url
        self.source = source
        self.publishedAt = publishedAt
        self.summary = summary
    }
}
