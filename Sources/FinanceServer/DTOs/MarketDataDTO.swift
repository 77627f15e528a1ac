import FinanceApp
import FinanceCore

/// One OHLCV bar on the wire; `ts` is the bar's start in ms.
public struct BarDTO: Codable, Sendable, Equatable {
    public var ts: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double

    public init(_ bar: Bar) {
        self.ts = bar.ts
        self.open = bar.open
        self.high = bar.high
        self.low = bar.low
        self.close = bar.close
        self.volume = bar.volume
    }
}

/// `GET /api/bars/{symbol}`.
public struct BarsDTO: Codable, Sendable, Equatable {
    public var symbol: String
    public var interval: String
    public var bars: [BarDTO]
}

/// `GET /api/quotes/{symbol}`: the latest price with the current UTC day's statistics.
public struct QuoteDTO: Codable, Sendable, Equatable {
    public var symbol: String
    public var price: Double
    public var ts: Int64
    public var bid: Double?
    public var ask: Double?
    public var open: Double?
    public var high: Double?
    public var low: Double?
    public var volume: Double?
    public var change: Double?
    public var changePercent: Double?
    /// Where the price came from: a provider's name, or `simulated`, `push` or `import` for stored data.
    public var source: String?
    /// What `change` compares with: `utcDay`, `24h` or `previousClose`.
    public var changeBasis: String?

    public init(_ sourced: SourcedQuote) {
        self.init(sourced.quote)
        self.source = sourced.source
        self.changeBasis = sourced.changeBasis
    }

    public init(_ quote: Quote) {
        self.symbol = quote.symbol
        self.price = quote.price
        self.ts = quote.ts
        self.bid = quote.bid
        self.ask = quote.ask
        self.open = quote.open
        self.high = quote.high
        self.low = quote.low
        self.volume = quote.volume
        self.change = quote.change
        self.changePercent = quote.changePercent
    }
}

/// What an accepted write did (`POST /api/ticks`, `POST /api/bars/{symbol}`).
public struct IngestSummaryDTO: Codable, Sendable, Equatable {
    public var accepted: Int
    public var symbols: [String]

    public init(_ summary: IngestSummary) {
        self.accepted = summary.accepted
        self.symbols = summary.symbols
    }
}
