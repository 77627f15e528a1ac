import FinanceCore

/// `GET /api/admin/audit`: a page of the audit log, newest first; `next` (absent on the last page) is the `cursor`
/// of the next page.
public struct AuditPageDTO: Codable, Sendable, Equatable {
    public var items: [AuditEventDTO]
    public var next: String?
}

/// One audit event; `user` and `ip` are absent when unknown.
public struct AuditEventDTO: Codable, Sendable, Equatable {
    public var id: String
    /// When it happened, ms since the epoch.
    public var ts: Int64
    /// One of `AuditEventType`'s names (`login`, `login_failed`, `ban`, …).
    public var type: String
    public var user: String?
    public var ip: String?
    public var detail: String

    public init(_ event: AuditEvent) {
        self.id = event.id
        self.ts = event.ts
        self.type = event.type.rawValue
        self.user = event.user
        self.ip = event.ip
        self.detail = event.detail
    }
}
