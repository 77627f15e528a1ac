import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import XCTest

final class CoinMarketCapProviderTests: FakeServerTestCase {
    func provider(timeout: Double = 2) -> CoinMarketCapProvider {
        CoinMarketCapProvider(
            client: self.client, baseURL: self.server.baseURL(for: .coinmarketcap), timeoutSeconds: timeout,
            logger: self.logs.logger)
    }

    func testQuoteIsTheLatestQuoteStampedWithLastUpdated() async throws {
        let hooks = BeforeRequestLog()
        let quote = try await self.provider().quote(UpstreamSymbol(symbol: "BTC"), call: hooks.call(key: self.secret))
        XCTAssertEqual(quote.changeBasis, .rolling24h)
        XCTAssertEqual(quote.quote.symbol, "BTC")
        XCTAssertEqual(quote.quote.price, 68250.75)
        XCTAssertEqual(quote.quote.ts, 1_717_416_000_000, "2024-06-03T12:00:00.000Z")
        XCTAssertEqual(quote.quote.volume, 21_500_000_000.5)
        XCTAssertEqual(quote.quote.changePercent, 1.5)
        XCTAssertEqual(quote.quote.change!, 68250.75 - 68250.75 / 1.015, accuracy: 1e-9)
        XCTAssertEqual(hooks.endpoints.withLock { $0 }, ["/v1/cryptocurrency/quotes/latest"])
        let request = try XCTUnwrap(self.server.requests(.coinmarketcap).first)
        XCTAssertEqual(request.path, "/v1/cryptocurrency/quotes/latest")
        XCTAssertEqual(request.query["symbol"], "BTC")
        XCTAssertEqual(request.headers["x-cmc_pro_api_key"], self.secret)
        XCTAssertFalse(request.rawQuery.contains(self.secret))
    }

    func testKeyInfoReportsUsage() async throws {
        let info = try await self.provider().keyInfo(call: ProviderCall(key: self.secret))
        XCTAssertEqual(
            info,
            CoinMarketCapKeyInfo(
                creditLimitMonthly: 10_000, rateLimitMinute: 30, minuteRequestsMade: 2, minuteRequestsLeft: 28,
                dayCreditsUsed: 5, dayCreditsLeft: nil, monthCreditsUsed: 120, monthCreditsLeft: 9_880))
        XCTAssertEqual(self.server.requests(.coinmarketcap).map(\.path), ["/v1/key/info"])
    }

    func testAnUnknownSymbol() async throws {
        do {
            _ = try await self.provider().quote(UpstreamSymbol(symbol: "NOPE"), call: ProviderCall(key: "k"))
            XCTFail("an unknown symbol")
        } catch let error as ProviderError {
            XCTAssertEqual(error, .unknownSymbol("NOPE"))
        }
    }

    func testFaultsMapToProviderErrorsWithoutLeakingTheKey() async throws {
        let provider = self.provider(timeout: 0.3)
        let cases =
            Self.commonFaults() + [
                (.quotaInBody, "rateLimited(nil)"),
                (.emptyResult, "unknownSymbol"),
            ]
        await self.assertFaults(route: "/coinmarketcap", cases) { call in
            _ = try await provider.quote(UpstreamSymbol(symbol: "BTC"), call: call)
        }
        await self.assertFaults(
            route: "/coinmarketcap", [(.unauthorized, "unauthorized"), (.truncatedJSON, "malformed")]
        ) {
            call in
            _ = try await provider.keyInfo(call: call)
        }
    }

    func testAThrowingBeforeRequestOrAMissingKeyStopsTheCallBeforeAnyRequest() async throws {
        for call in [BeforeRequestLog().call(key: "k", failing: true), ProviderCall()] {
            do {
                _ = try await self.provider().quote(UpstreamSymbol(symbol: "BTC"), call: call)
                XCTFail("no request")
            } catch is ProviderError {}
        }
        XCTAssertEqual(self.server.requests().count, 0)
    }
}
