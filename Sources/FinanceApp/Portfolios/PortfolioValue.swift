import FinanceCore

/// A portfolio valued at the last prices: value = cash + Σ quantity × price, day change = Σ quantity × (price −
/// previous close), unrealized P&L = Σ quantity × (price − cost basis). A total is nil when some holding lacks what
/// it needs (a symbol without a price, or without a previous close for the day change): a partial sum would
/// mislead.
public struct PortfolioValue: Sendable, Equatable {
    public var portfolioId: String
    public var value: Double?
    public var dayChange: Double?
    public var unrealizedPnl: Double?
    /// Each holding, in the portfolio's order.
    public var holdings: [HoldingValue]

    public init(portfolio: Portfolio, holdings: [HoldingValue]) {
        self.portfolioId = portfolio.id
        self.holdings = holdings
        var value: Double? = portfolio.cash
        var dayChange: Double? = 0
        var pnl: Double? = 0
        for h in holdings {
            value = value.flatMap { total in h.value.map { total + $0 } }
            dayChange = dayChange.flatMap { total in h.dayChange.map { total + $0 } }
            pnl = pnl.flatMap { total in h.unrealizedPnl.map { total + $0 } }
        }
        self.value = value
        self.dayChange = dayChange
        self.unrealizedPnl = pnl
    }
}

/// One holding valued at its symbol's last price (all nil when the symbol has no price).
public struct HoldingValue: Sendable, Equatable {
    public var holding: Holding
    /// The last price.
    public var price: Double?
    /// quantity × price.
    public var value: Double?
    /// quantity × (price − previous UTC day's close); nil without a previous close.
    public var dayChange: Double?
    /// quantity × (price − cost basis).
    public var unrealizedPnl: Double?

    /// `holding` at `quote` (nil: no price).
    public init(_ holding: Holding, quote: Quote?) {
        self.holding = holding
        guard let quote else { return }
        self.price = quote.price
        self.value = holding.quantity * quote.price
        // The quote's change is the price minus the previous close.
        self.dayChange = quote.change.map { holding.quantity * $0 }
        self.unrealizedPnl = holding.quantity * (quote.price - holding.costBasis)
    }
}
