import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import Hummingbird

/// Users' alerts: `POST/GET /api/alerts`, `GET/PUT/DELETE /api/alerts/{id}`, `GET /api/alerts/history`,
/// `POST /api/alerts/test` and `POST /api/alerts/channels/confirm`. Users
/// see and change only their own alerts (another user's id answers 404, as a missing one does); admins may read any
/// alert, not change it.
struct AlertsController {
    let alerts: any AlertRepository
    /// Symbol targets resolve like a quote request: a stored asset, else the providers' on-demand lookup.
    let assets: any AssetRepository
    let onDemand: OnDemandQuotes?
    let onDemandLimiter: RequestRateLimiter
    /// Portfolio and sector targets.
    let targets: any AlertTargetDirectory
    /// Told of every alert stored or deleted here (the engine).
    let changes: any AlertChangeObserver
    let quotas: AlertQuotaSettings
    /// `analytics.intervals`: the intervals a `pattern` condition may use.
    let patternIntervals: [Interval]
    let clock: any WallClock
    /// Stored bars for backtests.
    var barQueries: BarQueryService? = nil
    /// Email addresses' confirmation codes; nil or without a mail server, email channels are refused (422).
    var emails: EmailConfirmations? = nil
    /// `POST /api/alerts/test`; nil answers 503.
    var testSends: AlertTestSends? = nil
    static var maxBodyBytes: Int { 65_536 }
    static var defaultLimit: Int { 100 }
    static var maxLimit: Int { 1000 }

