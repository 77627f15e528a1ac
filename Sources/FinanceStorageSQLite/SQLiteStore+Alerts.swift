import FinanceCore
import FinanceStorage
import GRDB

/// Alerts, their history and the engine's per-alert state.
extension SQLiteStore {
    static let alertColumns =
        "id, owner, name, definition, enabled, expires_at, created_at, updated_at, triggered_at, disabled_reason"

    static func alert(_ row: Row) throws -> Alert {
        var alert = Alert(
            id: row[0], owner: row[1], name: row[2], target: .symbol(""), conditions: [], enabled: row[4],
            createdAt: row[6], updatedAt: row[7], triggeredAt: row[8], disabledReason: row[9])
        alert.expiresAt = row[5]
        try AlertStoredForm.apply(definition: row[3], to: &alert)
        return alert
    }

    public func createAlert(_ alert: Alert, maxAlerts: Int) async throws -> Bool {
        let definition = AlertStoredForm.definition(of: alert)
        let outcome = try await self.write("create_alert") { db -> Int in
            // Inside the write transaction: no other writer counts or inserts in between.
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM alerts WHERE id = ?", arguments: [alert.id]) != nil {
                return 2
            }
            let count = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM alerts WHERE owner = ?", arguments: [alert.owner])
            guard (count ?? 0) < maxAlerts else { return 0 }
            try db.execute(
                sql: "INSERT INTO alerts (\(Self.alertColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    alert.id, alert.owner, alert.name, definition, alert.enabled, alert.expiresAt, alert.createdAt,
                    alert.updatedAt, alert.triggeredAt, alert.disabledReason,
                ])
            return 1
        }
        if outcome == 2 { throw StorageError.conflict("alert \(alert.id)") }
        return outcome == 1
    }

    public func alert(id: String) async throws -> Alert {
        let found = try await self.read("alert") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.alertColumns) FROM alerts WHERE id = ?", arguments: [id])
                .map(Self.alert)
        }
        guard let found else { throw StorageError.notFound("alert \(id)") }
        return found
    }

    public func updateAlert(_ alert: Alert) async throws {
        let definition = AlertStoredForm.definition(of: alert)
        let updated = try await self.write("update_alert") { db in
            try db.execute(
                sql: """
                    UPDATE alerts SET name = ?, definition = ?, enabled = ?, expires_at = ?, updated_at = ?,
                        triggered_at = ?, disabled_reason = ?
                    WHERE id = ?
                    """,
                arguments: [
                    alert.name, definition, alert.enabled, alert.expiresAt, alert.updatedAt, alert.triggeredAt,
                    alert.disabledReason, alert.id,
                ])
            return db.changesCount
        }
        if updated == 0 { throw StorageError.notFound("alert \(alert.id)") }
    }

    public func deleteAlert(id: String) async throws {
        let deleted = try await self.write("delete_alert") { db in
            try db.execute(sql: "DELETE FROM alerts WHERE id = ?", arguments: [id])
            let n = db.changesCount
            try db.execute(sql: "DELETE FROM alert_states WHERE alert_id = ?", arguments: [id])
            return n
        }
        if deleted == 0 { throw StorageError.notFound("alert \(id)") }
    }

    public func alerts(owner: String, after cursor: AlertCursor?, limit: Int) async throws -> [Alert] {
        var sql = "SELECT \(Self.alertColumns) FROM alerts WHERE owner = ?"
        var arguments: StatementArguments = [owner]
        if let cursor {
            sql += " AND (created_at, id) > (?, ?)"
            arguments += [cursor.createdAt, cursor.id]
        }
        sql += " ORDER BY created_at, id LIMIT ?"
        arguments += [max(0, limit)]
        let (statement, bound) = (sql, arguments)
        return try await self.read("alerts") { db in
            try Row.fetchAll(db, sql: statement, arguments: bound).map(Self.alert)
        }
    }

    public func alertCount(owner: String) async throws -> Int {
        try await self.read("alert_count") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alerts WHERE owner = ?", arguments: [owner]) ?? 0
        }
    }

    public func enabledAlerts() async throws -> [Alert] {
        try await self.read("enabled_alerts") { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.alertColumns) FROM alerts WHERE enabled = 1 ORDER BY created_at, id"
            ).map(Self.alert)
        }
    }

    public func markAlertTriggered(id: String, at: Int64) async throws {
        try await self.write("mark_alert_triggered") { db in
            try db.execute(
                sql: "UPDATE alerts SET triggered_at = ? WHERE id = ? AND triggered_at IS NULL", arguments: [at, id])
        }
    }

    public func disableAlert(id: String, reason: String, at: Int64) async throws {
        try await self.write("disable_alert") { db in
            try db.execute(
                sql: "UPDATE alerts SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?",
                arguments: [reason, at, id])
        }
    }

    public func alertHistory(_ query: AlertHistoryQuery) async throws -> [AlertHistoryEntry] {
        var conditions = ["ts >= ?", "ts < ?"]
        var arguments: StatementArguments = [query.from, query.to]
        if let owner = query.owner {
            conditions.append("owner = ?")
            arguments += [owner]
        }
        if let alertId = query.alertId {
            conditions.append("alert_id = ?")
            arguments += [alertId]
        }
        if let after = query.after {
            conditions.append("(ts, id) < (?, ?)")
            arguments += [after.ts, after.id]
        }
        arguments += [max(0, query.limit)]
        let sql = """
            SELECT id, alert_id, owner, ts, symbol, condition, value, price, event FROM alert_history
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY ts DESC, id DESC LIMIT ?
            """
        let bound = arguments
        return try await self.read("alert_history") { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map { row in
                AlertHistoryEntry(
                    id: row[0],
                    firing: AlertFiring(
                        alertId: row[1], owner: row[2], ts: row[3], symbol: row[4], condition: row[5], value: row[6],
                        price: row[7], event: row[8]))
            }
        }
    }

    public func saveAlertStates(_ states: [String: [String: Double]]) async throws {
        guard !states.isEmpty else { return }
        try await self.write("save_alert_states") { db in
            let exists = try db.cachedStatement(sql: "SELECT 1 FROM alerts WHERE id = ?")
            let clear = try db.cachedStatement(sql: "DELETE FROM alert_states WHERE alert_id = ?")
            let insert = try db.cachedStatement(
                sql: "INSERT INTO alert_states (alert_id, key, value) VALUES (?, ?, ?)")
            for (id, state) in states {
                try clear.execute(arguments: [id])
                guard try Bool.fetchOne(exists, arguments: [id]) != nil else { continue }
                for (key, value) in state { try insert.execute(arguments: [id, key, value]) }
            }
        }
    }

    public func alertStates() async throws -> [String: [String: Double]] {
        try await self.read("alert_states") { db in
            var out: [String: [String: Double]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT alert_id, key, value FROM alert_states") {
                out[row[0], default: [:]][row[1]] = row[2]
            }
            return out
        }
    }
}

