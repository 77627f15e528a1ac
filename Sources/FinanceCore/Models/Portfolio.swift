/// A user's portfolio: cash and holdings. Times are ms since the epoch.
public struct Portfolio: Hashable, Sendable {
    /// A string id, unique across the database.
    public var id: String
    /// The owning user's name.
    public var owner: String
    public var name: String
    public var cash: Double
    /// The holdings in the order the owner gave them; a symbol appears at most once.
    public var holdings: [Holding]
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: String, owner: String, name: String, cash: Double = 0, holdings: [Holding] = [], createdAt: Int64,
        updatedAt: Int64? = nil
    ) {
        self.id = id
        self.owner = owner
        self.name = name
        self.cash = cash
        self.holdings = holdings
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// The most holdings one portfolio may have.
    public static let maxHoldings = 1_000
    /// The longest name, in characters.
    public static let maxNameLength = 200
}

/// A position: `quantity` units of `symbol` bought at `costBasis` per unit.
public struct Holding: Hashable, Sendable {
    /// A canonical symbol.
    public var symbol: String
    public var quantity: Double
    /// The average price paid per unit.
    public var costBasis: Double

    public init(symbol: String, quantity: Double, costBasis: Double) {
        self.symbol = symbol
        self.quantity = quantity
        self.costBasis = costBasis
    }
}

/// A portfolio's value at one time, recorded periodically for its history.
public struct PortfolioSnapshot: Hashable, Sendable {
    public var portfolioId: String
    public var ts: Int64
    public var value: Double

    public init(portfolioId: String, ts: Int64, value: Double) {
        self.portfolioId = portfolioId
        self.ts = ts
        self.value = value
    }
}
