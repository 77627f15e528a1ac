import FinanceApp
import FinanceCore
import FinanceStorage

/// An alert as `GET /api/alerts/{id}` shows it: the body's members plus `id`, `owner`, `createdAt`, `updatedAt` and
/// `state`. Channels never show their secrets: `secretSet` / `tokenSet` say whether one is stored; an email channel
/// shows whether its owner confirmed the address (`confirmed`).
public struct AlertDTO: Codable, Sendable, Equatable {
    public var id: String
    public var owner: String
    public var name: String
    public var target: AlertTargetDocument
    public var conditions: [AlertConditionDocument]
    public var combine: AlertCombine
    public var trigger: AlertTriggerDocument
    /// ms since the epoch.
    public var expiresAt: Int64?
    public var enabled: Bool
    public var channels: [AlertChannelDTO]
    public var message: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    /// `active`, `triggered`, `expired` or `disabled`.
    public var state: AlertState
    /// When a `once` alert fired.
    public var triggeredAt: Int64?
    /// Why the server disabled the alert (the runaway stop); absent when its owner did.
    public var disabledReason: String?

    /// `confirmed`: the addresses the owner confirmed.
    public init(_ alert: Alert, now: Int64, confirmed: Set<String> = []) {
        self.id = alert.id
        self.owner = alert.owner
        self.name = alert.name
        self.target = AlertTargetDocument(alert.target)
        self.conditions = alert.conditions.map(AlertConditionDocument.init)
        self.combine = alert.combine
        self.trigger = AlertTriggerDocument(alert.trigger)
        self.expiresAt = alert.expiresAt
        self.enabled = alert.enabled
        self.channels = alert.channels.map { AlertChannelDTO($0, confirmed: confirmed) }
        self.message = alert.message
        self.createdAt = alert.createdAt
        self.updatedAt = alert.updatedAt
        self.state = alert.state(now: now)
        self.triggeredAt = alert.triggeredAt
        self.disabledReason = alert.disabledReason
    }
}

/// A channel without its secret.
public struct AlertChannelDTO: Codable, Sendable, Equatable {
    /// `websocket`, `webhook`, `email` or `push`.
    public var type: String
    public var url: String?
    /// The email channel's address.
    public var to: String?
    /// The push channel's server dialect: `ntfy` or `gotify`.
    public var format: PushFormat?
    /// A webhook's: always true (a webhook has a secret).
    public var secretSet: Bool?
    /// A push channel's: whether a token is stored.
    public var tokenSet: Bool?
    /// An email channel's: whether the owner confirmed the address (deliveries to it are sent only then).
    public var confirmed: Bool?

    /// `confirmed`: the addresses the owner confirmed.
    public init(_ channel: AlertChannel, confirmed: Set<String> = []) {
        self.type = channel.typeName
        switch channel {
        case .websocket: break
        case .webhook(let url, _):
            self.url = url
            self.secretSet = true
        case .email(let to):
            self.to = to
            self.confirmed = confirmed.contains(to)
        case .push(let url, let format, let token):
            self.url = url
            self.format = format
            self.tokenSet = token != nil
        }
    }
}

/// `GET /api/alerts`: a page of the caller's alerts, oldest first; `next` (absent on the last page) is the `cursor`
/// of the next page.
public struct AlertPageDTO: Codable, Sendable, Equatable {
    public var items: [AlertDTO]
    public var next: String?
}

/// One firing of an alert: the condition type that fired, the number that crossed and the price then.
public struct AlertHistoryItemDTO: Codable, Sendable, Equatable {
    /// The history entry's id.
    public var id: String
    public var alertId: String
    /// When it fired, ms since the epoch.
    public var ts: Int64
    public var symbol: String?
    /// The condition type name.
    public var condition: String
    public var value: Double
    public var price: Double?

    public init(_ entry: AlertHistoryEntry) {
        self.id = String(entry.id)
        self.alertId = entry.firing.alertId
        self.ts = entry.firing.ts
        self.symbol = entry.firing.symbol
        self.condition = entry.firing.condition
        self.value = entry.firing.value
        self.price = entry.firing.price
    }
}

/// `GET /api/alerts/history`: a page of firings, newest first; `next` (absent on the last page) is the `cursor` of
/// the next page.
public struct AlertHistoryPageDTO: Codable, Sendable, Equatable {
    public var items: [AlertHistoryItemDTO]
    public var next: String?
}
