import FinanceCore

/// Users' alerts, their firing history and the engine's per-alert state, shared by every instance on one database.
/// The history is written by `AlertOutboxRepository.recordFiring` (with the deliveries of each firing) and read here.
public protocol AlertRepository: Sendable {
    /// Stores a new alert unless its owner already has `maxAlerts` alerts (then returns false and stores nothing);
    /// the count and the insert are one step, so concurrent creations never pass the quota. Throws
    /// `StorageError.conflict` when the id is taken.
    func createAlert(_ alert: Alert, maxAlerts: Int) async throws -> Bool
    /// The alert with `id`; throws `StorageError.notFound`.
    func alert(id: String) async throws -> Alert
    /// Replaces a stored alert (every field but `id`, `owner` and `createdAt`); throws `StorageError.notFound`.
    func updateAlert(_ alert: Alert) async throws
    /// Deletes an alert and its engine state (its history and deliveries stay); throws `StorageError.notFound`.
    func deleteAlert(id: String) async throws
    /// One page of `owner`'s alerts, oldest first (by `createdAt`, then id), after `cursor`.
    func alerts(owner: String, after cursor: AlertCursor?, limit: Int) async throws -> [Alert]
    /// How many alerts `owner` has (the tier quota counts them).
    func alertCount(owner: String) async throws -> Int
    /// Every enabled alert, whatever its expiry (the engine loads them when it starts).
    func enabledAlerts() async throws -> [Alert]
    /// Records that a `once` alert fired at `at` (state `triggered`); a missing alert is ignored.
    func markAlertTriggered(id: String, at: Int64) async throws
    /// Disables an alert for `reason` (the runaway stop); a missing alert is ignored.
    func disableAlert(id: String, reason: String, at: Int64) async throws
    /// The firings that match `query`, newest first (by `ts`, then by id descending), at most `query.limit`.
    func alertHistory(_ query: AlertHistoryQuery) async throws -> [AlertHistoryEntry]
    /// Replaces the engine's saved state of each alert in `states` (a small map of named numbers, such as which side
    /// of a threshold the last price was on), so that crossing conditions survive restarts. State of an alert that
    /// no longer exists is dropped.
    func saveAlertStates(_ states: [String: [String: Double]]) async throws
    /// The saved engine state of every alert that has one, by alert id.
    func alertStates() async throws -> [String: [String: Double]]
}

extension AlertRepository {
    /// Replaces the engine's saved state of one alert.
    public func saveAlertState(alertId: String, state: [String: Double]) async throws {
        try await self.saveAlertStates([alertId: state])
    }
}

/// A position in an owner's alert list (oldest first): the last alert of a page.
public struct AlertCursor: Hashable, Sendable {
    public var createdAt: Int64
    public var id: String

    public init(createdAt: Int64, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    /// The cursor after `alert`.
    public init(after alert: Alert) { self.init(createdAt: alert.createdAt, id: alert.id) }

    /// True when an alert created at `createdAt` with `id` comes after this position (ids compare by their UTF-8
    /// bytes, as SQLite and PostgreSQL with `COLLATE "C"` do).
    public func precedes(createdAt: Int64, id: String) -> Bool {
        createdAt > self.createdAt
            || (createdAt == self.createdAt && self.id.utf8.lexicographicallyPrecedes(id.utf8))
    }
}

/// One recorded firing of an alert (`AlertFiring` as stored, with the history row's id).
public struct AlertHistoryEntry: Hashable, Sendable {
    /// The history row's id: increasing in the order firings were recorded, unique in the database.
    public var id: Int64
    public var firing: AlertFiring

    public init(id: Int64, firing: AlertFiring) {
        self.id = id
        self.firing = firing
    }
}

/// A position in the alert history's order (newest first): the last entry of a page.
public struct AlertHistoryCursor: Hashable, Sendable {
    public var ts: Int64
    public var id: Int64

    public init(ts: Int64, id: Int64) {
        self.ts = ts
        self.id = id
    }

    /// The cursor after `entry`.
    public init(after entry: AlertHistoryEntry) { self.init(ts: entry.firing.ts, id: entry.id) }

    /// True when an entry at (`ts`, `id`) comes after this position, newest first (it is older).
    public func precedes(ts: Int64, id: Int64) -> Bool { ts < self.ts || (ts == self.ts && id < self.id) }
}

/// Which firings to read: `from <= ts < to`, of one owner and optionally one alert, after a cursor.
public struct AlertHistoryQuery: Hashable, Sendable {
    /// The alerts' owner; nil for every owner (an admin reading one alert's history).
    public var owner: String?
    public var alertId: String?
    public var from: Int64
    public var to: Int64
    public var limit: Int
    /// Only entries after this position (older ones), for the next page.
    public var after: AlertHistoryCursor?

    public init(
        owner: String?, alertId: String? = nil, from: Int64 = Int64.min, to: Int64 = Int64.max, limit: Int,
        after: AlertHistoryCursor? = nil
    ) {
        self.owner = owner
        self.alertId = alertId
        self.from = from
        self.to = to
        self.limit = limit
        self.after = after
    }

    /// True when `entry` matches (the memory store's filter, and the reference for the others).
    public func matches(_ entry: AlertHistoryEntry) -> Bool {
        let f = entry.firing
        return f.ts >= self.from && f.ts < self.to && (self.owner == nil || f.owner == self.owner)
            && (self.alertId == nil || f.alertId == self.alertId)
            && (self.after.map { $0.precedes(ts: f.ts, id: entry.id) } ?? true)
    }
}

/// Email addresses confirmed for alert channels: a one-time code is mailed to an address on its first use, and the
/// address is confirmed once its owner sends the code back. Only a hash of the code is stored.
public protocol EmailConfirmationRepository: Sendable {
    /// Stores a new code for (`owner`, `address`), valid until `expiresAt`, replacing any earlier code and its
    /// failed attempts; an address already confirmed stays confirmed.
    func storeEmailCode(owner: String, address: String, codeHash: String, expiresAt: Int64, now: Int64) async throws
    /// Confirms (`owner`, `address`) when `codeHash` is the hash of its current code, the code has not expired and
    /// fewer than `maxAttempts` wrong codes were sent for it; a wrong code counts as an attempt. The code is used up
    /// when it confirms. Returns whether the address is now confirmed.
    func confirmEmail(owner: String, address: String, codeHash: String, now: Int64, maxAttempts: Int) async throws
        -> Bool
    /// True when `owner` has confirmed `address`.
    func isEmailConfirmed(owner: String, address: String) async throws -> Bool
}
