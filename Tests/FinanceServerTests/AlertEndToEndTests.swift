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

/// The whole alert path on a running server: an alert created through the API, a tick posted to `/api/ticks`, the
/// engine's firing recorded with its deliveries, and the notification arriving on the owner's WebSocket and at a
/// signed webhook; another user's WebSocket gets nothing.
final class AlertEndToEndTests: XCTestCase {
    func testATickFiresAPriceAlertOnTheOwnersWebSocketAndASignedWebhook() async throws {
        let receiver = RecordingReceiver()
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        let fixture = try await StreamFixture.make { $0.alertDelivery.allowPrivateWebhooks = true }
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try await fixture.app.test(.live) { client in
            let (root, bob) = (fixture.tokens["root"]!, fixture.tokens["bob"]!)
            let first = try await Self.post(client, "/api/ticks", #"[{"symbol":"BTC","ts":\#(now),"price":90}]"#, root)
            XCTAssertEqual(first.status, .created, String(buffer: first.body))
            let alert = """
                {"name":"BTC over 100","target":{"symbol":"BTC"},
                 "conditions":[{"type":"price_crossing_up","value":100}],"combine":"all","trigger":{"mode":"once"},
                 "enabled":true,"channels":[{"type":"websocket"},
                 {"type":"webhook","url":"\(receiver.url())","secret":"bob-webhook-secret"}]}
                """
            let created = try await Self.post(client, "/api/alerts", alert, bob)
            XCTAssertEqual(created.status, .created, String(buffer: created.body))
            let id = try XCTUnwrap(
                (try JSONSerialization.jsonObject(with: Data(buffer: created.body)) as? [String: Any])?["id"] as? String
            )
            let port = client.port!
            let done = TestFlag()
            async let alice = WSConversation.run(port: port, headers: fixture.bearer("alice")) { ws in
                _ = try await ws.next("authenticated")
                try await ws.send(#"{"action":"subscribe","channels":["alerts"]}"#)
                _ = try await ws.next("subscribed")
                while !done.isSet { try await Task.sleep(for: .milliseconds(10)) }
                XCTAssertTrue(ws.all("alert").isEmpty, "bob's alert never reaches alice")
            }
            try await WSConversation.run(port: port, headers: fixture.bearer("bob")) { ws in
                _ = try await ws.next("authenticated")
                try await ws.send(#"{"action":"subscribe","channels":["alerts"]}"#)
                _ = try await ws.next("subscribed")
                while fixture.hub.stats().subscriptions < 2 { try await Task.sleep(for: .milliseconds(10)) }
                let tick = #"[{"symbol":"BTC","ts":\#(now + 1_000),"price":110}]"#
                let second = try await Self.post(client, "/api/ticks", tick, root)
                XCTAssertEqual(second.status, .created)
                let notification = try await ws.next("alert", timeout: .seconds(10))
                XCTAssertEqual(notification?["alertId"] as? String, id)
                XCTAssertEqual(notification?["condition"] as? String, "price_crossing_up")
                XCTAssertEqual(notification?["symbol"] as? String, "BTC")
                XCTAssertEqual(notification?["test"] as? Bool, false)
                done.set()
            }
            try await alice
            // The webhook: signed over "<timestamp>.<body>" with the channel's secret.
            var hook: RecordingReceiver.Request?
            for _ in 0..<100 where hook == nil {
                hook = receiver.requests.first
                if hook == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            let request = try XCTUnwrap(hook, "the webhook was called")
            let timestamp = try XCTUnwrap(request.header("X-FinanceHub-Timestamp"))
            let signed = Data("\(timestamp).".utf8) + request.body
            let mac = HMAC<SHA256>.authenticationCode(
                for: signed, using: SymmetricKey(data: Data("bob-webhook-secret".utf8)))
            let hex = mac.map { String(format: "%02x", $0) }.joined()
            XCTAssertEqual(request.header("X-FinanceHub-Signature"), "sha256=\(hex)")
            XCTAssertNotNil(request.header("X-FinanceHub-Delivery"))
            XCTAssertEqual((request.json as? [String: Any])?["alertId"] as? String, id)
            // The history shows the firing, to its owner only.
            let history = try await client.execute(
                uri: "/api/alerts/history", method: .get, headers: [.authorization: "Bearer \(bob)"])
            let items = (try JSONSerialization.jsonObject(with: Data(buffer: history.body)) as? [String: Any])?["items"]
            XCTAssertEqual((items as? [[String: Any]])?.count, 1, String(buffer: history.body))
            let theirs = try await client.execute(
                uri: "/api/alerts/history", method: .get,
                headers: [.authorization: "Bearer \(fixture.tokens["alice"]!)"])
            let none = (try JSONSerialization.jsonObject(with: Data(buffer: theirs.body)) as? [String: Any])?["items"]
            XCTAssertEqual((none as? [[String: Any]])?.count, 0)
            let deliveries = try await fixture.dependencies.storage.alertOutbox.deliveries(alertId: id, limit: 10)
            XCTAssertEqual(Set(deliveries.map(\.channel.typeName)), ["websocket", "webhook"])
        }
    }

    private static func post(
        _ client: some TestClientProtocol, _ uri: String, _ body: String, _ token: String
    ) async throws -> TestResponse {
        try await client.execute(
            uri: uri, method: .post,
            headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
            body: ByteBuffer(string: body))
    }
}
