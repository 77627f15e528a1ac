import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import Hummingbird

/// `GET /api/admin/audit?from&to&user&type&limit&cursor`: the audit log, newest first, a page at a time (admins
/// only: the check wraps `/api/admin`).
struct AdminAuditController {
    let log: AuditLog
    static var defaultLimit: Int { 100 }
    static var maxLimit: Int { 1000 }

    /// Adds the route under `/api/admin/audit`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: self.list)
    }

    /// One page of events with `from <= ts < to` (both optional), of one user and one type when given; `next`, when
    /// present, is the `cursor` that continues after the page.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = HTTP.Query(request)
        let from = query.time("from")
        let to = query.time("to")
        if let from, let to, from > to {
            query.issues.append(
                ValidationIssue(
                    index: nil, field: "from",
                    detail: "from (\(Timestamp.iso8601(from))) is after to (\(Timestamp.iso8601(to)))"))
        }
        let user = Self.user(&query)
        let typeName = query.choice("type", AuditEventType.allCases.map(\.rawValue), default: "")
        let limit = query.integer("limit", default: Self.defaultLimit, range: 1...Self.maxLimit)
        var cursor: AuditCursor?
        if let raw = query.raw("cursor") {
            cursor = AuditCursorText.decode(raw)
            if cursor == nil {
                query.issues.append(
                    ValidationIssue(
                        index: nil, field: "cursor", detail: "cursor is not a `next` value of this route"))
            }
        }
        try query.check()
        let page = try await self.log.page(
            AuditQuery(
                from: from ?? Int64.min, to: to ?? Int64.max, user: user, type: AuditEventType(rawValue: typeName),
                limit: limit, after: cursor))
        return try HTTP.json(
            AuditPageDTO(items: page.items.map(AuditEventDTO.init), next: page.next.map(AuditCursorText.encode)))
    }

    /// `user`: any text of 1–64 characters (failed sign-ins record the name tried, whatever it was).
    private static func user(_ query: inout HTTP.Query) -> String? {
        guard let raw = query.raw("user") else { return nil }
        guard (1...AuditEvent.maxUserCharacters).contains(raw.count) else {
            query.issues.append(
                ValidationIssue(
                    index: nil, field: "user",
                    detail: "user must be 1 to \(AuditEvent.maxUserCharacters) characters"))
            return nil
        }
        return raw
    }
}

/// The text form of an audit cursor: base64url (no padding) of `ts:id`, opaque to clients.
enum AuditCursorText {
    static func encode(_ cursor: AuditCursor) -> String {
        Base64URLText.encode("\(cursor.ts):\(cursor.id)")
    }

    /// The cursor `text` encodes, nil for anything `encode` cannot have made.
    static func decode(_ text: String) -> AuditCursor? {
        guard let decoded = Base64URLText.decode(text, maxLength: 256), let colon = decoded.firstIndex(of: ":"),
            let ts = Int64(decoded[..<colon])
        else { return nil }
        let id = String(decoded[decoded.index(after: colon)...])
        guard (1...64).contains(id.utf8.count), id.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return AuditCursor(ts: ts, id: id)
    }
}
