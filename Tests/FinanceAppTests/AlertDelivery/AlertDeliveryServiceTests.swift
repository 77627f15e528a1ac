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
        // The broken receiver's row first, so its first attempt is over long before the test ends.
        var rows = [
            DeliveryFixtures.delivery("broken", channel: .webhook(url: receiver.url("/broken"), secret: "s"), due: now)
        ]
        for i in 0..<30 {
            rows.append(DeliveryFixtures.delivery("ws-\(i)", channel: .websocket, owner: "user\(i % 3)", due: now))
            rows.append(
                DeliveryFixtures.delivery(
                    "wh-\(i)", channel: .webhook(url: receiver.url("/hook"), secret: "s"), due: now))
        }
        rows.append(
            DeliveryFixtures.delivery(
                "push-1", channel: .push(url: receiver.url("/topic"), format: .ntfy, token: nil), due: now))
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

    func testAThousandWebSocketNotificationsOfAHundredUsersLeaveWithinASecond() async throws {
        let clock = SystemClock()
        let now = clock.nowMilliseconds()
        let inbox = WebSocketInbox()
        let outbox = TestOutbox()
        let settings = AlertDeliverySettings()
        let service = AlertDeliveryService(
            outbox: outbox, deliverer: DeliveryFixtures.deliverer(settings, clock: clock, webSocket: inbox),
            settings: settings, clock: clock, logger: DeliveryFixtures.quietLogger)
        let running = Task { try await service.run() }
        // The service is idle in its poll when the burst arrives, as after a quiet spell.
        try await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        try await outbox.enqueue(
            (0..<1_000).map {
                DeliveryFixtures.delivery("ws-\($0)", channel: .websocket, owner: "user\($0 % 100)", due: now)
            })
        while inbox.all.count < 1_000 && ContinuousClock.now - started < .seconds(5) {
            try await Task.sleep(for: .milliseconds(5))
        }
        let elapsed = ContinuousClock.now - started
        running.cancel()
        _ = try? await running.value
        XCTAssertEqual(inbox.all.count, 1_000)
        XCTAssertEqual(Set(inbox.all.map(\.owner)).count, 100)
        // At most one poll interval (250 ms) of waiting, then the claims follow one another.
        XCTAssertLessThan(elapsed, .seconds(1))
        print("1,000 WebSocket deliveries through the in-memory outbox: \(elapsed)")
    }
}
