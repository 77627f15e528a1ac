import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import XCTest

/// The simulated feed's first-start history, through the application.
final class SimulatedHistoryAppTests: XCTestCase {
    private func dependencies(store: MemoryStore, historyDays: Int, lock: any JobLock) async throws -> AppDependencies {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let feed = SimulatedFeedSettings(
            seed: 5, ticksPerSecond: 4, instruments: [SimulatedInstrument.defaultWatchlist[0]],
            historyDays: historyDays)
        var dependencies = AppDependencies(
            storage: Storage(store),
            settings: ServerSettings(
                host: "127.0.0.1", port: 0, simulatedFeed: feed, analytics: LiveAnalyticsSettings(intervals: [])),
            logger: logger, auth: try await TestAuth.service(users: store))
        dependencies.jobLock = lock
        return dependencies
    }

    /// Waits until the history service has decided (written or skipped), at most 30 s.
    private static func settled(_ status: SimulatedHistoryStatus) async throws -> SimulatedHistoryStatus.State {
        for _ in 0..<600 {
            switch status.current {
            case .pending, .writing: try await Task.sleep(for: .milliseconds(50))
            default: return status.current
            }
        }
        return status.current
    }

    private static func rsi(_ client: some TestClientProtocol) async throws -> [Double?] {
        let response = try await client.send(.get, "/api/indicators/BTC?indicators=rsi:14&interval=1h")
        XCTAssertEqual(response.status, .ok, response.text)
        return try response.decode(IndicatorValuesDTO.self).values["rsi_14"] ?? []
    }

    func testAFirstStartWritesHistorySoIndicatorsHaveValuesAndASecondStartDoesNot() async throws {
        let lock = LocalJobLock()
        let cold = MemoryStore()
        let without = try await self.dependencies(store: cold, historyDays: 0, lock: lock)
        try await buildApplication(without).test(.router) { client in
            _ = try await Self.settled(without.simulatedHistory)
            try await Task.sleep(for: .milliseconds(500))
            let values = try await Self.rsi(client)
            XCTAssertTrue(values.allSatisfy { $0 == nil }, "live ticks alone make one hourly bar: no RSI")
        }

        let store = MemoryStore()
        let first = try await self.dependencies(store: store, historyDays: 1, lock: lock)
        try await buildApplication(first).test(.router) { client in
            let ready = try await client.send(.get, "/ready")
            XCTAssertEqual(ready.status, .ok, "ready does not wait for the history")
            let state = try await Self.settled(first.simulatedHistory)
            XCTAssertEqual(state, .written(bars: 1_440))
            let values = try await Self.rsi(client)
            XCTAssertGreaterThanOrEqual(values.compactMap { $0 }.count, 9, "a day of hourly bars gives RSI(14) values")
        }
        let history = try await store.bars(
            symbol: "BTC", series: .stored(.minute1), from: nil, to: nil, limit: 5_000, newestFirst: false)

        let second = try await self.dependencies(store: store, historyDays: 1, lock: lock)
        try await buildApplication(second).test(.router) { _ in
            let state = try await Self.settled(second.simulatedHistory)
            XCTAssertEqual(state, .skipped("the store already has data of the simulated symbols"))
        }
        let after = try await store.bars(
            symbol: "BTC", series: .stored(.minute1), from: nil, to: history.first.map { $0.ts + 86_400_000 },
            limit: 5_000, newestFirst: false)
        XCTAssertEqual(Array(after.prefix(1_440)), Array(history.prefix(1_440)), "the history was not written again")
    }
}
