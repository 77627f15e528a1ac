import FinanceCore
import FinanceStorage
import GRDB

/// The audit log.
extension SQLiteStore {
    public func appendAudit(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await self.write("append_audit") { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO audit_events (id, ts, type, user_name, ip, detail) VALUES (?, ?, ?, ?, ?, ?)
                    """)
            for e in events {
                try insert.execute(arguments: [e.id, e.ts, e.type.rawValue, e.user, e.ip, e.detail])
            }
        }
    }

    public func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] {
        var conditions = ["ts >= ?", "ts < ?"]
        var arguments: StatementArguments = [query.from, query.to]
        if let user = query.user {
            conditions.append("user_name = ?")
            arguments += [user]
        }
        if let type = query.type {
            conditions.append("type = ?")
            arguments += [type.rawValue]
        }
        if let after = query.after {
            conditions.append("(ts, id) < (?, ?)")
            arguments += [after.ts, after.id]
        }
        arguments += [max(0, query.limit)]
        let sql = """
            SELECT id, ts, type, user_name, ip, detail FROM audit_events
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY ts DESC, id DESC LIMIT ?
            """
        let bound = arguments
        return try await self.read("audit_events") { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).compactMap { row in
                // A type this build does not know (written by a newer one) is left out rather than misnamed.
                AuditEventType(rawValue: row[2]).map { type in
                    AuditEvent(id: row[0], ts: row[1], type: type, user: row[3], ip: row[4], detail: row[5])
                }
            }
        }
    }

    public func pruneAudit(before: Int64) async throws -> Int {
        try await self.write("prune_audit") { db in
            try db.execute(sql: "DELETE FROM audit_events WHERE ts < ?", arguments: [before])
            return db.changesCount
        }
    }
}
