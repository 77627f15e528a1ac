import FinanceCore
import Foundation

/// What one firing tells its owner, on every channel (the WebSocket message, the webhook and push body, the email's
/// JSON part): `{"type": "alert", "alertId", "name", "symbol"?, "condition", "value", "price"?, "ts", "message",
/// "test"}`. `ts` is integer milliseconds (the API's output time rule); `condition` the condition type name and
/// `value` the number that crossed.
public struct AlertNotification: Hashable, Sendable, Codable {
    public var alertId: String
    public var name: String
    public var symbol: String?
    public var condition: String
    public var value: Double
    public var price: Double?
    public var ts: Int64
    public var message: String
    /// True for `POST /api/alerts/test` sends.
    public var test: Bool

    public init(
        alertId: String, name: String, symbol: String?, condition: String, value: Double, price: Double?, ts: Int64,
        message: String, test: Bool = false
    ) {
        self.alertId = alertId
        self.name = name
        self.symbol = symbol
        self.condition = condition
        self.value = value
        self.price = price
        self.ts = ts
        self.message = message
        self.test = test
    }

    /// The notification of `firing` of `alert`, its message rendered from the alert's template (or the default).
    public init(alert: Alert, firing: AlertFiring, test: Bool = false) {
        self.init(
            alertId: alert.id, name: alert.name, symbol: firing.symbol, condition: firing.condition,
            value: firing.value, price: firing.price, ts: firing.ts, message: "", test: test)
        self.message = AlertMessageTemplate.render(alert.message, for: self)
    }

    private enum CodingKeys: String, CodingKey {
        case type, alertId, name, symbol, condition, value, price, ts, message, test
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard try c.decode(String.self, forKey: .type) == "alert" else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "not an alert")
        }
        self.alertId = try c.decode(String.self, forKey: .alertId)
        self.name = try c.decode(String.self, forKey: .name)
        self.symbol = try c.decodeIfPresent(String.self, forKey: .symbol)
        self.condition = try c.decode(String.self, forKey: .condition)
        self.value = try c.decode(Double.self, forKey: .value)
        self.price = try c.decodeIfPresent(Double.self, forKey: .price)
        self.ts = try c.decode(Int64.self, forKey: .ts)
        self.message = try c.decode(String.self, forKey: .message)
        self.test = try c.decodeIfPresent(Bool.self, forKey: .test) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("alert", forKey: .type)
        try c.encode(self.alertId, forKey: .alertId)
        try c.encode(self.name, forKey: .name)
        try c.encodeIfPresent(self.symbol, forKey: .symbol)
        try c.encode(self.condition, forKey: .condition)
        try c.encode(self.value, forKey: .value)
        try c.encodeIfPresent(self.price, forKey: .price)
        try c.encode(self.ts, forKey: .ts)
        try c.encode(self.message, forKey: .message)
        try c.encode(self.test, forKey: .test)
    }
}

/// A throttled burst of one owner on one channel, sent as one message: `{"type": "alert_digest", "alerts": [...]}`.
public struct AlertDigest: Hashable, Sendable, Codable {
    public var alerts: [AlertNotification]

    public init(alerts: [AlertNotification]) { self.alerts = alerts }

    private enum CodingKeys: String, CodingKey { case type, alerts }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard try c.decode(String.self, forKey: .type) == "alert_digest" else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "not a digest")
        }
        self.alerts = try c.decode([AlertNotification].self, forKey: .alerts)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("alert_digest", forKey: .type)
        try c.encode(self.alerts, forKey: .alerts)
    }
}

/// The notice of a runaway stop: `{"type": "alert_disabled", "alertId", "reason"}`.
public struct AlertDisabledNotice: Hashable, Sendable, Codable {
    public var alertId: String
    public var reason: String

    public init(alertId: String, reason: String) {
        self.alertId = alertId
        self.reason = reason
    }

    private enum CodingKeys: String, CodingKey { case type, alertId, reason }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard try c.decode(String.self, forKey: .type) == "alert_disabled" else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "not a notice")
        }
        self.alertId = try c.decode(String.self, forKey: .alertId)
        self.reason = try c.decode(String.self, forKey: .reason)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("alert_disabled", forKey: .type)
        try c.encode(self.alertId, forKey: .alertId)
        try c.encode(self.reason, forKey: .reason)
    }
}
