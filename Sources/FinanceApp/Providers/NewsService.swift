import FinanceCore
import FinanceProviders

/// `GET /api/news`: articles about a symbol or a text, asked of the news providers through the router (ranked by
/// health, failing over) and the cache (`providers.cache.newsSeconds`; concurrent requests for one query make one
/// upstream call). Each query is fetched once with the largest page (`maxLimit` articles) and cut to the limit
/// asked, so requests with different limits share one upstream call and one unit of budget.
public struct NewsService: Sendable {
    /// The most articles one answer holds.
    public static let maxLimit = 100
    public static let defaultLimit = 20
    /// The most queries whose answers the cache holds.
    public static let maxCachedQueries = 1_000

    public let router: ProviderRouter
    public let cache: ResponseCache<String, Routed<[NewsArticle]>>
    public let ttlMilliseconds: Int64

    public init(router: ProviderRouter, cache: ResponseCache<String, Routed<[NewsArticle]>>, ttlMilliseconds: Int64) {
        self.router = router
        self.cache = cache
        self.ttlMilliseconds = ttlMilliseconds
    }

    /// Whether some provider of the router serves news (a news provider is in the router only when it has keys).
    public var isAvailable: Bool { self.router.providers.contains { $0.adapter.capabilities.contains(.news) } }

    /// The newest articles about `query`, at most `limit`, with the provider that gave them; throws
    /// `ProvidersUnavailable` when the news providers failed.
    public func news(query: String, limit: Int) async throws -> Routed<[NewsArticle]> {
        let answer: (value: Routed<[NewsArticle]>, source: ResponseCache<String, Routed<[NewsArticle]>>.Source)
        do {
            answer = try await self.cache.value(for: query, ttl: self.ttlMilliseconds) {
                try await self.router.run(.news) { provider, call in
                    guard let news = provider as? any NewsProvider else { throw ProviderError.unsupported("news") }
                    return try await news.news(query: query, limit: Self.maxLimit, call: call)
                }
            }
        } catch ProviderError.unknownSymbol {
            // Every news provider said it knows nothing about the query: no articles.
            return Routed(value: [], provider: "", attempts: [])
        }
        if answer.source != .miss {
            await self.router.logCacheHit(provider: answer.value.provider, endpoint: "news")
        }
        var routed = answer.value
        routed.value = Array(routed.value.prefix(max(0, limit)))
        return routed
    }
}
