#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Anomaly detection over bars and ticks.
///
/// Batch: `AnomalyDetector(options:).detect(bars:)` / `detect(ticks:)`. Streaming: `AnomalyStream`. The batch
/// functions run the stream, so both give identical results. Every score at bar t uses only data before t as
/// its baseline (and t itself as the value tested).
public struct AnomalyDetector: Sendable {
    public var options: AnomalyOptions

    public init(options: AnomalyOptions = AnomalyOptions()) {
        self.options = options
    }

    /// Anomalies of `bars` (ascending by time).
    public func detect(bars: [Bar]) -> [Anomaly] {
        var s = AnomalyStream(options: options)
        var out: [Anomaly] = []
        for b in bars { out.append(contentsOf: s.append(b)) }
        return out
    }

    /// Anomalies of `ticks` (ascending by time): order-flow imbalance per `flowInterval`, and the bar detectors
    /// on bars of `tickBarInterval` built from the trades; the last interval and bar are flushed at the end.
    public func detect(ticks: [Tick]) -> [Anomaly] {
        var s = AnomalyStream(options: options)
        var out: [Anomaly] = []
        for t in ticks { out.append(contentsOf: s.append(tick: t)) }
        out.append(contentsOf: s.finish())
        return out
    }

    /// Anomalies with `ts` within [from, to] (ms, inclusive, nil = open) and of the given types (nil = all).
    public static func filter(
        _ anomalies: [Anomaly], from: Int64? = nil, to: Int64? = nil, types: Set<AnomalyType>? = nil
    )
        -> [Anomaly]
    {
        anomalies.filter { a in
            (from.map { a.ts >= $0 } ?? true) && (to.map { a.ts <= $0 } ?? true)
                && (types.map { $0.contains(a.type) } ?? true)
        }
    }

    /// Parses tick CSV `timestamp,price,size,bid,ask,bidSize,askSize` (header optional, empty fields allowed,
    /// timestamps by the project's time rule). Rows that cannot be parsed are skipped.
    public static func parseTickCSV(_ text: String, symbol: String = "") -> [Tick] {
        var out: [Tick] = []
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: " \r\t\"")
            }
            guard f.count >= 2, let ts = Timestamp.parse(String(f[0])), let price = Double(f[1]) else { continue }
            func num(_ k: Int) -> Double? { k < f.count && !f[k].isEmpty ? Double(f[k]) : nil }
            out.append(
                Tick(
                    symbol: symbol, ts: ts, price: price, size: num(2), bid: num(3), ask: num(4), bidSize: num(5),
                    askSize: num(6)))
        }
        return out
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}

/// Streaming anomaly detection. `append(_:)` takes bars; `append(tick:)` takes trades/quotes.
///
/// Cost per update (N = window): price spikes O(log N) comparisons + one memmove ≤ N doubles (sorted window);
/// z-score, volume (mean), gaps, EWMA volatility, runs, divergence, OFI and trade sign O(1); the median-volume
/// option O(log N) + memmove; the MAD = 0 fallback O(N) (only when the window has no spread).
public struct AnomalyStream: Sendable {
    public let options: AnomalyOptions
    // Bars
    var prev: Bar? = nil
    var returns: AnomWindow
    var volumes: AnomWindow
    var atr: PatternEngine.ATR
    var prevATR = 0.0
    var shortVar = 0.0
    var longVar = 0.0
    var varInit = 0
    var varSeed = 0.0
    var volHot = false
    var runLen = 0
    var runDir = 0
    var runFlagged = false
    var signs: AnomWindow
    var intraday = false
    var slotVol: [Double] = []
    var slotCount: [Int32] = []
    var slotHead: [Int32] = []
    var slotSum: [Double] = []
    // Ticks
    var flowStart: Int64 = .min
    var ofi = 0.0
    var depthSum = 0.0
    var quoteEvents = 0
    var tradeSigned = 0.0
    var tradeSize = 0.0
    var trades = 0
    var lastBid = Double.nan, lastAsk = Double.nan, lastBidSize = 0.0, lastAskSize = 0.0
    var lastTradePrice = Double.nan
    var lastSign = 0.0
    var ofiHist: AnomWindow
    var tradeHist: AnomWindow
    var tickBar: Bar? = nil
    var tickBarEnd: Int64 = .min
    var lastTickTs: Int64 = .min