/// Email addresses confirmed for alert channels.
extension SQLiteStore {
    public func storeEmailCode(owner: String, address: String, codeHash: String, expiresAt: Int64, now: Int64)
        async throws
    {
        try await self.write("store_email_code") { db in
            try db.execute(
                sql: """
                    INSERT INTO alert_email_confirmations (owner, address, code_hash, expires_at, attempts, confirmed)
                    VALUES (?, ?, ?, ?, 0, 0)
                    ON CONFLICT (owner, address) DO UPDATE SET code_hash = excluded.code_hash,
                        expires_at = excluded.expires_at, attempts = 0
                    """, arguments: [owner, address, codeHash, expiresAt])
        }
    }

    public func confirmEmail(owner: String, address: String, codeHash: String, now: Int64, maxAttempts: Int)
        async throws -> Bool
    {
        try await self.write("confirm_email") { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT code_hash, expires_at, attempts, confirmed FROM alert_email_confirmations
                        WHERE owner = ? AND address = ?
                        """, arguments: [owner, address])
            else { return false }
            if row[3] as Bool { return true }
            let stored: String? = row[0]
            guard let stored, (row[1] as Int64) > now, (row[2] as Int) < maxAttempts else { return false }
            let confirmed = stored == codeHash
            try db.execute(
                sql: confirmed
                    ? "UPDATE alert_email_confirmations SET confirmed = 1, code_hash = NULL WHERE owner = ? AND address = ?"
                    : "UPDATE alert_email_confirmations SET attempts = attempts + 1 WHERE owner = ? AND address = ?",
                arguments: [owner, address])
            return confirmed
        }
    }

    public func isEmailConfirmed(owner: String, address: String) async throws -> Bool {
        try await self.read("email_confirmed") { db in
            try Bool.fetchOne(
                db, sql: "SELECT confirmed FROM alert_email_confirmations WHERE owner = ? AND address = ?",
                arguments: [owner, address]) ?? false
        }
    }
}
