import FinanceCore
import Synchronization

/// Alerts, their history and engine state, the delivery outbox and email confirmations of the in-memory store: the
/// reference semantics of `AlertRepository`, `AlertOutboxRepository` and `EmailConfirmationRepository`.
final class MemoryAlertState: Sendable {
    struct EmailKey: Hashable {
        var owner: String
        var address: String
    }

    struct EmailRecord {
        var codeHash: String?
        var expiresAt: Int64
        var attempts: Int
        var confirmed: Bool
    }

    struct FiringKey: Hashable {
        var alertId: String
        var event: String
    }

    struct State {
        var alerts: [String: Alert] = [:]
        var history: [AlertHistoryEntry] = []
        var firings: Set<FiringKey> = []
        var nextHistoryId: Int64 = 1
        var engineStates: [String: [String: Double]] = [:]
        var deliveries: [String: OutboxDelivery] = [:]
        var emails: [EmailKey: EmailRecord] = [:]
    }

    let state = Mutex(State())

    /// Alerts in list order: oldest first, ties by id.
    static func listOrder(_ a: Alert, _ b: Alert) -> Bool {
        a.createdAt != b.createdAt ? a.createdAt < b.createdAt : a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
    }
}

extension MemoryStore {
    public func createAlert(_ alert: Alert, maxAlerts: Int) async throws -> Bool {
        try self.alertState.state.withLock { s in
            guard s.alerts[alert.id] == nil else { throw StorageError.conflict("alert \(alert.id)") }
            guard s.alerts.values.count(where: { $0.owner == alert.owner }) < maxAlerts else { return false }
            s.alerts[alert.id] = alert
            return true
        }
    }

    public func alert(id: String) async throws -> Alert {
        guard let alert = self.alertState.state.withLock({ $0.alerts[id] }) else {
            throw StorageError.notFound("alert \(id)")
        }
        return alert
    }

    public func updateAlert(_ alert: Alert) async throws {
        try self.alertState.state.withLock { s in
            guard let stored = s.alerts[alert.id] else { throw StorageError.notFound("alert \(alert.id)") }
            var next = alert
            next.owner = stored.owner
            next.createdAt = stored.createdAt
            s.alerts[alert.id] = next
        }
    }

    public func deleteAlert(id: String) async throws {
        try self.alertState.state.withLock { s in
            guard s.alerts.removeValue(forKey: id) != nil else { throw StorageError.notFound("alert \(id)") }
            s.engineStates[id] = nil
        }
    }

    public func alerts(owner: String, after cursor: AlertCursor?, limit: Int) async throws -> [Alert] {
        let mine = self.alertState.state.withLock { s in
            s.alerts.values.filter { alert in
                alert.owner == owner && (cursor.map { $0.precedes(createdAt: alert.createdAt, id: alert.id) } ?? true)
            }
        }
        return Array(mine.sorted(by: MemoryAlertState.listOrder).prefix(max(0, limit)))
    }

    public func alertCount(owner: String) async throws -> Int {
        self.alertState.state.withLock { $0.alerts.values.count { $0.owner == owner } }
    }

    public func enabledAlerts() async throws -> [Alert] {
        self.alertState.state.withLock { $0.alerts.values.filter(\.enabled) }.sorted(by: MemoryAlertState.listOrder)
    }

    public func markAlertTriggered(id: String, at: Int64) async throws {
        self.alertState.state.withLock { s in
            if s.alerts[id]?.triggeredAt == nil { s.alerts[id]?.triggeredAt = at }
        }
    }

    public func disableAlert(id: String, reason: String, at: Int64) async throws {
        self.alertState.state.withLock { s in
            guard var alert = s.alerts[id] else { return }
            alert.enabled = false
            alert.disabledReason = reason
            alert.updatedAt = at
            s.alerts[id] = alert
        }
    }

    public func alertHistory(_ query: AlertHistoryQuery) async throws -> [AlertHistoryEntry] {
        let matching = self.alertState.state.withLock { $0.history.filter(query.matches) }
        let newestFirst = matching.sorted { a, b in a.firing.ts != b.firing.ts ? a.firing.ts > b.firing.ts : a.id > b.id
        }
        return Array(newestFirst.prefix(max(0, query.limit)))
    }

    public func saveAlertStates(_ states: [String: [String: Double]]) async throws {
        self.alertState.state.withLock { s in
            for (id, state) in states where s.alerts[id] != nil {
                s.engineStates[id] = state.isEmpty ? nil : state
            }
        }
    }

    public func alertStates() async throws -> [String: [String: Double]] {
        self.alertState.state.withLock { $0.engineStates }
    }

    // MARK: - Outbox

