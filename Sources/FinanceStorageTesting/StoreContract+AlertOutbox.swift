import FinanceCore
import FinanceStorage
import XCTest

/// Checks of `AlertOutboxRepository` and the alert history: a firing event is recorded once, claims lease rows so
/// that concurrent claimers never share one, a lease that runs out is claimed again, outcomes count attempts; the
/// history reads newest first, owner-scoped, a page at a time.
extension StoreContract {
    static func firing(_ alertId: String, owner: String, _ offset: Int64, event: String, value: Double = 1)
        -> AlertFiring
    {
        AlertFiring(
            alertId: alertId, owner: owner, ts: t0 + offset, symbol: offset % 2 == 0 ? "BTC" : nil,
            condition: "price_crossing_up", value: value, price: offset % 2 == 0 ? 67_000.5 : nil, event: event)
    }

    static func delivery(
        _ id: String, alertId: String = "a1", owner: String = "alice", event: String? = nil, at offset: Int64 = 0,
        channel: AlertChannel = .websocket
    ) -> OutboxDelivery {
        OutboxDelivery(
            id: id, alertId: alertId, owner: owner, event: event, channel: channel,
            body: #"{"type":"alert","alertId":"\#(alertId)","test":false}"#, nextAttemptAt: t0 + offset,
            createdAt: t0 + offset)
    }

