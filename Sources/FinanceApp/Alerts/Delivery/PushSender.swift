import FinanceCore
import Foundation
import NIOCore
import NIOHTTP1

/// Sends a notification to an ntfy-compatible or Gotify-compatible push server, in the server's own format.
///
/// - ntfy: the channel URL is the topic's URL (`https://ntfy.sh/my-alerts`); the message is a JSON publish to the
///   server root (the URL without its last path segment) with `{"topic", "title", "message", "priority", "tags"}`,
///   and `Authorization: Bearer <token>` when the channel has a token.
/// - Gotify: the channel URL is the server's base; `POST <base>/message` with `{"title", "message", "priority",
///   "extras": {"financehub::notification": <the notification>}}` and the application token as `X-Gotify-Key`.
public struct PushSender: Sendable {
    public let http: GuardedHTTPClient
    public let timeout: TimeAmount
    public let allowPrivate: Bool

    public init(http: GuardedHTTPClient, timeoutSeconds: Int, allowPrivate: Bool) {
        self.http = http
        self.timeout = .seconds(Int64(timeoutSeconds))
        self.allowPrivate = allowPrivate
    }

    /// Sends `payload` to the push channel.
    public func send(url: String, format: PushFormat, token: String?, payload: DeliveryPayload) async
        -> DeliveryAttempt
    {
        let request: (url: String, headers: HTTPHeaders, body: [UInt8])
        do {
            request = try Self.request(url: url, format: format, token: token, payload: payload)
        } catch {
            return .failed("\(error)", permanent: true)
        }
        do throws(GuardedHTTPClient.Failure) {
            let status = try await self.http.post(
                request.url, headers: request.headers, body: request.body, timeout: self.timeout,
                allowPrivate: self.allowPrivate, setting: "alerts.allowPrivatePush")
            return .http(status: status)
        } catch {
            return .http(error)
        }
    }

    /// Why a push channel cannot be sent to.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The request a push server of `format` expects.
    static func request(url: String, format: PushFormat, token: String?, payload: DeliveryPayload) throws -> (
        url: String, headers: HTTPHeaders, body: [UInt8]
    ) {
        guard var components = URLComponents(string: url) else { throw Problem(description: "invalid push URL") }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "User-Agent", value: "FinanceHub-Push/1")
        let priority = Self.priority(payload)
        let body: Data
        switch format {
        case .ntfy:
            var segments = components.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            guard let topic = segments.popLast(), !topic.isEmpty else {
                throw Problem(description: "the ntfy URL names no topic (expected https://server/topic)")
            }
            components.path = "/" + segments.map { $0 + "/" }.joined()
            components.query = nil
            if let token, !token.isEmpty { headers.add(name: "Authorization", value: "Bearer \(token)") }
            body = try DeliveryPayload.encoder.encode(
                NtfyMessage(
                    topic: topic, title: payload.title, message: payload.text, priority: priority.ntfy,
                    tags: ["chart_with_upwards_trend"]))
        case .gotify:
            var path = components.path
            while path.hasSuffix("/") { path.removeLast() }
            components.path = path + "/message"
            if let token, !token.isEmpty { headers.add(name: "X-Gotify-Key", value: token) }
            body = try DeliveryPayload.encoder.encode(
                GotifyMessage(
                    title: payload.title, message: payload.text, priority: priority.gotify,
                    extras: .init(notification: payload)))
        }
        guard let target = components.string else { throw Problem(description: "invalid push URL") }
        return (target, headers, Array(body))
    }

    /// Alerts at ntfy's "high" (4) and Gotify's 8; a runaway stop higher (5, 10); digests at the default (3, 5).
    private static func priority(_ payload: DeliveryPayload) -> (ntfy: Int, gotify: Int) {
        switch payload {
        case .alert: return (4, 8)
        case .digest: return (3, 5)
        case .disabled: return (5, 10)
        }
    }
}

/// ntfy's JSON publish body.
struct NtfyMessage: Encodable {
    var topic: String
    var title: String
    var message: String
    var priority: Int
    var tags: [String]
}

/// Gotify's `POST /message` body, the notification in `extras`.
struct GotifyMessage: Encodable {
    var title: String
    var message: String
    var priority: Int
    var extras: Extras

    struct Extras: Encodable {
        var notification: DeliveryPayload

        private enum CodingKeys: String, CodingKey {
            case notification = "financehub::notification"
        }
    }
}
