import FinanceStorage

/// Settings of alert delivery (`alerts.*` and `smtp.*`).
public struct AlertDeliverySettings: Sendable, Equatable {
    /// Seconds one webhook or push request may take, connection included (`alerts.webhook.timeoutSeconds`).
    public var webhookTimeoutSeconds: Int
    /// Attempts of one delivery on any channel before it is given up (`alerts.webhook.maxAttempts`); the waits
    /// between them start at 1 s and double.
    public var maxAttempts: Int
    /// Whether webhooks may reach loopback, private, link-local... addresses (`alerts.allowPrivateWebhooks`).
    public var allowPrivateWebhooks: Bool
    /// Whether push servers may be on such addresses (`alerts.allowPrivatePush`).
    public var allowPrivatePush: Bool
    /// Notifications one user gets per minute before the rest is held for a digest.
    public var perUserPerMinute: Int
    /// Notifications one alert sends per minute before the rest is held for a digest.
    public var perAlertPerMinute: Int
    /// `POST /api/alerts/test` sends one user may make per minute (`alerts.throttle.testsPerMinute`).
    public var testsPerMinute: Int
    /// Deliveries attempted at once by one instance.
    public var concurrency: Int
    /// How often the outbox is polled for due deliveries.
    public var pollInterval: Duration
    public var smtp: SMTPSettings

    public init(
        webhookTimeoutSeconds: Int = 5, maxAttempts: Int = 6, allowPrivateWebhooks: Bool = false,
        allowPrivatePush: Bool = false, perUserPerMinute: Int = 60, perAlertPerMinute: Int = 10,
        concurrency: Int = 64, pollInterval: Duration = .milliseconds(250), smtp: SMTPSettings = SMTPSettings(),
        testsPerMinute: Int = 10
    ) {
        self.webhookTimeoutSeconds = webhookTimeoutSeconds
        self.maxAttempts = maxAttempts
        self.allowPrivateWebhooks = allowPrivateWebhooks
        self.allowPrivatePush = allowPrivatePush
        self.perUserPerMinute = perUserPerMinute
        self.perAlertPerMinute = perAlertPerMinute
        self.testsPerMinute = testsPerMinute
        self.concurrency = concurrency
        self.pollInterval = pollInterval
        self.smtp = smtp
    }

    /// How long a claimed delivery is held before another instance may take it: twice the longest attempt.
    public var leaseMilliseconds: Int64 {
        Int64(2 * max(self.webhookTimeoutSeconds, self.smtp.timeoutSeconds)) * 1_000
    }

    /// The retry schedule.
    public var retryPolicy: RetryPolicy { RetryPolicy(maxAttempts: self.maxAttempts) }
}

/// How the SMTP client secures its connection (`smtp.tls`).
public enum SMTPTLSMode: String, Sendable, Equatable, CaseIterable {
    /// Plain connection upgraded with STARTTLS (port 587); a server that does not offer it is an error.
    case starttls
    /// TLS from the first byte (port 465).
    case implicit
    /// No TLS (a local relay only).
    case none
}

/// Where alert emails and confirmation codes are sent from (`smtp.*`). The password is never logged nor shown.
public struct SMTPSettings: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The server; nil: email is not configured (email deliveries fail with a clear error).
    public var host: String?
    public var port: Int
    public var tls: SMTPTLSMode
    /// When set, the client authenticates (AUTH PLAIN, else LOGIN).
    public var username: String?
    public var password: String?
    /// The envelope sender and `From:` address.
    public var from: String
    /// Seconds the whole conversation of one message may take.
    public var timeoutSeconds: Int
    /// The name sent with EHLO.
    public var helloName: String

    public init(
        host: String? = nil, port: Int = 587, tls: SMTPTLSMode = .starttls, username: String? = nil,
        password: String? = nil, from: String = "financehub@localhost", timeoutSeconds: Int = 30,
        helloName: String = "financehub"
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password
        self.from = from
        self.timeoutSeconds = timeoutSeconds
        self.helloName = helloName
    }

    public var description: String {
        "SMTPSettings(host: \(self.host ?? "-"), port: \(self.port), tls: \(self.tls.rawValue), username: "
            + "\(self.username ?? "-"), password: \(self.password == nil ? "-" : "<secret>"), from: \(self.from))"
    }

    public var debugDescription: String { self.description }
}

/// When a failed delivery is tried again: after 1 s, then 2, 4, 8... until `maxAttempts` attempts were made.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int

    public init(maxAttempts: Int) { self.maxAttempts = max(1, maxAttempts) }

    /// The outcome of a failed attempt, given the attempts made before it: a retry after the backoff, or failed for
    /// good when this was the last allowed attempt (or the failure is `permanent`).
    public func outcome(error: String, permanent: Bool, attemptsBefore: Int, now: Int64) -> DeliveryOutcome {
        let made = attemptsBefore + 1
        if permanent { return .failed(error: error) }
        guard made < self.maxAttempts else {
            return .failed(error: "\(error) (gave up after \(made) attempt\(made == 1 ? "" : "s"))")
        }
        return .retry(error: error, at: now + self.backoffMilliseconds(afterAttempt: made))
    }

    /// The wait after attempt `n` (1-based): 1 s × 2^(n−1), at most an hour.
    public func backoffMilliseconds(afterAttempt n: Int) -> Int64 {
        min(3_600_000, 1_000 << Int64(min(max(0, n - 1), 22)))
    }
}
