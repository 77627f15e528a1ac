import FinanceCore
import FinanceStorage
import XCTest

/// Checks of `AlertRepository` and `EmailConfirmationRepository`: every condition and channel round-trips (secrets
/// included), quotas hold under concurrency, owner lists page by cursor, state fields and engine state persist.
extension StoreContract {
    /// An alert of `owner` created at `t0 + offset` holding every condition type and channel kind when `full`.
    public static func sampleAlert(_ id: String, owner: String, offset: Int64 = 0, full: Bool = false) -> Alert {
        let conditions: [AlertCondition] =
            full
            ? [
                .priceAbove(50_000.5), .priceBelow(0.000_123), .priceCrossingUp(1e30), .priceCrossingDown(42),
                .percentChange(percent: -2.5, window: .minutes(15)),
                .percentChange(percent: 3, window: .bars(20, .hour1)),
                .percentChange(percent: 1, window: .sincePreviousClose),
                .rsiOverbought(period: 14, level: 70, interval: .day1),
                .rsiOversold(period: 9, level: 25.5, interval: .minute5),
                .goldenCross(fast: 50, slow: 200, average: .sma, interval: .day1),
                .deathCross(fast: 9, slow: 21, average: .ema, interval: .hour1),
                .volumeAnomaly(ratio: 3.5, lookback: 20, interval: .minute15),
                .pattern(types: [.doubleTop, .bullFlag], status: .confirmed, interval: .hour1),
            ] : [.priceAbove(100)]
        let channels: [AlertChannel] =
            full
            ? [
                .websocket, .webhook(url: "https://hooks.example.com/a?b=c", secret: "s3cret-\u{e9}-\"quoted\""),
                .email(to: "alice@example.com"),
                .push(url: "https://ntfy.example.com/topic", format: .ntfy, token: "tk"),
                .push(url: "http://gotify.local/message", format: .gotify, token: nil),
            ] : [.websocket]
        return Alert(
            id: id, owner: owner, name: "alert \(id) — \u{1F4C8}", target: full ? .symbol("BRK.B") : .symbol("BTC"),
            conditions: conditions, combine: full ? .any : .all,
            trigger: full ? .everyTime(cooldownSeconds: 300) : .once, expiresAt: full ? t0 + day : nil,
            enabled: true, channels: channels, message: full ? "{{symbol}} at {{price}}\nline two" : nil,
            createdAt: t0 + offset)
    }

