import FinanceApp
import FinanceCore
import FinanceTestSupport
import XCTest

/// The per-user and per-alert throttles with digests, and the runaway stop, on an injected time.
final class AlertThrottleTests: XCTestCase {
    private func notification(_ alertId: String, _ n: Int) -> AlertNotification {
        AlertNotification(
            alertId: alertId, name: alertId, symbol: "BTC", condition: "price_above", value: Double(n), price: nil,
            ts: t0, message: "\(alertId) #\(n)")
    }

    private let webhook = AlertChannel.webhook(url: "https://example.com/h", secret: "s")

    func testAnAlertBeyondItsLimitIsHeldAndDigestedPerChannelWhenTheWindowEnds() {
        var throttle = AlertThrottle(perUserPerMinute: 60, perAlertPerMinute: 3)
        var decisions: [AlertThrottle.Decision] = []
        for i in 0..<5 {
            decisions.append(
                throttle.admit(
                    self.notification("a", i), owner: "alice", channels: [.websocket, self.webhook],
                    now: t0 + Int64(i) * 1_000))
        }
        XCTAssertEqual(decisions, [.send, .send, .send, .held, .held])
        // Another alert of the same user still has room.
        XCTAssertEqual(
            throttle.admit(self.notification("b", 0), owner: "alice", channels: [.websocket], now: t0 + 5_000), .send)
        XCTAssertEqual(throttle.nextDigestAt, t0 + 60_000)
        XCTAssertEqual(throttle.dueDigests(now: t0 + 59_999), [])

        let digests = throttle.dueDigests(now: t0 + 60_000)
        XCTAssertEqual(digests.map(\.channel), [.websocket, self.webhook])
        XCTAssertEqual(digests.map(\.owner), ["alice", "alice"])
        XCTAssertEqual(digests[0].digest.alerts.map(\.message), ["a #3", "a #4"])
        XCTAssertEqual(digests[1].digest, digests[0].digest)
        XCTAssertNil(throttle.nextDigestAt)
        // The digest counted as 2 deliveries of `a` in the next window: one more fits, then it is held again.
        XCTAssertEqual(
            throttle.admit(self.notification("a", 5), owner: "alice", channels: [.websocket], now: t0 + 61_000), .send)
        XCTAssertEqual(
            throttle.admit(self.notification("a", 6), owner: "alice", channels: [.websocket], now: t0 + 62_000), .held)
        XCTAssertEqual(throttle.dueDigests(now: t0 + 120_000).map { $0.digest.alerts.count }, [1])
        // A quiet window ends with nothing; the next notification opens a fresh one.
        XCTAssertEqual(throttle.dueDigests(now: t0 + 180_000), [])
        for i in 0..<3 {
            XCTAssertEqual(
                throttle.admit(
                    self.notification("a", 10 + i), owner: "alice", channels: [.websocket], now: t0 + 300_000),
                .send)
        }
    }

    func testTheUserLimitCoversAllTheirAlertsAndOtherUsersAreApart() {
        var throttle = AlertThrottle(perUserPerMinute: 4, perAlertPerMinute: 10)
        let sent = (0..<10).map { i in
            throttle.admit(self.notification("a\(i)", i), owner: "alice", channels: [.websocket], now: t0 + Int64(i))
        }
        XCTAssertEqual(sent.filter { $0 == .send }.count, 4)
        XCTAssertEqual(
            throttle.admit(self.notification("x", 0), owner: "bob", channels: [.websocket], now: t0 + 20), .send)
        // A digest is due even when nothing else is admitted (the caller's timer asks).
        let digests = throttle.dueDigests(now: t0 + 60_000)
        XCTAssertEqual(digests.count, 1)
        XCTAssertEqual(digests[0].digest.alerts.map(\.alertId), ["a4", "a5", "a6", "a7", "a8", "a9"])
        // Six digested deliveries count in the next window: alice is over her 4 until it ends.
        XCTAssertEqual(
            throttle.admit(self.notification("a0", 99), owner: "alice", channels: [.websocket], now: t0 + 60_001), .held
        )
    }

    func testAnAlertFiringMoreThan15TimesIn3MinutesIsStopped() {
        var guardrail = RunawayGuard()
        for i in 0..<15 {
            XCTAssertNil(guardrail.record(alertId: "a", now: t0 + Int64(i) * 10_000), "firing \(i + 1)")
        }
        // The 16th within 3 minutes of the first.
        let notice = guardrail.record(alertId: "a", now: t0 + 179_999)
        XCTAssertEqual(notice?.alertId, "a")
        XCTAssertEqual(notice?.reason, "fired more than 15 times in 3 minutes")
        // Its count starts over; other alerts are apart.
        XCTAssertNil(guardrail.record(alertId: "a", now: t0 + 180_000))
        XCTAssertNil(guardrail.record(alertId: "b", now: t0 + 180_000))
    }

    func testFiringsSpreadOverMoreThan3MinutesAreNotARunaway() {
        var guardrail = RunawayGuard()
        // One every 12 s: 15 in any 3 minutes, never 16.
        for i in 0..<100 {
            XCTAssertNil(guardrail.record(alertId: "a", now: t0 + Int64(i) * 12_000), "firing \(i + 1)")
        }
        guardrail.sweep(now: t0 + 100 * 12_000 + 180_000)
        XCTAssertEqual(guardrail.trackedAlerts, 0)
    }
}
