import FinanceCore
import FinanceStorage
import PostgresNIO

/// Alerts, their history, the engine's per-alert state and email confirmations.
extension PostgresStore {
    static let alertColumns =
        "id, owner, name, definition, enabled, expires_at, created_at, updated_at, triggered_at, disabled_reason"

    func readAlerts(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [Alert] {
        var out: [Alert] = []
        let rows = try await conn.query(query, logger: self.logger)
        for try await (id, owner, name, definition, enabled, expires, created, updated, triggered, reason)
            in rows.decode(
                (String, String, String, String, Bool, Int64?, Int64, Int64, Int64?, String?).self)
        {
            var alert = Alert(
                id: id, owner: owner, name: name, target: .symbol(""), conditions: [], expiresAt: expires,
                enabled: enabled, createdAt: created, updatedAt: updated, triggeredAt: triggered,
                disabledReason: reason)
            try AlertStoredForm.apply(definition: definition, to: &alert)
            out.append(alert)
        }
        return out
    }

    public func createAlert(_ alert: Alert, maxAlerts: Int) async throws -> Bool {
        let definition = AlertStoredForm.definition(of: alert)
        let lockKey = "financehub.alerts:" + alert.owner
        let outcome = try await self.transaction("create alert") { conn -> Int in
            // One creation per owner at a time on every instance: the count and the insert cannot interleave.
            try await self.exec(conn, "SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))")
            let rows = try await conn.query(
                "SELECT count(*) FROM alerts WHERE owner = \(alert.owner)", logger: self.logger)
            var count: Int64 = 0
            for try await n in rows.decode(Int64.self) { count = n }
            guard count < Int64(maxAlerts) else { return 0 }
            let inserted = try await self.count(
                conn,
                """
                INSERT INTO alerts (\(unescaped: Self.alertColumns))
                VALUES (\(alert.id), \(alert.owner), \(alert.name), \(definition), \(alert.enabled), \(alert.expiresAt),
                        \(alert.createdAt), \(alert.updatedAt), \(alert.triggeredAt), \(alert.disabledReason))
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """)
            return inserted == 1 ? 1 : 2
        }
        if outcome == 2 { throw StorageError.conflict("alert \(alert.id)") }
        return outcome == 1
    }

    public func alert(id: String) async throws -> Alert {
        let found = try await self.withConnection("read alert") { conn in
            try await self.readAlerts(conn, "SELECT \(unescaped: Self.alertColumns) FROM alerts WHERE id = \(id)")
        }
        guard let alert = found.first else { throw StorageError.notFound("alert \(id)") }
        return alert
    }

    public func updateAlert(_ alert: Alert) async throws {
        let definition = AlertStoredForm.definition(of: alert)
        let updated = try await self.withConnection("update alert") { conn in
            try await self.count(
                conn,
                """
                UPDATE alerts SET name = \(alert.name), definition = \(definition), enabled = \(alert.enabled),
                    expires_at = \(alert.expiresAt), updated_at = \(alert.updatedAt),
                    triggered_at = \(alert.triggeredAt), disabled_reason = \(alert.disabledReason)
                WHERE id = \(alert.id) RETURNING 1
                """)
        }
        if updated == 0 { throw StorageError.notFound("alert \(alert.id)") }
    }

    public func deleteAlert(id: String) async throws {
        let deleted = try await self.transaction("delete alert") { conn in
            let n = try await self.count(conn, "DELETE FROM alerts WHERE id = \(id) RETURNING 1")
            try await self.exec(conn, "DELETE FROM alert_states WHERE alert_id = \(id)")
            return n
        }
        if deleted == 0 { throw StorageError.notFound("alert \(id)") }
    }

    public func alerts(owner: String, after cursor: AlertCursor?, limit: Int) async throws -> [Alert] {
        let (afterCreated, afterId) = (cursor?.createdAt, cursor?.id)
        return try await self.withConnection("list alerts") { conn in
            try await self.readAlerts(
                conn,
                """
                SELECT \(unescaped: Self.alertColumns) FROM alerts
                WHERE owner = \(owner)
                  AND (\(afterCreated)::bigint IS NULL OR (created_at, id) > (\(afterCreated), \(afterId)::text))
                ORDER BY created_at, id LIMIT \(Int64(max(0, limit)))
                """)
        }
    }

    public func alertCount(owner: String) async throws -> Int {
        try await self.withConnection("count alerts") { conn in
            let rows = try await conn.query("SELECT count(*) FROM alerts WHERE owner = \(owner)", logger: self.logger)
            for try await n in rows.decode(Int64.self) { return Int(n) }
            return 0
        }
    }

    public func enabledAlerts() async throws -> [Alert] {
        try await self.withConnection("read enabled alerts") { conn in
            try await self.readAlerts(
                conn, "SELECT \(unescaped: Self.alertColumns) FROM alerts WHERE enabled ORDER BY created_at, id")
        }
    }

    public func markAlertTriggered(id: String, at: Int64) async throws {
        try await self.withConnection("mark alert triggered") { conn in
            try await self.exec(
                conn, "UPDATE alerts SET triggered_at = \(at) WHERE id = \(id) AND triggered_at IS NULL")
        }
    }

    public func disableAlert(id: String, reason: String, at: Int64) async throws {
        try await self.withConnection("disable alert") { conn in
            try await self.exec(
                conn,
                "UPDATE alerts SET enabled = false, disabled_reason = \(reason), updated_at = \(at) WHERE id = \(id)")
        }
    }

    public func alertHistory(_ query: AlertHistoryQuery) async throws -> [AlertHistoryEntry] {
        let (owner, alertId) = (query.owner, query.alertId)
        let (afterTs, afterId) = (query.after?.ts, query.after?.id)
        return try await self.withConnection("read alert history") { conn in
            // Absent filters are NULL parameters; each query is planned with its values, so they cost nothing.
            let rows = try await conn.query(
                """
                SELECT id, alert_id, owner, ts, symbol, condition, value, price, event FROM alert_history
                WHERE ts >= \(query.from) AND ts < \(query.to)
                  AND (\(owner)::text IS NULL OR owner = \(owner))
                  AND (\(alertId)::text IS NULL OR alert_id = \(alertId))
                  AND (\(afterTs)::bigint IS NULL OR (ts, id) < (\(afterTs), \(afterId)::bigint))
                ORDER BY ts DESC, id DESC LIMIT \(Int64(max(0, query.limit)))
                """, logger: self.logger)
            var out: [AlertHistoryEntry] = []
            for try await (id, alertId, owner, ts, symbol, condition, value, price, event) in rows.decode(
                (Int64, String, String, Int64, String?, String, Double, Double?, String).self)
            {
                out.append(
                    AlertHistoryEntry(
                        id: id,
                        firing: AlertFiring(
                            alertId: alertId, owner: owner, ts: ts, symbol: symbol, condition: condition, value: value,
                            price: price, event: event)))
            }
            return out
        }
    }

    public func saveAlertStates(_ states: [String: [String: Double]]) async throws {
        guard !states.isEmpty else { return }
        let ids = Array(states.keys)
        var rowIds: [String] = []
        var keys: [String] = []
        var values: [Double] = []
        for (id, state) in states {
            for (key, value) in state {
                rowIds.append(id)
                keys.append(key)
                values.append(value)
            }
        }
        try await self.transaction("save alert states") { conn in
            try await self.exec(conn, "DELETE FROM alert_states WHERE alert_id = ANY(\(ids)::text[])")
            guard !rowIds.isEmpty else { return }
            // Only states of alerts that exist (one deleted meanwhile keeps none).
            try await self.exec(
                conn,
                """
                INSERT INTO alert_states (alert_id, key, value)
                SELECT s.alert_id, s.key, s.value
                FROM unnest(\(rowIds)::text[], \(keys)::text[], \(values)::float8[]) AS s(alert_id, key, value)
                WHERE EXISTS (SELECT 1 FROM alerts a WHERE a.id = s.alert_id)
                """)
        }
    }

    public func alertStates() async throws -> [String: [String: Double]] {
        try await self.withConnection("read alert states") { conn in
            var out: [String: [String: Double]] = [:]
            let rows = try await conn.query("SELECT alert_id, key, value FROM alert_states", logger: self.logger)
            for try await (id, key, value) in rows.decode((String, String, Double).self) {
                out[id, default: [:]][key] = value
            }
            return out
        }
    }

    // MARK: - Email confirmations

    public func storeEmailCode(owner: String, address: String, codeHash: String, expiresAt: Int64, now: Int64)
        async throws
    {
        try await self.withConnection("store email code") { conn in
            try await self.exec(
                conn,
                """
                INSERT INTO alert_email_confirmations (owner, address, code_hash, expires_at, attempts, confirmed)
                VALUES (\(owner), \(address), \(codeHash), \(expiresAt), 0, false)
                ON CONFLICT (owner, address) DO UPDATE SET code_hash = excluded.code_hash,
                    expires_at = excluded.expires_at, attempts = 0
                """)
        }
    }

    public func confirmEmail(owner: String, address: String, codeHash: String, now: Int64, maxAttempts: Int)
        async throws -> Bool
    {
        try await self.transaction("confirm email") { conn in
            let rows = try await conn.query(
                """
                SELECT code_hash, expires_at, attempts, confirmed FROM alert_email_confirmations
                WHERE owner = \(owner) AND address = \(address) FOR UPDATE
                """, logger: self.logger)
            var found: (String?, Int64, Int32, Bool)?
            for try await row in rows.decode((String?, Int64, Int32, Bool).self) { found = row }
            guard let found else { return false }
            let (stored, expiresAt, attempts, confirmed) = found
            if confirmed { return true }
            guard let stored, expiresAt > now, Int(attempts) < maxAttempts else { return false }
            if stored == codeHash {
                try await self.exec(
                    conn,
                    """
                    UPDATE alert_email_confirmations SET confirmed = true, code_hash = NULL
                    WHERE owner = \(owner) AND address = \(address)
                    """)
                return true
            }
            try await self.exec(
                conn,
                """
                UPDATE alert_email_confirmations SET attempts = attempts + 1
                WHERE owner = \(owner) AND address = \(address)
                """)
            return false
        }
    }

    public func isEmailConfirmed(owner: String, address: String) async throws -> Bool {
        try await self.withConnection("read email confirmation") { conn in
            let rows = try await conn.query(
                """
                SELECT confirmed FROM alert_email_confirmations WHERE owner = \(owner) AND address = \(address)
                """, logger: self.logger)
            for try await confirmed in rows.decode(Bool.self) { return confirmed }
            return false
        }
    }
}
