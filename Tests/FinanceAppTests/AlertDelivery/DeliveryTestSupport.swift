import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceTestSupport
import Logging
import Synchronization

/// Builders shared by the delivery tests.
enum DeliveryFixtures {
    static let notification = AlertNotification(
        alertId: "a1", name: "BTC breakout", symbol: "BTC", condition: "price_crossing_up", value: 50_000,
        price: 50_012.5, ts: t0, message: "BTC crossed 50000")

    static var body: String { (try? DeliveryPayload.alert(Self.notification).json) ?? "" }

    static func delivery(
        _ id: String, channel: AlertChannel, body: String = DeliveryFixtures.body, owner: String = "alice",
        attempts: Int = 0, due: Int64 = t0
    ) -> OutboxDelivery {
        OutboxDelivery(
            id: id, alertId: "a1", owner: owner, event: "tick:\(id)", channel: channel, body: body,
            attempts: attempts, nextAttemptAt: due, createdAt: due)
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test.delivery")
        logger.logLevel = .critical
        return logger
    }

    /// A deliverer of `settings` whose WebSocket deliveries land in `webSocket`.
    static func deliverer(
        _ settings: AlertDeliverySettings, clock: any WallClock, resolver: any HostResolver = SystemHostResolver(),
        smtp: SMTPClient? = nil, webSocket: WebSocketInbox = WebSocketInbox()
    ) -> AlertDeliverer {
        AlertDeliverer(
            settings: settings, webSocket: { owner, body in webSocket.add(owner, body) }, resolver: resolver,
            smtp: smtp, clock: clock, logger: Self.quietLogger)
    }
}

/// What the WebSocket channel was handed: (owner, body) in order.
final class WebSocketInbox: Sendable {
    private let items = Mutex<[(owner: String, body: String)]>([])

    func add(_ owner: String, _ body: String) { self.items.withLock { $0.append((owner, body)) } }
    var all: [(owner: String, body: String)] { self.items.withLock { $0 } }
}
