import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import Hummingbird

/// The caller's portfolios: `POST/GET /api/portfolios`, `GET/PUT/DELETE /api/portfolios/{id}` and
/// `GET /api/portfolios/{id}/history`. Every answer values the portfolio at the quote book's prices. A portfolio
/// of another user is answered like one that does not exist (404).
struct PortfoliosController {
    let repository: any PortfolioRepository
    let valuation: PortfolioValuation
    /// Checks holdings' symbols as a quote request finds them.
    let symbols: SymbolLookup
    /// Upstream fetches per minute per user that symbol checks may cause.
    let onDemandLimiter: RequestRateLimiter
    let clock: any WallClock
    let maxBodyBytes: Int

    static var defaultLimit: Int { 50 }
    static var maxLimit: Int { 200 }
    static var defaultHistoryLimit: Int { 1_000 }
    static var maxHistoryLimit: Int { 10_000 }

    /// Adds the routes under `/api/portfolios`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post(use: self.create)
        group.get(use: self.list)
        group.get("{id}", use: self.show)
        group.put("{id}", use: self.update)
        group.delete("{id}", use: self.delete)
        group.get("{id}/history", use: self.history)
    }

    /// `POST /api/portfolios`: creates a portfolio of the caller.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let input = try await self.readInput(request, context: context)
        let now = self.clock.nowMilliseconds()
        let portfolio = Portfolio(
            id: Self.newId(), owner: principal.user, name: input.name, cash: input.cash, holdings: input.holdings,
            createdAt: now)
        try await self.repository.createPortfolio(portfolio)
        self.valuation.remember(portfolio)
        return try HTTP.json(try await self.dto(portfolio), status: .created)
    }

    /// `GET /api/portfolios?cursor&limit`: a page of the caller's portfolios, by id.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var query = HTTP.Query(request)
        let limit = query.integer("limit", default: Self.defaultLimit, range: 1...Self.maxLimit)
        var after: String?
        if let raw = query.raw("cursor") {
            after = PortfolioCursorText.decode(raw)
            if after == nil {
                query.issues.append(
                    ValidationIssue(index: nil, field: "cursor", detail: "cursor is not a `next` value of this route"))
            }
        }
        try query.check()
        // One more than a page tells whether another page follows.
        let found = try await self.repository.portfolios(owner: principal.user, after: after, limit: limit + 1)
        let page = Array(found.prefix(limit))
        var items: [PortfolioDTO] = []
        for portfolio in page { items.append(try await self.dto(portfolio)) }
        let next = found.count > limit ? page.last.map { PortfolioCursorText.encode($0.id) } : nil
        return try HTTP.json(PortfolioPageDTO(items: items, next: next))
    }

    /// `GET /api/portfolios/{id}`.
    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        try HTTP.json(try await self.dto(try await self.owned(context)))
    }

    /// `PUT /api/portfolios/{id}`: replaces the name, cash and holdings.
    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        var portfolio = try await self.owned(context)
        let input = try await self.readInput(request, context: context)
        portfolio.name = input.name
        portfolio.cash = input.cash
        portfolio.holdings = input.holdings
        portfolio.updatedAt = max(portfolio.createdAt, self.clock.nowMilliseconds())
        try await self.repository.updatePortfolio(portfolio)
        self.valuation.remember(portfolio)
        return try HTTP.json(try await self.dto(portfolio))
    }

    /// `DELETE /api/portfolios/{id}`: deletes the portfolio with its history.
    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let portfolio = try await self.owned(context)
        try await self.repository.deletePortfolio(id: portfolio.id)
        self.valuation.forget(id: portfolio.id)
        return Response(status: .noContent)
    }

    /// `GET /api/portfolios/{id}/history?from&to&limit`: recorded values with `from <= ts < to`, oldest first.
    @Sendable func history(_ request: Request, context: AppRequestContext) async throws -> Response {
        let portfolio = try await self.owned(context)
        var query = HTTP.Query(request)
        let from = query.time("from")
        let to = query.time("to")
        if let from, let to, from > to {
            query.issues.append(
                ValidationIssue(
                    index: nil, field: "from",
                    detail: "from (\(Timestamp.iso8601(from))) is after to (\(Timestamp.iso8601(to)))"))
        }
        let limit = query.integer("limit", default: Self.defaultHistoryLimit, range: 1...Self.maxHistoryLimit)
        try query.check()
        let snapshots = try await self.repository.portfolioSnapshots(
            id: portfolio.id, from: from ?? Int64.min, to: to ?? Int64.max, limit: limit)
        return try HTTP.json(
            PortfolioHistoryDTO(
                id: portfolio.id, items: snapshots.map { PortfolioSnapshotDTO(ts: $0.ts, value: $0.value) }))
    }

    /// The caller's portfolio named by the path; another user's is not found, like a missing one.
    private func owned(_ context: AppRequestContext) async throws -> Portfolio {
        let principal = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        let notFound = StorageError.notFound("portfolio \(Echo.text(id))")
        guard Self.isValidId(id) else { throw notFound }
        let portfolio: Portfolio
        do {
            portfolio = try await self.repository.portfolio(id: id)
        } catch StorageError.notFound {
            throw notFound
        }
        guard portfolio.owner == principal.user else { throw notFound }
        return portfolio
    }

    private func dto(_ portfolio: Portfolio) async throws -> PortfolioDTO {
        PortfolioDTO(portfolio, value: try await self.valuation.value(of: portfolio))
    }

    /// A new id: 24 random lowercase hex digits.
    static func newId() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<3).map { _ in
            let hex = String(generator.next() as UInt32, radix: 16)
            return String(repeating: "0", count: 8 - hex.count) + hex
        }.joined()
    }

    /// Ids are 1–64 characters of letters, digits, `-` and `_`.
    static func isValidId(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { c in
                (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x2D
                    || c == 0x5F
            }
    }
}

/// The text form of a portfolio cursor: base64url (no padding) of the last id of a page, opaque to clients.
enum PortfolioCursorText {
    static func encode(_ id: String) -> String { Base64URLText.encode(id) }

    /// The id `text` encodes, nil for anything `encode` cannot have made.
    static func decode(_ text: String) -> String? {
        guard let id = Base64URLText.decode(text, maxLength: 128), PortfoliosController.isValidId(id) else {
            return nil
        }
        return id
    }
}
