import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceTestSupport
import Foundation
import XCTest

/// The email's wire form, addresses, and outbox rows built from a payload.
final class MailMessageTests: XCTestCase {
    func testDotStuffingDoublesLeadingDotsAndNormalizesLineEndings() {
        XCTAssertEqual(MailMessage.dotStuffed("a\n.\n.b\r\nc\r..d"), "a\r\n..\r\n..b\r\nc\r\n...d\r\n")
        XCTAssertEqual(MailMessage.dotStuffed("x\r\n"), "x\r\n")
    }

    func testHeadersCannotBeInjectedAndUnicodeSubjectsAreEncodedWords() {
        let message = MailMessage(
            from: "a@example.com", to: ["b@example.com"], subject: "Hi\r\nBcc: victim@example.com", text: "t",
            deliveryId: "d<1>\r\nX: y", date: t0, boundary: "B")
        let text = message.rendered()
        XCTAssertTrue(text.contains("Subject: Hi Bcc: victim@example.com\r\n"), text)
        XCTAssertFalse(text.contains("\r\nBcc:"))
        XCTAssertTrue(text.contains("X-FinanceHub-Delivery: d1Xy\r\n"), text)
        XCTAssertTrue(text.hasSuffix("--B--\r\n"))

        let unicode = MailMessage(
            from: "a@example.com", to: ["b@example.com"], subject: String(repeating: "Ü", count: 40), text: "t",
            date: t0)
        let subject = unicode.rendered().components(separatedBy: "\r\n").first { $0.hasPrefix("Subject: ") }!
        XCTAssertTrue(subject.hasPrefix("Subject: =?UTF-8?B?"), subject)
        XCTAssertLessThanOrEqual(subject.count, 78)
    }

    func testAddresses() {
        for good in ["a@b.co", "first.last+tag@mail.example.com", "x_y-z@sub.example.org"] {
            XCTAssertTrue(MailAddress.isValid(good), good)
        }
        for bad in [
            "", "a", "@b.co", "a@", "a b@c.d", "a@b@c", "<a@b.co>", "a@b.co\r\nRCPT TO:<c@d.e>", "ä@b.co", "a@.b",
            "a@b..c", String(repeating: "a", count: 65) + "@b.co",
        ] {
            XCTAssertFalse(MailAddress.isValid(bad), bad)
        }
    }

    func testOutboxRowsOnePerChannelWithFreshIds() throws {
        let channels: [AlertChannel] = [
            .websocket, .email(to: "a@b.co"), .webhook(url: "https://x.example/h", secret: "s"),
        ]
        let rows = try OutboxDelivery.rows(
            for: .alert(DeliveryFixtures.notification), alertId: "a1", owner: "alice", event: "tick:9",
            channels: channels, now: t0)
        XCTAssertEqual(rows.map(\.channel), channels)
        XCTAssertEqual(Set(rows.map(\.id)).count, 3)
        XCTAssertTrue(rows.allSatisfy { $0.id.hasPrefix("dlv_") && $0.status == .pending && $0.attempts == 0 })
        XCTAssertTrue(
            rows.allSatisfy { $0.body == DeliveryFixtures.body && $0.nextAttemptAt == t0 && $0.event == "tick:9" })
    }
}
