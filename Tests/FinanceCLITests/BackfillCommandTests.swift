import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import XCTest

@testable import FinanceApp
@testable import FinanceCLI

/// `financehub backfill` end to end: the configured providers' real adapters over loopback HTTP against the fake
/// provider server (Polygon's fixture: three pages of AAPL daily bars, 2024-01-02 to 2024-01-09), into a temporary
/// SQLite file, with "now" pinned to 2024-06-15 so the fixture's dates lie within Polygon's two years.
final class BackfillCommandTests: TemporaryFolderTestCase {
    private var fake: FakeProviderServer!
    private let now = Timestamp.parse("2024-06-15T12:00:00Z")!

    override func setUp() async throws {
        self.fake = FakeProviderServer()
        _ = try await self.fake.start()
    }

    override func tearDown() async throws {
        await self.fake.stop()
    }

    /// A config file pointing every provider at the fake, with a Polygon key (and the others off).
    private func config(keys: Bool = true) -> String {
        var text = "providers:\n  preference: [polygon]\n"
        for provider in FakeProvider.allCases {
            text += "  \(provider.rawValue):\n    baseUrl: \(self.fake.baseURL(for: provider))\n"
            if provider == .polygon {
                if keys { text += "    keys: [polygon-secret-0001]\n" }
            } else {
                text += "    enabled: false\n"
            }
        }
        return self.write("hub.yaml", text)
    }

    private func backfill(_ arguments: [String], config: String? = nil) async -> Int32 {
        let database = "sqlite:" + self.path("hub.sqlite")
        return await CommandClock.$current.withValue(SettableClock(self.now)) {
            await FinanceHubCommand.run(
                arguments: ["backfill"] + arguments + ["--config", config ?? self.config(), "--database", database])
        }
    }

    func testBarsLandInTheStoreAsTheProvidersHistoryWithTheirAsset() async throws {
        let code = await self.backfill([
            "--symbol", "aapl", "--interval", "1d", "--from", "2024-01-01", "--to", "2024-06-01",
        ])
        XCTAssertEqual(code, 0)
        XCTAssertEqual(self.fake.requests(.polygon).count, 3, "the three pages of the fixture")
        XCTAssertEqual(
            self.fake.requests(.polygon).first?.path, "/v2/aggs/ticker/AAPL/range/1/day/1704067200000/1717199999999")
        let store = try SQLiteStore(path: self.path("hub.sqlite"))
        let bars = try await store.bars(
            symbol: "AAPL", series: .stored(.day1), from: nil, to: nil, limit: 100, newestFirst: false)
        XCTAssertEqual(
            bars.map(\.ts),
            ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"].map {
                Timestamp.parse($0)!
            })
        XCTAssertEqual(bars.first?.close, 185.64)
        let asset = try await store.asset("AAPL")
        XCTAssertEqual(asset.assetClass, .equity, "the asset exists, with its class")
        let source = try await store.source(of: "AAPL")
        XCTAssertEqual(source, "polygon", "the provider is recorded as the data's source")
        let usage = try await store.usage(provider: "polygon", from: 0, to: Int64.max, limit: 10)
        XCTAssertEqual(usage.count, 1, "the upstream call is in the usage log")
        try await store.close()
    }

    func testASecondRunOfAnEmptyRangeInTheSameProcessMakesNoUpstreamCall() async throws {
        // The fixture's bars are in January: March comes back empty.
        let arguments = ["--symbol", "AAPL", "--from", "2024-03-01", "--to", "2024-04-01"]
        let first = await self.backfill(arguments)
        XCTAssertEqual(first, 0, "an empty answer is not an error")
        let asked = self.fake.requests(.polygon).count
        XCTAssertGreaterThan(asked, 0)
        let second = await self.backfill(arguments)
        XCTAssertEqual(second, 0)
        XCTAssertEqual(self.fake.requests(.polygon).count, asked, "the empty range is remembered (in memory)")
        let inside = await self.backfill(["--symbol", "AAPL", "--from", "2024-03-10", "--to", "2024-03-20"])
        XCTAssertEqual(inside, 0)
        XCTAssertEqual(self.fake.requests(.polygon).count, asked, "nor a range inside it")
    }

    func testUsageErrorsExit64AndRuntimeErrorsExit1() async throws {
        for arguments in [
            ["--symbol", "AAPL", "--from", "yesterday"],
            ["--symbol", "AAPL", "--from", "2024-01-01", "--to", "2024-13-01"],
            ["--symbol", "AAPL", "--interval", "2m", "--from", "2024-01-01"],
            ["--symbol", "a b", "--from", "2024-01-01"],
            ["--symbol", "AAPL", "--from", "2024-02-01", "--to", "2024-01-01"],
            ["--symbol", "AAPL", "--from", "2024-02-01", "--to", "2024-02-01"],
            ["--symbol", "AAPL", "--from", "2024-07-01"],
        ] {
            let code = await self.backfill(arguments)
            XCTAssertEqual(code, 64, "\(arguments)")
        }
        XCTAssertEqual(self.fake.requests().count, 0)

        let noKeys = await self.backfill(
            ["--symbol", "AAPL", "--from", "2024-01-01", "--to", "2024-02-01"], config: self.config(keys: false))
        XCTAssertEqual(noKeys, 1, "no provider configured")
        let crypto = await self.backfill(["--symbol", "BTC", "--from", "2024-01-01", "--to", "2024-02-01"])
        XCTAssertEqual(crypto, 0, "polygon serves crypto too (the fake knows no X:BTCUSD: an empty answer)")
        XCTAssertEqual(self.fake.requests(.polygon).last?.path.contains("BTCUSD"), true, "as X:BTCUSD")

        self.fake.setFault(.serverError, for: "/polygon")
        let failed = await self.backfill(["--symbol", "MSFT", "--from", "2024-01-01", "--to", "2024-02-01"])
        XCTAssertEqual(failed, 1, "every provider failed")
        let message = BackfillCommand.message(
            ProvidersUnavailable(
                capability: .barsHistory,
                attempts: [
                    ProviderAttempt(provider: "polygon", outcome: "server_error", detail: "server error (HTTP 500)")
                ],
                retryAfterSeconds: 30), symbol: "MSFT")
        XCTAssertEqual(
            message,
            "no provider could answer for MSFT: polygon: server_error (server error (HTTP 500)); retry after 30 s; nothing was written"
        )
    }
}
