import FinanceCore
import FinanceStorage
import GRDB

/// The alert delivery outbox. Every change runs in the single writer's transaction, so a claim's select and update
/// are one step for every process on the file.
extension SQLiteStore {
    private static let deliveryColumns = """
        id, alert_id, owner, event, channel, body, status, attempts, last_error, next_attempt_at, created_at, updated_at
        """

    private static func delivery(_ row: Row) throws -> OutboxDelivery {
        guard let status = OutboxStatus(rawValue: row[6]) else {
            throw StorageError.backend("a stored delivery has an unknown status")
        }
        return OutboxDelivery(
            id: row[0], alertId: row[1], owner: row[2], event: row[3],
            channel: try AlertStoredForm.channel(from: row[4]), body: row[5], status: status, attempts: row[7],
            lastError: row[8], nextAttemptAt: row[9], createdAt: row[10], updatedAt: row[11])
    }

    private static func insert(_ deliveries: [OutboxDelivery], _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql:
                "INSERT OR IGNORE INTO alert_deliveries (\(Self.deliveryColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        for d in deliveries {
            try statement.execute(arguments: [
                d.id, d.alertId, d.owner, d.event, AlertStoredForm.channel(d.channel), d.body, d.status.rawValue,
                d.attempts, d.lastError, d.nextAttemptAt, d.createdAt, d.updatedAt,
            ])
        }
    }

    public func recordFiring(_ firing: AlertFiring, deliveries: [OutboxDelivery]) async throws -> Bool {
        try await self.write("record_firing") { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO alert_history (alert_id, owner, ts, symbol, condition, value, price, event)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    firing.alertId, firing.owner, firing.ts, firing.symbol, firing.condition, firing.value,
                    firing.price, firing.event,
                ])
            guard db.changesCount == 1 else { return false }
            try Self.insert(deliveries, db)
            return true
        }
    }

    public func recordFirings(_ records: [FiringRecord]) async throws -> [Bool] {
        guard !records.isEmpty else { return [] }
        return try await self.write("record_firings") { db in
            let history = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO alert_history (alert_id, owner, ts, symbol, condition, value, price, event)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            let triggered = try db.cachedStatement(
                sql: "UPDATE alerts SET triggered_at = ? WHERE id = ? AND triggered_at IS NULL")
            return try records.map { record in
                let firing = record.firing
                try history.execute(arguments: [
                    firing.alertId, firing.owner, firing.ts, firing.symbol, firing.condition, firing.value,
                    firing.price, firing.event,
                ])
                guard db.changesCount == 1 else { return false }
                try Self.insert(record.deliveries, db)
                if record.triggersOnce { try triggered.execute(arguments: [firing.ts, firing.alertId]) }
                return true
            }
        }
    }

    public func enqueue(_ deliveries: [OutboxDelivery]) async throws {
        guard !deliveries.isEmpty else { return }
        try await self.write("enqueue_deliveries") { db in try Self.insert(deliveries, db) }
    }

    public func claimDueDeliveries(now: Int64, limit: Int, leaseMilliseconds: Int64) async throws -> [OutboxDelivery] {
        try await self.write("claim_deliveries") { db in
            let due = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.deliveryColumns) FROM alert_deliveries
                    WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                    """, arguments: [now, max(0, limit)]
            ).map(Self.delivery)
            let lease = try db.cachedStatement(
                sql: "UPDATE alert_deliveries SET next_attempt_at = ?, updated_at = ? WHERE id = ?")
            return try due.map { delivery in
                var leased = delivery
                leased.nextAttemptAt = now + leaseMilliseconds
                leased.updatedAt = now
                try lease.execute(arguments: [leased.nextAttemptAt, now, delivery.id])
                return leased
            }
        }
    }

    public func completeDelivery(id: String, outcome: DeliveryOutcome, now: Int64) async throws {
        let (status, error, next): (OutboxStatus, String?, Int64?) =
            switch outcome {
            case .delivered: (.delivered, nil, nil)
            case .retry(let error, let at): (.pending, error, at)
            case .failed(let error): (.failed, error, nil)
            }
        let found = try await self.write("complete_delivery") { db in
            try db.execute(
                sql: """
                    UPDATE alert_deliveries SET status = ?, attempts = attempts + 1, last_error = ?,
                        next_attempt_at = coalesce(?, next_attempt_at), updated_at = ?
                    WHERE id = ? AND status = 'pending'
                    """, arguments: [status.rawValue, error, next, now, id])
            if db.changesCount == 1 { return true }
            return try Bool.fetchOne(db, sql: "SELECT 1 FROM alert_deliveries WHERE id = ?", arguments: [id]) != nil
        }
        if !found { throw StorageError.notFound("delivery \(id)") }
    }

    public func deliveries(alertId: String, limit: Int) async throws -> [OutboxDelivery] {
        try await self.read("alert_deliveries") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.deliveryColumns) FROM alert_deliveries WHERE alert_id = ?
                    ORDER BY created_at DESC, id DESC LIMIT ?
                    """, arguments: [alertId, max(0, limit)]
            ).map(Self.delivery)
        }
    }
}