    public func recordFiring(_ firing: AlertFiring, deliveries: [OutboxDelivery]) async throws -> Bool {
        self.alertState.state.withLock { s in
            let key = MemoryAlertState.FiringKey(alertId: firing.alertId, event: firing.event)
            guard s.firings.insert(key).inserted else { return false }
            s.history.append(AlertHistoryEntry(id: s.nextHistoryId, firing: firing))
            s.nextHistoryId += 1
            for delivery in deliveries where s.deliveries[delivery.id] == nil { s.deliveries[delivery.id] = delivery }
            return true
        }
    }

    public func recordFirings(_ records: [FiringRecord]) async throws -> [Bool] {
        self.alertState.state.withLock { s in
            records.map { record in
                let firing = record.firing
                let key = MemoryAlertState.FiringKey(alertId: firing.alertId, event: firing.event)
                guard s.firings.insert(key).inserted else { return false }
                s.history.append(AlertHistoryEntry(id: s.nextHistoryId, firing: firing))
                s.nextHistoryId += 1
                for delivery in record.deliveries where s.deliveries[delivery.id] == nil {
                    s.deliveries[delivery.id] = delivery
                }
                if record.triggersOnce, s.alerts[firing.alertId]?.triggeredAt == nil {
                    s.alerts[firing.alertId]?.triggeredAt = firing.ts
                }
                return true
            }
        }
    }

    public func enqueue(_ deliveries: [OutboxDelivery]) async throws {
        self.alertState.state.withLock { s in
            for delivery in deliveries where s.deliveries[delivery.id] == nil { s.deliveries[delivery.id] = delivery }
        }
    }

    public func claimDueDeliveries(now: Int64, limit: Int, leaseMilliseconds: Int64) async throws -> [OutboxDelivery] {
        self.alertState.state.withLock { s in
            let due = s.deliveries.values.filter { $0.status == .pending && $0.nextAttemptAt <= now }
                .sorted { a, b in
                    a.nextAttemptAt != b.nextAttemptAt
                        ? a.nextAttemptAt < b.nextAttemptAt : a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
                }
                .prefix(max(0, limit))
            return due.map { delivery in
                var leased = delivery
                leased.nextAttemptAt = now + leaseMilliseconds
                leased.updatedAt = now
                s.deliveries[delivery.id] = leased
                return leased
            }
        }
    }

    public func completeDelivery(id: String, outcome: DeliveryOutcome, now: Int64) async throws {
        try self.alertState.state.withLock { s in
            guard var delivery = s.deliveries[id] else { throw StorageError.notFound("delivery \(id)") }
            // A late report on a delivery already settled (its lease ran out and another attempt finished it).
            guard delivery.status == .pending else { return }
            delivery.attempts += 1
            delivery.updatedAt = now
            switch outcome {
            case .delivered:
                delivery.status = .delivered
                delivery.lastError = nil
            case .retry(let error, let at):
                delivery.lastError = error
                delivery.nextAttemptAt = at
            case .failed(let error):
                delivery.status = .failed
                delivery.lastError = error
            }
            s.deliveries[id] = delivery
        }
    }

    public func deliveries(alertId: String, limit: Int) async throws -> [OutboxDelivery] {
        let mine = self.alertState.state.withLock { $0.deliveries.values.filter { $0.alertId == alertId } }
        let newestFirst = mine.sorted { a, b in
            a.createdAt != b.createdAt ? a.createdAt > b.createdAt : b.id.utf8.lexicographicallyPrecedes(a.id.utf8)
        }
        return Array(newestFirst.prefix(max(0, limit)))
    }

    // MARK: - Email confirmations

    public func storeEmailCode(owner: String, address: String, codeHash: String, expiresAt: Int64, now: Int64)
        async throws
    {
        self.alertState.state.withLock { s in
            let key = MemoryAlertState.EmailKey(owner: owner, address: address)
            let confirmed = s.emails[key]?.confirmed ?? false
            s.emails[key] = MemoryAlertState.EmailRecord(
                codeHash: codeHash, expiresAt: expiresAt, attempts: 0, confirmed: confirmed)
        }
    }

    public func confirmEmail(owner: String, address: String, codeHash: String, now: Int64, maxAttempts: Int)
        async throws -> Bool
    {
        self.alertState.state.withLock { s in
            let key = MemoryAlertState.EmailKey(owner: owner, address: address)
            guard var record = s.emails[key] else { return false }
            if record.confirmed { return true }
            guard let stored = record.codeHash, record.expiresAt > now, record.attempts < maxAttempts else {
                return false
            }
            if stored == codeHash {
                record.confirmed = true
                record.codeHash = nil
            } else {
                record.attempts += 1
            }
            s.emails[key] = record
            return record.confirmed
        }
    }

    public func isEmailConfirmed(owner: String, address: String) async throws -> Bool {
        self.alertState.state.withLock {
            $0.emails[MemoryAlertState.EmailKey(owner: owner, address: address)]?.confirmed ?? false
        }
    }
}