    public init(options: AnomalyOptions = AnomalyOptions()) {
        self.options = options
        returns = AnomWindow(capacity: options.returnWindow, sorted: true)
        volumes = AnomWindow(capacity: options.volumeWindow, sorted: options.volumeMedian)
        atr = PatternEngine.ATR(period: options.atrPeriod)
        signs = AnomWindow(capacity: options.runWindow, sorted: false)
        ofiHist = AnomWindow(capacity: options.flowWindow, sorted: false)
        tradeHist = AnomWindow(capacity: options.flowWindow, sorted: false)
    }

    @inline(__always)
    func want(_ t: AnomalyType) -> Bool { options.types.contains(t) }

    // MARK: bars

    /// Processes one bar and returns its anomalies. Bars not newer than the previous one, or with non-finite
    /// values, a non-positive close or negative volume, are ignored.
    public mutating func append(_ bar: Bar) -> [Anomaly] {
        var out: [Anomaly] = []
        guard bar.open.isFinite, bar.high.isFinite, bar.low.isFinite, bar.close.isFinite, bar.volume.isFinite,
            bar.close > 0, bar.volume >= 0, prev.map({ bar.ts > $0.ts }) ?? true
        else { return out }
        let o = options
        let day: Int64 = 86_400_000
        if !intraday && bar.ts % day != 0 {
            intraday = true
            let slots = 1440 * o.sameTimeOfDayDays
            slotVol = Array(repeating: 0, count: slots)
            slotCount = Array(repeating: 0, count: 1440)
            slotHead = Array(repeating: 0, count: 1440)
            slotSum = Array(repeating: 0, count: 1440)
        }
        guard let p = prev, p.close > 0, bar.close > 0 else {
            prev = bar
            prevATR = atr.update(high: bar.high, low: bar.low, close: bar.close)
            pushVolume(bar)
            return out
        }
        // A difference of logs: the ratio of two valid prices can overflow (1e160 / 1e−160).
        let r = log(bar.close) - log(p.close)

        // Price spike: robust z of r against the previous `returnWindow` returns (and the classic z for reference).
        var robust = 0.0
        if returns.count >= o.minHistory {
            let med = returns.median
            let mad = returns.mad(med)
            let w = returns
            robust = anomRobustZ(r, median: med, mad: mad, meanAbsDev: { w.meanAbsDev(med) }, cap: o.robustCap)
            if abs(robust) > o.robustThreshold && want(.priceSpike) {
                let sd = returns.std
                let z = returns.zscore(r)
                out.append(
                    Anomaly(
                        type: .priceSpike, ts: bar.ts, severity: abs(robust),
                        values: [
                            "return": r, "robust_z": robust, "zscore": z, "median": med, "mad": mad,
                            "mean": returns.mean, "std": sd,
                        ], threshold: o.robustThreshold))
            }
        }

        // Relative volume (same time of day for intraday bars when enough days exist).
        var rv = Double.nan
        var baseline = 0.0
        var sameTime = 0.0
        if intraday {
            let slot = Int((bar.ts % day + day) % day / 60_000)
            if Int(slotCount[slot]) >= o.sameTimeOfDayMinDays {
                baseline = slotSum[slot] / Double(slotCount[slot])
                sameTime = 1
            }
        }
        if sameTime == 0 && volumes.count >= min(o.volumeWindow, 5) {
            baseline = o.volumeMedian ? volumes.median : volumes.mean
        }
        if baseline > 0 { rv = bar.volume / baseline }
        if rv.isFinite && rv >= o.volumeThreshold && want(.volumeSurge) {
            out.append(
                Anomaly(
                    type: .volumeSurge, ts: bar.ts, severity: rv,
                    values: [
                        "volume": bar.volume, "baseline": baseline, "relative_volume": rv,
                        "same_time_of_day": sameTime,
                    ], threshold: o.volumeThreshold))
        }

        // Gaps: open vs previous close, in % and in ATRs (ATR up to the previous bar); off for 24/7 markets.
        if !o.continuousMarket && atr.ready && prevATR > 0 {
            let gap = bar.open - p.close
            let pct = 100 * gap / p.close
            let inATR = gap / prevATR
            let full = gap > 0 ? bar.low > p.high : bar.high < p.low
            if abs(inATR) >= o.gapATR || (full && abs(pct) >= o.gapMinPercent) {
                let t: AnomalyType = gap > 0 ? .gapUp : .gapDown
                if want(t) {
                    out.append(
                        Anomaly(
                            type: t, ts: bar.ts, severity: abs(inATR),
                            values: [
                                "gap_percent": pct, "gap_atr": inATR, "full_gap": full ? 1 : 0,
                                "previous_close": p.close, "open": bar.open,
                            ], threshold: o.gapATR))
                }
            }
        }

        // Volatility: short (RiskMetrics λ) vs long EWMA of squared returns; lone spikes clipped.
        var sigmaPrev = shortVar > 0 ? shortVar.squareRoot() : 0
        if varInit < o.minHistory {
            varSeed += r * r
            varInit += 1
            if varInit == o.minHistory {
                shortVar = varSeed / Double(varInit)
                longVar = shortVar
            }
        } else {
            // Clip at `volatilityClip` σ of each average's own level, so a lone spike moves neither much.
            let sClip = o.volatilityClip * shortVar.squareRoot()
            let lClip = o.volatilityClip * longVar.squareRoot()
            let rs = sClip > 0 ? max(-sClip, min(sClip, r)) : r
            let rl = lClip > 0 ? max(-lClip, min(lClip, r)) : r
            shortVar = o.ewmaLambda * shortVar + (1 - o.ewmaLambda) * rs * rs
            longVar = o.ewmaLongLambda * longVar + (1 - o.ewmaLongLambda) * rl * rl
            let ratio = longVar > 0 ? (shortVar / longVar).squareRoot() : 0
            if ratio >= o.volatilityRatio {
                if !volHot && want(.volatilitySpike) {
                    out.append(
                        Anomaly(
                            type: .volatilitySpike, ts: bar.ts, severity: ratio,
                            values: [
                                "ewma_vol": shortVar.squareRoot(), "long_vol": longVar.squareRoot(),
                                "ratio": ratio, "abs_return_sigma": sigmaPrev > 0 ? abs(r) / sigmaPrev : 0,
                            ],
                            threshold: o.volatilityRatio))
                }
                volHot = true
            } else if ratio < 0.8 * o.volatilityRatio {
                volHot = false
            }
        }
        if sigmaPrev == 0 { sigmaPrev = returns.std }

        // Unusual run of same-direction closes.
        let dir = r > 0 ? 1 : (r < 0 ? -1 : 0)
        if dir != 0 && dir == runDir {
            runLen += 1
        } else {
            runDir = dir
            runLen = dir == 0 ? 0 : 1
            runFlagged = false
        }
        if runLen >= 2 && !runFlagged && signs.count >= o.minHistory {
            let ups = signs.sum
            let pUp = (ups + 5) / (Double(signs.count) + 10)
            let pd = runDir > 0 ? pUp : 1 - pUp
            let prob = pow(pd, Double(runLen - 1))
            if prob < o.runProbability {
                runFlagged = true
                let sev = -log10(prob)
                if want(.unusualRun) {
                    out.append(
                        Anomaly(
                            type: .unusualRun, ts: bar.ts, severity: sev,
                            values: [
                                "run_length": Double(runLen), "direction": Double(runDir), "p_up": pUp,
                                "probability": prob,
                            ], threshold: -log10(o.runProbability)))
                }
            }
        }
        if dir != 0 { signs.push(dir > 0 ? 1 : 0) }

        // Price-volume divergence: a large move on thin volume.
        if sigmaPrev > 0 && rv.isFinite && want(.priceVolumeDivergence) {
            let k = abs(r) / sigmaPrev
            if k >= o.divergenceSigma && rv <= o.divergenceVolume {
                out.append(
                    Anomaly(
                        type: .priceVolumeDivergence, ts: bar.ts, severity: k,
                        values: ["return": r, "return_sigma": k, "relative_volume": rv], threshold: o.divergenceSigma))
            }
        }

        returns.push(r)
        pushVolume(bar)
        prevATR = atr.update(high: bar.high, low: bar.low, close: bar.close)
        prev = bar
        return out
    }

