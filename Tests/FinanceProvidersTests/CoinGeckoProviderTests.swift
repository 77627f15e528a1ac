import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import XCTest

final class CoinGeckoProviderTests: FakeServerTestCase {
    /// 2024-05-30 00:00 UTC.
    let now: Int64 = 1_717_027_200_000

    func provider(timeout: Double = 2) -> CoinGeckoProvider {
        let now = self.now
        return CoinGeckoProvider(
            client: self.client, baseURL: self.server.baseURL(for: .coingecko), timeoutSeconds: timeout,
            logger: self.logs.logger, now: { now })
    }

    func testQuoteIsTheSimplePriceWithItsRolling24hChangeStampedWithLastUpdatedAt() async throws {
        let hooks = BeforeRequestLog()
        let quote = try await self.provider().quote(
            UpstreamSymbol(symbol: "BTC", id: "bitcoin", currency: "USD"), call: hooks.call(key: self.secret))
        XCTAssertEqual(quote.changeBasis, .rolling24h)
        XCTAssertNil(quote.previousClose)
        XCTAssertEqual(quote.quote.symbol, "BTC")
        XCTAssertEqual(quote.quote.price, 67000.1)
        XCTAssertEqual(quote.quote.ts, 1_717_000_000_000)
        XCTAssertEqual(quote.quote.volume, 28_123_456_789.5)
        XCTAssertEqual(quote.quote.changePercent, -1.25)
        XCTAssertEqual(quote.quote.change!, 67000.1 - 67000.1 / 0.9875, accuracy: 1e-9)
        XCTAssertEqual(hooks.endpoints.withLock { $0 }, ["/simple/price"])
        let request = try XCTUnwrap(self.server.requests(.coingecko).first)
        XCTAssertEqual(request.path, "/simple/price")
        XCTAssertEqual(request.query["ids"], "bitcoin")
        XCTAssertEqual(request.query["vs_currencies"], "usd")
        XCTAssertEqual(request.query["include_24hr_vol"], "true")
        XCTAssertEqual(request.query["include_24hr_change"], "true")
        XCTAssertEqual(request.query["include_last_updated_at"], "true")
        XCTAssertEqual(request.headers["x-cg-demo-api-key"], self.secret, "the key goes in the demo header")
        XCTAssertFalse(request.rawQuery.contains(self.secret))
        XCTAssertTrue(self.logs.text.contains("provider request"), "requests are logged")
        XCTAssertFalse(self.logs.text.contains(self.secret))
    }

    func testBarsAreFoldedFromChartPricesWithZeroVolume() async throws {
        let hooks = BeforeRequestLog()
        let may29: Int64 = 1_716_940_800_000
        let bars = try await self.provider().bars(
            UpstreamSymbol(symbol: "BTC", id: "bitcoin"), interval: .hour1, from: may29, to: self.now,
            call: hooks.call(key: nil))
        XCTAssertEqual(
            bars,
            [
                Bar(ts: may29, open: 67000, high: 67100, low: 66900, close: 66900, volume: 0),
                Bar(ts: may29 + 3_600_000, open: 67200, high: 67300, low: 67200, close: 67300, volume: 0),
            ], "the point at `to` is excluded")
        let request = try XCTUnwrap(self.server.requests(.coingecko).first)
        XCTAssertEqual(request.path, "/coins/bitcoin/market_chart")
        XCTAssertEqual(request.query["days"], "1")
        XCTAssertEqual(request.query["vs_currency"], "usd")
        XCTAssertNil(request.headers["x-cg-demo-api-key"], "the key is optional")
        XCTAssertEqual(hooks.endpoints.withLock { $0 }, ["/coins/{id}/market_chart"])

        for (interval, from) in [(Interval.minute1, may29), (.minute5, may29 - 86_400_000), (.week1, may29)] {
            do {
                _ = try await self.provider().bars(
                    UpstreamSymbol(symbol: "BTC", id: "bitcoin"), interval: interval, from: from, to: self.now,
                    call: ProviderCall())
                XCTFail("\(interval) is finer than the chart's points")
            } catch let error as ProviderError {
                XCTAssertEqual(Self.kind(error), "unsupported")
            }
        }
        do {
            _ = try await self.provider().bars(
                UpstreamSymbol(symbol: "XYZ", id: "no-such-coin"), interval: .day1, from: may29, to: self.now,
                call: ProviderCall())
            XCTFail("an unknown coin")
        } catch let error as ProviderError {
            XCTAssertEqual(error, .unknownSymbol("XYZ"))
        }
        self.server.setFault(.emptyResult, for: "/coingecko")
        let none = try await self.provider().bars(
            UpstreamSymbol(symbol: "BTC", id: "bitcoin"), interval: .day1, from: may29, to: self.now,
            call: ProviderCall())
        XCTAssertEqual(none, [])
    }

