import FinanceCore
import FinanceStorage
import XCTest

/// Checks of `AuditRepository`: filters, order, cursor paging, idempotent appends and pruning.
extension StoreContract {
    /// An event at `t0 + offset` ms.
    static func auditEvent(
        _ id: String, _ offset: Int64, _ type: AuditEventType, user: String? = nil, ip: String? = nil,
        detail: String = ""
    ) -> AuditEvent {
        AuditEvent(id: id, ts: t0 + offset, type: type, user: user, ip: ip, detail: detail)
    }

    @Sendable static func auditAppendAndQuery(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let empty = try await store.auditEvents(AuditQuery(limit: 10))
        XCTAssertEqual(empty, [])
        let events = [
            auditEvent("e1", 0, .login, user: "alice", ip: "10.0.0.1", detail: "signed in"),
            auditEvent("e2", 1_000, .loginFailed, user: "bob", ip: "2001:db8::1", detail: "wrong password"),
            auditEvent("e3", 2_000, .connect, user: "alice", ip: "10.0.0.1", detail: "/ws"),
            auditEvent("e4", 2_000, .ban, ip: "10.0.0.9", detail: "20 violations"),
            auditEvent("e5", 3_000, .login, user: "bob", ip: "10.0.0.2"),
        ]
        try await store.appendAudit(events)
        // Written again (a retried batch), with one new event: each id is stored once, the first version kept.
        var changed = events[0]
        changed.detail = "changed"
        try await store.appendAudit([changed, auditEvent("e6", 4_000, .userDisabled, user: "carol")])
        let all = try await store.auditEvents(AuditQuery(limit: 100))
        XCTAssertEqual(all.map(\.id), ["e6", "e5", "e4", "e3", "e2", "e1"], "newest first, ties by id descending")
        XCTAssertEqual(all.last, events[0], "values round-trip; a repeated id keeps the first")
        XCTAssertNil(all.first { $0.id == "e4" }.flatMap(\.user), "an event without a user")
        XCTAssertEqual(all.first { $0.id == "e5" }?.detail, "")

        let alice = try await store.auditEvents(AuditQuery(user: "alice", limit: 100))
        XCTAssertEqual(alice.map(\.id), ["e3", "e1"], "by user")
        let logins = try await store.auditEvents(AuditQuery(type: .login, limit: 100))
        XCTAssertEqual(logins.map(\.id), ["e5", "e1"], "by type")
        let bobLogins = try await store.auditEvents(AuditQuery(user: "bob", type: .login, limit: 100))
        XCTAssertEqual(bobLogins.map(\.id), ["e5"], "by user and type")
        let window = try await store.auditEvents(AuditQuery(from: t0 + 1_000, to: t0 + 3_000, limit: 100))
        XCTAssertEqual(window.map(\.id), ["e4", "e3", "e2"], "from inclusive, to exclusive")
        let limited = try await store.auditEvents(AuditQuery(limit: 2))
        XCTAssertEqual(limited.map(\.id), ["e6", "e5"], "the newest `limit`")
        let nobody = try await store.auditEvents(AuditQuery(user: "dave", limit: 100))
        XCTAssertEqual(nobody, [])
    }

    @Sendable static func auditCursorPaging(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        // 40 events, four per millisecond (ties broken by id), two users, written in several batches.
        var events: [AuditEvent] = []
        for i in 0..<40 {
            let id = "id" + String(100 + (i * 7) % 40)
            let type: AuditEventType = i % 3 == 0 ? .connect : .authFailed
            let user = i % 2 == 0 ? "alice" : "bob"
            events.append(auditEvent(id, Int64(i / 4), type, user: user, ip: "10.0.0.\(i)"))
        }
        for start in stride(from: 0, to: 40, by: 9) {
            try await store.appendAudit(Array(events[start..<min(40, start + 9)]))
        }
        for base in [
            AuditQuery(limit: 7), AuditQuery(user: "alice", limit: 3), AuditQuery(type: .connect, limit: 1),
            AuditQuery(from: t0 + 2, to: t0 + 8, limit: 5),
        ] {
            var full = base
            full.limit = 1_000
            let expected = try await store.auditEvents(full)
            XCTAssertEqual(expected.count, events.filter(base.matches).count, "\(base)")
            var pages: [AuditEvent] = []
            var query = base
            for _ in 0..<100 {
                let page = try await store.auditEvents(query)
                XCTAssertLessThanOrEqual(page.count, base.limit)
                pages += page
                guard let last = page.last else { break }
                query.after = AuditCursor(after: last)
            }
            XCTAssertEqual(pages, expected, "pages of \(base.limit) add up to the whole, in order, once each")
        }
    }

    @Sendable static func auditPrune(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        try await store.appendAudit((0..<10).map { auditEvent("p\($0)", Int64($0) * day, .logout, user: "alice") })
        let pruned = try await store.pruneAudit(before: t0 + 4 * day)
        XCTAssertEqual(pruned, 4, "ts < before is deleted")
        let again = try await store.pruneAudit(before: t0 + 4 * day)
        XCTAssertEqual(again, 0)
        let left = try await store.auditEvents(AuditQuery(limit: 100))
        XCTAssertEqual(left.map(\.id), (4..<10).reversed().map { "p\($0)" })
        // A pruned id may be written again (it is a new event as far as the log knows).
        try await store.appendAudit([auditEvent("p0", 0, .logout)])
        let back = try await store.auditEvents(AuditQuery(type: .logout, limit: 100))
        XCTAssertEqual(back.count, 7)
    }
}