    mutating func pushVolume(_ bar: Bar) {
        volumes.push(bar.volume)
        if intraday {
            let day: Int64 = 86_400_000
            let slot = Int((bar.ts % day + day) % day / 60_000)
            let d = options.sameTimeOfDayDays
            let idx = slot * d + Int(slotHead[slot])
            if Int(slotCount[slot]) == d { slotSum[slot] -= slotVol[idx] } else { slotCount[slot] += 1 }
            slotVol[idx] = bar.volume
            slotSum[slot] += bar.volume
            slotHead[slot] = Int32((Int(slotHead[slot]) + 1) % d)
        }
    }

    // MARK: ticks

    /// Processes one trade and/or quote update. Returns the anomalies of intervals and bars it closed.
    public mutating func append(tick: Tick) -> [Anomaly] {
        var out: [Anomaly] = []
        guard tick.price.isFinite, tick.ts >= lastTickTs else { return out }
        lastTickTs = tick.ts
        let fi = options.flowInterval
        let start = tick.ts >= 0 ? tick.ts / fi * fi : ((tick.ts - fi + 1) / fi) * fi
        if start != flowStart {
            if flowStart != .min { closeFlow(&out) }
            flowStart = start
        }
        // Cont–Kukanov–Stoikov (2014): e = 1{Pb ≥ Pb'}·qb − 1{Pb ≤ Pb'}·qb' − 1{Pa ≤ Pa'}·qa + 1{Pa ≥ Pa'}·qa'.
        if let b = tick.bid, let a = tick.ask, b.isFinite, a.isFinite {
            let qb = (tick.bidSize ?? 0).isFinite ? (tick.bidSize ?? 0) : 0
            let qa = (tick.askSize ?? 0).isFinite ? (tick.askSize ?? 0) : 0
            if !lastBid.isNaN {
                var e = 0.0
                if b >= lastBid { e += qb }
                if b <= lastBid { e -= lastBidSize }
                if a <= lastAsk { e -= qa }
                if a >= lastAsk { e += lastAskSize }
                ofi += e
                quoteEvents += 1
            }
            depthSum += (qb + qa) / 2
            lastBid = b
            lastAsk = a
            lastBidSize = qb
            lastAskSize = qa
        }
        if let sz = tick.size, sz > 0, sz.isFinite {
            // Tick rule: up-tick buy, down-tick sell, zero tick keeps the previous sign.
            if !lastTradePrice.isNaN {
                if tick.price > lastTradePrice { lastSign = 1 } else if tick.price < lastTradePrice { lastSign = -1 }
            }
            lastTradePrice = tick.price
            tradeSigned += lastSign * sz
            tradeSize += sz
            trades += 1
            // Bars from trades.
            if var b = tickBar, tick.ts < tickBarEnd {
                if tick.price > b.high { b.high = tick.price }
                if tick.price < b.low { b.low = tick.price }
                b.close = tick.price
                b.volume += sz
                tickBar = b
            } else {
                if let b = tickBar { out.append(contentsOf: append(b)) }
                let bi = options.tickBarInterval
                let bs = tick.ts >= 0 ? tick.ts / bi * bi : ((tick.ts - bi + 1) / bi) * bi
                tickBar = Bar(
                    ts: bs, open: tick.price, high: tick.price, low: tick.price, close: tick.price, volume: sz)
                tickBarEnd = bs + bi
            }
        }
        return out
    }

