import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import Synchronization
import XCTest

@testable import FinanceProviders

final class PolygonProviderTests: FakeServerTestCase {
    let day: Int64 = 86_400_000
    /// 2024-01-02 and 2024-01-10, 00:00 UTC.
    let jan2: Int64 = 1_704_153_600_000
    let jan10: Int64 = 1_704_844_800_000

    func provider(timeout: Double = 2) -> PolygonProvider {
        PolygonProvider(
            client: self.client, baseURL: self.server.baseURL(for: .polygon), timeoutSeconds: timeout,
            logger: self.logs.logger)
    }

    func testBarsFollowNextURLAcrossThreePagesEachAfterBeforeRequest() async throws {
        let hooks = BeforeRequestLog()
        let bars = try await self.provider().bars(
            UpstreamSymbol(symbol: "AAPL"), interval: .day1, from: self.jan2, to: self.jan10,
            call: hooks.call(key: self.secret))
        let d = self.day
        XCTAssertEqual(
            bars,
            [
                Bar(ts: self.jan2, open: 187.15, high: 188.44, low: 183.885, close: 185.64, volume: 82_488_674),
                Bar(ts: self.jan2 + d, open: 184.22, high: 185.88, low: 183.43, close: 184.25, volume: 58_414_460),
                Bar(
                    ts: self.jan2 + 2 * d, open: 182.15, high: 183.0872, low: 180.88, close: 181.91, volume: 71_983_570),
                Bar(ts: self.jan2 + 3 * d, open: 181.99, high: 182.76, low: 180.17, close: 181.18, volume: 62_379_661),
                Bar(ts: self.jan2 + 6 * d, open: 182.085, high: 185.6, low: 181.5, close: 185.56, volume: 59_144_470),
                Bar(ts: self.jan2 + 7 * d, open: 185.1, high: 187.05, low: 183.62, close: 185.14, volume: 42_841_809),
            ], "day bars at 00:00 UTC; the third page's nanoseconds are converted")
        XCTAssertEqual(hooks.endpoints.withLock { $0 }, Array(repeating: "/v2/aggs/ticker/{T}/range", count: 3))
        let requests = self.server.requests(.polygon)
        XCTAssertEqual(requests.count, 3)
        XCTAssertEqual(requests.map { $0.query["cursor"] }, [nil, "page2", "page3"])
        XCTAssertEqual(requests[0].path, "/v2/aggs/ticker/AAPL/range/1/day/\(self.jan2)/\(self.jan10 - 1)")
        for request in requests {
            XCTAssertEqual(request.query["apiKey"], self.secret, "every page carries the key as apiKey")
            XCTAssertNil(request.headers["authorization"])
        }
        XCTAssertFalse(self.logs.text.contains(self.secret))

        let inner = try await self.provider().bars(
            UpstreamSymbol(symbol: "AAPL"), interval: .day1, from: self.jan2 + d, to: self.jan2 + 6 * d,
            call: ProviderCall(key: "k"))
        XCTAssertEqual(inner.map(\.ts), [self.jan2 + d, self.jan2 + 2 * d, self.jan2 + 3 * d], "[from, to)")
        let unknown = try await self.provider().bars(
            UpstreamSymbol(symbol: "NOPE"), interval: .day1, from: self.jan2, to: self.jan10,
            call: ProviderCall(key: "k"))
        XCTAssertEqual(unknown, [])
    }

    func testIntervalsMapToMultipliersAndTimespans() async throws {
        for (interval, part) in [
            (Interval.minute5, "/range/5/minute/"), (.hour4, "/range/4/hour/"), (.minute1, "/range/1/minute/"),
        ] {
            _ = try await self.provider().bars(
                UpstreamSymbol(symbol: "NOPE"), interval: interval, from: self.jan2, to: self.jan10,
                call: ProviderCall(key: "k"))
            XCTAssertTrue(self.server.requests(.polygon).last?.path.contains(part) ?? false, "\(interval)")
        }
        do {
            _ = try await self.provider().bars(
                UpstreamSymbol(symbol: "AAPL"), interval: .week1, from: self.jan2, to: self.jan10,
                call: ProviderCall(key: "k"))
            XCTFail("weeks are not offered")
        } catch let error as ProviderError {
            XCTAssertEqual(Self.kind(error), "unsupported")
        }
    }

