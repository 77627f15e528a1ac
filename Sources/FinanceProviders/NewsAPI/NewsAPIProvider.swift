import AsyncHTTPClient
import FinanceCore
import Foundation
import Logging

/// NewsAPI (`https://newsapi.org/v2/everything`, key in the `X-Api-Key` header): articles about a query, newest
/// first.
///
/// Errors are `{"status": "error", "code": ...}`: `rateLimited` (and `apiKeyExhausted`) → `rateLimited`,
/// `apiKeyInvalid`/`apiKeyMissing`/`apiKeyDisabled` → `unauthorized`, whatever the HTTP status; otherwise the common
/// status mapping, and an error code inside HTTP 2xx → `malformed` (`unexpectedError` → `unavailable`).
/// The developer plan's terms allow one key per user.
public struct NewsAPIProvider: NewsProvider {
    public let name = "newsapi"
    public let capabilities: Set<ProviderCapability> = [.news]
    public static let defaultBaseURL = "https://newsapi.org"
    /// NewsAPI's largest page.
    public static let maxPageSize = 100

    let http: ProviderHTTP

    public init(
        client: HTTPClient, baseURL: String = NewsAPIProvider.defaultBaseURL, timeoutSeconds: Double = 5,
        logger: Logger = Logger(label: "financehub.providers.newsapi")
    ) {
        self.http = ProviderHTTP(
            client: client, provider: "newsapi", baseURL: baseURL, timeoutSeconds: timeoutSeconds,
            keyPlacement: .header("X-Api-Key"), logger: logger)
    }

    public func news(query: String, limit: Int, call: ProviderCall) async throws -> [NewsArticle] {
        guard call.key != nil else { throw ProviderError.unauthorized("newsapi needs a key") }
        let endpoint = "/v2/everything"
        let pageSize = min(max(limit, 1), Self.maxPageSize)
        let response = try await self.http.get(
            endpoint, query: [("q", query), ("pageSize", String(pageSize)), ("sortBy", "publishedAt")],
            endpoint: endpoint, call: call)
        struct Status: Decodable {
            var status: String?
            var code: String?
            var message: String?
        }
        let status = try? JSONDecoder().decode(Status.self, from: response.body)
        if let status, status.status == "error" {
            let code = status.code ?? "unknown"
            let reason = "newsapi \(code): " + ProviderHTTP.redacted(status.message ?? "", key: call.key)
            switch code {
            case "rateLimited", "apiKeyExhausted":
                throw ProviderError.rateLimited(retryAfterSeconds: response.retryAfterSeconds, reason: reason)
            case "apiKeyInvalid", "apiKeyMissing", "apiKeyDisabled":
                throw ProviderError.unauthorized(reason)
            default:
                try self.http.checkStatus(response)
                if code == "unexpectedError" { throw ProviderError.unavailable(reason) }
                throw ProviderError.malformed(reason)
            }
        }
        try self.http.checkStatus(response)
        struct Body: Decodable {
            struct Article: Decodable {
                struct Source: Decodable { var name: String? }
                var source: Source?
                var title: String
                var url: String
                var description: String?
                var publishedAt: String
            }
            var status: String
            var articles: [Article]
        }
        let body = try self.http.decode(Body.self, from: response, endpoint: endpoint)
        guard body.status == "ok" else { throw ProviderError.malformed("newsapi: status \(body.status)") }
        let articles = try body.articles.map { article in
            guard let publishedAt = ProviderTime.isoMilliseconds(article.publishedAt) else {
                throw ProviderError.malformed("newsapi: publishedAt is not a time")
            }
            return NewsArticle(
                title: article.title, url: article.url, source: article.source?.name ?? "", publishedAt: publishedAt,
                summary: article.description)
        }
        return Array(articles.sorted { $0.publishedAt > $1.publishedAt }.prefix(limit))
    }
}
