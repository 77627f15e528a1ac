import Crypto
import NIOCore
import NIOHTTP1

/// Sends a notification to a webhook: a JSON POST signed with the channel's secret.
///
/// Headers: `X-FinanceHub-Timestamp: <unix seconds>`, `X-FinanceHub-Signature: sha256=<lowercase hex HMAC-SHA256 of
/// "<timestamp>.<raw body>">` and `X-FinanceHub-Delivery: <delivery id>` (the same on every retry, so a receiver
/// can drop duplicates). The secret is never logged nor put into an error.
public struct WebhookSender: Sendable {
    public let http: GuardedHTTPClient
    public let timeout: TimeAmount
    public let allowPrivate: Bool

    public init(http: GuardedHTTPClient, timeoutSeconds: Int, allowPrivate: Bool) {
        self.http = http
        self.timeout = .seconds(Int64(timeoutSeconds))
        self.allowPrivate = allowPrivate
    }

    /// The signature header's value for `body` sent at `timestamp` (unix seconds).
    public static func signature(secret: String, timestamp: Int64, body: String) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).\(body)".utf8), using: key)
        return "sha256="
            + mac.map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
    }

    /// POSTs `body` to `url`; `now` is the attempt's time in ms.
    public func send(url: String, secret: String, deliveryId: String, body: String, now: Int64) async
        -> DeliveryAttempt
    {
        let timestamp = now / 1_000
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "User-Agent", value: "FinanceHub-Webhook/1")
        headers.add(name: "X-FinanceHub-Timestamp", value: String(timestamp))
        headers.add(
            name: "X-FinanceHub-Signature", value: Self.signature(secret: secret, timestamp: timestamp, body: body))
        headers.add(name: "X-FinanceHub-Delivery", value: deliveryId)
        do throws(GuardedHTTPClient.Failure) {
            let status = try await self.http.post(
                url, headers: headers, body: Array(body.utf8), timeout: self.timeout, allowPrivate: self.allowPrivate,
                setting: "alerts.allowPrivateWebhooks")
            return .http(status: status)
        } catch {
            return .http(error)
        }
    }
}
