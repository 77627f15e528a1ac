import FinanceCore
import Foundation

/// One simulated instrument.
public struct SimulatedInstrument: Sendable, Equatable {
    public var asset: Asset
    /// The first price.
    public var startPrice: Double
    /// Annualised volatility of log price (e.g. 0.6 for bitcoin, 0.25 for a stock, 0.08 for FX).
    public var annualVolatility: Double
    /// Typical trade size.
    public var typicalSize: Double
    /// Half the bid/ask spread in basis points.
    public var halfSpreadBps: Double

    public init(asset: Asset, startPrice: Double, annualVolatility: Double, typicalSize: Double, halfSpreadBps: Double)
    {
        self.asset = asset
        self.startPrice = startPrice
        self.annualVolatility = annualVolatility
        self.typicalSize = typicalSize
        self.halfSpreadBps = halfSpreadBps
    }

    /// The default watchlist: crypto BTC, ETH, SOL; equities AAPL, MSFT, NVDA; SPY; FX EURUSD.
    public static let defaultWatchlist: [SimulatedInstrument] = [
        .init(
            asset: Asset(symbol: "BTC", name: "Bitcoin", assetClass: .crypto, currency: "USD"),
            startPrice: 67_000, annualVolatility: 0.6, typicalSize: 0.05, halfSpreadBps: 0.5),
        .init(
            asset: Asset(symbol: "ETH", name: "Ether", assetClass: .crypto, currency: "USD"),
            startPrice: 3_500, annualVolatility: 0.7, typicalSize: 0.8, halfSpreadBps: 0.7),
        .init(
            asset: Asset(symbol: "SOL", name: "Solana", assetClass: .crypto, currency: "USD"),
            startPrice: 150, annualVolatility: 0.9, typicalSize: 20, halfSpreadBps: 1.5),
        .init(
            asset: Asset(
                symbol: "AAPL", name: "Apple Inc.", assetClass: .equity, exchange: "NASDAQ", currency: "USD",
                sector: "Information Technology", industry: "Technology Hardware"),
            startPrice: 190, annualVolatility: 0.25, typicalSize: 100, halfSpreadBps: 0.5),
        .init(
            asset: Asset(
                symbol: "MSFT", name: "Microsoft Corporation", assetClass: .equity, exchange: "NASDAQ",
                currency: "USD", sector: "Information Technology", industry: "Software"),
            startPrice: 420, annualVolatility: 0.22, typicalSize: 80, halfSpreadBps: 0.5),
        .init(
            asset: Asset(
                symbol: "NVDA", name: "NVIDIA Corporation", assetClass: .equity, exchange: "NASDAQ",
                currency: "USD", sector: "Information Technology", industry: "Semiconductors"),
            startPrice: 120, annualVolatility: 0.5, typicalSize: 200, halfSpreadBps: 0.6),
        .init(
            asset: Asset(
                symbol: "SPY", name: "SPDR S&P 500 ETF Trust", assetClass: .etf, exchange: "NYSE Arca",
                currency: "USD"),
            startPrice: 550, annualVolatility: 0.15, typicalSize: 300, halfSpreadBps: 0.2),
        .init(
            asset: Asset(symbol: "EURUSD", name: "Euro / US Dollar", assetClass: .fx, currency: "USD"),
            startPrice: 1.085, annualVolatility: 0.07, typicalSize: 100_000, halfSpreadBps: 0.4),
    ]
}

/// A deterministic, realistic market: a random walk in log price with an intraday volatility curve,
/// occasional jumps and volume bursts, log-normal trade sizes and a quoted bid/ask around the price.
public struct SimulatedMarket: Sendable {
    private struct State: Sendable {
        var instrument: SimulatedInstrument
        var logPrice: Double
        var burstTicksLeft: Int
    }

    private var rng: SeededRandom
    private var states: [State]
    /// The average time between ticks of one symbol, in seconds.
    public let secondsPerTick: Double
    /// Probability per tick of a price jump and of a volume burst starting.
    public var jumpProbability = 0.002
    public var burstProbability = 0.003

    public init(instruments: [SimulatedInstrument], seed: UInt64, ticksPerSecond: Double) {
        self.rng = SeededRandom(state: seed)
        self.states = instruments.map { State(instrument: $0, logPrice: log($0.startPrice), burstTicksLeft: 0) }
        self.secondsPerTick = 1 / max(ticksPerSecond, 1e-6)
    }

    /// The instruments simulated.
    public var instruments: [SimulatedInstrument] { self.states.map(\.instrument) }

    /// Intraday volatility multiplier: higher near 00:00 and 14:30 UTC (the US open), calmer mid-session.
    static func intradayFactor(_ ts: Int64) -> Double {
        let hour = Double(((ts % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000
        let usOpen = exp(-pow((hour - 14.5) / 1.2, 2))
        let dayTurn = exp(-pow(min(hour, 24 - hour) / 1.5, 2))
        return 0.7 + 0.8 * usOpen + 0.4 * dayTurn
    }

    /// The next tick of every instrument, stamped `ts`.
    public mutating func step(ts: Int64) -> [Tick] {
        var out: [Tick] = []
        out.reserveCapacity(self.states.count)
        let secondsPerYear = 365.25 * 86_400
        for i in self.states.indices {
            var s = self.states[i]
            let sigma = s.instrument.annualVolatility * (self.secondsPerTick / secondsPerYear).squareRoot()
            var move = sigma * Self.intradayFactor(ts) * self.rng.openNormal()
            if self.rng.openUniform() < self.jumpProbability { move += 8 * sigma * self.rng.openNormal() }
            s.logPrice += move - 0.5 * sigma * sigma
            if s.burstTicksLeft > 0 {
                s.burstTicksLeft -= 1
            } else if self.rng.openUniform() < self.burstProbability {
                s.burstTicksLeft = 20 + Int(self.rng.openUniform() * 60)
            }
            let price = Self.round(exp(s.logPrice))
            let burst = s.burstTicksLeft > 0 ? 6.0 : 1.0
            let size = Self.round(s.instrument.typicalSize * burst * exp(0.8 * self.rng.openNormal() - 0.32))
            let half = max(price * s.instrument.halfSpreadBps / 10_000 * (0.5 + self.rng.openUniform()), 1e-9)
            let tick = Tick(
                symbol: s.instrument.asset.symbol, ts: ts, price: price, size: size,
                bid: Self.round(price - half), ask: Self.round(price + half),
                bidSize: Self.round(s.instrument.typicalSize * 3 * self.rng.openUniform()),
                askSize: Self.round(s.instrument.typicalSize * 3 * self.rng.openUniform()))
            self.states[i] = s
            out.append(tick)
        }
        return out
    }

    /// Rounds to six significant digits, as quotes are.
    static func round(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return value }
        let scale = pow(10, 5 - floor(log10(value)))
        return (value * scale).rounded() / scale
    }
}
