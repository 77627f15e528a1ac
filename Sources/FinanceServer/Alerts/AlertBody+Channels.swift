import FinanceCore
import Foundation

/// A channel of an alert body. A webhook or push channel may leave out its secret or token: a `PUT` keeps the
/// stored one (answers never show it).
enum AlertChannelInput: Equatable {
    case complete(AlertChannel)
    /// A webhook without `secret`.
    case webhookKeepingSecret(url: String)
    /// A push channel without `token` (an explicit `"token": null` removes it instead).
    case pushKeepingToken(url: String, format: PushFormat)

    /// The channel, its secret or token taken from `stored` when the body left it out: first a stored channel of the
    /// same kind and URL, else the stored channel at the same position when it is of the same kind. Nil for a webhook
    /// without a secret to keep.
    func resolve(index: Int, stored: [AlertChannel]) -> AlertChannel? {
        switch self {
        case .complete(let channel): return channel
        case .webhookKeepingSecret(let url):
            let secrets = stored.compactMap { channel -> (url: String, secret: String)? in
                if case .webhook(let u, let s) = channel { return (u, s) }
                return nil
            }
            if let same = secrets.first(where: { $0.url == url }) { return .webhook(url: url, secret: same.secret) }
            if index < stored.count, case .webhook(_, let secret) = stored[index] {
                return .webhook(url: url, secret: secret)
            }
            return nil
        case .pushKeepingToken(let url, let format):
            let tokens = stored.compactMap { channel -> (url: String, token: String?)? in
                if case .push(let u, _, let t) = channel { return (u, t) }
                return nil
            }
            if let same = tokens.first(where: { $0.url == url }) {
                return .push(url: url, format: format, token: same.token)
            }
            if index < stored.count, case .push(_, _, let token) = stored[index] {
                return .push(url: url, format: format, token: token)
            }
            return .push(url: url, format: format, token: nil)
        }
    }
}

extension AlertBody {
    static let maxURLLength = 2_048
    static let minSecretLength = 8
    static let maxSecretLength = 256

    /// One channel at `path` (`/channels/<i>`).
    static func channel(_ r: inout NestedReader, _ value: JSONValue, at path: [String]) -> AlertChannelInput? {
        guard let o = r.object(value, at: path) else { return nil }
        guard let type = r.choice(o, "type", at: path, ["websocket", "webhook", "email", "push"]) else { return nil }
        switch type {
        case "websocket":
            r.rejectUnknown(o, known: ["type"], at: path)
            return .complete(.websocket)
        case "webhook":
            r.rejectUnknown(o, known: ["type", "url", "secret"], ignored: ["secretSet"], at: path)
            let url = Self.url(&r, o, at: path)
            let secret = r.text(o, "secret", at: path, required: false, maxLength: Self.maxSecretLength)
            if let secret, secret.unicodeScalars.count < Self.minSecretLength {
                r.fail(path + ["secret"], "secret must be at least \(Self.minSecretLength) characters")
                return nil
            }
            guard let url else { return nil }
            guard let secret else { return .webhookKeepingSecret(url: url) }
            return .complete(.webhook(url: url, secret: secret))
        case "email":
            r.rejectUnknown(o, known: ["type", "to"], ignored: ["confirmed"], at: path)
            guard let raw = r.string(o, "to", at: path, required: true) else { return nil }
            guard let address = Self.emailAddress(raw) else {
                r.fail(path + ["to"], "'\(Echo.text(raw))' is not an email address (name@example.com)")
                return nil
            }
            return .complete(.email(to: address))
        default:
            r.rejectUnknown(o, known: ["type", "url", "format", "token"], ignored: ["tokenSet"], at: path)
            let url = Self.url(&r, o, at: path)
            let format = r.choice(o, "format", at: path, PushFormat.allCases.map(\.rawValue))
                .flatMap(PushFormat.init(rawValue:))
            let token = r.text(o, "token", at: path, required: false, maxLength: Self.maxSecretLength)
            guard let url, let format else { return nil }
            if o["token"] == nil { return .pushKeepingToken(url: url, format: format) }
            if o["token"] != .null, token == nil { return nil }
            return .complete(.push(url: url, format: format, token: token))
        }
    }

    /// An absolute http or https URL with a host.
    static func url(_ r: inout NestedReader, _ o: [String: JSONValue], at path: [String]) -> String? {
        guard let raw = r.text(o, "url", at: path, required: true, maxLength: Self.maxURLLength) else { return nil }
        guard !raw.unicodeScalars.contains(where: { $0.properties.isWhitespace }),
            let components = URLComponents(string: raw),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else {
            r.fail(path + ["url"], "url must be an absolute http:// or https:// URL, got '\(Echo.text(raw))'")
            return nil
        }
        return raw
    }

    /// `raw` as a plain email address (`local@domain`, the domain in lower case), nil when it is not one.
    static func emailAddress(_ raw: String) -> String? {
        let parts = raw.split(separator: "@", omittingEmptySubsequences: false)
        guard raw.utf8.count <= 254, parts.count == 2 else { return nil }
        let (local, domain) = (parts[0], parts[1].lowercased())
        let localAllowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-")
        guard (1...64).contains(local.utf8.count), local.allSatisfy(localAllowed.contains),
            !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let labelAllowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        guard labels.count >= 2,
            labels.allSatisfy({ label in
                (1...63).contains(label.utf8.count) && label.allSatisfy(labelAllowed.contains)
                    && !label.hasPrefix("-") && !label.hasSuffix("-")
            })
        else { return nil }
        return "\(local)@\(domain)"
    }
}
