import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceTestSupport
import Foundation
import XCTest

/// The delivery service's loop over an outbox: claims, concurrent deliveries on every channel, outcomes.
final class AlertDeliveryServiceTests: XCTestCase {
    func testTheLoopDeliversEveryChannelAndRecordsTheOutcomes() async throws {
        let receiver = RecordingReceiver { _, path in (path == "/broken" ? 500 : 200, nil, .milliseconds(50)) }
        try await receiver.start()
        let clock = SystemClock()
        let now = clock.nowMilliseconds()
        let settings = AlertDeliverySettings(
            allowPrivateWebhooks: true, allowPrivatePush: true, concurrency: 8, pollInterval: .milliseconds(20))
        let inbox = WebSocketInbox()
        let outbox = TestOutbox()
        let service = AlertDeliveryService(
            outbox: outbox,
            deliverer: DeliveryFixtures.deliverer(settings, clock: clock, webSocket: inbox),
            settings: settings, clock: clock, logger: DeliveryFixtures.quietLogger)
        var rows: [OutboxDelivery] = []
        for i in 0..<30 {
            rows.append(DeliveryFixtures.delivery("ws-\(i)", channel: .websocket, owner: "user\(i % 3)", due: now))
            rows.append(
                DeliveryFixtures.delivery(
                    "wh-\(i)", channel: .webhook(url: receiver.url("/hook"), secret: "s"), due: now))
        }
        rows.append(
            DeliveryFixtures.delivery(
                "push-1", channel: .push(url: receiver.url("/topic"), format: .ntfy, token: nil), due: now))
        rows.append(
            DeliveryFixtures.delivery("broken", channel: .webhook(url: receiver.url("/broken"), secret: "s"), due: now))
        try await outbox.enqueue(rows)

        let running = Task { try await service.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while outbox.all.filter({ $0.status == .delivered }).count < 61 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        running.cancel()
        _ = try? await running.value
        await receiver.stop()

        XCTAssertEqual(outbox.all.filter { $0.status == .delivered }.count, 61)
        XCTAssertEqual(inbox.all.count, 30)
        XCTAssertEqual(inbox.all.filter { $0.owner == "user1" }.count, 10)
        XCTAssertEqual(inbox.all.first?.body, DeliveryFixtures.body)
        XCTAssertEqual(Set(receiver.requests.compactMap { $0.header("X-FinanceHub-Delivery") }).count, 31)
        // The broken receiver's row waits for its retry.
        let broken = try XCTUnwrap(outbox.row("broken"))
        XCTAssertEqual(broken.status, .pending)
        XCTAssertGreaterThanOrEqual(broken.attempts, 1)
        XCTAssertEqual(broken.lastError, "HTTP 500")
    }
}
