import FinanceApp
import FinanceCore
import FinanceTestSupport
import Synchronization
import XCTest

/// `AbuseGuard` with an injected clock: connection-attempt limits, violations and doubling bans, sign-in
/// throttling, and the memory bound of every table.
final class AbuseGuardTests: XCTestCase {
    /// 2024-01-02 00:00 UTC, on a second boundary.
    private let t0: Int64 = 1_704_153_600_000

    private func make(_ settings: AbuseGuardSettings = AbuseGuardSettings()) -> (AbuseGuard, SettableClock) {
        let clock = SettableClock(self.t0)
        return (AbuseGuard(settings: settings, clock: clock), clock)
    }

    func testConnectAttemptsPerIpAreLimitedPerMinuteWithRetryAfter() {
        let (guardian, clock) = self.make()
        clock.advance(by: 500)
        for i in 0..<600 {
            XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.1"), .allowed, "attempt \(i + 1)")
        }
        XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.1"), .limited(retryAfterSeconds: 60))
        XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.2"), .allowed, "another address has its own count")
        clock.advance(by: 29_500)  // t0 + 30 s
        XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.1"), .limited(retryAfterSeconds: 30))
        clock.advance(by: 29_999)  // t0 + 59.999 s
        XCTAssertEqual(
            guardian.connectAttempt(ip: "192.0.2.1"), .limited(retryAfterSeconds: 1),
            "refused attempts are not counted, so the wait does not grow")
        clock.advance(by: 1)  // t0 + 60 s: the second of the 600 attempts has left the minute
        XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.1"), .allowed)
    }

    func testAttemptsSpreadOverTheMinuteFreeUpOneSecondAtATime() {
        let (guardian, clock) = self.make(AbuseGuardSettings(connectAttemptsPerIpPerMinute: 6))
        for _ in 0..<6 {
            XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.1"), .allowed)
            clock.advance(by: 10_000)
        }
        // Attempts at 0, 10, …, 50 s; now 60 s: the first has just left the minute.
        XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.1"), .allowed)
        XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.1"), .limited(retryAfterSeconds: 10))
    }

    func testAddressSpellingsAndIPv6NetworksShareOneCount() {
        let (guardian, _) = self.make(AbuseGuardSettings(connectAttemptsPerIpPerMinute: 2))
        XCTAssertEqual(guardian.connectAttempt(ip: "10.0.0.1"), .allowed)
        XCTAssertEqual(guardian.connectAttempt(ip: "::ffff:10.0.0.1"), .allowed, "IPv4-mapped is the same address")
        XCTAssertEqual(guardian.connectAttempt(ip: "10.0.0.1"), .limited(retryAfterSeconds: 60))
        // One /64: fresh addresses from it do not buy fresh starts.
        XCTAssertEqual(guardian.connectAttempt(ip: "2001:db8:1:2::1"), .allowed)
        XCTAssertEqual(guardian.connectAttempt(ip: "2001:DB8:1:2:ffff::9"), .allowed)
        XCTAssertEqual(guardian.connectAttempt(ip: "2001:db8:1:2:abcd::"), .limited(retryAfterSeconds: 60))
        XCTAssertEqual(guardian.connectAttempt(ip: "2001:db8:1:3::1"), .allowed, "another /64")
    }

    func testConnectAttemptsPerUser() {
        let (guardian, clock) = self.make()
        for _ in 0..<120 { XCTAssertEqual(guardian.connectAttempt(user: "alice"), .allowed) }
        XCTAssertEqual(guardian.connectAttempt(user: "alice"), .limited(retryAfterSeconds: 60))
        XCTAssertEqual(guardian.connectAttempt(user: "bob"), .allowed)
        clock.advance(by: 60_000)
        XCTAssertEqual(guardian.connectAttempt(user: "alice"), .allowed)
    }

    func testThresholdViolationsBanForBaseSecondsAndTheBanRunsOut() {
        let (guardian, clock) = self.make()
        let bans = Mutex<[AbuseBan]>([])
        guardian.onBan { ban in bans.withLock { $0.append(ban) } }
        for _ in 0..<19 {
            XCTAssertNil(guardian.recordViolation(.badToken, ip: "198.51.100.7", user: nil))
            clock.advance(by: 1_000)
        }
        XCTAssertNil(guardian.isBanned(ip: "198.51.100.7", user: nil), "19 violations are not a ban")
        let ban = guardian.recordViolation(.malformedFrame, ip: "198.51.100.7", user: nil)
        let expected = AbuseBan(
            key: .ip("198.51.100.7"), seconds: 60, until: self.t0 + 19_000 + 60_000, count: 1,
            violation: .malformedFrame)
        XCTAssertEqual(ban, expected)
        XCTAssertEqual(bans.withLock { $0 }, [expected], "the handler hears of it once")
        XCTAssertEqual(guardian.isBanned(ip: "198.51.100.7", user: nil), 60)
        XCTAssertEqual(guardian.isBanned(ip: "198.51.100.7", user: "someone"), 60, "the address is banned for anyone")
        XCTAssertNil(guardian.isBanned(ip: "198.51.100.8", user: nil))
        // Violations during the ban are not counted: no second ban, no longer ban.
        for _ in 0..<50 { XCTAssertNil(guardian.recordViolation(.flood, ip: "198.51.100.7", user: nil)) }
        clock.advance(by: 30_500)
        XCTAssertEqual(guardian.isBanned(ip: "198.51.100.7", user: nil), 30, "29.5 s left, rounded up")
        clock.advance(by: 29_500)
        XCTAssertNil(guardian.isBanned(ip: "198.51.100.7", user: nil))
        XCTAssertEqual(bans.withLock { $0.count }, 1)
    }

