import FinanceApp
import FinanceCore
import FinanceTestSupport
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
}