    /// Adds the routes under `/api/alerts`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post(use: self.create)
        group.get(use: self.list)
        group.get("history", use: self.history)
        group.post("test", use: self.test)
        group.post("channels/confirm", use: self.confirmEmail)
        group.get("{id}", use: self.show)
        group.get("{id}/backtest", use: self.backtest)
        group.put("{id}", use: self.update)
        group.delete("{id}", use: self.delete)
    }

    /// `POST /api/alerts`: creates an alert of the caller (201 with the alert), within the tier's quota.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let now = self.clock.nowMilliseconds()
        let body = try await self.readBody(request, now: now)
        let channels = try Self.channels(body, stored: [])
        try self.checkEmailChannels(channels, at: [])
        try await self.checkTarget(body.target, owner: principal.user, context: context)
        let alert = Alert(
            id: UUID().uuidString.lowercased(), owner: principal.user, name: body.name, target: body.target,
            conditions: body.conditions, combine: body.combine, trigger: body.trigger, expiresAt: body.expiresAt,
            enabled: body.enabled, channels: channels, message: body.message, createdAt: now)
        let quota = self.quotas.maxAlerts(principal.tier)
        guard try await self.alerts.createAlert(alert, maxAlerts: quota) else {
            throw ValidationError([
                ValidationIssue(
                    path: [],
                    detail:
                        "a \(principal.tier.rawValue)-tier user may have at most \(quota) alerts "
                        + "(alerts.tiers.\(principal.tier.rawValue).maxAlerts); delete one first")
            ])
        }
        await self.changes.alertSaved(alert)
        let confirmed = await self.requestConfirmations(alert)
        var response = try HTTP.json(AlertDTO(alert, now: now, confirmed: confirmed), status: .created)
        response.headers[.location] = "/api/alerts/\(alert.id)"
        return response
    }

    /// `GET /api/alerts?cursor&limit`: the caller's alerts, oldest first, a page at a time; an admin may list
    /// another user's with `owner`.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var query = HTTP.Query(request)
        let limit = query.integer("limit", default: Self.defaultLimit, range: 1...Self.maxLimit)
        var cursor: AlertCursor?
        if let raw = query.raw("cursor") {
            cursor = AuditCursorText.decode(raw).map { AlertCursor(createdAt: $0.ts, id: $0.id) }
            if cursor == nil {
                query.issues.append(
                    ValidationIssue(index: nil, field: "cursor", detail: "cursor is not a `next` value of this route"))
            }
        }
        var owner = principal.user
        if let raw = query.raw("owner") {
            if let name = User.normalizeName(raw) {
                owner = name
            } else {
                query.issues.append(
                    ValidationIssue(index: nil, field: "owner", detail: "owner must be \(User.nameRule)"))
            }
        }
        try query.check()
        if owner != principal.user, principal.role != .admin {
            throw Problem(status: .forbidden, detail: "only admins may list another user's alerts")
        }
        let page = try await self.alerts.alerts(owner: owner, after: cursor, limit: limit + 1)
        let now = self.clock.nowMilliseconds()
        let items = page.prefix(limit)
        let next =
            page.count > limit
            ? items.last.map { AuditCursorText.encode(AuditCursor(ts: $0.createdAt, id: $0.id)) } : nil
        let confirmed = try await self.confirmedAddresses(items)
        return try HTTP.json(
            AlertPageDTO(items: items.map { AlertDTO($0, now: now, confirmed: confirmed) }, next: next))
    }

    /// `GET /api/alerts/{id}`: one alert of the caller (any alert for an admin).
    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let alert = try await self.visibleAlert(context, forChange: false)
        let confirmed = try await self.confirmedAddresses([alert])
        return try HTTP.json(AlertDTO(alert, now: self.clock.nowMilliseconds(), confirmed: confirmed))
    }

    /// `PUT /api/alerts/{id}`: replaces an alert of the caller with the body. Secrets the body leaves out are kept;
    /// a `once` alert stays triggered unless its target, conditions, combine or trigger change; enabling an alert
    /// clears the runaway stop's reason.
    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let stored = try await self.visibleAlert(context, forChange: true)
        let now = self.clock.nowMilliseconds()
        let body = try await self.readBody(request, now: now)
        let channels = try Self.channels(body, stored: stored.channels)
        try self.checkEmailChannels(channels, at: [])
        try await self.checkTarget(body.target, owner: stored.owner, context: context)
        var alert = stored
        alert.name = body.name
        alert.target = body.target
        alert.conditions = body.conditions
        alert.combine = body.combine
        alert.trigger = body.trigger
        alert.expiresAt = body.expiresAt
        alert.enabled = body.enabled
        alert.channels = channels
        alert.message = body.message
        alert.updatedAt = now
        let rearmed =
            alert.target != stored.target || alert.conditions != stored.conditions || alert.combine != stored.combine
            || alert.trigger != stored.trigger
        if rearmed { alert.triggeredAt = nil }
        if alert.enabled { alert.disabledReason = nil }
        try await self.alerts.updateAlert(alert)
        await self.changes.alertSaved(alert)
        let confirmed = await self.requestConfirmations(alert)
        return try HTTP.json(AlertDTO(alert, now: now, confirmed: confirmed))
    }

    /// `DELETE /api/alerts/{id}`: deletes an alert of the caller (its history stays); 204.
    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let alert = try await self.visibleAlert(context, forChange: true)
        try await self.alerts.deleteAlert(id: alert.id)
        await self.changes.alertDeleted(id: alert.id, owner: alert.owner)
        return Response(status: .noContent)
    }

    /// The alert of the path's id when the caller may see it (change it, with `forChange`): another user's alert is
    /// a 404 like a missing one, except for an admin, who may read it (and gets a 403 changing it).
    func visibleAlert(_ context: AppRequestContext, forChange: Bool) async throws -> Alert {
        let principal = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        let notFound = StorageError.notFound("alert \(Echo.text(id))")
        guard (1...64).contains(id.utf8.count) else { throw notFound }
        let alert: Alert
        do {
            alert = try await self.alerts.alert(id: id)
        } catch StorageError.notFound {
            throw notFound
        }
        if alert.owner == principal.user { return alert }
        guard principal.role == .admin else { throw notFound }
        if forChange {
            throw Problem(status: .forbidden, detail: "admins may read another user's alert, not change it")
        }
        return alert
    }

    /// The body, parsed and checked on its own.
    private func readBody(_ request: Request, now: Int64) async throws -> AlertBody {
        let value = try await JSONInput.parse(request, limit: Self.maxBodyBytes)
        return try AlertBody.parse(value, rules: AlertBody.Rules(patternIntervals: self.patternIntervals, now: now))
    }

    /// The body's channels with the secrets it left out taken from `stored`; a webhook without a secret to keep is
    /// a 422 naming its `secret`.
    static func channels(_ body: AlertBody, stored: [AlertChannel]) throws -> [AlertChannel] {
        try Self.channels(body.channels, stored: stored)
    }

    /// `inputs` with the secrets they left out taken from `stored` (422 at `/channels/<i>/secret` for a webhook
    /// without one to keep).
    static func channels(_ inputs: [AlertChannelInput], stored: [AlertChannel]) throws -> [AlertChannel] {
        var issues: [ValidationIssue] = []
        var out: [AlertChannel] = []
        for (i, input) in inputs.enumerated() {
            if let channel = input.resolve(index: i, stored: stored) {
                out.append(channel)
            } else {
                issues.append(
                    ValidationIssue(
                        path: ["channels", String(i), "secret"],
                        detail: "secret is required: the HMAC key the webhook's signatures are made with"))
            }
        }
        if !issues.isEmpty { throw ValidationError(issues) }
        return out
    }

    /// A 422 naming the target's member unless something knows the symbol, the owner has the portfolio, or some
    /// asset is in the sector.
    func checkTarget(_ target: AlertTarget, owner: String, context: AppRequestContext) async throws {
        switch target {
        case .symbol(let symbol):
            if try await self.symbolKnown(symbol, context: context) { return }
            throw ValidationError([
                ValidationIssue(
                    path: ["target", "symbol"],
                    detail: "unknown symbol \(symbol): no stored asset, and no provider knows it")
            ])
        case .portfolio(let id):
            if try await self.targets.portfolioExists(id: id, owner: owner) { return }
            throw ValidationError([
                ValidationIssue(path: ["target", "portfolio"], detail: "no portfolio \(Echo.text(id)) of yours")
            ])
        case .sector(let name):
            if try await self.targets.sectorExists(name: name) { return }
            throw ValidationError([
                ValidationIssue(path: ["target", "sector"], detail: "no asset is in the sector '\(Echo.text(name))'")
            ])
        }
    }

    /// True when the store has the asset, or the providers quote it (as `GET /api/quotes/{symbol}` would, which
    /// then stores it); a provider outage or the caller's on-demand limit is an error, not an unknown symbol.
    private func symbolKnown(_ symbol: String, context: AppRequestContext) async throws -> Bool {
        do {
            _ = try await self.assets.asset(symbol)
            return true
        } catch StorageError.notFound {}
        guard let onDemand = self.onDemand else { return false }
        var admit: (@Sendable () throws -> Void)?
        if let principal = context.principal, principal.isRateLimited {
            admit = self.onDemandLimiter.admission(user: principal.user, tier: principal.tier)
        }
        do {
            _ = try await onDemand.quote(symbol: symbol, admit: admit)
            return true
        } catch StorageError.notFound {
            return false
        }
    }
}
