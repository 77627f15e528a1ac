import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation

/// What `POST /api/alerts/test` needs: the probe that evaluates an alert against current data, the deliverer whose
/// senders it sends through at once (not the outbox: nothing is written, no throttle counts it), and its own
/// per-user limit (`alerts.throttle.testsPerMinute`).
public struct AlertTestSends: Sendable {
    public let probe: AlertProbe
    public let deliverer: AlertDeliverer
    public let limiter: RequestRateLimiter

    public init(probe: AlertProbe, deliverer: AlertDeliverer, limiter: RequestRateLimiter) {
        self.probe = probe
        self.deliverer = deliverer
        self.limiter = limiter
    }

    /// The sends of `settings.testsPerMinute` per user, whatever the tier.
    public init(probe: AlertProbe, deliverer: AlertDeliverer, testsPerMinute: Int, clock: any WallClock) {
        self.init(
            probe: probe, deliverer: deliverer,
            limiter: RequestRateLimiter(
                perMinute: Dictionary(uniqueKeysWithValues: UserTier.allCases.map { ($0, testsPerMinute) }),
                clock: clock))
    }

    /// The outcome of the test send on one channel.
    public struct Delivery: Sendable, Equatable, Codable {
        /// The channel type: `websocket`, `webhook`, `email` or `push`.
        public var channel: String
        /// `delivered` or `failed`.
        public var status: String
        /// Why it failed (never a secret).
        public var error: String?
    }

    /// The notification of a test of `alert` evaluated as `result` at `now`: the first condition that holds (else
    /// the first condition), the number it read (else its threshold), `test: true`.
    static func notification(_ alert: Alert, _ result: AlertProbe.Result, now: Int64) -> AlertNotification {
        let index = result.readings.firstIndex(where: \.holds) ?? 0
        let condition = alert.conditions[index]
        let reading = index < result.readings.count ? result.readings[index] : nil
        let document = AlertConditionDocument(condition)
        let value =
            reading?.value ?? document.value ?? document.percent ?? document.level ?? document.ratio ?? 0
        var symbol: String?
        var price: Double?
        if case .symbol(let s) = alert.target {
            symbol = s
            price = result.current?.value
        }
        let firing = AlertFiring(
            alertId: alert.id, owner: alert.owner, ts: now, symbol: symbol, condition: condition.typeName,
            value: value, price: price, event: "test")
        return AlertNotification(alert: alert, firing: firing, test: true)
    }

    /// Sends `notification` once on each of `alert`'s channels, all at once, each bounded by its sender's timeout;
    /// the outcomes in the channels' order.
    func send(_ notification: AlertNotification, for alert: Alert, now: Int64) async throws -> [Delivery] {
        let rows = try OutboxDelivery.rows(
            for: .alert(notification), alertId: alert.id, owner: alert.owner, event: nil, channels: alert.channels,
            now: now)
        let deliverer = self.deliverer
        return await withTaskGroup(of: (Int, Delivery).self) { group in
            for (i, row) in rows.enumerated() {
                group.addTask {
                    let attempt = await deliverer.attempt(row)
                    switch attempt {
                    case .delivered: return (i, Delivery(channel: row.channel.typeName, status: "delivered"))
                    case .failed(let error, _):
                        return (i, Delivery(channel: row.channel.typeName, status: "failed", error: error))
                    }
                }
            }
            var out = [Delivery?](repeating: nil, count: rows.count)
            for await (i, delivery) in group { out[i] = delivery }
            return out.compactMap { $0 }
        }
    }
}
