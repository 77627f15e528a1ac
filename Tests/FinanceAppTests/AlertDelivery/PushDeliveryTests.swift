import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceTestSupport
import Foundation
import XCTest

/// Push to an ntfy-compatible and a Gotify-compatible server (a local receiver speaking for both).
final class PushDeliveryTests: XCTestCase {
    private var receiver: RecordingReceiver!
    private let clock = TestClock(t0)

    override func setUp() async throws {
        try await super.setUp()
        self.receiver = RecordingReceiver()
        try await self.receiver.start()
    }

    override func tearDown() async throws {
        await self.receiver.stop()
        try await super.tearDown()
    }

    private var deliverer: AlertDeliverer {
        DeliveryFixtures.deliverer(AlertDeliverySettings(allowPrivatePush: true), clock: self.clock)
    }

    func testNtfyGetsAJSONPublishToTheServerRootWithTheTopicFromTheURL() async throws {
        let outcome = await self.deliverer.deliver(
            DeliveryFixtures.delivery(
                "p-1", channel: .push(url: self.receiver.url("/fh-alerts"), format: .ntfy, token: "tk_123")))
        XCTAssertEqual(outcome, .delivered)
        let request = try XCTUnwrap(self.receiver.requests.first)
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.path, "/")
        XCTAssertEqual(request.header("Authorization"), "Bearer tk_123")
        let body = try XCTUnwrap(request.json as? [String: Any])
        XCTAssertEqual(body["topic"] as? String, "fh-alerts")
        XCTAssertEqual(body["title"] as? String, "FinanceHub alert: BTC breakout")
        XCTAssertEqual(body["message"] as? String, "BTC crossed 50000")
        XCTAssertEqual(body["priority"] as? Int, 4)

        // A server under a path keeps it; no token, no Authorization.
        _ = await self.deliverer.deliver(
            DeliveryFixtures.delivery(
                "p-2", channel: .push(url: self.receiver.url("/ntfy/team/"), format: .ntfy, token: nil)))
        let second = try XCTUnwrap(self.receiver.requests.last)
        XCTAssertEqual(second.path, "/ntfy/")
        XCTAssertNil(second.header("Authorization"))
        XCTAssertEqual((second.json as? [String: Any])?["topic"] as? String, "team")
    }

    func testGotifyGetsAMessageWithTheNotificationInExtrasAndTheTokenHeader() async throws {
        let outcome = await self.deliverer.deliver(
            DeliveryFixtures.delivery(
                "p-3", channel: .push(url: self.receiver.url("/gotify/"), format: .gotify, token: "AppToken.1")))
        XCTAssertEqual(outcome, .delivered)
        let request = try XCTUnwrap(self.receiver.requests.first)
        XCTAssertEqual(request.path, "/gotify/message")
        XCTAssertEqual(request.header("X-Gotify-Key"), "AppToken.1")
        let body = try XCTUnwrap(request.json as? [String: Any])
        XCTAssertEqual(body["title"] as? String, "FinanceHub alert: BTC breakout")
        XCTAssertEqual(body["message"] as? String, "BTC crossed 50000")
        XCTAssertEqual(body["priority"] as? Int, 8)
        let extras = try XCTUnwrap(body["extras"] as? [String: Any])
        let notification = try XCTUnwrap(extras["financehub::notification"] as? [String: Any])
        XCTAssertEqual(notification["type"] as? String, "alert")
        XCTAssertEqual(notification["alertId"] as? String, "a1")
        XCTAssertEqual(notification["price"] as? Double, 50_012.5)
        XCTAssertEqual(notification["ts"] as? Int64, t0)
    }

    func testADigestIsPushedAsOneMessage() async throws {
        let digest = try DeliveryPayload.digest(
            AlertDigest(alerts: [DeliveryFixtures.notification, DeliveryFixtures.notification])
        ).json
        let outcome = await self.deliverer.deliver(
            DeliveryFixtures.delivery(
                "p-4", channel: .push(url: self.receiver.url("/gotify"), format: .gotify, token: "t"), body: digest))
        XCTAssertEqual(outcome, .delivered)
        let body = try XCTUnwrap(self.receiver.requests.first?.json as? [String: Any])
        XCTAssertEqual(body["title"] as? String, "FinanceHub: 2 alerts")
        XCTAssertEqual(body["message"] as? String, "BTC crossed 50000\nBTC crossed 50000")
        let extras = body["extras"] as? [String: Any]
        XCTAssertEqual((extras?["financehub::notification"] as? [String: Any])?["type"] as? String, "alert_digest")
    }

    func testPrivatePushServersNeedTheirOwnSettingAndATopiclessNtfyURLFails() async throws {
        // Allowing private webhooks does not allow private push servers.
        let guarded = DeliveryFixtures.deliverer(AlertDeliverySettings(allowPrivateWebhooks: true), clock: self.clock)
        let refused = await guarded.deliver(
            DeliveryFixtures.delivery("p-5", channel: .push(url: self.receiver.url("/t"), format: .ntfy, token: nil)))
        guard case .failed(let error) = refused else { return XCTFail("\(refused)") }
        XCTAssertTrue(error.contains("alerts.allowPrivatePush"), error)
        XCTAssertEqual(self.receiver.requests.count, 0)

        let topicless = await self.deliverer.deliver(
            DeliveryFixtures.delivery("p-6", channel: .push(url: self.receiver.url("/"), format: .ntfy, token: nil)))
        XCTAssertEqual(topicless, .failed(error: "the ntfy URL names no topic (expected https://server/topic)"))
        let unreadable = await self.deliverer.deliver(
            DeliveryFixtures.delivery(
                "p-7", channel: .push(url: self.receiver.url("/t"), format: .ntfy, token: nil), body: "{}"))
        XCTAssertEqual(unreadable, .failed(error: "the notification is not readable JSON"))
        XCTAssertEqual(self.receiver.requests.count, 0)
    }
}