    func testViolationsOutsideOneMinuteDoNotAddUp() {
        let (guardian, clock) = self.make()
        for _ in 0..<19 { guardian.recordViolation(.flood, ip: "198.51.100.7", user: nil) }
        clock.advance(by: 60_000)
        for _ in 0..<19 {
            XCTAssertNil(guardian.recordViolation(.flood, ip: "198.51.100.7", user: nil))
        }
        XCTAssertNil(guardian.isBanned(ip: "198.51.100.7", user: nil))
        XCTAssertNotNil(guardian.recordViolation(.flood, ip: "198.51.100.7", user: nil), "the 20th within the minute")
    }

    func testRepeatBansDoubleUpToTheCapAndAreForgottenAfterTheMemory() {
        let (guardian, clock) = self.make(
            AbuseGuardSettings(banThreshold: 3, banBaseSeconds: 60, maxBanSeconds: 600, banMemorySeconds: 3_600))
        func banAgain() -> AbuseBan? {
            var ban: AbuseBan?
            for _ in 0..<3 { ban = guardian.recordViolation(.badToken, ip: nil, user: "mallory") ?? ban }
            return ban
        }
        var lengths: [Int] = []
        for _ in 0..<6 {
            guard let ban = banAgain() else { return XCTFail("no ban") }
            lengths.append(ban.seconds)
            XCTAssertEqual(guardian.isBanned(ip: nil, user: "mallory"), ban.seconds)
            clock.advance(by: Int64(ban.seconds) * 1_000)
            XCTAssertNil(guardian.isBanned(ip: nil, user: "mallory"))
        }
        XCTAssertEqual(lengths, [60, 120, 240, 480, 600, 600], "doubling, capped at maxBanSeconds")
        // Within the memory the count stays; after it a ban starts over.
        clock.advance(by: 3_599_000)
        XCTAssertEqual(banAgain()?.count, 7)
        clock.advance(by: 600_000 + 3_600_000)
        XCTAssertEqual(banAgain()?.seconds, 60)
    }

    func testAuthenticatedViolationsBanTheUserAndUnauthenticatedOnesTheAddress() {
        let (guardian, _) = self.make(AbuseGuardSettings(banThreshold: 2))
        guardian.recordViolation(.flood, ip: "203.0.113.5", user: "alice")
        let ban = guardian.recordViolation(.flood, ip: "203.0.113.5", user: "alice")
        XCTAssertEqual(ban?.key, .user("alice"))
        XCTAssertEqual(guardian.isBanned(ip: nil, user: "alice"), 60)
        XCTAssertEqual(guardian.isBanned(ip: "203.0.113.99", user: "alice"), 60, "wherever alice connects from")
        XCTAssertNil(guardian.isBanned(ip: "203.0.113.5", user: "bob"), "the address others share is not banned")
        guardian.recordViolation(.badToken, ip: "203.0.113.5", user: nil)
        XCTAssertEqual(guardian.recordViolation(.badToken, ip: "203.0.113.5", user: nil)?.key, .ip("203.0.113.5"))
        XCTAssertEqual(guardian.isBanned(ip: "203.0.113.5", user: "bob"), 60)
        XCTAssertNil(guardian.recordViolation(.badToken, ip: nil, user: nil), "nothing to count against")
        guardian.lift(.user("alice"))
        XCTAssertNil(guardian.isBanned(ip: nil, user: "alice"))
    }

    func testFailedSignInsAreThrottledPerUserAndPerAddress() {
        let (guardian, clock) = self.make()
        for i in 0..<5 {
            XCTAssertEqual(guardian.loginAllowed(user: "alice", ip: "192.0.2.1"), .allowed, "try \(i + 1)")
            guardian.loginFailed(user: "alice", ip: "192.0.2.1")
        }
        XCTAssertEqual(guardian.loginAllowed(user: "alice", ip: "192.0.2.1"), .limited(retryAfterSeconds: 60))
        XCTAssertEqual(
            guardian.loginAllowed(user: "ALICE", ip: "192.0.2.200"), .limited(retryAfterSeconds: 60),
            "per user, from anywhere, in any case")
        XCTAssertEqual(
            guardian.loginAllowed(user: "bob", ip: "192.0.2.1"), .limited(retryAfterSeconds: 60),
            "per address, for any user")
        XCTAssertEqual(guardian.loginAllowed(user: "bob", ip: "192.0.2.2"), .allowed)
        clock.advance(by: 20_000)
        XCTAssertEqual(guardian.loginAllowed(user: "alice", ip: nil), .limited(retryAfterSeconds: 40))
        // A success resets the user, not the address that failed five times.
        guardian.loginSucceeded(user: "Alice")
        XCTAssertEqual(guardian.loginAllowed(user: "alice", ip: "192.0.2.9"), .allowed)
        XCTAssertEqual(guardian.loginAllowed(user: "alice", ip: "192.0.2.1"), .limited(retryAfterSeconds: 40))
        clock.advance(by: 40_000)
        XCTAssertEqual(guardian.loginAllowed(user: "bob", ip: "192.0.2.1"), .allowed)
    }

