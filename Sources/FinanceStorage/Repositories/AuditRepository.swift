import FinanceCore

/// The audit log: sign-ins, token refreshes and revocations, connections, limit hits, bans and the rest
/// (`AuditEventType`), shared by every instance on one database. Written in batches by the application's recorder,
/// read newest first by `GET /api/admin/audit`, pruned by age.
public protocol AuditRepository: Sendable {
    /// Stores events; an event whose id is already stored is skipped (a batch written twice stores each event once).
    func appendAudit(_ events: [AuditEvent]) async throws
    /// The events that match `query`, newest first (by `ts`, then by `id` descending), at most `query.limit`.
    func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent]
    /// Deletes the events with `ts < before`; returns how many were deleted.
    func pruneAudit(before: Int64) async throws -> Int
}

/// A position in the audit log's order (newest first): the last event of a page.
public struct AuditCursor: Hashable, Sendable {
    public var ts: Int64
    public var id: String

    public init(ts: Int64, id: String) {
        self.ts = ts
        self.id = id
    }

    /// The cursor after `event`.
    public init(after event: AuditEvent) { self.init(ts: event.ts, id: event.id) }

    /// True when an event at (`ts`, `id`) comes after this position, newest first (it is older). Ids compare by
    /// their UTF-8 bytes, as SQLite and PostgreSQL (`COLLATE "C"`) do.
    public func precedes(ts: Int64, id: String) -> Bool {
        ts < self.ts || (ts == self.ts && id.utf8.lexicographicallyPrecedes(self.id.utf8))
    }
}

/// Which audit events to read: `from <= ts < to`, optionally of one user and one type, after a cursor.
public struct AuditQuery: Hashable, Sendable {
    public var from: Int64
    public var to: Int64
    public var user: String?
    public var type: AuditEventType?
    public var limit: Int
    /// Only events after this position (older ones), for the next page.
    public var after: AuditCursor?

    public init(
        from: Int64 = Int64.min, to: Int64 = Int64.max, user: String? = nil, type: AuditEventType? = nil,
        limit: Int, after: AuditCursor? = nil
    ) {
        self.from = from
        self.to = to
        self.user = user
        self.type = type
        self.limit = limit
        self.after = after
    }

    /// True when `event` matches (the memory store's filter, and the reference for the others).
    public func matches(_ event: AuditEvent) -> Bool {
        event.ts >= self.from && event.ts < self.to && (self.user == nil || event.user == self.user)
            && (self.type == nil || event.type == self.type)
            && (self.after.map { $0.precedes(ts: event.ts, id: event.id) } ?? true)
    }
}