    @Sendable static func outboxDedupesFirings(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let webhook = AlertChannel.webhook(url: "https://hooks.example.com/x", secret: "hush")
        let first = try await store.recordFiring(
            firing("a1", owner: "alice", 0, event: "tick:1"),
            deliveries: [
                delivery("d1", event: "tick:1"), delivery("d2", event: "tick:1", channel: webhook),
            ])
        XCTAssertTrue(first)
        // The same event again (another instance, or a retry), even with other delivery ids: nothing is stored.
        let again = try await store.recordFiring(
            firing("a1", owner: "alice", 5, event: "tick:1", value: 2), deliveries: [delivery("d3", event: "tick:1")])
        XCTAssertFalse(again, "the same alert and event fire once")
        let otherAlert = try await store.recordFiring(
            firing("a2", owner: "alice", 6, event: "tick:1"), deliveries: [delivery("d4", alertId: "a2")])
        XCTAssertTrue(otherAlert, "the same event of another alert")
        let nextEvent = try await store.recordFiring(firing("a1", owner: "alice", 7, event: "tick:2"), deliveries: [])
        XCTAssertTrue(nextEvent)
        let history = try await store.alertHistory(AlertHistoryQuery(owner: "alice", alertId: "a1", limit: 10))
        XCTAssertEqual(history.map(\.firing.event), ["tick:2", "tick:1"])
        XCTAssertEqual(history.last?.firing, firing("a1", owner: "alice", 0, event: "tick:1"), "the first firing kept")
        let deliveries = try await store.deliveries(alertId: "a1", limit: 10)
        XCTAssertEqual(Set(deliveries.map(\.id)), ["d1", "d2"], "no delivery of the duplicate firing")
        XCTAssertEqual(deliveries.first { $0.id == "d2" }?.channel, webhook, "the channel keeps its secret")
        XCTAssertEqual(deliveries.first { $0.id == "d1" }, delivery("d1", event: "tick:1"), "values round-trip")

        // Concurrent firings of one event: exactly one wins.
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    try await store.recordFiring(
                        firing("race", owner: "bob", 0, event: "bar:1m:100"),
                        deliveries: [delivery("race-\(i)", alertId: "race", owner: "bob", event: "bar:1m:100")])
                }
            }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        XCTAssertEqual(wins, 1)
        let raced = try await store.deliveries(alertId: "race", limit: 10)
        XCTAssertEqual(raced.count, 1, "only the winner's deliveries are queued")

        // Deliveries of no firing, queued twice: stored once.
        try await store.enqueue([delivery("digest-1", at: 50), delivery("digest-2", at: 60)])
        try await store.enqueue([delivery("digest-1", at: 50)])
        let all = try await store.deliveries(alertId: "a1", limit: 10)
        XCTAssertEqual(all.map(\.id), ["digest-2", "digest-1", "d2", "d1"], "newest first")
        let limited = try await store.deliveries(alertId: "a1", limit: 1)
        XCTAssertEqual(limited.map(\.id), ["digest-2"])

        // Many firings in one transaction: a duplicate of the stored history or of an earlier record of the batch is
        // refused on its own; a `once` alert is marked triggered with its firing.
        var once = sampleAlert("once-1", owner: "alice")
        once.trigger = .once
        _ = try await store.createAlert(once, maxAlerts: 100)
        let batch = try await store.recordFirings([
            FiringRecord(
                firing: firing("once-1", owner: "alice", 10, event: "tick:9"),
                deliveries: [delivery("b1", alertId: "once-1", event: "tick:9")], triggersOnce: true),
            FiringRecord(firing: firing("a1", owner: "alice", 11, event: "tick:1"), deliveries: [delivery("b2")]),
            FiringRecord(firing: firing("a3", owner: "alice", 12, event: "tick:3"), deliveries: []),
            FiringRecord(
                firing: firing("a3", owner: "alice", 13, event: "tick:3"), deliveries: [delivery("b3", alertId: "a3")]),
        ])
        XCTAssertEqual(batch, [true, false, true, false])
        let triggered = try await store.alert(id: "once-1")
        XCTAssertEqual(triggered.triggeredAt, t0 + 10)
        let onceDeliveries = try await store.deliveries(alertId: "once-1", limit: 10)
        XCTAssertEqual(onceDeliveries.map(\.id), ["b1"])
        let refused = try await store.deliveries(alertId: "a3", limit: 10)
        XCTAssertEqual(refused, [], "no delivery of a refused record")
        let empty = try await store.recordFirings([])
        XCTAssertEqual(empty, [])
    }

    @Sendable static func outboxLeasesAndOutcomes(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        try await store.enqueue([
            delivery("late", at: 10_000), delivery("b", at: 20), delivery("a", at: 10), delivery("c", at: 20),
        ])
        let now = t0 + 100
        let none = try await store.claimDueDeliveries(now: t0 + 5, limit: 10, leaseMilliseconds: 1_000)
        XCTAssertEqual(none, [], "nothing due yet")
        let claimed = try await store.claimDueDeliveries(now: now, limit: 2, leaseMilliseconds: 1_000)
        XCTAssertEqual(claimed.map(\.id), ["a", "b"], "oldest due first, at most limit")
        XCTAssertEqual(claimed.map(\.nextAttemptAt), [now + 1_000, now + 1_000], "leased until now + lease")
        let rest = try await store.claimDueDeliveries(now: now, limit: 10, leaseMilliseconds: 1_000)
        XCTAssertEqual(rest.map(\.id), ["c"], "leased rows are not claimed again")
        let empty = try await store.claimDueDeliveries(now: now + 999, limit: 10, leaseMilliseconds: 1_000)
        XCTAssertEqual(empty, [], "while the leases run")

        try await store.completeDelivery(id: "a", outcome: .delivered, now: now + 10)
        try await store.completeDelivery(id: "b", outcome: .retry(error: "HTTP 503", at: now + 5_000), now: now + 10)
        // "c"'s holder crashed: its lease runs out and it is claimed again.
        let reclaimed = try await store.claimDueDeliveries(now: now + 1_000, limit: 10, leaseMilliseconds: 1_000)
        XCTAssertEqual(reclaimed.map(\.id), ["c"], "a lease that ran out is claimed again; a retry waits")
        try await store.completeDelivery(id: "c", outcome: .failed(error: "refused: private address"), now: now + 1_010)
        // A late report from the crashed holder changes nothing.
        try await store.completeDelivery(id: "c", outcome: .delivered, now: now + 1_020)
        await expectError(.notFound("delivery ghost"), "an unknown delivery") {
            try await store.completeDelivery(id: "ghost", outcome: .delivered, now: now)
        }

        let retried = try await store.claimDueDeliveries(now: now + 5_000, limit: 10, leaseMilliseconds: 1_000)
        XCTAssertEqual(retried.map(\.id), ["b"], "a retry is due at its time")
        XCTAssertEqual(retried.first?.attempts, 1)
        XCTAssertEqual(retried.first?.lastError, "HTTP 503")
        try await store.completeDelivery(id: "b", outcome: .delivered, now: now + 5_010)

        let rows = Dictionary(
            uniqueKeysWithValues: try await store.deliveries(alertId: "a1", limit: 10).map { ($0.id, $0) })
        XCTAssertEqual(rows["a"]?.status, .delivered)
        XCTAssertEqual(rows["a"]?.attempts, 1)
        XCTAssertEqual(rows["b"]?.status, .delivered)
        XCTAssertEqual(rows["b"]?.attempts, 2, "every attempt counted")
        XCTAssertNil(rows["b"]?.lastError)
        XCTAssertEqual(rows["c"]?.status, .failed)
        XCTAssertEqual(rows["c"]?.attempts, 1, "the late report counted nothing")
        XCTAssertEqual(rows["c"]?.lastError, "refused: private address")
        XCTAssertEqual(rows["c"]?.updatedAt, now + 1_010)
        XCTAssertEqual(rows["late"]?.status, .pending)
        let settled = try await store.claimDueDeliveries(now: t0 + 9_999, limit: 10, leaseMilliseconds: 1_000)
        XCTAssertEqual(settled, [], "settled rows are never claimed")
        let late = try await store.claimDueDeliveries(now: t0 + 10_000, limit: 10, leaseMilliseconds: 1_000)
        XCTAssertEqual(late.map(\.id), ["late"])
    }

    @Sendable static func outboxConcurrentClaimers(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let count = 300
        try await store.enqueue((0..<count).map { delivery("d\(1000 + $0)", at: Int64($0 % 17)) })
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var taken: [String] = []
                    while true {
                        let page = try await store.claimDueDeliveries(
                            now: t0 + 100, limit: 7, leaseMilliseconds: 60_000)
                        if page.isEmpty { return taken }
                        taken += page.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        XCTAssertEqual(ids.count, count, "every row claimed once")
        XCTAssertEqual(Set(ids).count, count, "no row claimed by two claimers")
    }

    @Sendable static func alertHistoryPaging(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        // 40 firings of three alerts of two owners, four per millisecond (ties broken by the row id).
        for i in 0..<40 {
            let alertId = ["h1", "h2", "h3"][i % 3]
            let owner = alertId == "h3" ? "bob" : "alice"
            _ = try await store.recordFiring(
                firing(alertId, owner: owner, Int64(i / 4), event: "e\(i)", value: Double(i)), deliveries: [])
        }
        for base in [
            AlertHistoryQuery(owner: "alice", limit: 7), AlertHistoryQuery(owner: "alice", alertId: "h2", limit: 3),
            AlertHistoryQuery(owner: "bob", from: t0 + 2, to: t0 + 8, limit: 2),
            AlertHistoryQuery(owner: nil, alertId: "h3", limit: 4),
            AlertHistoryQuery(owner: "bob", alertId: "h1", limit: 5),
        ] {
            var full = base
            full.limit = 1_000
            let expected = try await store.alertHistory(full)
            for (a, b) in zip(expected, expected.dropFirst()) {
                XCTAssertTrue(a.firing.ts > b.firing.ts || (a.firing.ts == b.firing.ts && a.id > b.id), "newest first")
            }
            for entry in expected { XCTAssertTrue(base.matches(entry), "\(entry) matches \(base)") }
            var pages: [AlertHistoryEntry] = []
            var query = base
            for _ in 0..<100 {
                let page = try await store.alertHistory(query)
                XCTAssertLessThanOrEqual(page.count, base.limit)
                pages += page
                guard let last = page.last else { break }
                query.after = AlertHistoryCursor(after: last)
            }
            XCTAssertEqual(pages, expected, "pages add up to the whole, \(base)")
        }
        let alice = try await store.alertHistory(AlertHistoryQuery(owner: "alice", limit: 1_000))
        XCTAssertEqual(alice.count, 27)
        XCTAssertEqual(Set(alice.map(\.firing.owner)), ["alice"], "owner-scoped")
        let crossOwner = try await store.alertHistory(AlertHistoryQuery(owner: "bob", alertId: "h1", limit: 10))
        XCTAssertEqual(crossOwner, [], "another owner's alert shows nothing")
        let window = try await store.alertHistory(
            AlertHistoryQuery(owner: "alice", from: t0 + 9, to: t0 + 10, limit: 10))
        XCTAssertEqual(
            window.map(\.firing.event), ["e39", "e37", "e36"], "from inclusive, to exclusive; ties newest first")
    }
}
