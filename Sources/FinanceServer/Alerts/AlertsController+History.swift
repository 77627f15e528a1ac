import FinanceApp
import FinanceCore
import FinanceStorage
import Hummingbird

extension AlertsController {
    /// `GET /api/alerts/history?alert&from&to&cursor&limit`: the caller's alerts' firings, newest first, a page at a
    /// time; `alert` narrows them to one alert (an admin may read any alert's this way).
    @Sendable func history(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var query = HTTP.Query(request)
        let from = query.time("from")
        let to = query.time("to")
        if let from, let to, from > to {
            query.issues.append(
                ValidationIssue(
                    index: nil, field: "from",
                    detail: "from (\(Timestamp.iso8601(from))) is after to (\(Timestamp.iso8601(to)))"))
        }
        let alertId = query.raw("alert")
        if let alertId, !(1...64).contains(alertId.utf8.count) {
            query.issues.append(ValidationIssue(index: nil, field: "alert", detail: "alert must be an alert's id"))
        }
        let limit = query.integer("limit", default: Self.defaultLimit, range: 1...Self.maxLimit)
        var cursor: AlertHistoryCursor?
        if let raw = query.raw("cursor") {
            cursor = AuditCursorText.decode(raw).flatMap { c in Int64(c.id).map { AlertHistoryCursor(ts: c.ts, id: $0) }
            }
            if cursor == nil {
                query.issues.append(
                    ValidationIssue(index: nil, field: "cursor", detail: "cursor is not a `next` value of this route"))
            }
        }
        try query.check()
        // Owner-scoped; an admin naming an alert reads it whoever owns it.
        let owner = alertId != nil && principal.role == .admin ? nil : principal.user
        let entries = try await self.alerts.alertHistory(
            AlertHistoryQuery(
                owner: owner, alertId: alertId, from: from ?? Int64.min, to: to ?? Int64.max, limit: limit + 1,
                after: cursor))
        let items = entries.prefix(limit)
        let next =
            entries.count > limit
            ? items.last.map { AuditCursorText.encode(AuditCursor(ts: $0.firing.ts, id: String($0.id))) } : nil
        return try HTTP.json(AlertHistoryPageDTO(items: items.map(AlertHistoryItemDTO.init), next: next))
    }
}
