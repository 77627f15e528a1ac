import FinanceCore
import Foundation

/// The simulated market's past: 1-minute bars of an instrument before the live feed starts, so a fresh hub has
/// history to chart and analyse. The same model as the live market (a random walk in log price with the intraday
/// volatility curve, occasional jumps and volume bursts), drawn minute by minute (four sub-steps each, for the
/// high and low) from a generator seeded with the feed's seed and the symbol, so the same seed and end give the
/// same bars. The walk is then shifted so that the last close is the instrument's start price, where the live
/// feed's first tick starts from: history and live prices join without a gap.
public enum SimulatedHistory {
    /// The 1-minute bars of `instrument` for the `minutes` minutes before `end` (a minute start), ascending; the
    /// volume of a minute is about `ticksPerMinute` typical trades.
    public static func minuteBars(
        _ instrument: SimulatedInstrument, seed: UInt64, end: Int64, minutes: Int, ticksPerMinute: Double
    ) -> [Bar] {
        guard minutes > 0 else { return [] }
        var rng = SeededRandom(seed: seed ^ Self.hash(instrument.asset.symbol))
        let secondsPerYear = 365.25 * 86_400
        let sigma = instrument.annualVolatility * (60 / secondsPerYear).squareRoot()
        let subSteps = 4
        let subSigma = sigma / Double(subSteps).squareRoot()
        let start = end - Int64(minutes) * 60_000
        // Log prices relative to the walk's start; shifted at the end.
        var x = 0.0
        var burstLeft = 0
        var rows: [(ts: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double)] = []
        rows.reserveCapacity(minutes)
        for m in 0..<minutes {
            let ts = start + Int64(m) * 60_000
            let factor = SimulatedMarket.intradayFactor(ts)
            let open = x
            var high = x
            var low = x
            for _ in 0..<subSteps {
                var move = subSigma * factor * rng.openNormal()
                if rng.openUniform() < 0.002 { move += 8 * subSigma * rng.openNormal() }
                x += move - 0.5 * subSigma * subSigma
                high = max(high, x)
                low = min(low, x)
            }
            if burstLeft > 0 {
                burstLeft -= 1
            } else if rng.openUniform() < 0.01 {
                burstLeft = 3 + Int(rng.openUniform() * 12)
            }
            let burst = burstLeft > 0 ? 6.0 : 1.0
            let volume =
                instrument.typicalSize * max(ticksPerMinute, 1) * burst * exp(0.5 * rng.openNormal() - 0.125)
            rows.append((ts, open, high, low, x, volume))
        }
        let shift = log(instrument.startPrice) - x
        return rows.map { r in
            let open = SimulatedMarket.round(exp(r.open + shift))
            let close = SimulatedMarket.round(exp(r.close + shift))
            let high = max(SimulatedMarket.round(exp(r.high + shift)), open, close)
            let low = min(SimulatedMarket.round(exp(r.low + shift)), open, close)
            return Bar(
                ts: r.ts, open: open, high: high, low: low, close: close, volume: SimulatedMarket.round(r.volume))
        }
    }

    /// FNV-1a of the symbol, to give each instrument its own stream for one seed.
    static func hash(_ symbol: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in symbol.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}
