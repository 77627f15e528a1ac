import FinanceApp
import FinanceCore

/// A portfolio on the wire (`GET/POST/PUT /api/portfolios...`) with its live figures; a figure is absent when some
/// holding lacks the price it needs (see `PortfolioValue`).
public struct PortfolioDTO: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var cash: Double
    public var holdings: [HoldingDTO]
    /// cash + Σ quantity × last price.
    public var value: Double?
    /// Σ quantity × (last price − previous UTC day's close).
    public var dayChange: Double?
    /// Σ quantity × (last price − cost basis).
    public var unrealizedPnl: Double?
    /// ms since the epoch.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(_ portfolio: Portfolio, value: PortfolioValue) {
        self.id = portfolio.id
        self.name = portfolio.name
        self.cash = portfolio.cash
        self.holdings = value.holdings.map(HoldingDTO.init)
        self.value = value.value
        self.dayChange = value.dayChange
        self.unrealizedPnl = value.unrealizedPnl
        self.createdAt = portfolio.createdAt
        self.updatedAt = portfolio.updatedAt
    }
}

/// One holding with its live figures (absent while its symbol has no price).
public struct HoldingDTO: Codable, Sendable, Equatable {
    public var symbol: String
    public var quantity: Double
    public var costBasis: Double
    public var price: Double?
    public var value: Double?
    public var dayChange: Double?
    public var unrealizedPnl: Double?

    public init(_ h: HoldingValue) {
        self.symbol = h.holding.symbol
        self.quantity = h.holding.quantity
        self.costBasis = h.holding.costBasis
        self.price = h.price
        self.value = h.value
        self.dayChange = h.dayChange
        self.unrealizedPnl = h.unrealizedPnl
    }
}

/// `GET /api/portfolios`: a page of the caller's portfolios by id; `next` (absent on the last page) is the `cursor`
/// of the next page.
public struct PortfolioPageDTO: Codable, Sendable, Equatable {
    public var items: [PortfolioDTO]
    public var next: String?
}

/// `GET /api/portfolios/{id}/history`: the recorded values, oldest first.
public struct PortfolioHistoryDTO: Codable, Sendable, Equatable {
    public var id: String
    public var items: [PortfolioSnapshotDTO]
}

/// One recorded value; `ts` in ms since the epoch.
public struct PortfolioSnapshotDTO: Codable, Sendable, Equatable {
    public var ts: Int64
    public var value: Double

    public init(ts: Int64, value: Double) {
        self.ts = ts
        self.value = value
    }
}
