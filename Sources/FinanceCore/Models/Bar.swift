/// One OHLCV bar. `ts` is the bar's start in milliseconds since the epoch (UTC).
public struct Bar: Hashable, Sendable {
    public var ts: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double

    public init(ts: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double) {
        self.ts = ts
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    /// Merges a later bar of the same bucket into this one (open kept, close replaced).
    @inlinable
    public mutating func absorb(_ later: Bar) {
        if later.high > self.high { self.high = later.high }
        if later.low < self.low { self.low = later.low }
        self.close = later.close
        self.volume += later.volume
    }
}

/// A trade and/or top-of-book update.
public struct Tick: Hashable, Sendable {
    public var symbol: String
    public var ts: Int64
    public var price: Double
    public var size: Double?
    public var bid: Double?
    public var ask: Double?
    public var bidSize: Double?
    public var askSize: Double?

    public init(
        symbol: String, ts: Int64, price: Double, size: Double? = nil, bid: Double? = nil, ask: Double? = nil,
        bidSize: Double? = nil, askSize: Double? = nil
    ) {
        self.symbol = symbol
        self.ts = ts
        self.price = price
        self.size = size
        self.bid = bid
        self.ask = ask
        self.bidSize = bidSize
        self.askSize = askSize
    }
}

/// The latest state of a symbol with its UTC-day statistics.
public struct Quote: Hashable, Sendable {
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

    public init(
        symbol: String, price: Double, ts: Int64, bid: Double? = nil, ask: Double? = nil, open: Double? = nil,
        high: Double? = nil, low: Double? = nil, volume: Double? = nil, change: Double? = nil,
        changePercent: Double? = nil
    ) {
        self.symbol = symbol
        self.price = price
        self.ts = ts
        self.bid = bid
        self.ask = ask
        self.open = open
        self.high = high
        self.low = low
        self.volume = volume
        self.change = change
        self.changePercent = changePercent
    }

    /// Sets `change` and `changePercent` of the price against `previousClose` (both nil without one).
    public mutating func setChange(from previousClose: Double?) {
        guard let previousClose else {
            self.change = nil
            self.changePercent = nil
            return
        }
        self.change = self.price - previousClose
        self.changePercent = (self.price - previousClose) / previousClose * 100
    }
}
