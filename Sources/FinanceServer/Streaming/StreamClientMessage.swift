import FinanceCore
import NIOCore

/// A client message on `/ws`, read from a text frame: `auth`, `refresh`, `subscribe`, `unsubscribe` or `ping`.
enum StreamClientMessage: Equatable {
    case auth(token: String)
    case refresh(token: String)
    case subscribe(channels: [StreamChannel], symbols: [String])
    case unsubscribe(channels: [StreamChannel], symbols: [String])
    case ping

    /// Why a message is invalid (error 400); the text names the field.
    struct Invalid: Error, Equatable {
        var message: String
    }

    /// The most channels one message may name.
    static let maxChannels = 16

    /// Reads a message from the bytes of a text frame: UTF-8, JSON, then the fields.
    init(_ bytes: ByteBuffer) throws(Invalid) {
        guard let text = String(validating: bytes.readableBytesView, as: UTF8.self) else {
            throw Invalid(message: "the message is not valid UTF-8")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw Invalid(message: "the message is not JSON: \(error)")
        }
        try self.init(value)
    }

    init(_ value: JSONValue) throws(Invalid) {
        guard case .object(let fields) = value else { throw Invalid(message: "the message must be a JSON object") }
        guard case .string(let action)? = fields["action"] else {
            throw Invalid(message: "action: required, one of auth, refresh, subscribe, unsubscribe, ping")
        }
        switch action {
        case "auth": self = .auth(token: try Self.token(fields))
        case "refresh": self = .refresh(token: try Self.token(fields))
        case "ping": self = .ping
        case "subscribe", "unsubscribe":
            let channels = try Self.channels(fields)
            let symbols = try Self.symbols(fields, required: channels.contains { $0.hasSymbols })
            self =
                action == "subscribe"
                ? .subscribe(channels: channels, symbols: symbols)
                : .unsubscribe(
                    channels: channels, symbols: symbols)
        default:
            throw Invalid(
                message:
                    "action: unknown action '\(Echo.text(action))': use auth, refresh, subscribe, unsubscribe or ping")
        }
    }

    private static func token(_ fields: [String: JSONValue]) throws(Invalid) -> String {
        guard case .string(let token)? = fields["token"], !token.isEmpty else {
            throw Invalid(message: "token: required, a non-empty string")
        }
        return token
    }

    private static func channels(_ fields: [String: JSONValue]) throws(Invalid) -> [StreamChannel] {
        guard case .array(let items)? = fields["channels"], !items.isEmpty else {
            throw Invalid(message: "channels: required, a non-empty array of channel names")
        }
        guard items.count <= Self.maxChannels else {
            throw Invalid(message: "channels: at most \(Self.maxChannels) channels per message")
        }
        var out: [StreamChannel] = []
        for (i, item) in items.enumerated() {
            guard case .string(let name) = item, let channel = StreamChannel(name: name) else {
                let names =
                    (["price", "quotes", "alerts", "monitoring"] + StreamChannel.barIntervals.map { "bars." + $0.name })
                    .joined(separator: ", ")
                throw Invalid(message: "channels[\(i)]: unknown channel: use one of \(names)")
            }
            if !out.contains(channel) { out.append(channel) }
        }
        return out
    }

    private static func symbols(_ fields: [String: JSONValue], required: Bool) throws(Invalid) -> [String] {
        guard let value = fields["symbols"] else {
            if required { throw Invalid(message: "symbols: required, an array of symbols") }
            return []
        }
        guard case .array(let items) = value else { throw Invalid(message: "symbols: must be an array of symbols") }
        if required, items.isEmpty { throw Invalid(message: "symbols: must not be empty") }
        var out: [String] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            guard case .string(let raw) = item else { throw Invalid(message: "symbols[\(i)]: must be a string") }
            guard let symbol = Symbol.normalize(raw) else {
                throw Invalid(message: "symbols[\(i)]: \(HTTP.invalidSymbol(raw))")
            }
            if seen.insert(symbol).inserted { out.append(symbol) }
        }
        return out
    }
}