    @Sendable static func alertsCRUD(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let full = sampleAlert("a-full", owner: "alice", full: true)
        let created = try await store.createAlert(full, maxAlerts: 10)
        XCTAssertTrue(created)
        let read = try await store.alert(id: "a-full")
        XCTAssertEqual(read, full, "every field, condition and channel (with its secret) round-trips")
        await expectError(.conflict("alert a-full"), "the same id again") {
            _ = try await store.createAlert(sampleAlert("a-full", owner: "bob"), maxAlerts: 10)
        }
        await expectError(.notFound("alert nope"), "a missing alert") { _ = try await store.alert(id: "nope") }

        var portfolio = sampleAlert("a-port", owner: "alice", offset: 1)
        portfolio.target = .portfolio("p-1")
        portfolio.conditions = [
            .portfolioValueAbove(1_000_000), .portfolioValueBelow(0), .portfolioChange(percent: -5, windowMinutes: 60),
        ]
        portfolio.trigger = .oncePerBar(.day1)
        var sector = sampleAlert("a-sect", owner: "bob", offset: 2)
        sector.target = .sector("Information Technology")
        sector.conditions = [.sectorMove(percent: 2, windowMinutes: 1_440)]
        for alert in [portfolio, sector] { _ = try await store.createAlert(alert, maxAlerts: 10) }
        let readPortfolio = try await store.alert(id: "a-port")
        XCTAssertEqual(readPortfolio, portfolio)
        let readSector = try await store.alert(id: "a-sect")
        XCTAssertEqual(readSector, sector)
        let aliceCount = try await store.alertCount(owner: "alice")
        XCTAssertEqual(aliceCount, 2)

        // An update replaces everything but id, owner and createdAt.
        var changed = sampleAlert("a-full", owner: "mallory", offset: 99)
        changed.name = "renamed"
        changed.enabled = false
        changed.updatedAt = t0 + 5_000
        changed.triggeredAt = t0 + 4_000
        try await store.updateAlert(changed)
        var expected = changed
        expected.owner = "alice"
        expected.createdAt = full.createdAt
        let updated = try await store.alert(id: "a-full")
        XCTAssertEqual(updated, expected, "owner and createdAt are kept")
        await expectError(.notFound("alert ghost"), "updating a missing alert") {
            try await store.updateAlert(sampleAlert("ghost", owner: "alice"))
        }

        // State fields: a once alert's first firing is kept; a runaway stop disables with a reason.
        try await store.markAlertTriggered(id: "a-port", at: t0 + 10)
        try await store.markAlertTriggered(id: "a-port", at: t0 + 20)
        try await store.disableAlert(id: "a-sect", reason: "fired 16 times in 3 minutes", at: t0 + 30)
        try await store.markAlertTriggered(id: "ghost", at: t0)
        try await store.disableAlert(id: "ghost", reason: "x", at: t0)
        let triggered = try await store.alert(id: "a-port")
        XCTAssertEqual(triggered.triggeredAt, t0 + 10, "the first firing is kept")
        XCTAssertEqual(triggered.state(now: t0 + 100), .active, "only a `once` alert stays triggered")
        let stopped = try await store.alert(id: "a-sect")
        XCTAssertFalse(stopped.enabled)
        XCTAssertEqual(stopped.disabledReason, "fired 16 times in 3 minutes")
        XCTAssertEqual(stopped.updatedAt, t0 + 30)
        let enabled = try await store.enabledAlerts()
        XCTAssertEqual(enabled.map(\.id), ["a-port"], "disabled alerts are not loaded by the engine")

        try await store.deleteAlert(id: "a-port")
        await expectError(.notFound("alert a-port"), "a deleted alert") { _ = try await store.alert(id: "a-port") }
        await expectError(.notFound("alert a-port"), "deleting twice") { try await store.deleteAlert(id: "a-port") }
        let left = try await store.alertCount(owner: "alice")
        XCTAssertEqual(left, 1)
    }

