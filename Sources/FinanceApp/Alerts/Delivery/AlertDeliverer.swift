import FinanceCore
import FinanceStorage
import Logging

/// Delivers one outbox row on its channel and says what came of it: delivered, retry later (with the backoff of
/// `alerts.webhook.maxAttempts`), or failed for good.
public struct AlertDeliverer: Sendable {
    /// Hands a message to the owner's WebSocket connections (on this instance and, through the relay, others).
    public typealias WebSocketDelivery = @Sendable (_ owner: String, _ body: String) async -> Void

    public let webhook: WebhookSender
    public let push: PushSender
    public let email: EmailSender
    public let webSocket: WebSocketDelivery
    public let retryPolicy: RetryPolicy
    public let clock: any WallClock
    public let logger: Logger

    public init(
        webhook: WebhookSender, push: PushSender, email: EmailSender, webSocket: @escaping WebSocketDelivery,
        retryPolicy: RetryPolicy, clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "financehub.alerts.delivery")
    ) {
        self.webhook = webhook
        self.push = push
        self.email = email
        self.webSocket = webSocket
        self.retryPolicy = retryPolicy
        self.clock = clock
        self.logger = logger
    }

    /// A deliverer of `settings`, its HTTP requests resolved by `resolver` and its email sent through `smtp`.
    public init(
        settings: AlertDeliverySettings, webSocket: @escaping WebSocketDelivery,
        resolver: any HostResolver = SystemHostResolver(), smtp: SMTPClient? = nil,
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "financehub.alerts.delivery")
    ) {
        let http = GuardedHTTPClient(resolver: resolver, logger: logger)
        self.init(
            webhook: WebhookSender(
                http: http, timeoutSeconds: settings.webhookTimeoutSeconds,
                allowPrivate: settings.allowPrivateWebhooks),
            push: PushSender(
                http: http, timeoutSeconds: settings.webhookTimeoutSeconds, allowPrivate: settings.allowPrivatePush),
            email: EmailSender(client: smtp ?? SMTPClient(settings: settings.smtp, logger: logger)),
            webSocket: webSocket, retryPolicy: settings.retryPolicy, clock: clock, logger: logger)
    }

    /// Attempts `delivery` once.
    public func deliver(_ delivery: OutboxDelivery) async -> DeliveryOutcome {
        let started = ContinuousClock.now
        let attempt = await self.attempt(delivery)
        let outcome = attempt.outcome(
            policy: self.retryPolicy, attemptsBefore: delivery.attempts, now: self.clock.nowMilliseconds())
        let elapsed = ContinuousClock.now - started
        AlertDeliveryMetrics.attempt(
            channel: delivery.channel.typeName, outcome: outcome,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        switch outcome {
        case .delivered: break
        case .retry(let error, _), .failed(let error):
            // Ids and the error only: never the URL (it may carry a token) nor a secret.
            self.logger.info(
                "alert delivery failed",
                metadata: [
                    "delivery": "\(delivery.id)", "alert": "\(delivery.alertId)",
                    "channel": "\(delivery.channel.typeName)", "attempt": "\(delivery.attempts + 1)",
                    "error": "\(error)",
                ])
        }
        return outcome
    }

    private func attempt(_ delivery: OutboxDelivery) async -> DeliveryAttempt {
        let now = self.clock.nowMilliseconds()
        switch delivery.channel {
        case .websocket:
            await self.webSocket(delivery.owner, delivery.body)
            return .delivered
        case .webhook(let url, let secret):
            return await self.webhook.send(
                url: url, secret: secret, deliveryId: delivery.id, body: delivery.body, now: now)
        case .push(let url, let format, let token):
            guard let payload = DeliveryPayload(json: delivery.body) else { return Self.unreadable }
            return await self.push.send(url: url, format: format, token: token, payload: payload)
        case .email(let to):
            guard let payload = DeliveryPayload(json: delivery.body) else { return Self.unreadable }
            return await self.email.send(
                to: to, deliveryId: delivery.id, payload: payload, body: delivery.body, now: now)
        }
    }

    private static let unreadable = DeliveryAttempt.failed("the notification is not readable JSON", permanent: true)
}
