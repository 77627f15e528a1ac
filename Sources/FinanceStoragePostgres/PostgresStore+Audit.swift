import FinanceCore
import FinanceStorage
import PostgresNIO

/// The audit log.
extension PostgresStore {
    public func appendAudit(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        // One statement a batch: arrays of columns. postgres-nio encodes arrays without NULLs only, so an absent user
        // or ip travels as "" (never a valid one) and becomes NULL again in the statement.
        let ids = events.map(\.id)
        let times = events.map(\.ts)
        let types = events.map(\.type.rawValue)
        let users = events.map { $0.user ?? "" }
        let ips = events.map { $0.ip ?? "" }
        let details = events.map(\.detail)
        try await self.withConnection("append audit") { conn in
            try await self.exec(
                conn,
                """
                INSERT INTO audit_events (id, ts, type, user_name, ip, detail)
                SELECT id, ts, type, NULLIF(u, ''), NULLIF(ip, ''), detail
                FROM unnest(\(ids)::text[], \(times)::int8[], \(types)::text[], \(users)::text[], \(ips)::text[],
                            \(details)::text[]) AS e(id, ts, type, u, ip, detail)
                ON CONFLICT (id) DO NOTHING
                """)
        }
    }

    public func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] {
        let (user, type) = (query.user, query.type?.rawValue)
        let (afterTs, afterId) = (query.after?.ts, query.after?.id)
        return try await self.withConnection("read audit") { conn in
            // Absent filters are NULL parameters; each query is planned with its values, so they cost nothing.
            let rows = try await conn.query(
                """
                SELECT id, ts, type, user_name, ip, detail FROM audit_events
                WHERE ts >= \(query.from) AND ts < \(query.to)
                  AND (\(user)::text IS NULL OR user_name = \(user))
                  AND (\(type)::text IS NULL OR type = \(type))
                  AND (\(afterTs)::bigint IS NULL OR (ts, id) < (\(afterTs), \(afterId)::text))
                ORDER BY ts DESC, id DESC LIMIT \(Int64(max(0, query.limit)))
                """, logger: self.logger)
            var out: [AuditEvent] = []
            for try await (id, ts, typeName, user, ip, detail) in rows.decode(
                (String, Int64, String, String?, String?, String).self)
            {
                // A type this build does not know (written by a newer one) is left out rather than misnamed.
                guard let type = AuditEventType(rawValue: typeName) else { continue }
                out.append(AuditEvent(id: id, ts: ts, type: type, user: user, ip: ip, detail: detail))
            }
            return out
        }
    }

    public func pruneAudit(before: Int64) async throws -> Int {
        try await self.withConnection("prune audit") { conn in
            let rows = try await conn.query(
                "WITH gone AS (DELETE FROM audit_events WHERE ts < \(before) RETURNING 1) SELECT count(*) FROM gone",
                logger: self.logger)
            for try await n in rows.decode(Int64.self) { return Int(n) }
            return 0
        }
    }
}
