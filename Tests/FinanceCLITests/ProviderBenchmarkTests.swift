import FinanceProviderFakes
import Foundation
import Logging
import XCTest

@testable import FinanceCLI

/// `bench providers` in miniature: each scenario with small counts, so that CI runs the benchmark's code (its
/// figures are measured by the release build, not here).
final class ProviderBenchmarkTests: XCTestCase {
    private var folder: URL!
    private let logger: Logger = {
        var logger = Logger(label: "test.bench")
        logger.logLevel = .error
        return logger
    }()

    override func setUp() async throws {
        self.folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-providers-\(UUID())")
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(at: self.folder)
    }

    func testFailoverAnswersEveryRequestThroughTheSecondary() async throws {
        let config = ProviderBenchmark.FailoverConfig(requests: 40, concurrency: 4, timeoutSeconds: 0.3)
        let result = try await ProviderBenchmark.failover(config, folder: self.folder, logger: self.logger)
        XCTAssertEqual(result.healthy.succeeded, 40)
        XCTAssertEqual(result.healthy.sources, ["finnhub": 40], "a healthy primary answers everything")
        XCTAssertTrue(
            result.allSucceeded, "failures \(result.flaky.failures), wrong prices \(result.flaky.wrongPrices)")
        XCTAssertGreaterThan(result.flaky.sources["polygon", default: 0], 0, "the secondary took over")
        XCTAssertGreaterThan(result.flaky.primaryRequests, 0)
        XCTAssertLessThan(result.flaky.primaryScore, 100, "the primary's failures cost it score")
        var table = BenchTable()
        table.add(result)
        XCTAssertTrue(table.text.contains("added latency"), table.text)
        XCTAssertEqual(table.verdicts.count, 3)
    }

    func testBudgetsHoldEveryMinuteAndEveryRequestIsAccountedFor() async throws {
        let config = ProviderBenchmark.BudgetConfig(
            requests: 300, symbols: 10, perMinute: 5, minutes: 3, concurrency: 4)
        let result = try await ProviderBenchmark.budgets(config, folder: self.folder, logger: self.logger)
        XCTAssertEqual(result.perMinute.count, 3)
        XCTAssertEqual(
            result.perMinute.map { $0.values.max() ?? 0 }, [5, 5, 5],
            "10 symbols a minute want more than the budget: exactly 5 upstream calls a minute")
        XCTAssertEqual(result.perMinute.map(\.count), [1, 1, 1], "one key")
        XCTAssertTrue(result.withinBudget)
        XCTAssertTrue(result.accountedFor, "\(result)")
        XCTAssertGreaterThan(result.fromCache, 0)
        XCTAssertGreaterThan(result.unavailableWithRetryAfter, 0)
    }

    func testLiveIngestLosesNothingAcrossADropAndTheQuoteFollows() async throws {
        let config = ProviderBenchmark.LiveConfig(ratePerSecond: 500, symbols: 5, seconds: 1)
        let result = try await ProviderBenchmark.live(config, folder: self.folder, logger: self.logger)
        XCTAssertEqual(result.published, 500)
        XCTAssertGreaterThan(result.deliveredWhileConnected, 0)
        XCTAssertTrue(result.noLoss, "\(result.lostOnBus) lost on the bus, \(result.lostInStore) in the store")
        XCTAssertEqual(result.drops, 1)
        XCTAssertEqual(result.gaps, 1)
        XCTAssertFalse(result.lags.isEmpty)
        XCTAssertEqual(result.quotesFollowing, 5)
    }

    func testTheCommandPrintsATableAndRejectsBadOptions() async throws {
        let code = await FinanceHubCommand.run(arguments: [
            "bench", "providers", "--scenario", "budgets", "--budget-requests", "40", "--budget-symbols", "4",
            "--budget-minutes", "2", "--concurrency", "2",
        ])
        XCTAssertEqual(code, 0)
        for bad in [
            ["--timeout", "0"], ["--error-rate", "0.8", "--timeout-rate", "0.3"], ["--scenario", "nope"],
            ["--requests", "0"], ["--trade-seconds", "nan"],
        ] {
            let code = await FinanceHubCommand.run(arguments: ["bench", "providers"] + bad)
            XCTAssertEqual(code, 64, "\(bad)")
        }
    }

    func testTheFakeQuotesAnySymbolAtItsSyntheticPrice() {
        let finnhub = FakeFixtures.answer(
            provider: .finnhub, path: "/quote", query: ["symbol": "ZZZ"], port: 1, anySymbol: true)
        XCTAssertEqual(finnhub.status, 200)
        XCTAssertTrue(finnhub.body.contains("\"c\": \(FakeFixtures.syntheticPrice("ZZZ"))"), finnhub.body)
        let polygon = FakeFixtures.answer(
            provider: .polygon, path: "/v2/aggs/ticker/ZZZ/prev", query: [:], port: 1, anySymbol: true)
        XCTAssertTrue(polygon.body.contains("\"c\": \(FakeFixtures.syntheticPrice("ZZZ"))"), polygon.body)
        let unknown = FakeFixtures.answer(provider: .finnhub, path: "/quote", query: ["symbol": "ZZZ"], port: 1)
        XCTAssertTrue(unknown.body.contains("\"c\": 0"), "without anySymbol, unknown symbols stay unknown")
        XCTAssertEqual(FakeFixtures.syntheticPrice("ZZZ"), FakeFixtures.syntheticPrice("ZZZ"))
        XCTAssertTrue((10...999.99).contains(FakeFixtures.syntheticPrice("ZZZ")))
    }
}
