import FinanceApp
import FinanceTestSupport
import XCTest

@testable import FinanceCLI

/// `ws.connectAttempts.*`, `ws.ban.*`, `auth.loginAttemptsPerMinute`, `http.trustedProxies` and `audit.*` read from
/// every layer into the server's settings, with their defaults and their checks.
final class AbuseSettingsTests: TemporaryFolderTestCase {
    func testDefaultsAreTheDocumentedOnes() async throws {
        let settings = try await AppSettings.load(configFile: nil, overrides: [:], environment: [:])
        let abuse = settings.server.abuse
        XCTAssertEqual(abuse.connectAttemptsPerIpPerMinute, 600)
        XCTAssertEqual(abuse.connectAttemptsPerUserPerMinute, 120)
        XCTAssertEqual(abuse.banThreshold, 20)
        XCTAssertEqual(abuse.banBaseSeconds, 60)
        XCTAssertEqual(abuse.loginAttemptsPerMinute, 5)
        XCTAssertEqual(abuse.trustedProxies, TrustedProxies())
        XCTAssertEqual(settings.server.audit.retentionDays, 90)
        XCTAssertEqual(settings.server.audit.bufferSize, 10_000)
    }

    func testEveryKeyIsReadFromTheFileAndTheEnvironment() async throws {
        let file = self.write(
            "c.yaml",
            """
            ws:
              connectAttempts:
                perIpPerMinute: 30
              ban:
                threshold: 4
            auth:
              loginAttemptsPerMinute: 3
            http:
              trustedProxies: [10.0.0.0/8, "::1"]
            audit:
              retentionDays: 0
            """)
        let settings = try await AppSettings.load(
            configFile: file, overrides: [:],
            environment: [
                "FINANCEHUB_WS_CONNECT_ATTEMPTS_PER_USER_PER_MINUTE": "7", "FINANCEHUB_WS_BAN_BASE_SECONDS": "5",
                "FINANCEHUB_AUDIT_BUFFER_SIZE": "500",
            ])
        let abuse = settings.server.abuse
        XCTAssertEqual(abuse.connectAttemptsPerIpPerMinute, 30)
        XCTAssertEqual(abuse.connectAttemptsPerUserPerMinute, 7)
        XCTAssertEqual(abuse.banThreshold, 4)
        XCTAssertEqual(abuse.banBaseSeconds, 5)
        XCTAssertEqual(abuse.loginAttemptsPerMinute, 3)
        XCTAssertEqual(abuse.trustedProxies.networks.map(\.description), ["10.0.0.0/8", "::1/128"])
        XCTAssertEqual(settings.server.audit.retentionDays, 0)
        XCTAssertEqual(settings.server.audit.bufferSize, 500)
        XCTAssertEqual(settings.warnings, [])
        let fromEnvironment = try await AppSettings.load(
            configFile: nil, overrides: [:], environment: ["FINANCEHUB_HTTP_TRUSTED_PROXIES": "192.0.2.0/24, fd00::/8"])
        XCTAssertEqual(
            fromEnvironment.server.abuse.trustedProxies.networks.map(\.description), ["192.0.2.0/24", "fd00::/8"])
    }

    func testBadValuesAreReportedByKeyAllAtOnce() async throws {
        do {
            _ = try await AppSettings.load(
                configFile: nil, overrides: [:],
                environment: [
                    "FINANCEHUB_HTTP_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal",
                    "FINANCEHUB_WS_CONNECT_ATTEMPTS_PER_IP_PER_MINUTE": "0", "FINANCEHUB_WS_BAN_THRESHOLD": "many",
                    "FINANCEHUB_AUTH_LOGIN_ATTEMPTS_PER_MINUTE": "-1", "FINANCEHUB_AUDIT_RETENTION_DAYS": "1e3",
                ])
            XCTFail("bad values must fail")
        } catch let failure as CLIFailure {
            for key in [
                "http.trustedProxies: 'proxy.internal' is not an IP address or CIDR block",
                "ws.connectAttempts.perIpPerMinute: expected an integer", "ws.ban.threshold: expected an integer",
                "auth.loginAttemptsPerMinute: expected an integer", "audit.retentionDays: expected an integer",
            ] {
                XCTAssertTrue(failure.message.contains(key), "\(key) in \(failure.message)")
            }
        }
    }
}
