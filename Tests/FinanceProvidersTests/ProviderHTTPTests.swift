import AsyncHTTPClient
import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import XCTest

@testable import FinanceProviders

final class ProviderHTTPTests: FakeServerTestCase {
    func testAnUnreachableHostIsUnavailableWithoutTheKey() async throws {
        let stopped = FakeProviderServer()
        let port = try await stopped.start()
        await stopped.stop()
        let provider = FinnhubProvider(
            client: self.client, baseURL: "http://127.0.0.1:\(port)/finnhub", timeoutSeconds: 0.3,
            logger: self.logs.logger)
        do {
            _ = try await provider.quote(UpstreamSymbol(symbol: "AAPL"), call: ProviderCall(key: self.secret))
            XCTFail("nothing listens")
        } catch let error as ProviderError {
            XCTAssertEqual(Self.kind(error), "unavailable", self.logs.text)
            XCTAssertFalse(String(describing: error).contains(self.secret))
        }
        XCTAssertFalse(self.logs.text.contains(self.secret))
    }

    func testLatencyWithinTheTimeoutAnswersAndBeyondItTimesOut() async throws {
        let provider = FinnhubProvider(
            client: self.client, baseURL: self.server.baseURL(for: .finnhub), timeoutSeconds: 0.3)
        self.server.setFault(.latency(.milliseconds(50)))
        let quote = try await provider.quote(UpstreamSymbol(symbol: "AAPL"), call: ProviderCall(key: "k"))
        XCTAssertEqual(quote.quote.price, 261.74)
        self.server.setFault(.latency(.milliseconds(600)))
        let start = ContinuousClock.now
        do {
            _ = try await provider.quote(UpstreamSymbol(symbol: "AAPL"), call: ProviderCall(key: "k"))
            XCTFail("too slow")
        } catch let error as ProviderError {
            XCTAssertEqual(error, .timeout)
        }
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(550), "the timeout is the adapter's, per request")
    }

    func testRandomFaultsRepeatForASeed() async throws {
        func outcomes(seed: UInt64) async throws -> [String] {
            let server = FakeProviderServer(seed: seed)
            try await server.start()
            server.setFault(.random(serverErrorRate: 0.3, timeoutRate: 0.1))
            let provider = FinnhubProvider(
                client: self.client, baseURL: server.baseURL(for: .finnhub), timeoutSeconds: 0.2)
            var results: [String] = []
            for _ in 0..<20 {
                do {
                    _ = try await provider.quote(UpstreamSymbol(symbol: "AAPL"), call: ProviderCall(key: "k"))
                    results.append("ok")
                } catch let error as ProviderError {
                    results.append(Self.kind(error))
                }
            }
            await server.stop()
            return results
        }
        let first = try await outcomes(seed: 42)
        let second = try await outcomes(seed: 42)
        XCTAssertEqual(first, second)
        XCTAssertEqual(Set(first), ["ok", "server(500)", "timeout"], "\(first)")
    }

    func testTimesAndRedaction() {
        XCTAssertEqual(ProviderTime.isoMilliseconds("2024-06-03T12:00:00.000Z"), 1_717_416_000_000)
        XCTAssertEqual(ProviderTime.isoMilliseconds("2024-06-03T12:00:00.5Z"), 1_717_416_000_500)
        XCTAssertEqual(ProviderTime.isoMilliseconds("2024-06-03T14:00:00+02:00"), 1_717_416_000_000)
        XCTAssertEqual(ProviderTime.isoMilliseconds("2024-06-03T07:00:00-0500"), 1_717_416_000_000)
        XCTAssertEqual(ProviderTime.isoMilliseconds("2020-05-03T09:00:00Z"), 1_588_496_400_000)
        XCTAssertNil(ProviderTime.isoMilliseconds("2024-06-03"))
        XCTAssertNil(ProviderTime.isoMilliseconds("2024-06-03T25:00:00Z"))
        XCTAssertNil(ProviderTime.isoMilliseconds("yesterday"))
        XCTAssertEqual(ProviderTime.dayMilliseconds("1970-01-01"), 0)
        XCTAssertEqual(ProviderTime.dayMilliseconds("2024-02-29"), 1_709_164_800_000)
        XCTAssertNil(ProviderTime.dayMilliseconds("2024-13-01"))
        XCTAssertEqual(ProviderTime.dayString(1_709_164_800_000 + 5), "2024-02-29")
        XCTAssertEqual(ProviderHTTP.redacted("bad key SECRET, SECRET", key: "SECRET"), "bad key <key>, <key>")
        XCTAssertEqual(ProviderHTTP.redacted(String(repeating: "x", count: 300), key: nil).count, 201)
    }

    func testNonPositiveOrNonFinitePricesAreMalformed() {
        XCTAssertThrowsError(try Check.price(0, "price"))
        XCTAssertThrowsError(try Check.price(-1, "price"))
        XCTAssertThrowsError(try Check.price(.infinity, "price"))
        XCTAssertThrowsError(try Check.volume(-1, "volume"))
        XCTAssertEqual(try Check.price(1.5, "price"), 1.5)
    }
}

final class FakeProviderServerTests: FakeServerTestCase {
    func testTheLongestRouteFaultWinsOverShorterOnesAndTheGlobalOne() async throws {
        let provider = FinnhubProvider(client: self.client, baseURL: self.server.baseURL(for: .finnhub))
        let call = ProviderCall(key: "k")
        self.server.setFault(.serverError)
        self.server.setFault(.unauthorized, for: "/finnhub")
        self.server.setFault(.planRestricted, for: "/finnhub/stock/candle")
        var kinds: [String] = []
        for operation in [
            { _ = try await provider.quote(UpstreamSymbol(symbol: "AAPL"), call: call) },
            {
                _ = try await provider.bars(UpstreamSymbol(symbol: "AAPL"), interval: .day1, from: 0, to: 1, call: call)
            },
        ] as [@Sendable () async throws -> Void] {
            do {
                try await operation()
                kinds.append("ok")
            } catch let error as ProviderError {
                kinds.append(Self.kind(error))
            }
        }
        XCTAssertEqual(kinds, ["unauthorized", "planRestricted"])
        self.server.clearFaults()
        let quote = try await provider.quote(UpstreamSymbol(symbol: "AAPL"), call: call)
        XCTAssertEqual(quote.quote.price, 261.74)
        XCTAssertEqual(self.server.requests(.finnhub).map(\.path), ["/quote", "/stock/candle", "/quote"])
        XCTAssertEqual(self.server.requests(.polygon), [])
    }

    func testACancelledCallIsACancellationNotAProviderFailure() async throws {
        self.server.setFault(.neverAnswer)
        let provider = FinnhubProvider(
            client: self.client, baseURL: self.server.baseURL(for: .finnhub), timeoutSeconds: 5)
        let task = Task { try await provider.quote(UpstreamSymbol(symbol: "AAPL"), call: ProviderCall(key: "k")) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("cancelled")
        } catch {
            XCTAssertTrue(error is CancellationError, "\(error)")
        }
    }
}
