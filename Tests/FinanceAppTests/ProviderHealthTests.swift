import FinanceProviders
import XCTest

@testable import FinanceApp

final class ProviderHealthTests: XCTestCase {
    func testAnErrorRateAboveHalfOverTheWindowOpensTheCircuit() {
        var health = ProviderHealth()
        var t: Int64 = 0
        // Alternating failures never make five in a row; eleven failures in twenty is above half.
        for i in 0..<19 {
            t += 100
            health.record(i % 2 == 0 ? .serverError : .success, latencyMs: 10, now: t)
        }
        XCTAssertEqual(health.circuit, .closed, "10 failures in 19: the window is not full yet")
        t += 100
        health.record(.success, latencyMs: 10, now: t)
        XCTAssertEqual(health.circuit, .closed, "10 in 20 is not above half")
        t += 100
        health.record(.timeout, latencyMs: nil, now: t)
        XCTAssertEqual(health.circuit, .closed, "still 10 in 20: the oldest failure left the window")
        t += 100
        health.record(.timeout, latencyMs: nil, now: t)
        XCTAssertEqual(health.circuit, .open(until: t + 30_000), "11 in 20")
    }

    func testKeyMattersAndAnswersAreNotFailures() {
        var health = ProviderHealth()
        for i in 0..<10 {
            health.record(i % 2 == 0 ? .rateLimited : .auth, latencyMs: 5, now: Int64(i))
            health.record(.rejected, latencyMs: 5, now: Int64(i))
        }
        XCTAssertEqual(health.circuit, .closed)
        XCTAssertEqual(health.score(headroom: 1, now: 10), 100)
        XCTAssertEqual(health.score(headroom: 0, now: 10), 50, "no usable key halves the score")
        XCTAssertEqual(health.minuteRequests, 20)
        XCTAssertEqual(health.minuteFailures, 0)
    }

    func testSlowAnswersLowerTheScore() {
        var health = ProviderHealth()
        for i in 0..<20 { health.record(.success, latencyMs: 3_000, now: Int64(i)) }
        XCTAssertEqual(health.score(headroom: 1, now: 20), 75, "p95 of 3 s: 1 - 2/8")
        XCTAssertEqual(health.minuteLatencyP95, 3_000)
    }

    func testOnlyOneHalfOpenProbeAtATime() {
        var health = ProviderHealth(settings: CircuitSettings(consecutiveFailures: 1, backoff: 1_000))
        health.record(.network, latencyMs: nil, now: 0)
        XCTAssertEqual(health.permit(now: 500), .denied(until: 1_000))
        XCTAssertEqual(health.permit(now: 1_000), .probe)
        XCTAssertEqual(health.permit(now: 1_001), .denied(until: 2_001), "a probe is under way")
        XCTAssertEqual(health.score(headroom: 1, now: 1_001), 0, "one failure in one")
        health.record(.success, latencyMs: 1, now: 1_100)
        XCTAssertEqual(health.permit(now: 1_200), .allowed)
        XCTAssertEqual(health.score(headroom: 1, now: 1_200), 100, "a closed circuit starts a new record")
    }
}
