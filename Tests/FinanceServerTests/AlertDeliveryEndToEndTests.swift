import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// The email and push channels end to end on a running server: a tick posted to `/api/ticks` fires a price alert
/// whose confirmed email reaches a real SMTP server (aiosmtpd; skipped without it) and whose ntfy and Gotify push
/// channels reach a local fake, and the history and the notification records show it.
final class AlertDeliveryEndToEndTests: SMTPServerTestCase {
    func testATickFiresAnAlertToEmailAndBothPushFormats() async throws {
        let smtp = try self.startSMTP()
        let push = RecordingReceiver()
        try await push.start()
        defer { Task { await push.stop() } }
        let fixture = try await StreamFixture.make {
            $0.alertDelivery.smtp = smtp.settings
            $0.alertDelivery.allowPrivatePush = true
            $0.alertDelivery.allowPrivateWebhooks = true
        }
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try await fixture.app.test(.live) { client in
            let (root, bob) = (fixture.tokens["root"]!, fixture.tokens["bob"]!)
            _ = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"BTC","ts":\#(now),"price":90}]"#, token: root)
            let alert = """
                {"name":"BTC over 100","target":{"symbol":"BTC"},"conditions":[{"type":"price_crossing_up","value":100}],
                 "message":"{{symbol}} crossed {{value}}",
                 "channels":[{"type":"email","to":"bob@example.com"},
                  {"type":"push","url":"\(push.url("/bob-alerts"))","format":"ntfy","token":"ntfy-token-1"},
                  {"type":"push","url":"\(push.url("/gotify"))","format":"gotify","token":"gotify-app-key"}]}
                """
            let created = try await client.send(.post, "/api/alerts", json: alert, token: bob)
            XCTAssertEqual(created.status, .created, created.text)
            let id = try XCTUnwrap(created.object["id"] as? String)
            XCTAssertFalse(created.text.contains("ntfy-token-1") || created.text.contains("gotify-app-key"))
            let code = try smtp.confirmationCode(to: "bob@example.com", count: 1)
            let confirmed = try await confirmAddress(client, "bob@example.com", code: code, token: bob)
            XCTAssertEqual(confirmed.status, .ok, confirmed.text)

            let tick = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"BTC","ts":\#(now + 1_000),"price":110}]"#, token: root)
            XCTAssertEqual(tick.status, .created)

            // Email: the alert's mail after the code's.
            let mail = try XCTUnwrap(try smtp.messages(count: 2, timeout: 10).dropFirst().first, "the alert email")
            XCTAssertEqual(mail.rcptTos, ["bob@example.com"])
            let parts = ReceivedMail(mail.data).parts
            XCTAssertEqual(parts.first?.content.hasPrefix("BTC crossed 110"), true, parts.first?.content ?? "")
            guard case .alert(let emailed)? = DeliveryPayload(json: parts.last?.content ?? "") else {
                return XCTFail("the email's JSON part is not a notification")
            }
            XCTAssertEqual(emailed.alertId, id)

            // Push: ntfy's JSON publish to the server root, Gotify's message with the notification in extras.
            var requests: [RecordingReceiver.Request] = []
            for _ in 0..<200 where requests.count < 2 {
                requests = push.requests
                if requests.count < 2 { try await Task.sleep(for: .milliseconds(50)) }
            }
            let ntfy = try XCTUnwrap(requests.first { $0.path == "/" }, "the ntfy publish")
            XCTAssertEqual(ntfy.header("Authorization"), "Bearer ntfy-token-1")
            let published = try XCTUnwrap(ntfy.json as? [String: Any])
            XCTAssertEqual(published["topic"] as? String, "bob-alerts")
            XCTAssertEqual(published["message"] as? String, "BTC crossed 110")
            let gotify = try XCTUnwrap(requests.first { $0.path == "/gotify/message" }, "the Gotify message")
            XCTAssertEqual(gotify.header("X-Gotify-Key"), "gotify-app-key")
            let extras = (gotify.json as? [String: Any])?["extras"] as? [String: Any]
            let notification = extras?["financehub::notification"] as? [String: Any]
            XCTAssertEqual(notification?["alertId"] as? String, id)
            XCTAssertEqual(notification?["test"] as? Bool, false)

            // The records: one firing in the history, each channel's delivery delivered.
            let history = try await client.send(.get, "/api/alerts/history?alert=\(id)", token: bob)
            let items = try XCTUnwrap(history.object["items"] as? [[String: Any]], history.text)
            XCTAssertEqual(items.count, 1)
            XCTAssertEqual(items.first?["condition"] as? String, "price_crossing_up")
            XCTAssertEqual(items.first?["value"] as? Double, 110)
            var rows: [OutboxDelivery] = []
            for _ in 0..<200 {
                rows = try await fixture.dependencies.storage.alertOutbox.deliveries(alertId: id, limit: 10)
                if rows.count == 3 && rows.allSatisfy({ $0.status == .delivered }) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            XCTAssertEqual(rows.map(\.status), [.delivered, .delivered, .delivered], "\(rows.map(\.lastError))")
            XCTAssertEqual(rows.map(\.channel.typeName).sorted(), ["email", "push", "push"])
        }
    }
}
