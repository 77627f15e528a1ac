import FinanceApp
import FinanceTestSupport
import Foundation
import XCTest

@testable import FinanceCLI

/// `alerts.*` delivery keys and `smtp.*` read into `AlertDeliverySettings`.
final class AlertDeliverySettingsTests: TemporaryFolderTestCase {
    func testDefaultsFileAndEnvironment() async throws {
        let defaults = try await AppSettings.load(configFile: nil, overrides: [:], environment: [:]).alertDelivery
        XCTAssertEqual(defaults, AlertDeliverySettings())
        XCTAssertEqual(defaults.webhookTimeoutSeconds, 5)
        XCTAssertEqual(defaults.maxAttempts, 6)
        XCTAssertFalse(defaults.allowPrivateWebhooks)
        XCTAssertEqual(defaults.testsPerMinute, 10)
        XCTAssertEqual(defaults.smtp.port, 587)
        XCTAssertEqual(defaults.smtp.tls, .starttls)

        let file = self.write(
            "c.yaml",
            """
            alerts:
              webhook:
                timeoutSeconds: 3
                maxAttempts: 4
              throttle:
                perUserPerMinute: 30
            smtp:
              host: mail.example.com
              port: 465
              tls: implicit
              username: alerts@example.com
              from: alerts@example.com
            """)
        let settings = try await AppSettings.load(
            configFile: file, overrides: [:],
            environment: [
                "FINANCEHUB_ALERTS_ALLOW_PRIVATE_WEBHOOKS": "true", "FINANCEHUB_SMTP_PASSWORD": "hunter2-secret",
                "FINANCEHUB_ALERTS_THROTTLE_PER_ALERT_PER_MINUTE": "5",
                "FINANCEHUB_ALERTS_THROTTLE_TESTS_PER_MINUTE": "3",
            ]
        ).alertDelivery
        XCTAssertEqual(settings.webhookTimeoutSeconds, 3)
        XCTAssertEqual(settings.maxAttempts, 4)
        XCTAssertTrue(settings.allowPrivateWebhooks)
        XCTAssertFalse(settings.allowPrivatePush)
        XCTAssertEqual(settings.perUserPerMinute, 30)
        XCTAssertEqual(settings.perAlertPerMinute, 5)
        XCTAssertEqual(settings.testsPerMinute, 3)
        XCTAssertEqual(settings.smtp.host, "mail.example.com")
        XCTAssertEqual(settings.smtp.port, 465)
        XCTAssertEqual(settings.smtp.tls, .implicit)
        XCTAssertEqual(settings.smtp.password, "hunter2-secret")
        XCTAssertEqual(settings.leaseMilliseconds, 60_000)
        // The password never shows in a description.
        XCTAssertFalse("\(settings.smtp)".contains("hunter2"))
        XCTAssertFalse("\(settings)".contains("hunter2"))
    }

    func testBadValuesAreReportedByKeyWithoutTheirValue() async throws {
        do {
            _ = try await AppSettings.load(
                configFile: nil, overrides: [:],
                environment: [
                    "FINANCEHUB_SMTP_TLS": "ssl", "FINANCEHUB_SMTP_FROM": "not an address",
                    "FINANCEHUB_ALERTS_WEBHOOK_MAX_ATTEMPTS": "0",
                ])
            XCTFail("loaded")
        } catch let failure as CLIFailure {
            XCTAssertTrue(
                failure.message.contains("smtp.tls: expected one of starttls, implicit, none"), failure.message)
            XCTAssertTrue(failure.message.contains("smtp.from: expected a plain address"), failure.message)
            XCTAssertTrue(failure.message.contains("alerts.webhook.maxAttempts"), failure.message)
            XCTAssertFalse(failure.message.contains("not an address"), failure.message)
        }
    }
}
