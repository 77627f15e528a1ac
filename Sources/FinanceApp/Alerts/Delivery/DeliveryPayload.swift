import Foundation

/// Any message the delivery channels carry: one notification, a digest or a runaway-stop notice. An outbox row's
/// `body` is its JSON (`json`), read back with `init(json:)`.
public enum DeliveryPayload: Hashable, Sendable, Codable {
    case alert(AlertNotification)
    case digest(AlertDigest)
    case disabled(AlertDisabledNotice)

    /// The JSON text: sorted keys, slashes unescaped (the API's encoder), nil values left out.
    public var json: String {
        get throws {
            let data = try Self.encoder.encode(self)
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// Reads a payload back from its JSON text; nil when it is none of the three.
    public init?(json: String) {
        guard let value = try? JSONDecoder().decode(DeliveryPayload.self, from: Data(json.utf8)) else { return nil }
        self = value
    }

    /// A short headline (an email's subject, a push title).
    public var title: String {
        switch self {
        case .alert(let n): return n.test ? "FinanceHub test alert: \(n.name)" : "FinanceHub alert: \(n.name)"
        case .digest(let d): return "FinanceHub: \(d.alerts.count) alert\(d.alerts.count == 1 ? "" : "s")"
        case .disabled: return "FinanceHub: alert disabled"
        }
    }

    /// The human-readable text (an email's text part, a push message): the message, one line per digested alert, or
    /// the notice's reason.
    public var text: String {
        switch self {
        case .alert(let n): return n.message
        case .digest(let d): return d.alerts.map(\.message).joined(separator: "\n")
        case .disabled(let n): return "Alert \(n.alertId) was disabled: \(n.reason)"
        }
    }

    private enum TypeKey: String, CodingKey { case type }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeKey.self).decode(String.self, forKey: .type)
        switch type {
        case "alert": self = .alert(try AlertNotification(from: decoder))
        case "alert_digest": self = .digest(try AlertDigest(from: decoder))
        case "alert_disabled": self = .disabled(try AlertDisabledNotice(from: decoder))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [TypeKey.type], debugDescription: "unknown type"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .alert(let n): try n.encode(to: encoder)
        case .digest(let d): try d.encode(to: encoder)
        case .disabled(let n): try n.encode(to: encoder)
        }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()
}
