import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import Logging
import XCTest

@testable import FinanceCLI

final class AnalyticsSettingsTests: XCTestCase {
    func testAnalyticsSettings() async throws {
        let defaults = try await AppSettings.load(configFile: nil, overrides: [:], environment: [:])
        XCTAssertEqual(defaults.server.analytics, LiveAnalyticsSettings(intervals: [.minute1, .hour1, .day1]))
        XCTAssertEqual(defaults.server.analytics.warmupBars, 300)
        XCTAssertEqual(defaults.server.analytics.maxSymbols, 1000)
        let s = try await AppSettings.load(
            configFile: nil, overrides: [:],
            environment: [
                "FINANCEHUB_ANALYTICS_INTERVALS": "1h, 1m,1h", "FINANCEHUB_ANALYTICS_WARMUP_BARS": "50",
                "FINANCEHUB_ANALYTICS_MAX_SYMBOLS": "20",
            ])
        XCTAssertEqual(s.server.analytics.intervals, [.minute1, .hour1])
        XCTAssertEqual(s.server.analytics.warmupBars, 50)
        XCTAssertEqual(s.server.analytics.maxSymbols, 20)
        let off = try await AppSettings.load(
            configFile: nil, overrides: ["analytics.intervals": "none"], environment: [:])
        XCTAssertEqual(off.server.analytics.intervals, [])
        do {
            _ = try await AppSettings.load(
                configFile: nil, overrides: [:],
                environment: [
                    "FINANCEHUB_ANALYTICS_INTERVALS": "1m,2h", "FINANCEHUB_ANALYTICS_WARMUP_BARS": "-1",
                    "FINANCEHUB_ANALYTICS_MAX_SYMBOLS": "0",
                ])
            XCTFail("invalid analytics settings must fail")
        } catch let failure as CLIFailure {
            XCTAssertTrue(failure.message.contains("analytics.intervals"), failure.message)
            XCTAssertTrue(failure.message.contains("analytics.warmupBars"), failure.message)
            XCTAssertTrue(failure.message.contains("analytics.maxSymbols"), failure.message)
        }
    }

    func testQuoteBookSettings() async throws {
        let defaults = try await AppSettings.load(configFile: nil, overrides: [:], environment: [:])
        XCTAssertEqual(defaults.server.quotes, QuoteBookSettings(maxSymbols: 10_000, maxAgeMilliseconds: 1_000))
        let s = try await AppSettings.load(
            configFile: nil, overrides: [:],
            environment: ["FINANCEHUB_QUOTES_MAX_SYMBOLS": "50", "FINANCEHUB_QUOTES_MAX_AGE_MS": "0"])
        XCTAssertEqual(s.server.quotes, QuoteBookSettings(maxSymbols: 50, maxAgeMilliseconds: 0))
        do {
            _ = try await AppSettings.load(
                configFile: nil, overrides: [:],
                environment: ["FINANCEHUB_QUOTES_MAX_SYMBOLS": "0", "FINANCEHUB_QUOTES_MAX_AGE_MS": "-5"])
            XCTFail("invalid quote book settings must fail")
        } catch let failure as CLIFailure {
            XCTAssertTrue(failure.message.contains("quotes.maxSymbols"), failure.message)
            XCTAssertTrue(failure.message.contains("quotes.maxAgeMs"), failure.message)
            XCTAssertFalse(failure.message.contains("-5"), "values are not echoed: \(failure.message)")
        }
    }

    /// Every memory bound is a setting: SQLite's page cache and readers, the buses' buffers, the signals kept.
    func testMemoryBoundSettingsReachWhatTheyBound() async throws {
        let defaults = try await AppSettings.load(configFile: nil, overrides: [:], environment: [:])
        XCTAssertEqual(defaults.sqliteCacheMiB, 128)
        XCTAssertEqual(defaults.sqliteReaders, 4)
        XCTAssertEqual(defaults.server.busBufferSize, 4096)
        XCTAssertEqual(defaults.server.recentSignals, 1000)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fh-bounds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let s = try await AppSettings.load(
            configFile: nil, overrides: ["database.url": "sqlite:\(folder.path)/db.sqlite"],
            environment: [
                "FINANCEHUB_DATABASE_PAGE_CACHE_MIB": "16", "FINANCEHUB_DATABASE_READERS": "2",
                "FINANCEHUB_BUS_BUFFER_SIZE": "64", "FINANCEHUB_ANALYTICS_RECENT_SIGNALS": "7",
            ])
        XCTAssertEqual(s.server.busBufferSize, 64)
        XCTAssertEqual(s.server.recentSignals, 7)
        let store = try await DatabaseOptions.parse([]).open(s, logger: Logger(label: "test"))
        let sqlite = try XCTUnwrap(store as? SQLiteStore)
        let effective = try await sqlite.settings()
        XCTAssertEqual(effective.cacheKiB, 16 * 1024)
        let auth = try await AuthService.make(settings: s.auth, users: store, clock: SystemClock())
        try await store.close()
        let dependencies = AppDependencies(
            store: store, settings: s.server, logger: Logger(label: "test"), auth: auth)
        XCTAssertEqual(dependencies.signals.capacity, 7)
        do {
            _ = try await AppSettings.load(
                configFile: nil, overrides: [:],
                environment: ["FINANCEHUB_DATABASE_PAGE_CACHE_MIB": "0", "FINANCEHUB_BUS_BUFFER_SIZE": "1"])
            XCTFail("out-of-range bounds must fail")
        } catch let failure as CLIFailure {
            XCTAssertTrue(failure.message.contains("database.pageCacheMib"), failure.message)
            XCTAssertTrue(failure.message.contains("bus.bufferSize"), failure.message)
        }
    }
}
