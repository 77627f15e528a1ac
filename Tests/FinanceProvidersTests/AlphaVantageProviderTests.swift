import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import XCTest

final class AlphaVantageProviderTests: FakeServerTestCase {
    /// 2024-06-04 00:00:00.123 UTC.
    let now: Int64 = 1_717_459_200_123

    func provider(timeout: Double = 2) -> AlphaVantageProvider {
        let now = self.now
        return AlphaVantageProvider(
            client: self.client, baseURL: self.server.baseURL(for: .alphavantage), timeoutSeconds: timeout,
            logger: self.logs.logger, now: { now })
    }

    func testQuoteIsParsedFromStringsAndStampedWithTheFetchTime() async throws {
        let hooks = BeforeRequestLog()
        let quote = try await self.provider().quote(UpstreamSymbol(symbol: "IBM"), call: hooks.call(key: self.secret))
        XCTAssertEqual(quote.changeBasis, .previousClose)
        XCTAssertEqual(quote.previousClose, 168.81)
        XCTAssertEqual(
            quote.quote,
            Quote(
                symbol: "IBM", price: 168.62, ts: self.now, open: 168.95, high: 169.65, low: 167.24, volume: 3_047_563,
                change: -0.19, changePercent: -0.1126),
            "the latest trading day (a date) is never the tick time")
        XCTAssertEqual(hooks.endpoints.withLock { $0 }, ["GLOBAL_QUOTE"])
        let requests = self.server.requests(.alphavantage)
        XCTAssertEqual(requests.count, 1)
        XCTAssertEqual(requests.first?.path, "/query")
        XCTAssertEqual(requests.first?.query["function"], "GLOBAL_QUOTE")
        XCTAssertEqual(requests.first?.query["symbol"], "IBM")
        XCTAssertEqual(requests.first?.query["apikey"], self.secret, "the key is the apikey query parameter")
        XCTAssertFalse(self.logs.text.contains(self.secret))
    }

    func testDailyBarsAreFilteredToTheRangeAscendingAndAskCompactOnlyWithin100Days() async throws {
        let hooks = BeforeRequestLog()
        let day: Int64 = 86_400_000
        let may29: Int64 = 1_716_940_800_000
        let bars = try await self.provider().bars(
            UpstreamSymbol(symbol: "IBM"), interval: .day1, from: may29, to: may29 + 5 * day,
            call: hooks.call(key: self.secret))
        XCTAssertEqual(
            bars,
            [
                Bar(ts: may29, open: 169.45, high: 170.06, low: 167.99, close: 168.53, volume: 2_820_120),
                Bar(ts: may29 + day, open: 168.43, high: 169.06, low: 165.46, close: 165.63, volume: 3_852_071),
                Bar(ts: may29 + 2 * day, open: 165.7, high: 167.24, low: 163.84, close: 166.85, volume: 4_907_914),
            ], "2024-06-03 is the exclusive end; 06-01 and 06-02 are a weekend")
        XCTAssertEqual(self.server.requests(.alphavantage).last?.query["outputsize"], "compact")
        XCTAssertEqual(self.server.requests(.alphavantage).last?.query["function"], "TIME_SERIES_DAILY")
        _ = try await self.provider().bars(
            UpstreamSymbol(symbol: "IBM"), interval: .day1, from: self.now - 101 * day, to: self.now,
            call: hooks.call(key: self.secret))
        XCTAssertEqual(self.server.requests(.alphavantage).last?.query["outputsize"], "full")
        XCTAssertEqual(hooks.count, 2)
        do {
            _ = try await self.provider().bars(
                UpstreamSymbol(symbol: "IBM"), interval: .hour1, from: may29, to: self.now, call: hooks.call(key: "k"))
            XCTFail("hourly bars are not offered")
        } catch let error as ProviderError {
            XCTAssertEqual(Self.kind(error), "unsupported")
        }
        XCTAssertEqual(self.server.requests(.alphavantage).count, 2, "an unsupported interval makes no request")
    }

    func testUnknownSymbols() async throws {
        let call = ProviderCall(key: self.secret)
        do {
            _ = try await self.provider().quote(UpstreamSymbol(symbol: "NOPE"), call: call)
            XCTFail("an empty Global Quote is an unknown symbol")
        } catch let error as ProviderError {
            XCTAssertEqual(error, .unknownSymbol("NOPE"))
        }
        do {
            _ = try await self.provider().bars(
                UpstreamSymbol(symbol: "NOPE"), interval: .day1, from: 0, to: self.now, call: call)
            XCTFail("an Error Message is an unknown symbol")
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
        await self.assertFaults(route: "/alphavantage", cases) { call in
            _ = try await provider.quote(UpstreamSymbol(symbol: "IBM"), call: call)
        }
        await self.assertFaults(
            route: "/alphavantage",
            [(.quotaInBody, "rateLimited(nil)"), (.wrongTypes, "malformed"), (.truncatedJSON, "malformed")]
        ) { call in
            _ = try await provider.bars(
                UpstreamSymbol(symbol: "IBM"), interval: .day1, from: 0, to: self.now, call: call)
        }
    }

    func testAThrowingBeforeRequestOrAMissingKeyStopsTheCallBeforeAnyRequest() async throws {
        let hooks = BeforeRequestLog()
        do {
            _ = try await self.provider().quote(
                UpstreamSymbol(symbol: "IBM"), call: hooks.call(key: "k", failing: true))
            XCTFail("the hook's error stops the call")
        } catch let error as ProviderError {
            XCTAssertEqual(Self.kind(error), "rateLimited(60)")
        }
        do {
            _ = try await self.provider().quote(UpstreamSymbol(symbol: "IBM"), call: ProviderCall())
            XCTFail("Alpha Vantage needs a key")
        } catch let error as ProviderError {
            XCTAssertEqual(Self.kind(error), "unauthorized")
        }
        XCTAssertEqual(self.server.requests().count, 0)
    }
}
