import FinanceCore

/// One notification waiting for (or done with) delivery on one channel: the persisted outbox that makes a
/// notification accepted by the engine reach its channel after a restart or a crash, once per channel as far as the
/// receiver's delivery id can tell. The rows are also the `AlertNotification` records (every attempt counted).
public struct OutboxDelivery: Hashable, Sendable {
    /// The delivery id (sent as `X-FinanceHub-Delivery`), unique; stable across retries.
    public var id: String
    public var alertId: String
    /// The alert's owner (for throttles and the WebSocket channel).
    public var owner: String
    /// The firing event this delivery belongs to (`AlertFiring.event`); nil for digests and test sends.
    public var event: String?
    public var channel: AlertChannel
    /// The notification JSON sent (the webhook and push body, the email JSON part, the WebSocket message).
    public var body: String
    public var status: OutboxStatus
    /// Attempts made so far.
    public var attempts: Int
    /// The last attempt's error, if it failed.
    public var lastError: String?
    /// When the next attempt is due (ms since the epoch); for a claimed row, when its lease ends.
    public var nextAttemptAt: Int64
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: String, alertId: String, owner: String, event: String?, channel: AlertChannel, body: String,
        status: OutboxStatus = .pending, attempts: Int = 0, lastError: String? = nil, nextAttemptAt: Int64,
        createdAt: Int64, updatedAt: Int64? = nil
    ) {
        self.id = id
        self.alertId = alertId
        self.owner = owner
        self.event = event
        self.channel = channel
        self.body = body
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

/// Where an outbox row stands.
public enum OutboxStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// Waiting for its first or next attempt.
    case pending
    /// Delivered (the receiver acknowledged it).
    case delivered
    /// Given up after the last allowed attempt, or refused for good (an SSRF-guarded URL, a rejected address).
    case failed
}

/// What one delivery attempt came to.
public enum DeliveryOutcome: Hashable, Sendable {
    case delivered
    /// Failed; try again at `at` (ms since the epoch).
    case retry(error: String, at: Int64)
    /// Failed for good.
    case failed(error: String)
}

/// One firing for `AlertOutboxRepository.recordFirings`: the firing, its deliveries, and whether its alert is a
/// `once` alert to mark triggered with it.
public struct FiringRecord: Sendable, Equatable {
    public var firing: AlertFiring
    public var deliveries: [OutboxDelivery]
    public var triggersOnce: Bool

    public init(firing: AlertFiring, deliveries: [OutboxDelivery], triggersOnce: Bool = false) {
        self.firing = firing
        self.deliveries = deliveries
        self.triggersOnce = triggersOnce
    }
}

/// The persisted delivery outbox, shared by every instance on one database.
public protocol AlertOutboxRepository: Sendable {
    /// Records a firing in the alert history and queues its deliveries, in one transaction. Returns false (and
    /// stores nothing) when the history already holds this alert's `firing.event`: the same alert, condition and
    /// event never notify twice, even when two instances race. A delivery whose id is already queued is skipped.
    func recordFiring(_ firing: AlertFiring, deliveries: [OutboxDelivery]) async throws -> Bool
    /// Records many firings in one transaction, each as `recordFiring` does (the results in order), and marks the
    /// alert of each new `triggersOnce` record triggered at its firing's time (as `markAlertTriggered`), so that a
    /// `once` alert is triggered exactly when its firing is recorded.
    func recordFirings(_ records: [FiringRecord]) async throws -> [Bool]
    /// Queues deliveries that belong to no new firing (digests, test sends, runaway-stop notices).
    func enqueue(_ deliveries: [OutboxDelivery]) async throws
    /// Takes up to `limit` pending deliveries due at `now` (oldest first) and leases them until
    /// `now + leaseMilliseconds` (their `nextAttemptAt` moves there), so that no other instance takes them
    /// meanwhile; a delivery whose holder crashed is taken again once its lease has run out.
    func claimDueDeliveries(now: Int64, limit: Int, leaseMilliseconds: Int64) async throws -> [OutboxDelivery]
    /// Records the outcome of an attempt on a claimed delivery (its `attempts` grow by one). A report on a delivery
    /// that is no longer pending (settled meanwhile by another holder) changes nothing; an unknown id throws
    /// `StorageError.notFound`.
    func completeDelivery(id: String, outcome: DeliveryOutcome, now: Int64) async throws
    /// The deliveries of one alert, newest first (the notification records).
    func deliveries(alertId: String, limit: Int) async throws -> [OutboxDelivery]
}