    @Sendable static func alertsQuotaAndPaging(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        for i in 0..<3 {
            let created = try await store.createAlert(sampleAlert("q\(i)", owner: "quota"), maxAlerts: 3)
            XCTAssertTrue(created, "alert \(i) within the quota")
        }
        let over = try await store.createAlert(sampleAlert("q3", owner: "quota"), maxAlerts: 3)
        XCTAssertFalse(over, "the quota is reached")
        await expectError(.notFound("alert q3"), "nothing stored over the quota") {
            _ = try await store.alert(id: "q3")
        }
        let other = try await store.createAlert(sampleAlert("o0", owner: "other"), maxAlerts: 3)
        XCTAssertTrue(other, "quotas are per owner")

        // Concurrent creations never pass the quota.
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<12 {
                group.addTask { try await store.createAlert(sampleAlert("c\(i)", owner: "racer"), maxAlerts: 5) }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        XCTAssertEqual(results.filter { $0 }.count, 5, "exactly the quota succeeds")
        let racerCount = try await store.alertCount(owner: "racer")
        XCTAssertEqual(racerCount, 5)

        // 23 alerts, three per millisecond (ties broken by id), listed oldest first a page at a time.
        for i in 0..<23 {
            let id = "p" + String(100 + (i * 7) % 23)
            _ = try await store.createAlert(sampleAlert(id, owner: "pager", offset: Int64(i / 3)), maxAlerts: 1_000)
        }
        let all = try await store.alerts(owner: "pager", after: nil, limit: 1_000)
        XCTAssertEqual(all.count, 23)
        let sorted = all.sorted { a, b in
            a.createdAt != b.createdAt ? a.createdAt < b.createdAt : a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
        }
        XCTAssertEqual(all.map(\.id), sorted.map(\.id), "oldest first, ties by id")
        for pageSize in [1, 5, 7, 23, 50] {
            var pages: [Alert] = []
            var cursor: AlertCursor?
            for _ in 0..<100 {
                let page = try await store.alerts(owner: "pager", after: cursor, limit: pageSize)
                XCTAssertLessThanOrEqual(page.count, pageSize)
                pages += page
                guard let last = page.last else { break }
                cursor = AlertCursor(after: last)
            }
            XCTAssertEqual(pages.map(\.id), all.map(\.id), "pages of \(pageSize) add up to the list")
        }
        let none = try await store.alerts(owner: "nobody", after: nil, limit: 10)
        XCTAssertEqual(none, [])
    }

    @Sendable static func alertEngineStates(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        for id in ["s1", "s2"] { _ = try await store.createAlert(sampleAlert(id, owner: "alice"), maxAlerts: 10) }
        let empty = try await store.alertStates()
        XCTAssertEqual(empty, [:])
        try await store.saveAlertStates([
            "s1": ["side.0": 1, "last": 67_000.25], "s2": ["side.0": -1], "gone": ["x": 1],
        ])
        var states = try await store.alertStates()
        XCTAssertEqual(
            states, ["s1": ["side.0": 1, "last": 67_000.25], "s2": ["side.0": -1]], "unknown alerts dropped")
        try await store.saveAlertState(alertId: "s1", state: ["side.0": -1])
        try await store.saveAlertStates(["s2": [:]])
        states = try await store.alertStates()
        XCTAssertEqual(states, ["s1": ["side.0": -1]], "a save replaces the whole state; an empty one removes it")
        try await store.deleteAlert(id: "s1")
        states = try await store.alertStates()
        XCTAssertEqual(states, [:], "deleting an alert drops its state")
    }

    @Sendable static func emailConfirmations(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let (alice, address) = ("alice", "alice@example.com")
        var confirmed = try await store.isEmailConfirmed(owner: alice, address: address)
        XCTAssertFalse(confirmed)
        var ok = try await store.confirmEmail(owner: alice, address: address, codeHash: "h1", now: t0, maxAttempts: 3)
        XCTAssertFalse(ok, "no code was sent")
        try await store.storeEmailCode(owner: alice, address: address, codeHash: "h1", expiresAt: t0 + hour, now: t0)
        ok = try await store.confirmEmail(owner: "bob", address: address, codeHash: "h1", now: t0, maxAttempts: 3)
        XCTAssertFalse(ok, "another user's code")
        ok = try await store.confirmEmail(
            owner: alice, address: address, codeHash: "h1", now: t0 + hour, maxAttempts: 3)
        XCTAssertFalse(ok, "an expired code")
        for _ in 0..<3 {
            ok = try await store.confirmEmail(owner: alice, address: address, codeHash: "bad", now: t0, maxAttempts: 3)
            XCTAssertFalse(ok)
        }
        ok = try await store.confirmEmail(owner: alice, address: address, codeHash: "h1", now: t0, maxAttempts: 3)
        XCTAssertFalse(ok, "the right code after the allowed wrong attempts")
        // A new code resets the attempts.
        try await store.storeEmailCode(owner: alice, address: address, codeHash: "h2", expiresAt: t0 + hour, now: t0)
        ok = try await store.confirmEmail(owner: alice, address: address, codeHash: "h1", now: t0, maxAttempts: 3)
        XCTAssertFalse(ok, "the replaced code")
        ok = try await store.confirmEmail(owner: alice, address: address, codeHash: "h2", now: t0, maxAttempts: 3)
        XCTAssertTrue(ok)
        confirmed = try await store.isEmailConfirmed(owner: alice, address: address)
        XCTAssertTrue(confirmed)
        let bobs = try await store.isEmailConfirmed(owner: "bob", address: address)
        XCTAssertFalse(bobs, "confirmations are per user")
        // A later code (sent again) leaves the address confirmed.
        try await store.storeEmailCode(owner: alice, address: address, codeHash: "h3", expiresAt: t0 + hour, now: t0)
        confirmed = try await store.isEmailConfirmed(owner: alice, address: address)
        XCTAssertTrue(confirmed)
    }
}