    func testQuoteIsThePreviousClose() async throws {
        let hooks = BeforeRequestLog()
        let quote = try await self.provider().quote(UpstreamSymbol(symbol: "AAPL"), call: hooks.call(key: self.secret))
        XCTAssertEqual(quote.changeBasis, .previousClose)
        XCTAssertEqual(
            quote.quote,
            Quote(
                symbol: "AAPL", price: 194.03, ts: 1_717_185_600_000, open: 192.9, high: 195.0, low: 191.8,
                volume: 50_016_234))
        XCTAssertEqual(self.server.requests(.polygon).map(\.path), ["/v2/aggs/ticker/AAPL/prev"])
        XCTAssertEqual(hooks.endpoints.withLock { $0 }, ["/v2/aggs/ticker/{T}/prev"])
        do {
            _ = try await self.provider().quote(UpstreamSymbol(symbol: "NOPE"), call: ProviderCall(key: "k"))
            XCTFail("no results is an unknown symbol")
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
        await self.assertFaults(route: "/polygon", cases) { call in
            _ = try await provider.quote(UpstreamSymbol(symbol: "AAPL"), call: call)
        }
        await self.assertFaults(route: "/polygon", Self.commonFaults()) { call in
            _ = try await provider.bars(
                UpstreamSymbol(symbol: "AAPL"), interval: .day1, from: self.jan2, to: self.jan10, call: call)
        }
    }

    func testABeforeRequestThrowingOnTheSecondPageStopsThePagination() async throws {
        let calls = Mutex(0)
        let call = ProviderCall(key: "k") { _ in
            let n = calls.withLock {
                $0 += 1
                return $0
            }
            if n == 2 { throw ProviderError.rateLimited(retryAfterSeconds: 60, reason: "budget spent") }
        }
        do {
            _ = try await self.provider().bars(
                UpstreamSymbol(symbol: "AAPL"), interval: .day1, from: self.jan2, to: self.jan10, call: call)
            XCTFail("the hook's error stops the call")
        } catch let error as ProviderError {
            XCTAssertEqual(Self.kind(error), "rateLimited(60)")
        }
        XCTAssertEqual(self.server.requests(.polygon).count, 1, "the second page was never asked for")
        do {
            _ = try await self.provider().quote(
                UpstreamSymbol(symbol: "AAPL"), call: BeforeRequestLog().call(key: "k", failing: true))
            XCTFail("the hook's error stops the call")
        } catch is ProviderError {}
        XCTAssertEqual(self.server.requests(.polygon).count, 1)
    }

    func testNextURLIsFollowedOnTheConfiguredHostOnly() {
        XCTAssertEqual(
            PolygonProvider.pathAndQuery(of: "https://elsewhere.example/v2/aggs/ticker/AAPL/range/1/day/1/2?cursor=x"),
            "/v2/aggs/ticker/AAPL/range/1/day/1/2?cursor=x")
        XCTAssertEqual(PolygonProvider.pathAndQuery(of: "/v2/x?cursor=y"), "/v2/x?cursor=y")
        XCTAssertEqual(
            PolygonProvider.follow("https://api.polygon.io/v2/x?cursor=y", on: "https://api.polygon.io"),
            "https://api.polygon.io/v2/x?cursor=y")
        XCTAssertEqual(
            PolygonProvider.follow("https://evil.example/v2/x?cursor=y", on: "https://api.polygon.io"),
            "https://api.polygon.io/v2/x?cursor=y", "the key never goes to another host")
        XCTAssertEqual(
            PolygonProvider.follow("http://127.0.0.1:9/polygon/v2/x?cursor=y", on: "http://127.0.0.1:9/polygon"),
            "http://127.0.0.1:9/polygon/v2/x?cursor=y")
    }
}
