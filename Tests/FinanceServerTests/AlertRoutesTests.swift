import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// `/api/alerts` over HTTP on a real SQLite file: the wire shape, secrets never shown and kept by a PUT that leaves
/// them out, ownership (another user's alert is a 404), quotas, and list and history paging.
final class AlertRoutesTests: TemporaryFolderTestCase {
    private static let fullBody = alertBody(
        name: #""BTC moves""#,
        conditions: #"[{"type":"price_crossing_up","value":70000},{"type":"rsi_oversold","interval":"1h"}]"#,
        extra: #"""
            "combine":"any","trigger":{"mode":"every_time","cooldownSeconds":300},"expiresAt":"2026-12-31T00:00:00Z",
            "channels":[{"type":"websocket"},{"type":"webhook","url":"https://hooks.example.com/fh","secret":"whsec-0123456789"},
            {"type":"email","to":"Alice@Example.COM"},{"type":"push","url":"https://ntfy.example.com/alice","format":"ntfy","token":"tk-secret-token"}],
            "message":"{{symbol}} crossed {{value}}"
            """#)

    func testCreateShowListUpdateDeleteOnTheWire() async throws {
        let changes = RecordedAlertChanges()
        // Email channels need a mail server; nothing listens there, so the confirmation code is never sent.
        let (app, store) = try await self.alertApp(changes: changes) {
            $0.alertDelivery.smtp = SMTPSettings(host: "127.0.0.1", port: 9, tls: .none, timeoutSeconds: 2)
        }
        try await app.test(.router) { client in
            let created = try await client.send(.post, "/api/alerts", json: Self.fullBody, token: aliceToken)
            XCTAssertEqual(created.status, .created, created.text)
            let alert = try XCTUnwrap(created.alert)
            XCTAssertEqual(created.headers[.location], "/api/alerts/\(alert.id)")
            XCTAssertFalse(created.text.contains("whsec-0123456789"), "the webhook secret is never shown")
            XCTAssertFalse(created.text.contains("tk-secret-token"), "the push token is never shown")
            let object = created.object
            XCTAssertTrue(object["id"] is String, "the id is a string")
            XCTAssertEqual(object["owner"] as? String, "alice")
            XCTAssertEqual(object["state"] as? String, "active")
            XCTAssertEqual((object["createdAt"] as? NSNumber)?.int64Value, alertNow)
            XCTAssertEqual(
                (object["expiresAt"] as? NSNumber)?.int64Value, 1_798_675_200_000, "times are integer milliseconds")
            XCTAssertEqual(alert.combine, .any)
            XCTAssertEqual(alert.trigger, AlertTriggerDocument(.everyTime(cooldownSeconds: 300)))
            XCTAssertEqual(alert.target.symbol, "BTC")
            XCTAssertEqual(
                alert.conditions,
                [
                    AlertConditionDocument(.priceCrossingUp(70_000)),
                    AlertConditionDocument(.rsiOversold(period: 14, level: 30, interval: .hour1)),
                ], "defaults are filled in and shown")
            let channels = try XCTUnwrap(object["channels"] as? [[String: Any]])
            XCTAssertEqual(channels.count, 4)
            XCTAssertEqual(channels[1]["secretSet"] as? Bool, true)
            XCTAssertNil(channels[1]["secret"])
            XCTAssertEqual(channels[2]["to"] as? String, "Alice@example.com", "the domain in lower case")
            XCTAssertEqual(channels[2]["confirmed"] as? Bool, false, "an address not confirmed yet")
            XCTAssertEqual(channels[3]["tokenSet"] as? Bool, true)
            XCTAssertNil(channels[3]["token"])
            XCTAssertEqual(alert.message, "{{symbol}} crossed {{value}}")

            let shown = try await client.send(.get, "/api/alerts/\(alert.id)", token: aliceToken)
            XCTAssertEqual(shown.status, .ok)
            XCTAssertEqual(shown.alert, alert)
            let list = try await client.send(.get, "/api/alerts", token: aliceToken)
            let listed = try list.decode(AlertPageDTO.self)
            XCTAssertEqual(listed.items, [alert])
            XCTAssertNil(listed.next)

            // A PUT that leaves the secret and the token out (the answer sent back, renamed) keeps the stored ones,
            // also for a webhook whose URL changed at the same position.
            var edited = created.object
            edited["name"] = "renamed"
            var sent = channels
            sent[1]["url"] = "https://hooks.example.com/moved"
            edited["channels"] = sent
            let body = String(decoding: try JSONSerialization.data(withJSONObject: edited), as: UTF8.self)
            let updated = try await client.send(.put, "/api/alerts/\(alert.id)", json: body, token: aliceToken)
            XCTAssertEqual(updated.status, .ok, updated.text)
            XCTAssertEqual(updated.alert?.name, "renamed")
            XCTAssertEqual(updated.alert?.createdAt, alertNow)
            let stored = try await store.alert(id: alert.id)
            XCTAssertEqual(
                stored.channels[1], .webhook(url: "https://hooks.example.com/moved", secret: "whsec-0123456789"))
            XCTAssertEqual(
                stored.channels[3],
                .push(url: "https://ntfy.example.com/alice", format: .ntfy, token: "tk-secret-token"))
            XCTAssertEqual(stored.name, "renamed")

            // An explicit null token removes it; a new secret replaces the old one.
            let replaced = alertBody(
                extra:
                    #""channels":[{"type":"push","url":"https://ntfy.example.com/alice","format":"ntfy","token":null},"#
                    + #"{"type":"webhook","url":"https://hooks.example.com/fh","secret":"another-secret"}]"#)
            let put = try await client.send(.put, "/api/alerts/\(alert.id)", json: replaced, token: aliceToken)
            XCTAssertEqual(put.status, .ok, put.text)
            XCTAssertEqual((put.object["channels"] as? [[String: Any]])?.first?["tokenSet"] as? Bool, false)
            let restored = try await store.alert(id: alert.id)
            XCTAssertEqual(
                restored.channels,
                [
                    .push(url: "https://ntfy.example.com/alice", format: .ntfy, token: nil),
                    .webhook(url: "https://hooks.example.com/fh", secret: "another-secret"),
                ])
            XCTAssertEqual(restored.conditions, [.priceAbove(100)], "a PUT replaces the definition")

            let deleted = try await client.send(.delete, "/api/alerts/\(alert.id)", token: aliceToken)
            XCTAssertEqual(deleted.status, .noContent)
            let gone = try await client.send(.get, "/api/alerts/\(alert.id)", token: aliceToken)
            XCTAssertEqual(gone.status, .notFound)
            let again = try await client.send(.delete, "/api/alerts/\(alert.id)", token: aliceToken)
            XCTAssertEqual(again.status, .notFound)
            XCTAssertEqual(
                changes.log.withLock { $0 },
                [
                    "saved \(alert.id) BTC moves", "saved \(alert.id) renamed", "saved \(alert.id) BTC over 100",
                    "deleted \(alert.id) alice",
                ], "the engine's seam hears of every stored change, and of nothing refused")
        }
    }

    func testStateFieldsAndRearming() async throws {
        let (app, store) = try await self.alertApp()
        try await app.test(.router) { client in
            let created = try await client.send(.post, "/api/alerts", json: alertBody(), token: aliceToken)
            let id = try XCTUnwrap(created.alert?.id)
            try await store.markAlertTriggered(id: id, at: alertNow + 1)
            let triggered = try await client.send(.get, "/api/alerts/\(id)", token: aliceToken)
            XCTAssertEqual(triggered.alert?.state, .triggered)
            XCTAssertEqual(triggered.alert?.triggeredAt, alertNow + 1)
            // Renaming keeps it triggered; a new threshold re-arms it.
            let renamed = try await client.send(
                .put, "/api/alerts/\(id)", json: alertBody(name: #""renamed""#), token: aliceToken)
            XCTAssertEqual(renamed.alert?.state, .triggered)
            let rearmed = try await client.send(
                .put, "/api/alerts/\(id)", json: alertBody(conditions: #"[{"type":"price_above","value":101}]"#),
                token: aliceToken)
            XCTAssertEqual(rearmed.alert?.state, .active)
            XCTAssertNil(rearmed.alert?.triggeredAt)
            // A runaway stop shows its reason until the owner enables the alert again.
            try await store.disableAlert(id: id, reason: "fired 16 times in 3 minutes", at: alertNow + 2)
            let stopped = try await client.send(.get, "/api/alerts/\(id)", token: aliceToken)
            XCTAssertEqual(stopped.alert?.state, .disabled)
            XCTAssertEqual(stopped.alert?.disabledReason, "fired 16 times in 3 minutes")
            let enabled = try await client.send(.put, "/api/alerts/\(id)", json: alertBody(), token: aliceToken)
            XCTAssertEqual(enabled.alert?.state, .active)
            XCTAssertNil(enabled.alert?.disabledReason)
            let off = try await client.send(
                .put, "/api/alerts/\(id)", json: alertBody(extra: #""enabled":false"#), token: aliceToken)
            XCTAssertEqual(off.alert?.state, .disabled)
            XCTAssertNil(off.alert?.disabledReason, "disabled by its owner")
        }
    }

    func testUsersSeeAndChangeOnlyTheirOwnAlerts() async throws {
        let (app, store) = try await self.alertApp()
        try await app.test(.router) { client in
            let created = try await client.send(.post, "/api/alerts", json: alertBody(), token: aliceToken)
            let id = try XCTUnwrap(created.alert?.id)
            _ = try await store.recordFiring(
                AlertFiring(
                    alertId: id, owner: "alice", ts: alertNow, symbol: "BTC", condition: "price_above", value: 100,
                    price: 101, event: "tick:1"), deliveries: [])
            let attempts: [(HTTPRequest.Method, String?)] = [(.get, nil), (.put, alertBody()), (.delete, nil)]
            for (method, body) in attempts {
                let r = try await client.send(method, "/api/alerts/\(id)", json: body, token: bobToken)
                XCTAssertEqual(r.status, .notFound, "\(method): another user's alert is not found")
                XCTAssertFalse(r.text.contains("alice"), "the answer does not say whose it is")
            }
            let missing = try await client.send(.get, "/api/alerts/no-such-alert", token: bobToken)
            XCTAssertEqual(missing.status, .notFound)
            let bobs = try await client.send(.get, "/api/alerts", token: bobToken)
            XCTAssertEqual(try bobs.decode(AlertPageDTO.self).items, [])
            let bobHistory = try await client.send(.get, "/api/alerts/history?alert=\(id)", token: bobToken)
            XCTAssertEqual(try bobHistory.decode(AlertHistoryPageDTO.self).items, [], "history is owner-scoped")
            let peek = try await client.send(.get, "/api/alerts?owner=alice", token: bobToken)
            XCTAssertEqual(peek.status, .forbidden)
            let unchanged = try await store.alert(id: id)
            XCTAssertEqual(unchanged.conditions, [.priceAbove(100)], "bob's PUT changed nothing")

            // Admins read any alert and its history, and change none.
            let adminRead = try await client.send(.get, "/api/alerts/\(id)")
            XCTAssertEqual(adminRead.status, .ok)
            XCTAssertEqual(adminRead.alert?.owner, "alice")
            let adminList = try await client.send(.get, "/api/alerts?owner=alice")
            XCTAssertEqual(try adminList.decode(AlertPageDTO.self).items.map(\.id), [id])
            let adminHistory = try await client.send(.get, "/api/alerts/history?alert=\(id)")
            XCTAssertEqual(try adminHistory.decode(AlertHistoryPageDTO.self).items.map(\.alertId), [id])
            let adminPut = try await client.send(.put, "/api/alerts/\(id)", json: alertBody())
            XCTAssertEqual(adminPut.status, .forbidden)
            let adminDelete = try await client.send(.delete, "/api/alerts/\(id)")
            XCTAssertEqual(adminDelete.status, .forbidden)
            let anonymous = try await client.send(.get, "/api/alerts", token: nil)
            XCTAssertEqual(anonymous.status, .unauthorized)
            let stillThere = try await client.send(.get, "/api/alerts/\(id)", token: aliceToken)
            XCTAssertEqual(stillThere.status, .ok)
        }
    }

    func testTierQuotaIs422AndWritesNothing() async throws {
        XCTAssertEqual(AlertQuotaSettings().maxAlerts, [.free: 20, .pro: 500, .enterprise: 100_000])
        let (app, store) = try await self.alertApp { $0.alertQuotas.maxAlerts[.free] = 3 }
        try await app.test(.router) { client in
            for i in 0..<3 {
                let r = try await client.send(
                    .post, "/api/alerts", json: alertBody(name: #""a\#(i)""#), token: aliceToken)
                XCTAssertEqual(r.status, .created, r.text)
            }
            let over = try await client.send(.post, "/api/alerts", json: alertBody(), token: aliceToken)
            XCTAssertEqual(over.status, .unprocessableContent)
            XCTAssertEqual(over.problemPointers, [""])
            XCTAssertTrue(over.problem?.detail.contains("alerts.tiers.free.maxAlerts") ?? false, over.text)
            let count = try await store.alertCount(owner: "alice")
            XCTAssertEqual(count, 3)
            let bob = try await client.send(.post, "/api/alerts", json: alertBody(), token: bobToken)
            XCTAssertEqual(bob.status, .created, "quotas are per user and tier")
            // Deleting one makes room again.
            let list = try await client.send(.get, "/api/alerts", token: aliceToken)
            let first = try XCTUnwrap(try list.decode(AlertPageDTO.self).items.first)
            _ = try await client.send(.delete, "/api/alerts/\(first.id)", token: aliceToken)
            let room = try await client.send(.post, "/api/alerts", json: alertBody(), token: aliceToken)
            XCTAssertEqual(room.status, .created)
        }
    }

    func testListPagesOldestFirstThroughNext() async throws {
        let (app, _) = try await self.alertApp()
        try await app.test(.router) { client in
            var ids: [String] = []
            for i in 0..<7 {
                let r = try await client.send(
                    .post, "/api/alerts", json: alertBody(name: #""a\#(i)""#), token: aliceToken)
                ids.append(try XCTUnwrap(r.alert?.id))
            }
            var seen: [String] = []
            var uri = "/api/alerts?limit=3"
            var pages = 0
            while pages < 10 {
                let r = try await client.send(.get, uri, token: aliceToken)
                XCTAssertEqual(r.status, .ok, r.text)
                let page = try r.decode(AlertPageDTO.self)
                XCTAssertLessThanOrEqual(page.items.count, 3)
                seen += page.items.map(\.id)
                pages += 1
                guard let next = page.next else { break }
                uri = "/api/alerts?limit=3&cursor=\(next)"
            }
            XCTAssertEqual(pages, 3)
            // All were created at the same instant: ordered by id.
            XCTAssertEqual(seen, ids.sorted())
            for bad in ["limit=0", "limit=1001", "cursor=%25%25"] {
                let r = try await client.send(.get, "/api/alerts?\(bad)", token: aliceToken)
                XCTAssertEqual(r.status, .unprocessableContent, bad)
            }
        }
    }

    func testHistoryPagesNewestFirstOwnerScoped() async throws {
        let (app, store) = try await self.alertApp()
        try await app.test(.router) { client in
            var made: [AlertDTO] = []
            for token in [aliceToken, aliceToken, bobToken] {
                let r = try await client.send(.post, "/api/alerts", json: alertBody(), token: token)
                made.append(try XCTUnwrap(r.alert))
            }
            let (a, b, c) = (made[0], made[1], made[2])
            // 25 firings of alice's two alerts (two per millisecond), 5 of bob's.
            for i in 0..<30 {
                let (alert, owner) = i < 25 ? ((i % 2 == 0 ? a : b).id, "alice") : (c.id, "bob")
                let recorded = try await store.recordFiring(
                    AlertFiring(
                        alertId: alert, owner: owner, ts: alertNow + Int64(i / 2), symbol: "BTC",
                        condition: "price_above", value: Double(i), price: 100 + Double(i), event: "e\(i)"),
                    deliveries: [])
                XCTAssertTrue(recorded)
            }
            var values: [Double] = []
            var uri = "/api/alerts/history?limit=10"
            var pages = 0
            while pages < 10 {
                let r = try await client.send(.get, uri, token: aliceToken)
                XCTAssertEqual(r.status, .ok, r.text)
                let page = try r.decode(AlertHistoryPageDTO.self)
                values += page.items.map(\.value)
                pages += 1
                guard let next = page.next else { break }
                uri = "/api/alerts/history?limit=10&cursor=\(next)"
            }
            XCTAssertEqual(pages, 3)
            XCTAssertEqual(values, (0..<25).reversed().map(Double.init), "newest first, only alice's")
            let one = try await client.send(.get, "/api/alerts/history?alert=\(b.id)", token: aliceToken)
            let items = try one.decode(AlertHistoryPageDTO.self).items
            XCTAssertEqual(items.map(\.value), stride(from: 23, through: 1, by: -2).map(Double.init))
            XCTAssertEqual(items.first?.price, 123)
            XCTAssertEqual(items.first?.condition, "price_above")
            XCTAssertEqual(items.first?.ts, alertNow + 11)
            let window = try await client.send(
                .get, "/api/alerts/history?from=\(alertNow + 2)&to=\(alertNow + 4)", token: aliceToken)
            XCTAssertEqual(try window.decode(AlertHistoryPageDTO.self).items.map(\.value), [7, 6, 5, 4])
            let bad = try await client.send(
                .get, "/api/alerts/history?from=\(alertNow + 5)&to=\(alertNow)&cursor=x&limit=0", token: aliceToken)
            XCTAssertEqual(bad.status, .unprocessableContent)
            XCTAssertEqual(Set(bad.problemFields), ["from", "cursor", "limit"])
        }
    }
}
