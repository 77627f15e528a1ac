import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// Email channels need a confirmed address: saving an alert mails a one-time code through a real SMTP server
/// (aiosmtpd; skipped without it), `POST /api/alerts/channels/confirm` takes it back, and only then do alert emails
/// go out. Without a mail server, email channels are refused.
final class AlertEmailConfirmationTests: SMTPServerTestCase {
    func testTheCodeMailedOnSaveConfirmsTheAddressAndThenATickMailsTheAlert() async throws {
        let smtp = try self.startSMTP()
        let fixture = try await StreamFixture.make { $0.alertDelivery.smtp = smtp.settings }
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try await fixture.app.test(.live) { client in
            let (root, bob) = (fixture.tokens["root"]!, fixture.tokens["bob"]!)
            _ = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"BTC","ts":\#(now),"price":90}]"#, token: root)
            let alert = """
                {"name":"BTC over 100","target":{"symbol":"BTC"},"conditions":[{"type":"price_crossing_up","value":100}],
                 "trigger":{"mode":"every_time"},"channels":[{"type":"email","to":"bob@example.com"}]}
                """
            let created = try await client.send(.post, "/api/alerts", json: alert, token: bob)
            XCTAssertEqual(created.status, .created, created.text)
            let id = try XCTUnwrap(created.object["id"] as? String)
            let channel = (created.object["channels"] as? [[String: Any]])?.first
            XCTAssertEqual(channel?["confirmed"] as? Bool, false, "pending until the code comes back")
            let code = try smtp.confirmationCode(to: "bob@example.com", count: 1)
            XCTAssertEqual(code.count, 8)
            let mail = ReceivedMail(try smtp.messages().first!.data)
            XCTAssertEqual(mail.headers["subject"], "FinanceHub: confirm your alert address")

            // Saving again within a few minutes mails no second code.
            let again = try await client.send(.put, "/api/alerts/\(id)", json: alert, token: bob)
            XCTAssertEqual(again.status, .ok, again.text)
            try await Task.sleep(for: .milliseconds(300))
            XCTAssertEqual(try smtp.messages(count: 2, timeout: 0.5).count, 1, "one code mail per address per window")

            // Unconfirmed: a test send skips the address.
            let test = try await client.send(.post, "/api/alerts/test", json: #"{"alertId":"\#(id)"}"#, token: bob)
            XCTAssertEqual(test.status, .ok, test.text)
            let skipped = (test.object["deliveries"] as? [[String: Any]])?.first
            XCTAssertEqual(skipped?["status"] as? String, "failed")
            XCTAssertEqual(skipped?["error"] as? String, "address not confirmed")
            // So does the outbox: a firing before the confirmation is recorded as failed, and nothing is mailed.
            _ = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"BTC","ts":\#(now + 1_000),"price":105}]"#, token: root)
            var rows: [OutboxDelivery] = []
            for _ in 0..<200 where rows.first?.status != .failed {
                try await Task.sleep(for: .milliseconds(25))
                rows = try await fixture.dependencies.storage.alertOutbox.deliveries(alertId: id, limit: 10)
            }
            XCTAssertEqual(rows.map(\.status), [.failed])
            XCTAssertEqual(rows.first?.lastError, "address not confirmed")
            XCTAssertEqual(try smtp.messages(count: 2, timeout: 0.3).count, 1, "only the code mail")
            _ = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"BTC","ts":\#(now + 2_000),"price":95}]"#, token: root)

            let wrong = try await confirmAddress(client, "bob@example.com", code: "00000000", token: bob)
            XCTAssertEqual(wrong.status, .unprocessableContent, wrong.text)
            XCTAssertEqual(wrong.problemPointers, ["/code"])
            let notHis = try await confirmAddress(
                client, "bob@example.com", code: code, token: fixture.tokens["alice"]!)
            XCTAssertEqual(notHis.status, .unprocessableContent, "the code is bob's")
            let confirmed = try await confirmAddress(client, "bob@example.com", code: code, token: bob)
            XCTAssertEqual(confirmed.status, .ok, confirmed.text)
            XCTAssertEqual(confirmed.object["to"] as? String, "bob@example.com")
            XCTAssertEqual(confirmed.object["confirmed"] as? Bool, true)
            let shown = try await client.send(.get, "/api/alerts/\(id)", token: bob)
            XCTAssertEqual((shown.object["channels"] as? [[String: Any]])?.first?["confirmed"] as? Bool, true)

            // Confirmed: a tick over 100 fires the alert and its email arrives.
            let tick = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"BTC","ts":\#(now + 3_000),"price":110}]"#, token: root)
            XCTAssertEqual(tick.status, .created)
            let fired = try XCTUnwrap(try smtp.messages(count: 2, timeout: 10).dropFirst().first, "the alert email")
            XCTAssertEqual(fired.rcptTos, ["bob@example.com"])
            let parts = ReceivedMail(fired.data).parts
            let json = try XCTUnwrap(parts.last?.content)
            guard case .alert(let notification)? = DeliveryPayload(json: json) else {
                return XCTFail("not a notification: \(json)")
            }
            XCTAssertEqual(notification.alertId, id)
            XCTAssertEqual(notification.condition, "price_crossing_up")
            XCTAssertFalse(notification.test)
        }
    }

    func testFiveWrongCodesUseTheCodeUp() async throws {
        let smtp = try self.startSMTP()
        let fixture = try await StreamFixture.make { $0.alertDelivery.smtp = smtp.settings }
        try await fixture.app.test(.live) { client in
            let (root, bob) = (fixture.tokens["root"]!, fixture.tokens["bob"]!)
            let now = Int64(Date().timeIntervalSince1970 * 1_000)
            _ = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"ETH","ts":\#(now),"price":90}]"#, token: root)
            let created = try await client.send(
                .post, "/api/alerts",
                json: """
                    {"name":"e","target":{"symbol":"ETH"},"conditions":[{"type":"price_above","value":100}],
                     "channels":[{"type":"email","to":"carol@example.com"}]}
                    """, token: bob)
            XCTAssertEqual(created.status, .created, created.text)
            let code = try smtp.confirmationCode(to: "carol@example.com", count: 1)
            for _ in 0..<5 {
                let wrong = try await confirmAddress(client, "carol@example.com", code: "1", token: bob)
                XCTAssertEqual(wrong.status, .unprocessableContent)
            }
            let dead = try await confirmAddress(client, "carol@example.com", code: code, token: bob)
            XCTAssertEqual(dead.status, .unprocessableContent, "used up by five wrong codes")
            XCTAssertEqual(dead.problemPointers, ["/code"])
            let bad = try await client.send(
                .post, "/api/alerts/channels/confirm", json: #"{"to":"not-an-address","code":""}"#, token: bob)
            XCTAssertEqual(bad.problemPointers, ["/to", "/code"])
        }
    }

    func testWithoutAMailServerEmailChannelsAreRefused() async throws {
        let fixture = try await StreamFixture.make()
        try await fixture.app.test(.router) { client in
            let body = """
                {"name":"b","target":{"symbol":"BTC"},"conditions":[{"type":"price_above","value":100}],
                 "channels":[{"type":"websocket"},{"type":"email","to":"bob@example.com"}]}
                """
            let refused = try await client.send(.post, "/api/alerts", json: body, token: fixture.tokens["bob"]!)
            XCTAssertEqual(refused.status, .unprocessableContent, refused.text)
            XCTAssertEqual(refused.problemPointers, ["/channels/1"])
            XCTAssertTrue(refused.text.contains("smtp.host"), refused.text)
        }
    }
}
