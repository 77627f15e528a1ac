import FinanceCore
import FinanceStorage
import Logging

/// Delivers one outbox row on its channel and says what came of it: delivered, retry later (with the backoff of
/// `alerts.webhook.maxAttempts`), or failed for good.
public struct AlertDeliverer: Sendable {
    /// Hands a message to the owner's WebSocket connections (on this instance and, through the relay, others).
    public typealias WebSocketDelivery = @Sendable (_ owner: String, _ body: String) async -> Void
    /// Whether `owner` confirmed `address` (email channels send only to confirmed addresses).
    public typealias EmailConfirmed = @Sendable (_ owner: String, _ address: String) async throws -> Bool

    public let webhook: WebhookSender
    public let push: PushSender
    public let email: EmailSender
    public let webSocket: WebSocketDelivery
    /// Nil: every address counts as confirmed (tools and tests that drive the senders alone).
    public let emailConfirmed: EmailConfirmed?
    public let retryPolicy: RetryPolicy
    public let clock: any WallClock
    public let logger: Logger

    public init(
        webhook: WebhookSender, push: PushSender, email: EmailSender, webSocket: @escaping WebSocketDelivery,
        emailConfirmed: EmailConfirmed? = nil, retryPolicy: RetryPolicy, clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "financehub.alerts.delivery")
    ) {
        self.webhook = webhook
        self.push = push
        self.email = email
        self.webSocket = webSocket
        self.emailConfirmed = emailConfirmed
        self.retryPolicy = retryPolicy
        self.clock = clock
        self.logger = logger
    }

    /// A deliverer of `settings`, its HTTP requests resolved by `resolver` and its email sent through `smtp`.
    public init(
        settings: AlertDeliverySettings, webSocket: @escaping WebSocketDelivery,
        emailConfirmed: EmailConfirmed? = nil, resolver: any HostResolver = SystemHostResolver(),
        smtp: SMTPClient? = nil, clock: any WallClock = SystemClock(),
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
            webSocket: webSocket, emailConfirmed: emailConfirmed, retryPolicy: settings.retryPolicy, clock: clock,
            logger: logger)
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

    /// One attempt of `delivery` on its channel, without the retry policy, metrics or log (a test send's).
    public func attempt(_ delivery: OutboxDelivery) async -> DeliveryAttempt {
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
            if let confirmed = self.emailConfirmed {
                do {
                    guard try await confirmed(delivery.owner, to) else { return Self.unconfirmed }
                } catch {
                    return .failed("the address's confirmation could not be read: \(error)", permanent: false)
                }
            }
            guard let payload = DeliveryPayload(json: delivery.body) else { return Self.unreadable }
            return await self.email.send(
                to: to, deliveryId: delivery.id, payload: payload, body: delivery.body, now: now)
        }
    }

    /// The error of a mail to an address its owner has not confirmed: never sent.
    public static let unconfirmedError = "address not confirmed"
    private static let unconfirmed = DeliveryAttempt.failed(Self.unconfirmedError, permanent: true)
    private static let unreadable = DeliveryAttempt.failed("the notification is not readable JSON", permanent: true)
}