    /// Closes the open order-flow interval and the open bar (end of a batch).
    public mutating func finish() -> [Anomaly] {
        var out: [Anomaly] = []
        if flowStart != .min { closeFlow(&out) }
        flowStart = .min
        if let b = tickBar { out.append(contentsOf: append(b)) }
        tickBar = nil
        return out
    }

    mutating func closeFlow(_ out: inout [Anomaly]) {
        let o = options
        let samples = quoteEvents + (depthSum > 0 ? 1 : 0)
        if quoteEvents > 0 {
            let depth = depthSum / Double(max(1, samples))
            let norm = depth > 0 ? ofi / depth : 0
            if ofiHist.count >= o.flowMinHistory {
                let z = ofiHist.zscore(norm)
                if abs(z) >= o.flowThreshold && want(.orderFlowImbalance) {
                    out.append(
                        Anomaly(
                            type: .orderFlowImbalance, ts: flowStart, severity: abs(z),
                            values: [
                                "ofi": ofi, "depth": depth, "normalized_ofi": norm, "zscore": z,
                                "events": Double(quoteEvents),
                            ], threshold: o.flowThreshold))
                }
            }
            ofiHist.push(norm)
        } else if tradeSize > 0 {
            let imb = tradeSigned / tradeSize
            if tradeHist.count >= o.flowMinHistory {
                let z = tradeHist.zscore(imb)
                if abs(z) >= o.flowThreshold && want(.orderFlowImbalance) {
                    out.append(
                        Anomaly(
                            type: .orderFlowImbalance, ts: flowStart, severity: abs(z),
                            values: [
                                "trade_imbalance": imb, "trades": Double(trades), "volume": tradeSize,
                                "zscore": z,
                            ], threshold: o.flowThreshold))
                }
            }
            tradeHist.push(imb)
        }
        ofi = 0
        depthSum = 0
        quoteEvents = 0
        tradeSigned = 0
        tradeSize = 0
        trades = 0
    }
}
