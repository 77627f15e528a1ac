import FinanceCore
import FinanceServer
import Foundation
import XCTest

@testable import FinanceCLI

/// The real `ws.*` and `ws.tiers.<tier>.*` sections read into the server's WebSocket settings.
final class WebSocketSettingsTests: XCTestCase {
    func testTierLimitsAndTheAuthTimeoutComeFromEveryLayerWithPerTierDefaults() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ws-\(UUID().uuidString).yaml")
        try """
        ws:
          authTimeoutSeconds: 2
          tiers:
            pro:
              maxSymbols: 700
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let settings = try await AppSettings.load(
            configFile: file.path, overrides: [:],
            environment: ["FINANCEHUB_WS_TIERS_FREE_MESSAGES_PER_SECOND": "4"])
        let session = settings.server.wsSession
        XCTAssertEqual(session.authTimeoutMilliseconds, 2_000)
        XCTAssertEqual(session.limits(.pro).maxSymbols, 700)
        XCTAssertEqual(session.limits(.pro).maxConnections, 10, "unset keys keep the tier's default")
        XCTAssertEqual(session.limits(.free).messagesPerSecond, 4)
        XCTAssertEqual(session.limits(.free).maxConnections, 3)
        XCTAssertEqual(session.limits(.enterprise), StreamTierLimits.defaults(.enterprise))
        XCTAssertEqual(
            StreamTierLimits.defaults(.enterprise),
            StreamTierLimits(
                maxConnections: 2_000, maxSymbols: 5_000, subscriptionsPerMinute: 1_000, messagesPerSecond: 100))
    }

    func testAnUnknownTierWarnsAndABadValueIsAConfigurationError() async throws {
        let gold = try await AppSettings.load(
            configFile: nil, overrides: [:], environment: ["FINANCEHUB_WS_TIERS_GOLD_MAX_SYMBOLS": "5"])
        XCTAssertEqual(gold.server.wsSession, StreamSessionSettings(), "no such tier: nothing changes")
        XCTAssertEqual(gold.warnings.count, 1)
        for (variable, key) in [
            ("FINANCEHUB_WS_TIERS_PRO_MAX_SYMBOLS", "ws.tiers.pro.maxSymbols"),
            ("FINANCEHUB_WS_AUTH_TIMEOUT_SECONDS", "ws.authTimeoutSeconds"),
        ] {
            do {
                _ = try await AppSettings.load(configFile: nil, overrides: [:], environment: [variable: "0"])
                XCTFail("\(variable)=0 was accepted")
            } catch {
                XCTAssertTrue("\(error)".contains(key), "\(variable): \(error)")
            }
        }
    }
}
