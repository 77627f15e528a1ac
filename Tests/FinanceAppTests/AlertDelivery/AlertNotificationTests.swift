import FinanceApp
import FinanceCore
import FinanceTestSupport
import Foundation
import XCTest

/// The notification's wire shape, digests and notices, and message templates.
final class AlertNotificationTests: XCTestCase {
    static let alert = Alert(
        id: "a1", owner: "alice", name: "BTC breakout", target: .symbol("BTC"), conditions: [.priceCrossingUp(50_000)],
        message: "{{symbol}} crossed {{value}} at {{price}} ({{condition}}, {{time}}) — {{name}}", createdAt: t0)
    static let firing = AlertFiring(
        alertId: "a1", owner: "alice", ts: 1_765_119_600_000, symbol: "BTC", condition: "price_crossing_up",
        value: 50_000, price: 50_012.5, event: "tick:1")

    private func object(_ json: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    func testANotificationHasExactlyTheWireFieldsWithTheMessageRenderedFromTheTemplate() throws {
        let notification = AlertNotification(alert: Self.alert, firing: Self.firing)
        let json = try DeliveryPayload.alert(notification).json
        let object = try self.object(json)
        XCTAssertEqual(
            Set(object.keys),
            ["type", "alertId", "name", "symbol", "condition", "value", "price", "ts", "message", "test"])
        XCTAssertEqual(object["type"] as? String, "alert")
        XCTAssertEqual(object["alertId"] as? String, "a1")
        XCTAssertEqual(object["condition"] as? String, "price_crossing_up")
        XCTAssertEqual(object["value"] as? Double, 50_000)
        XCTAssertEqual(object["price"] as? Double, 50_012.5)
        // Integer milliseconds, the API's output time rule.
        XCTAssertEqual(object["ts"] as? Int64, 1_765_119_600_000)
        XCTAssertEqual(object["test"] as? Bool, false)
        XCTAssertEqual(
            object["message"] as? String,
            "BTC crossed 50000 at 50012.5 (price_crossing_up, 2025-12-07T15:00:00Z) — BTC breakout")
        // Sorted keys, as the API's encoder writes them.
        XCTAssertTrue(json.hasPrefix(#"{"alertId":"a1","condition":"price_crossing_up","message":"#), json)
        XCTAssertEqual(DeliveryPayload(json: json), .alert(notification))
    }

    func testOptionalFieldsAreLeftOutAndDigestsAndNoticesHaveTheirShapes() throws {
        let portfolio = AlertNotification(
            alertId: "p1", name: "Portfolio", symbol: nil, condition: "portfolio_value_above", value: 1e6, price: nil,
            ts: t0, message: "m", test: true)
        let object = try self.object(try DeliveryPayload.alert(portfolio).json)
        XCTAssertNil(object["symbol"])
        XCTAssertNil(object["price"])
        XCTAssertEqual(object["test"] as? Bool, true)

        let digest = DeliveryPayload.digest(AlertDigest(alerts: [portfolio, portfolio]))
        let digestObject = try self.object(try digest.json)
        XCTAssertEqual(Set(digestObject.keys), ["type", "alerts"])
        XCTAssertEqual(digestObject["type"] as? String, "alert_digest")
        XCTAssertEqual((digestObject["alerts"] as? [[String: Any]])?.count, 2)
        XCTAssertEqual((digestObject["alerts"] as? [[String: Any]])?.first?["type"] as? String, "alert")
        XCTAssertEqual(DeliveryPayload(json: try digest.json), digest)

        let notice = DeliveryPayload.disabled(AlertDisabledNotice(alertId: "a9", reason: "runaway"))
        XCTAssertEqual(
            try notice.json, #"{"alertId":"a9","reason":"runaway","type":"alert_disabled"}"#)
        XCTAssertEqual(DeliveryPayload(json: try notice.json), notice)
        XCTAssertNil(DeliveryPayload(json: #"{"type":"quote"}"#))
        XCTAssertNil(DeliveryPayload(json: "not json"))
    }

    func testTheDefaultMessageAndTextRendering() {
        var alert = Self.alert
        alert.message = nil
        let plain = AlertNotification(alert: alert, firing: Self.firing)
        XCTAssertEqual(
            plain.message, "BTC breakout: BTC price_crossing_up 50000 (price 50012.5) at 2025-12-07T15:00:00Z")
        // Nothing is HTML-escaped: the message is text, each viewer escapes it for its medium.
        alert.message = "{{name}} & <b>{{symbol}}</b>"
        alert.name = "S&P \"dip\""
        XCTAssertEqual(AlertNotification(alert: alert, firing: Self.firing).message, "S&P \"dip\" & <b>BTC</b>")
        // Sections: a price-less firing leaves out what needs the price.
        alert.message = "{{symbol}}{{#price}} at {{price}}{{/price}}{{^price}} (no price){{/price}}"
        XCTAssertEqual(AlertNotification(alert: alert, firing: Self.firing).message, "BTC at 50012.5")
        var noPrice = Self.firing
        noPrice.price = nil
        XCTAssertEqual(AlertNotification(alert: alert, firing: noPrice).message, "BTC (no price)")
        // A template that does not parse (refused on save, see validate) falls back to the default, never crashes.
        alert.message = "{{#symbol}} unclosed"
        XCTAssertTrue(AlertNotification(alert: alert, firing: Self.firing).message.hasPrefix("S&P \"dip\": BTC"))
        // Partials render nothing; there is no library to read files from.
        alert.message = "{{> /etc/passwd}}x"
        XCTAssertEqual(AlertNotification(alert: alert, firing: Self.firing).message, "x")
    }

    func testValidationNamesTheProblemForA422() {
        XCTAssertNil(
            AlertMessageTemplate.validate("{{symbol}} at {{price}} ({{condition}} {{value}}, {{time}}) {{name}}"))
        XCTAssertNil(AlertMessageTemplate.validate("plain text"))
        XCTAssertNil(AlertMessageTemplate.validate("{{#price}}{{price}}{{/price}}{{^symbol}}-{{/symbol}}"))
        let unknown = AlertMessageTemplate.validate("hi {{user.password}}")
        // A dotted name is judged by its first segment.
        XCTAssertTrue(unknown?.description.hasPrefix("unknown placeholder {{user}}") == true, "\(unknown!)")
        let inSection = AlertMessageTemplate.validate("{{^price}}{{secret}}{{/price}}")
        XCTAssertTrue(inSection?.description.contains("{{secret}}") == true, "\(String(describing: inSection))")
        let unclosed = AlertMessageTemplate.validate("line one\n{{#symbol}} open")
        XCTAssertEqual(
            unclosed?.description.contains("a section is not closed"), true, "\(String(describing: unclosed))")
        let mismatched = AlertMessageTemplate.validate("{{#symbol}}x{{/price}}")
        XCTAssertEqual(mismatched?.description.contains("line 1"), true, "\(String(describing: mismatched))")
        XCTAssertNotNil(AlertMessageTemplate.validate("{{symbol"))
        XCTAssertNotNil(AlertMessageTemplate.validate(String(repeating: "x", count: 1_001)))
        // Whatever the input, validation answers and rendering returns.
        for template in [
            "{{", "}}", "{{{symbol}}", "{{=<% %>=}}<%symbol%>", "{{%PRAGMA}}", "{{<parent}}{{$b}}x{{/b}}{{/parent}}",
        ] {
            _ = AlertMessageTemplate.validate(template)
            _ = AlertMessageTemplate.render(template, for: AlertNotification(alert: Self.alert, firing: Self.firing))
        }
    }
}