    func testResolvePicksTheHighestMarketCapAmongDuplicateSymbols() async throws {
        let hooks = BeforeRequestLog()
        let provider = self.provider()
        let coins = try await provider.coinList(call: hooks.call(key: self.secret))
        XCTAssertEqual(coins.count, 5)
        XCTAssertEqual(coins[1], CoinGeckoCoin(id: "ethereum-wormhole", symbol: "eth", name: "Ethereum (Wormhole)"))
        let ids = try await provider.resolve(["BTC", "eth", "DOGE"], call: hooks.call(key: self.secret))
        XCTAssertEqual(ids, ["BTC": "bitcoin", "ETH": "ethereum"])
        XCTAssertEqual(hooks.endpoints.withLock { $0 }, ["/coins/list", "/coins/list", "/coins/markets"])
        let markets = try XCTUnwrap(self.server.requests(.coingecko).last)
        XCTAssertEqual(markets.path, "/coins/markets")
        XCTAssertEqual(markets.query["vs_currency"], "usd")
        XCTAssertEqual(
            Set((markets.query["ids"] ?? "").split(separator: ",").map(String.init)),
            ["ethereum-wormhole", "ethereum", "bridged-ether-starkgate"], "only the ambiguous symbol's coins")
        // No duplicates: no market request.
        self.server.clearRequests()
        let single = try await provider.resolve(["btc"], call: ProviderCall())
        XCTAssertEqual(single, ["BTC": "bitcoin"])
        XCTAssertEqual(self.server.requests().map(\.path), ["/coins/list"])
    }

    func testPingIsTheFreeHealthProbe() async throws {
        try await self.provider().ping()
        XCTAssertEqual(self.server.requests(.coingecko).map(\.path), ["/ping"])
        self.server.setFault(.serverError, for: "/coingecko/ping")
        do {
            try await self.provider().ping()
            XCTFail("a 500 fails the probe")
        } catch let error as ProviderError {
            XCTAssertEqual(error, .server(status: 500))
        }
    }

    func testFaultsMapToProviderErrorsWithoutLeakingTheKey() async throws {
        let provider = self.provider(timeout: 0.3)
        let cases =
            Self.commonFaults() + [
                (.quotaInBody, "rateLimited(nil)"),
                (.emptyResult, "unknownSymbol"),
            ]
        await self.assertFaults(route: "/coingecko", cases) { call in
            _ = try await provider.quote(UpstreamSymbol(symbol: "BTC", id: "bitcoin"), call: call)
        }
        await self.assertFaults(
            route: "/coingecko/coins", [(.quotaInBody, "rateLimited(nil)"), (.wrongTypes, "malformed")]
        ) {
            call in
            _ = try await provider.bars(
                UpstreamSymbol(symbol: "BTC", id: "bitcoin"), interval: .day1, from: 1_716_940_800_000, to: self.now,
                call: call)
        }
    }

    func testAThrowingBeforeRequestStopsTheCallBeforeAnyRequest() async throws {
        let hooks = BeforeRequestLog()
        do {
            _ = try await self.provider().resolve(["ETH"], call: hooks.call(key: nil, failing: true))
            XCTFail("the hook's error stops the call")
        } catch let error as ProviderError {
            XCTAssertEqual(Self.kind(error), "rateLimited(60)")
        }
        XCTAssertEqual(self.server.requests().count, 0)
    }
}
