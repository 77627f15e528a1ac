import FinanceApp
import FinanceTestSupport
import XCTest

@testable import FinanceCLI

/// `alerts.tiers.<tier>.maxAlerts` read from every layer into the server's settings, with its defaults and checks.
final class AlertSettingsTests: TemporaryFolderTestCase {
    func testQuotasDefaultPerTierAndAreReadFromTheFileAndTheEnvironment() async throws {
        let defaults = try await AppSettings.load(configFile: nil, overrides: [:], environment: [:])
        XCTAssertEqual(defaults.server.alertQuotas.maxAlerts, [.free: 20, .pro: 500, .enterprise: 100_000])
        let file = self.write(
            "c.yaml",
            """
            alerts:
              tiers:
                free:
                  maxAlerts: 5
            """)
        let settings = try await AppSettings.load(
            configFile: file, overrides: [:], environment: ["FINANCEHUB_ALERTS_TIERS_PRO_MAX_ALERTS": "50"])
        XCTAssertEqual(settings.server.alertQuotas.maxAlerts, [.free: 5, .pro: 50, .enterprise: 100_000])
        XCTAssertEqual(settings.warnings, [])
        do {
            _ = try await AppSettings.load(
                configFile: nil, overrides: [:], environment: ["FINANCEHUB_ALERTS_TIERS_FREE_MAX_ALERTS": "-1"])
            XCTFail("a negative quota must fail")
        } catch let failure as CLIFailure {
            XCTAssertTrue(failure.message.contains("alerts.tiers.free.maxAlerts"), failure.message)
        }
    }
}
