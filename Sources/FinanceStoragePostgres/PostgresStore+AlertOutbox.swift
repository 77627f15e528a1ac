import FinanceCore
import FinanceStorage
import PostgresNIO

/// The alert delivery outbox, shared by every instance: firings are deduplicated by the history's unique
/// (alert_id, event) key, and claims skip rows another instance has locked, so two claimers never take one row.
extension PostgresStore {
    private static let deliveryColumns = """
        id, alert_id, owner, event, channel, body, status, attempts, last_error, next_attempt_at, created_at, updated_at
        """

    private func readDeliveries(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [OutboxDelivery] {
        var out: [OutboxDelivery] = []
        let rows = try await conn.query(query, logger: self.logger)
        for try await (id, alertId, owner, event, channel, body, status, attempts, error, next, created, updated)
            in rows.decode(
                (String, String, String, String?, String, String, String, Int32, String?, Int64, Int64, Int64).self)
        {
            guard let status = OutboxStatus(rawValue: status) else {
                throw StorageError.backend("a stored delivery has an unknown status")
            }
            out.append(
                OutboxDelivery(
                    id: id, alertId: alertId, owner: owner, event: event,
                    channel: try AlertStoredForm.channel(from: channel), body: body, status: status,
                    attempts: Int(attempts), lastError: error, nextAttemptAt: next, createdAt: created,
                    updatedAt: updated))
        }
        return out
    }

    private func insert(_ deliveries: [OutboxDelivery], _ conn: PostgresConnection) async throws {
        guard !deliveries.isEmpty else { return }
        // postgres-nio encodes arrays without NULLs only: an absent event or error travels as "" and becomes NULL.
        let ids = deliveries.map(\.id)
        let alertIds = deliveries.map(\.alertId)
        let owners = deliveries.map(\.owner)
        let events = deliveries.map { $0.event ?? "" }
        let channels = deliveries.map { AlertStoredForm.channel($0.channel) }
        let bodies = deliveries.map(\.body)
        let statuses = deliveries.map(\.status.rawValue)
        let attempts = deliveries.map { Int64($0.attempts) }
        let errors = deliveries.map { $0.lastError ?? "" }
        let next = deliveries.map(\.nextAttemptAt)
        let created = deliveries.map(\.createdAt)
        let updated = deliveries.map(\.updatedAt)
        try await self.exec(
            conn,
            """
            INSERT INTO alert_deliveries (\(unescaped: Self.deliveryColumns))
            SELECT id, alert_id, owner, NULLIF(event, ''), channel, body, status, attempts, NULLIF(err, ''), next_at,
                   created_at, updated_at
            FROM unnest(\(ids)::text[], \(alertIds)::text[], \(owners)::text[], \(events)::text[], \(channels)::text[],
                        \(bodies)::text[], \(statuses)::text[], \(attempts)::int8[], \(errors)::text[], \(next)::int8[],
                        \(created)::int8[], \(updated)::int8[])
                 AS d(id, alert_id, owner, event, channel, body, status, attempts, err, next_at, created_at, updated_at)
            ON CONFLICT (id) DO NOTHING
            """)
    }

    public func recordFiring(_ firing: AlertFiring, deliveries: [OutboxDelivery]) async throws -> Bool {
        try await self.transaction("record firing") { conn in
            // A racing instance's insert of the same event waits here for that transaction, then conflicts.
            let inserted = try await self.count(
                conn,
                """
                INSERT INTO alert_history (alert_id, owner, ts, symbol, condition, value, price, event)
                VALUES (\(firing.alertId), \(firing.owner), \(firing.ts), \(firing.symbol), \(firing.condition),
                        \(firing.value), \(firing.price), \(firing.event))
                ON CONFLICT (alert_id, event) DO NOTHING RETURNING 1
                """)
            guard inserted == 1 else { return false }
            try await self.insert(deliveries, conn)
            return true
        }
    }

    public func recordFirings(_ records: [FiringRecord]) async throws -> [Bool] {
        guard !records.isEmpty else { return [] }
        return try await self.transaction("record firings") { conn in
            var recorded: [Bool] = []
            recorded.reserveCapacity(records.count)
            for record in records {
                let firing = record.firing
                let inserted = try await self.count(
                    conn,
                    """
                    INSERT INTO alert_history (alert_id, owner, ts, symbol, condition, value, price, event)
                    VALUES (\(firing.alertId), \(firing.owner), \(firing.ts), \(firing.symbol), \(firing.condition),
                            \(firing.value), \(firing.price), \(firing.event))
                    ON CONFLICT (alert_id, event) DO NOTHING RETURNING 1
                    """)
                guard inserted == 1 else {
                    recorded.append(false)
                    continue
                }
                try await self.insert(record.deliveries, conn)
                if record.triggersOnce {
                    try await self.exec(
                        conn,
                        "UPDATE alerts SET triggered_at = \(firing.ts) WHERE id = \(firing.alertId) AND triggered_at IS NULL"
                    )
                }
                recorded.append(true)
            }
            return recorded
        }
    }

    public func enqueue(_ deliveries: [OutboxDelivery]) async throws {
        guard !deliveries.isEmpty else { return }
        try await self.withConnection("enqueue deliveries") { conn in try await self.insert(deliveries, conn) }
    }

    public func claimDueDeliveries(now: Int64, limit: Int, leaseMilliseconds: Int64) async throws -> [OutboxDelivery] {
        let leaseEnd = now + leaseMilliseconds
        let claimed = try await self.withConnection("claim deliveries") { conn in
            // One statement: the rows are locked by the sub-select and leased by the update in one transaction;
            // rows locked by another claimer are skipped rather than waited for.
            try await self.readDeliveriesWithDue(
                conn,
                """
                WITH due AS (
                    SELECT id, next_attempt_at AS due_at FROM alert_deliveries
                    WHERE status = 'pending' AND next_attempt_at <= \(now)
                    ORDER BY next_attempt_at, id LIMIT \(Int64(max(0, limit)))
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE alert_deliveries d SET next_attempt_at = \(leaseEnd), updated_at = \(now)
                FROM due WHERE d.id = due.id
                RETURNING d.id, d.alert_id, d.owner, d.event, d.channel, d.body, d.status, d.attempts, d.last_error,
                          d.next_attempt_at, d.created_at, d.updated_at, due.due_at
                """)
        }
        // RETURNING has no order: oldest due first, as the claim chose them.
        return claimed.sorted { a, b in
            a.due != b.due ? a.due < b.due : a.delivery.id.utf8.lexicographicallyPrecedes(b.delivery.id.utf8)
        }.map(\.delivery)
    }

    private func readDeliveriesWithDue(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [(
        delivery: OutboxDelivery, due: Int64
    )] {
        var out: [(delivery: OutboxDelivery, due: Int64)] = []
        let rows = try await conn.query(query, logger: self.logger)
        for try await row in rows {
            let (id, alertId, owner, event, channel, body, status, attempts, error, next, created, updated, due) =
                try row.decode(
                    (
                        String, String, String, String?, String, String, String, Int32, String?, Int64, Int64, Int64,
                        Int64
                    ).self)
            guard let status = OutboxStatus(rawValue: status) else {
                throw StorageError.backend("a stored delivery has an unknown status")
            }
            let delivery = OutboxDelivery(
                id: id, alertId: alertId, owner: owner, event: event,
                channel: try AlertStoredForm.channel(from: channel), body: body, status: status,
                attempts: Int(attempts), lastError: error, nextAttemptAt: next, createdAt: created, updatedAt: updated)
            out.append((delivery, due))
        }
        return out
    }

    public func completeDelivery(id: String, outcome: DeliveryOutcome, now: Int64) async throws {
        let (status, error, next): (OutboxStatus, String?, Int64?) =
            switch outcome {
            case .delivered: (.delivered, nil, nil)
            case .retry(let error, let at): (.pending, error, at)
            case .failed(let error): (.failed, error, nil)
            }
        let found = try await self.withConnection("complete delivery") { conn in
            let updated = try await self.count(
                conn,
                """
                UPDATE alert_deliveries SET status = \(status.rawValue), attempts = attempts + 1,
                    last_error = \(error), next_attempt_at = coalesce(\(next)::bigint, next_attempt_at),
                    updated_at = \(now)
                WHERE id = \(id) AND status = 'pending' RETURNING 1
                """)
            if updated == 1 { return true }
            return try await self.count(conn, "SELECT 1 FROM alert_deliveries WHERE id = \(id)") == 1
        }
        if !found { throw StorageError.notFound("delivery \(id)") }
    }

    public func deliveries(alertId: String, limit: Int) async throws -> [OutboxDelivery] {
        try await self.withConnection("read deliveries") { conn in
            try await self.readDeliveries(
                conn,
                """
                SELECT \(unescaped: Self.deliveryColumns) FROM alert_deliveries WHERE alert_id = \(alertId)
                ORDER BY created_at DESC, id DESC LIMIT \(Int64(max(0, limit)))
                """)
        }
    }
}
