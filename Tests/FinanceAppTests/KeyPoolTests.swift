import FinanceCore
import FinanceProviders
import FinanceStorage
import XCTest

@testable import FinanceApp

final class KeyPoolTests: XCTestCase {
    func testKeyIdsAreStableHashPrefixesAndMasked() {
        let key = ProviderKey(secret: "demo-key-0123456789")
        XCTAssertEqual(key.id.count, 8)
        XCTAssertEqual(key.id, ProviderKey(secret: "demo-key-0123456789").id, "stable")
        XCTAssertNotEqual(key.id, ProviderKey(secret: "demo-key-0123456788").id)
        XCTAssertEqual(ProviderKey.id(of: ""), "cbf29ce4", "FNV-1a's offset basis for no bytes")
        XCTAssertFalse(key.masked.contains("demo-key"), "the secret is never shown")
        XCTAssertFalse("\(key)".contains("0123456"))
        XCTAssertEqual(ProviderKey.keyFree.id, "public")
    }

    func testBudgetWindowsAndSpacing() {
        let t: Int64 = 1_704_153_600_000 + 61_500  // 2024-01-02 00:01:01.5
        let budget = ProviderBudget(perSecond: 30, perMinute: 60, perDay: 1_000, perMonth: 10_000)
        let windows = budget.windows(at: t)
        XCTAssertEqual(windows.map(\.kind), [.second, .minute, .day, .month])
        XCTAssertEqual(windows[0].start, t - 500)
        XCTAssertEqual(windows[1].start, 1_704_153_600_000 + 60_000)
        XCTAssertEqual(windows[2].start, 1_704_153_600_000)
        XCTAssertEqual(windows[3].start, 1_704_067_200_000, "2024-01-01")
        XCTAssertEqual(windows[3].end, 1_706_745_600_000, "2024-02-01")
        XCTAssertEqual(ProviderBudget(perMinute: 5).minimumSpacingMilliseconds, 12_000)
        XCTAssertEqual(ProviderBudget(perDay: 25).minimumSpacingMilliseconds, 3_456_000)
        XCTAssertTrue(ProviderBudget().isUnlimited)
        XCTAssertEqual(ProviderBudget.defaults(for: "polygon").perMinute, 5)
        XCTAssertEqual(ProviderBudget.defaults(for: "alphavantage").perDay, 25)
    }

    func testKeysRotateAndFailuresParkDisableOrRestrictThem() async throws {
        let clock = TestClock(1_704_153_600_000)
        let store = MemoryStore()
        let keys = [ProviderKey(secret: "key-a"), ProviderKey(secret: "key-b")]
        let pool = KeyPool(
            provider: "p", keys: keys, budget: ProviderBudget(), repository: store, clock: clock)
        let first = try await pool.key(for: .quote).key
        let second = try await pool.key(for: .quote).key
        XCTAssertEqual([first?.id, second?.id], [keys[0].id, keys[1].id], "requests rotate over the keys")

        try await pool.report(.rateLimited(retryAfterSeconds: 30, reason: "429"), key: keys[0], capability: .quote)
        for _ in 0..<3 {
            let rested = try await pool.key(for: .quote).key?.id
            XCTAssertEqual(rested, keys[1].id, "a parked key rests")
        }
        try await pool.report(.unauthorized("invalid key"), key: keys[1], capability: .quote)
        let none = try await pool.key(for: .quote)
        XCTAssertNil(none.key)
        XCTAssertEqual(none.retryAt, clock.nowMilliseconds() + 30_000, "when the parked key comes back")
        clock.advance(by: 30_000)
        let back = try await pool.key(for: .quote).key?.id
        XCTAssertEqual(back, keys[0].id, "back after Retry-After")

        try await pool.report(.planRestricted("candles"), key: keys[0], capability: .barsHistory)
        let barsKey = try await pool.key(for: .barsHistory).key
        XCTAssertNil(barsKey, "no key has bars in its plan or is enabled")
        let quoteKey = try await pool.key(for: .quote).key?.id
        XCTAssertEqual(quoteKey, keys[0].id, "other capabilities still work")

        // The states are persisted: a new pool on the same store (a restart) knows them.
        let restarted = KeyPool(
            provider: "p", keys: keys.reversed(), budget: ProviderBudget(), repository: store, clock: clock)
        let restartedBarsKey = try await restarted.key(for: .barsHistory).key
        XCTAssertNil(restartedBarsKey)
        let overview = try await restarted.overview()
        XCTAssertEqual(overview.map(\.keyId), [keys[1].id, keys[0].id])
        XCTAssertEqual(overview[0].disabledReason, "invalid key")
        XCTAssertEqual(overview[1].unavailable, ["barsHistory"])
        XCTAssertFalse(overview.contains { $0.key.contains("key-") }, "keys are masked")
        let share = await restarted.usableShare()
        XCTAssertEqual(share, 0.5)
    }

    func testBudgetsHoldAcrossPoolsAndParkASpentKey() async throws {
        let clock = TestClock(1_704_153_600_000 + 1_000)
        let store = MemoryStore()
        let key = ProviderKey(secret: "only")
        let budget = ProviderBudget(perMinute: 5)
        let a = KeyPool(provider: "p", keys: [key], budget: budget, repository: store, clock: clock)
        let b = KeyPool(provider: "p", keys: [key], budget: budget, repository: store, clock: clock)
        for i in 0..<5 { try await (i % 2 == 0 ? a : b).call(with: key).beforeRequest("/q") }
        do {
            try await a.call(with: key).beforeRequest("/q")
            XCTFail("the sixth request of the minute must be refused")
        } catch let error as ProviderError {
            XCTAssertEqual(
                error, .rateLimited(retryAfterSeconds: 59, reason: "the key's budget of 5 per minute is spent"))
        }
        let spent = try await a.key(for: .quote).key
        XCTAssertNil(spent, "the spent key is parked until the window ends")
        clock.advance(by: 59_000)
        let renewed = try await a.key(for: .quote).key
        XCTAssertNotNil(renewed)
        try await a.call(with: key).beforeRequest("/q")
    }

    func testKeyFreePoolsUseThePublicIdAndAreNeverDisabled() async throws {
        let pool = KeyPool(
            provider: "coingecko", keys: [], budget: ProviderBudget(perMinute: 30), repository: MemoryStore(),
            clock: TestClock(0))
        let key = try await pool.key(for: .quote).key
        XCTAssertEqual(key?.id, "public")
        XCTAssertNil(key?.secret)
        let changed = try await pool.report(.unauthorized("a key is required"), key: .keyFree, capability: .quote)
        XCTAssertFalse(changed)
        let stillUsable = try await pool.key(for: .quote).key
        XCTAssertNotNil(stillUsable)
    }
}
