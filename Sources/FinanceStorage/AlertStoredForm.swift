import FinanceCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The stored text of an alert's definition (target, conditions, combine, trigger, channels with their secrets,
/// message) and of a delivery's channel: JSON in the wire's shape, so an operator can read a row. The SQLite and
/// PostgreSQL stores keep it in one column; the fields the stores query (owner, enabled, times) have columns.
public enum AlertStoredForm {
    /// The JSON of `alert`'s definition.
    public static func definition(of alert: Alert) -> String {
        let stored = Definition(
            target: AlertTargetDocument(alert.target), conditions: alert.conditions.map(AlertConditionDocument.init),
            combine: alert.combine, trigger: AlertTriggerDocument(alert.trigger),
            channels: alert.channels.map(Channel.init), message: alert.message)
        return Self.encode(stored)
    }

    /// Sets `alert`'s definition from `text` (written by `definition(of:)`); throws `StorageError.backend` for text
    /// this build cannot read.
    public static func apply(definition text: String, to alert: inout Alert) throws {
        let stored = try Self.decode(Definition.self, text)
        do {
            alert.target = try stored.target.model()
            alert.conditions = try stored.conditions.map { try $0.model() }
            alert.combine = stored.combine
            alert.trigger = try stored.trigger.model()
            alert.channels = try stored.channels.map { try $0.value() }
            alert.message = stored.message
        } catch let error as AlertDocumentError {
            throw Self.unreadable(error.description)
        }
    }

    /// The JSON of one channel, with its secret.
    public static func channel(_ channel: AlertChannel) -> String { Self.encode(Channel(channel)) }

    /// The channel `text` (written by `channel(_:)`) holds.
    public static func channel(from text: String) throws -> AlertChannel {
        do {
            return try Self.decode(Channel.self, text).value()
        } catch let error as AlertDocumentError {
            throw Self.unreadable(error.description)
        }
    }

    private static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every member is a string, a finite number or a list of them: encoding cannot fail.
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StorageError.backend("a stored alert is unreadable: \(error)")
        }
    }

    static func unreadable(_ what: String) -> StorageError {
        StorageError.backend("a stored alert is unreadable: \(what)")
    }

    private struct Definition: Codable {
        var target: AlertTargetDocument
        var conditions: [AlertConditionDocument]
        var combine: AlertCombine
        var trigger: AlertTriggerDocument
        var channels: [Channel]
        var message: String?
    }

    private struct Channel: Codable {
        var type: String
        var url: String?
        var secret: String?
        var to: String?
        var format: PushFormat?
        var token: String?

        init(_ channel: AlertChannel) {
            self.type = channel.typeName
            switch channel {
            case .websocket: break
            case .webhook(let url, let secret):
                self.url = url
                self.secret = secret
            case .email(let to): self.to = to
            case .push(let url, let format, let token):
                self.url = url
                self.format = format
                self.token = token
            }
        }

        func value() throws -> AlertChannel {
            switch self.type {
            case "websocket": return .websocket
            case "webhook":
                guard let url, let secret else { throw AlertDocumentError("a webhook without url or secret") }
                return .webhook(url: url, secret: secret)
            case "email":
                guard let to else { throw AlertDocumentError("an email channel without an address") }
                return .email(to: to)
            case "push":
                guard let url, let format else { throw AlertDocumentError("a push channel without url") }
                return .push(url: url, format: format, token: self.token)
            default: throw AlertDocumentError("channel type \(self.type)")
            }
        }
    }

}