    func testEveryTableStaysWithinItsBoundUnderAFloodOfKeys() {
        let (guardian, clock) = self.make(AbuseGuardSettings(banThreshold: 2, maxTrackedKeys: 100))
        for i in 0..<5_000 {
            let ip = "10.\(i / 65_536).\(i / 256 % 256).\(i % 256)"
            _ = guardian.connectAttempt(ip: ip)
            _ = guardian.connectAttempt(user: "u\(i)")
            guardian.loginFailed(user: "u\(i)", ip: ip)
            // One violation per address (counted), two per user (a ban each).
            guardian.recordViolation(.flood, ip: ip, user: nil)
            guardian.recordViolation(.badToken, ip: ip, user: "u\(i)")
            guardian.recordViolation(.badToken, ip: ip, user: "u\(i)")
            if i % 1_000 == 0 { clock.advance(by: 1_000) }
        }
        for (table, count) in guardian.trackedKeys {
            XCTAssertLessThanOrEqual(count, 100, table)
            XCTAssertGreaterThanOrEqual(count, 90, table)
        }
        // The most recent bans survive eviction (the ones that end first go first).
        XCTAssertEqual(guardian.isBanned(ip: nil, user: "u4999"), 60)
        XCTAssertNil(guardian.isBanned(ip: nil, user: "u0"), "forgotten to stay within the bound")
        // Once everything is idle and past the ban memory, a sweep empties the tables.
        clock.advance(by: 86_400_000 + 3_600_000)
        guardian.sweep()
        XCTAssertEqual(guardian.trackedKeys.values.reduce(0, +), 0, "\(guardian.trackedKeys)")
    }

    func testIdleEntriesAreEvictedBeforeActiveOnes() {
        let (guardian, clock) = self.make(AbuseGuardSettings(connectAttemptsPerIpPerMinute: 1, maxTrackedKeys: 10))
        XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.1"), .allowed)
        clock.advance(by: 61_000)
        for i in 2..<11 { XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.\(i)"), .allowed) }
        // Full: the idle 192.0.2.1 goes, every active one keeps its count.
        XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.11"), .allowed)
        XCTAssertEqual(guardian.trackedKeys["connectByIp"], 10)
        for i in 2..<12 { XCTAssertNotEqual(guardian.connectAttempt(ip: "192.0.2.\(i)"), .allowed, "\(i)") }
    }

    func testConcurrentAttemptsAllowExactlyTheLimit() async {
        let (guardian, _) = self.make(AbuseGuardSettings(connectAttemptsPerIpPerMinute: 500))
        let allowed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var n = 0
                    for _ in 0..<200 where guardian.connectAttempt(ip: "192.0.2.1") == .allowed { n += 1 }
                    return n
                }
            }
            return await group.reduce(0, +)
        }
        XCTAssertEqual(allowed, 500)
    }

    func testAClockThatGoesBackNeitherCrashesNorForgets() {
        let (guardian, clock) = self.make(AbuseGuardSettings(connectAttemptsPerIpPerMinute: 3))
        for _ in 0..<2 { XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.1"), .allowed) }
        clock.advance(by: -3_600_000)
        XCTAssertEqual(guardian.connectAttempt(ip: "192.0.2.1"), .allowed)
        guard case .limited(let wait) = guardian.connectAttempt(ip: "192.0.2.1") else {
            return XCTFail("the fourth attempt must be limited")
        }
        XCTAssertGreaterThan(wait, 0)
    }

    func testBanLengthsNeverOverflow() {
        let (guardian, clock) = self.make(
            AbuseGuardSettings(banThreshold: 1, banBaseSeconds: 86_400, maxBanSeconds: 86_400 * 365))
        var last = 0
        for _ in 0..<80 {
            guard let ban = guardian.recordViolation(.flood, ip: "192.0.2.1", user: nil) else {
                return XCTFail("no ban")
            }
            XCTAssertGreaterThanOrEqual(ban.seconds, last)
            XCTAssertLessThanOrEqual(ban.seconds, 86_400 * 365)
            last = ban.seconds
            clock.advance(by: Int64(ban.seconds) * 1_000)
        }
        XCTAssertEqual(last, 86_400 * 365)
    }
}
