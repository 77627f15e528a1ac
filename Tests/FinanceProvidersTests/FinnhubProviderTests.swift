import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import XCTest

final class FinnhubProviderTests: FakeServerTestCase {
    /// 2024-01-02 00:00 UTC.
    let jan2: Int64 = 1_704_153_600_000
    let day: Int64 = 86_400_000

    func provider(timeout: Double = 2) -> FinnhubProvider {
        FinnhubProvider(
            client: self.client, baseURL: self.server.baseURL(for: .finnhub), timeoutSeconds: timeout,
            logger: self.logs.logger)
    }

    func testQuoteIsAgainstThePreviousClose() async throws {
        let hooks = BeforeRequestLog()
        let quote = try await self.provider().quote(UpstreamSymbol(symbol: "AAPL"), call: hooks.call(key: self.secret))
        XCTAssertEqual(quote.changeBasis, .previousClose)
        XCTAssertEqual(quote.previousClose, 264.58)
        XCTAssertEqual(
            quote.quote,
            Quote(
                symbol: "AAPL", price: 261.74, ts: 1_582_641_000_000, open: 264.2, high: 265.1, low: 260.8,
                change: -2.84, changePercent: -1.0734))
        XCTAssertEqual(hooks.endpoints.withLock { $0 }, ["/quote"])
        let request = try XCTUnwrap(self.server.requests(.finnhub).first)
        XCTAssertEqual(request.path, "/quote")
        XCTAssertEqual(request.query["symbol"], "AAPL")
        XCTAssertEqual(request.headers["x-finnhub-token"], self.secret, "the key goes in the X-Finnhub-Token header")
        XCTAssertNil(request.query["token"])
        do {
            _ = try await self.provider().quote(UpstreamSymbol(symbol: "NOPE"), call: ProviderCall(key: "k"))
            XCTFail("zeros are an unknown symbol")
        } catch let error as ProviderError {
            XCTAssertEqual(error, .unknownSymbol("NOPE"))
        }
    }

    func testCandlesAndNoData() async throws {
        let bars = try await self.provider().bars(
            UpstreamSymbol(symbol: "AAPL"), interval: .day1, from: self.jan2, to: self.jan2 + 3 * self.day,
            call: ProviderCall(key: self.secret))
        XCTAssertEqual(
            bars,
            [
                Bar(ts: self.jan2, open: 187.15, high: 188.44, low: 183.885, close: 185.64, volume: 82_488_674),
                Bar(
                    ts: self.jan2 + self.day, open: 184.22, high: 185.88, low: 183.43, close: 184.25, volume: 58_414_460
                ),
                Bar(
                    ts: self.jan2 + 2 * self.day, open: 182.15, high: 183.0872, low: 180.88, close: 181.91,
                    volume: 71_983_570),
            ])
        let request = try XCTUnwrap(self.server.requests(.finnhub).last)
        XCTAssertEqual(request.path, "/stock/candle")
        XCTAssertEqual(request.query["resolution"], "D")
        XCTAssertEqual(request.query["from"], "1704153600")
        XCTAssertEqual(request.query["to"], "1704412799")
        let short = try await self.provider().bars(
            UpstreamSymbol(symbol: "AAPL"), interval: .day1, from: self.jan2 + self.day, to: self.jan2 + 2 * self.day,
            call: ProviderCall(key: "k"))
        XCTAssertEqual(short.map(\.ts), [self.jan2 + self.day], "[from, to)")
        let none = try await self.provider().bars(
            UpstreamSymbol(symbol: "NOPE"), interval: .day1, from: self.jan2, to: self.jan2 + self.day,
            call: ProviderCall(key: "k"))
        XCTAssertEqual(none, [], "no_data is an empty history")
    }

    func testFaultsMapToProviderErrorsWithoutLeakingTheKey() async throws {
        let provider = self.provider(timeout: 0.3)
        let cases =
            Self.commonFaults() + [
                (.quotaInBody, "rateLimited(nil)"),
                (.emptyResult, "unknownSymbol"),
            ]
        await self.assertFaults(route: "/finnhub", cases) { call in
            _ = try await provider.quote(UpstreamSymbol(symbol: "AAPL"), call: call)
        }
        await self.assertFaults(
            route: "/finnhub/stock/candle",
            [(.planRestricted, "planRestricted"), (.wrongTypes, "malformed"), (.unauthorized, "unauthorized")]
        ) { call in
            _ = try await provider.bars(
                UpstreamSymbol(symbol: "AAPL"), interval: .day1, from: self.jan2, to: self.jan2 + self.day, call: call)
        }
    }

    func testAThrowingBeforeRequestOrAMissingKeyStopsTheCallBeforeAnyRequest() async throws {
        for call in [BeforeRequestLog().call(key: "k", failing: true), ProviderCall()] {
            do {
                _ = try await self.provider().quote(UpstreamSymbol(symbol: "AAPL"), call: call)
                XCTFail("no request")
            } catch is ProviderError {}
        }
        XCTAssertEqual(self.server.requests().count, 0)
    }
}
