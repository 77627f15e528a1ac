import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import XCTest

final class NewsAPIProviderTests: FakeServerTestCase {
    func provider(timeout: Double = 2) -> NewsAPIProvider {
        NewsAPIProvider(
            client: self.client, baseURL: self.server.baseURL(for: .newsapi), timeoutSeconds: timeout,
            logger: self.logs.logger)
    }

    func testArticlesNewestFirstUpToTheLimit() async throws {
        let hooks = BeforeRequestLog()
        let articles = try await self.provider().news(query: "AAPL", limit: 2, call: hooks.call(key: self.secret))
        XCTAssertEqual(
            articles,
            [
                NewsArticle(
                    title: "Apple shares rise after earnings", url: "https://example.com/apple-earnings",
                    source: "Reuters", publishedAt: 1_588_496_400_000, summary: "Apple beat estimates."),
                NewsArticle(
                    title: "Markets wrap", url: "https://example.com/markets-wrap", source: "Example News",
                    publishedAt: 1_588_444_215_000, summary: nil),
            ])
        XCTAssertEqual(hooks.endpoints.withLock { $0 }, ["/v2/everything"])
        let request = try XCTUnwrap(self.server.requests(.newsapi).first)
        XCTAssertEqual(request.path, "/v2/everything")
        XCTAssertEqual(request.query["q"], "AAPL")
        XCTAssertEqual(request.query["pageSize"], "2")
        XCTAssertEqual(request.query["sortBy"], "publishedAt")
        XCTAssertEqual(request.headers["x-api-key"], self.secret, "the key goes in the X-Api-Key header")
        XCTAssertNil(request.query["apiKey"])
        let all = try await self.provider().news(query: "Apple Inc", limit: 500, call: ProviderCall(key: "k"))
        XCTAssertEqual(all.map(\.publishedAt), [1_588_496_400_000, 1_588_444_215_000, 1_588_316_700_000])
        XCTAssertEqual(self.server.requests(.newsapi).last?.query["pageSize"], "100", "NewsAPI's largest page")
        XCTAssertEqual(self.server.requests(.newsapi).last?.query["q"], "Apple Inc")
    }

    func testFaultsMapToProviderErrorsWithoutLeakingTheKey() async throws {
        let provider = self.provider(timeout: 0.3)
        await self.assertFaults(route: "/newsapi", Self.commonFaults() + [(.quotaInBody, "rateLimited(nil)")]) { call in
            _ = try await provider.news(query: "AAPL", limit: 3, call: call)
        }
        self.server.setFault(.emptyResult, for: "/newsapi")
        let none = try await provider.news(query: "AAPL", limit: 3, call: ProviderCall(key: "k"))
        XCTAssertEqual(none, [])
        self.server.setFault(nil, for: "/newsapi")
        do {
            _ = try await provider.news(query: "", limit: 3, call: ProviderCall(key: "k"))
            XCTFail("a missing parameter")
        } catch let error as ProviderError {
            XCTAssertEqual(Self.kind(error), "unavailable", "HTTP 400 parametersMissing")
        }
    }

    func testAThrowingBeforeRequestOrAMissingKeyStopsTheCallBeforeAnyRequest() async throws {
        for call in [BeforeRequestLog().call(key: "k", failing: true), ProviderCall()] {
            do {
                _ = try await self.provider().news(query: "AAPL", limit: 3, call: call)
                XCTFail("no request")
            } catch is ProviderError {}
        }
        XCTAssertEqual(self.server.requests().count, 0)
    }
}
