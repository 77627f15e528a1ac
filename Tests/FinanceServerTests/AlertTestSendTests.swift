import Crypto
import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// `POST /api/alerts/test` on a running server: the conditions read from data posted to `/api/ticks`, one signed
/// notification with `"test": true` per channel sent at once, nothing written (no history, no outbox row), its own
/// per-user limit, ownership and pointers into bad bodies.
final class AlertTestSendTests: XCTestCase {
    func testAWebhookTestSendArrivesSignedAndWritesNothing() async throws {
        let receiver = RecordingReceiver()
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        let fixture = try await StreamFixture.make { $0.alertDelivery.allowPrivateWebhooks = true }
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try await fixture.app.test(.live) { client in
            let (root, bob) = (fixture.tokens["root"]!, fixture.tokens["bob"]!)
            let tick = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"BTC","ts":\#(now),"price":101.5}]"#, token: root)
            XCTAssertEqual(tick.status, .created, tick.text)
            let alert = """
                {"name":"BTC over 100","target":{"symbol":"BTC"},"conditions":[{"type":"price_above","value":100}],
                 "channels":[{"type":"webhook","url":"\(receiver.url())","secret":"bob-webhook-secret"}]}
                """
            let created = try await client.send(.post, "/api/alerts", json: alert, token: bob)
            XCTAssertEqual(created.status, .created, created.text)
            let id = try XCTUnwrap(created.object["id"] as? String)

            let sent = try await client.send(.post, "/api/alerts/test", json: #"{"alertId":"\#(id)"}"#, token: bob)
            XCTAssertEqual(sent.status, .ok, sent.text)
            XCTAssertEqual(sent.object["matched"] as? Bool, true)
            XCTAssertEqual((sent.object["values"] as? [String: Any])?["price_above"] as? Double, 101.5)
            let deliveries = try XCTUnwrap(sent.object["deliveries"] as? [[String: Any]])
            XCTAssertEqual(deliveries.count, 1)
            XCTAssertEqual(deliveries.first?["channel"] as? String, "webhook")
            XCTAssertEqual(deliveries.first?["status"] as? String, "delivered")
            XCTAssertFalse(sent.text.contains("bob-webhook-secret"), "secrets are never answered")

            // It arrived before the answer: signed over "<timestamp>.<body>" with the channel's secret.
            let request = try XCTUnwrap(receiver.requests.first)
            XCTAssertEqual(receiver.requests.count, 1)
            let timestamp = try XCTUnwrap(request.header("X-FinanceHub-Timestamp"))
            let mac = HMAC<SHA256>.authenticationCode(
                for: Data("\(timestamp).".utf8) + request.body,
                using: SymmetricKey(data: Data("bob-webhook-secret".utf8)))
            XCTAssertEqual(
                request.header("X-FinanceHub-Signature"), "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
            let body = try XCTUnwrap(request.json as? [String: Any])
            XCTAssertEqual(body["type"] as? String, "alert")
            XCTAssertEqual(body["test"] as? Bool, true)
            XCTAssertEqual(body["alertId"] as? String, id)
            XCTAssertEqual(body["condition"] as? String, "price_above")
            XCTAssertEqual(body["value"] as? Double, 101.5)

            // A whole alert body that does not hold, its channels replaced: matched false from the same price.
            let inline = """
                {"alert":{"name":"BTC over 200","target":{"symbol":"BTC"},
                 "conditions":[{"type":"price_above","value":200},{"type":"price_below","value":150}]},
                 "channels":[{"type":"websocket"}]}
                """
            let missed = try await client.send(.post, "/api/alerts/test", json: inline, token: bob)
            XCTAssertEqual(missed.status, .ok, missed.text)
            XCTAssertEqual(missed.object["matched"] as? Bool, false)
            let values = try XCTUnwrap(missed.object["values"] as? [String: Any])
            XCTAssertEqual(values["price_above"] as? Double, 101.5)
            XCTAssertEqual(values["price_below"] as? Double, 101.5)
            let conditions = try XCTUnwrap(missed.object["conditions"] as? [[String: Any]])
            XCTAssertEqual(conditions.map { $0["matched"] as? Bool }, [false, true])
            XCTAssertEqual(
                (missed.object["deliveries"] as? [[String: Any]])?.map { $0["channel"] as? String }, ["websocket"])
            XCTAssertEqual(receiver.requests.count, 1, "the replaced channels were not sent to")
            let any = try await client.send(
                .post, "/api/alerts/test", json: inline.replacingOccurrences(of: "]},", with: #"],"combine":"any"},"#),
                token: bob)
            XCTAssertEqual(any.status, .ok, any.text)
            XCTAssertEqual(any.object["matched"] as? Bool, true, "one of the two holds")

            // Nothing written: no history, no outbox row.
            let history = try await client.send(.get, "/api/alerts/history", token: bob)
            XCTAssertEqual((history.object["items"] as? [[String: Any]])?.count, 0, history.text)
            let rows = try await fixture.dependencies.storage.alertOutbox.deliveries(alertId: id, limit: 10)
            XCTAssertEqual(rows.count, 0)
        }
    }

    func testAWebSocketTestSendReachesOnlyTheOwnersConnections() async throws {
        let fixture = try await StreamFixture.make()
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try await fixture.app.test(.live) { client in
            let (root, bob) = (fixture.tokens["root"]!, fixture.tokens["bob"]!)
            _ = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"BTC","ts":\#(now),"price":90}]"#, token: root)
            let port = client.port!
            let done = TestFlag()
            async let alice = WSConversation.run(port: port, headers: fixture.bearer("alice")) { ws in
                try await ws.subscribeToAlerts()
                while !done.isSet { try await Task.sleep(for: .milliseconds(10)) }
                XCTAssertTrue(ws.all("alert").isEmpty, "bob's test never reaches alice")
            }
            try await WSConversation.run(port: port, headers: fixture.bearer("bob")) { ws in
                try await ws.subscribeToAlerts()
                while fixture.hub.stats().subscriptions < 2 { try await Task.sleep(for: .milliseconds(10)) }
                let body =
                    #"{"alert":{"name":"BTC under 100","target":{"symbol":"BTC"},"conditions":[{"type":"price_below","value":100}]}}"#
                let sent = try await client.send(.post, "/api/alerts/test", json: body, token: bob)
                XCTAssertEqual(sent.status, .ok, sent.text)
                XCTAssertEqual(
                    (sent.object["deliveries"] as? [[String: Any]])?.first?["status"] as? String, "delivered")
                let message = try await ws.next("alert", timeout: .seconds(5))
                XCTAssertEqual(message?["test"] as? Bool, true)
                XCTAssertEqual(message?["condition"] as? String, "price_below")
                XCTAssertEqual(message?["price"] as? Double, 90)
                XCTAssertTrue((message?["alertId"] as? String)?.hasPrefix("test_") == true)
                done.set()
            }
            try await alice
        }
    }

    func testOwnLimitOwnershipAndPointersIntoBadBodies() async throws {
        let fixture = try await StreamFixture.make()
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try await fixture.app.test(.live) { client in
            let (root, bob, alice) = (fixture.tokens["root"]!, fixture.tokens["bob"]!, fixture.tokens["alice"]!)
            _ = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"BTC","ts":\#(now),"price":90}]"#, token: root)
            let created = try await client.send(
                .post, "/api/alerts",
                json: #"{"name":"b","target":{"symbol":"BTC"},"conditions":[{"type":"price_above","value":100}]}"#,
                token: bob)
            let id = try XCTUnwrap(created.object["id"] as? String, created.text)

            let theirs = try await client.send(.post, "/api/alerts/test", json: #"{"alertId":"\#(id)"}"#, token: alice)
            XCTAssertEqual(theirs.status, .notFound, "another user's alert")
            let missing = try await client.send(.post, "/api/alerts/test", json: #"{"alertId":"nope"}"#, token: bob)
            XCTAssertEqual(missing.status, .notFound)

            let bad: [(String, [String])] = [
                ("{}", [""]),
                (#"{"alertId":"\#(id)","alert":{}}"#, ["/alert"]),
                (#"{"alertId":"\#(id)","extra":1}"#, ["/extra"]),
                (
                    #"{"alert":{"name":"x","target":{"symbol":"BTC"},"conditions":[{"type":"rsi_overbought","period":0,"interval":"1h"}]}}"#,
                    ["/alert/conditions/0/period"]
                ),
                (
                    #"{"alert":{"name":"x","target":{"symbol":"NOPE"},"conditions":[{"type":"price_above","value":1}]}}"#,
                    ["/alert/target/symbol"]
                ),
                (#"{"alertId":"\#(id)","channels":[{"type":"webhook","url":"ftp://x.example"}]}"#, ["/channels/0/url"]),
                (
                    #"{"alertId":"\#(id)","channels":[{"type":"webhook","url":"https://x.example"}]}"#,
                    ["/channels/0/secret"]
                ),
                (#"{"alertId":"\#(id)","channels":[{"type":"email","to":"bob@example.com"}]}"#, ["/channels/0"]),
            ]
            for (body, pointers) in bad {
                let answer = try await client.send(.post, "/api/alerts/test", json: body, token: bob)
                XCTAssertEqual(answer.status, .unprocessableContent, body)
                XCTAssertEqual(answer.headers[.contentType], "application/problem+json")
                XCTAssertEqual(answer.problemPointers, pointers, "\(body): \(answer.text)")
            }

            // Refused bodies spent nothing: ten sends a minute, the eleventh is a 429 with Retry-After.
            for i in 0..<10 {
                let answer = try await client.send(
                    .post, "/api/alerts/test", json: #"{"alertId":"\#(id)"}"#, token: bob)
                XCTAssertEqual(answer.status, .ok, "send \(i + 1): \(answer.text)")
                XCTAssertEqual(answer.object["matched"] as? Bool, false, "90 is not above 100")
            }
            let limited = try await client.send(.post, "/api/alerts/test", json: #"{"alertId":"\#(id)"}"#, token: bob)
            XCTAssertEqual(limited.status, .tooManyRequests, limited.text)
            XCTAssertEqual(limited.headers[.contentType], "application/problem+json")
            XCTAssertNotNil(limited.headers[.retryAfter].flatMap(Int.init))
            XCTAssertTrue(limited.text.contains("alerts.throttle.testsPerMinute"), limited.text)
            // The limit is per user.
            let alices = try await client.send(
                .post, "/api/alerts/test",
                json:
                    #"{"alert":{"name":"a","target":{"symbol":"BTC"},"conditions":[{"type":"price_below","value":100}]}}"#,
                token: alice)
            XCTAssertEqual(alices.status, .ok, alices.text)
            XCTAssertEqual(alices.object["matched"] as? Bool, true)
        }
    }

    func testOversizedBodiesOfTestSendsAndConfirmationsAre413WritingNothing() async throws {
        let fixture = try await StreamFixture.make()
        try await fixture.app.test(.live) { client in
            let bob = fixture.tokens["bob"]!
            let long = String(repeating: "x", count: 70 * 1_024)
            for path in ["/api/alerts/test", "/api/alerts/channels/confirm"] {
                let r = try await client.send(.post, path, json: #"{"alertId":"\#(long)"}"#, token: bob)
                XCTAssertEqual(r.status, .contentTooLarge, path)
                XCTAssertEqual(r.headers[.contentType], "application/problem+json", path)
            }
            let history = try await fixture.dependencies.storage.alerts.alertHistory(
                AlertHistoryQuery(owner: "bob", limit: 10))
            XCTAssertEqual(history.count, 0)
        }
    }
}
