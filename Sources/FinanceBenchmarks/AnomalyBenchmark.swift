import FinanceCore

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An injected anomaly: its type, the bar (or interval) where it starts, and how many bars after it a
/// detection still counts (volatility regimes and runs are recognised some bars in).
public struct AnomalyTruth: Sendable, Hashable, Codable {
    public var type: AnomalyType
    public var ts: Int64
    public var window: Int
    /// Bars after `ts` the injection affects; other types detected there are not counted.
    public var affects: Int
}

/// Settings of the anomaly benchmark.
public struct AnomalyBenchConfig: Sendable, Hashable {
    public var seed: UInt64 = 1
    /// Daily bars per series and number of series.
    public var bars: Int = 2000
    public var series: Int = 40
    /// Anomalies injected per series (spread evenly, random kinds, about 160 bars apart).
    public var injections: Int = 12
    /// Tick benchmark: one-second ticks, minutes, injected order-flow bursts.
    public var tickMinutes: Int = 3000
    public var flowInjections: Int = 40
    public init(seed: UInt64 = 1) { self.seed = seed }
}

public struct AnomalyBenchReport: Sendable, Codable {
    public var rows: [AccuracyRow]
    /// Detections per 1,000 bars on the same walks without injections (all bar types together).
    public var falsePositivesPer1000Bars: Double
    public var falsePositivesPer1000BarsByType: [String: Double]
    public var ignored: Int
    public var lines: [String] {
        rows.map(\.line) + ["false_positives_per_1000_bars \(accuracyFormat(falsePositivesPer1000Bars))"]
    }
}

public enum AnomalyBenchmark {
    static let barKinds: [AnomalyType] = [
        .priceSpike, .volumeSurge, .gapUp, .gapDown, .volatilitySpike, .unusualRun, .priceVolumeDivergence,
    ]

    /// A daily random walk (σ 1.5 %, lognormal volume, open = previous close) with injected anomalies.
    public static func generateBars(seed: UInt64, bars n: Int, injections: Int, inject: Bool = true)
        -> (bars: [Bar], truth: [AnomalyTruth])
    {
        var r = SeededRandom(seed: seed)
        let sigma = 0.015
        let day: Int64 = 86_400_000
        let t0: Int64 = 1_577_836_800_000
        var plan: [Int: AnomalyType] = [:]
        var truth: [AnomalyTruth] = []
        let spacing = max(60, (n - 100) / max(1, injections))
        var k = 100
        while inject && k < n - 40 && plan.count < injections {
            plan[k] = barKinds[r.int(0, barKinds.count - 1)]
            k += spacing
        }
        var out: [Bar] = []
        out.reserveCapacity(n)
        var p = 100.0
        var volBoost = 0
        var runLeft = 0
        for i in 0..<n {
            var ret = sigma * r.normal()
            var open = p
            var volume = 1_000_000 * exp(0.25 * r.normal())
            let kind = plan[i]
            if volBoost > 0 {
                ret *= 4
                volBoost -= 1
            }
            switch kind {
            case .priceSpike?:
                ret = (r.uniform() < 0.5 ? -1 : 1) * sigma * r.uniform(8, 12)
                volume *= 2
            case .volumeSurge?:
                volume *= r.uniform(5, 8)
            case .gapUp?, .gapDown?:
                let up = kind == .gapUp
                let g = sigma * r.uniform(3, 5) * (up ? 1 : -1)
                open = p * exp(g)
                ret = g + 0.3 * sigma * r.normal()
            case .volatilitySpike?:
                volBoost = 30
                ret *= 4
            case .unusualRun?:
                runLeft = 16
            case .priceVolumeDivergence?:
                ret = (r.uniform() < 0.5 ? -1 : 1) * sigma * r.uniform(4, 6)
                volume *= 0.2
            default: break
            }
            if runLeft > 0 {
                ret = sigma * (0.3 + 0.5 * abs(r.normal()))
                runLeft -= 1
            }
            let close = p * exp(ret)
            let hi = max(open, close) * (1 + 0.3 * sigma * abs(r.normal()))
            let lo = min(open, close) * (1 - 0.3 * sigma * abs(r.normal()))
            let ts = t0 + Int64(i) * day
            out.append(Bar(ts: ts, open: open, high: hi, low: lo, close: close, volume: volume))
            if let kd = kind {
                let w: Int
                let aff: Int
                switch kd {
                case .volatilitySpike:
                    w = 15
                    aff = 40
                case .unusualRun:
                    w = 16
                    aff = 16
                default:
                    w = 0
                    aff = 1
                }
                truth.append(AnomalyTruth(type: kd, ts: ts, window: w, affects: aff))
            }
            p = close
        }
        return (out, truth)
    }

    /// One-second ticks with quotes (bid/ask/sizes) or trades only, and injected one-minute bursts of one-sided
    /// order flow (bid size building up / asks lifted, or a run of up-ticks for trades-only data).
    public static func generateTicks(seed: UInt64, minutes: Int, injections: Int, quotes: Bool)
        -> (ticks: [Tick], truth: [AnomalyTruth])
    {
        var r = SeededRandom(seed: seed)
        var ticks: [Tick] = []
        ticks.reserveCapacity(minutes * 60)
        var truth: [AnomalyTruth] = []
        let t0: Int64 = 1_700_000_040_000 - 1_700_000_040_000 % 60_000
        var mid = 100.0
        var bs = 500.0
        var asz = 500.0
        let spacing = max(30, (minutes - 60) / max(1, injections))
        var plan = Set<Int>()
        var m = 60
        while m < minutes - 5 && plan.count < injections {
            plan.insert(m)
            m += spacing
        }
        var last = mid
        for minute in 0..<minutes {
            let burst = plan.contains(minute)
            let sign: Double = r.uniform() < 0.5 ? -1 : 1
            if burst {
                truth.append(
                    AnomalyTruth(type: .orderFlowImbalance, ts: t0 + Int64(minute) * 60_000, window: 0, affects: 0))
            }
            for s in 0..<60 {
                let ts = t0 + Int64(minute) * 60_000 + Int64(s) * 1000
                if quotes {
                    // Queue sizes mean-revert slowly to 500 with noise; a burst builds one side and consumes the other.
                    bs += 0.005 * (500 - bs) + r.normal() * 30
                    asz += 0.005 * (500 - asz) + r.normal() * 30
                    if burst {
                        bs += sign > 0 ? r.uniform(80, 160) : -r.uniform(0, 20)
                        asz += sign > 0 ? -r.uniform(0, 20) : r.uniform(80, 160)
                    }
                    bs = max(50, min(5000, bs))
                    asz = max(50, min(5000, asz))
                    // Background: random one-tick moves; a burst also moves the quotes its way (as real pressure does).
                    if burst && r.uniform() < 0.1 {
                        mid += 0.01 * sign
                    } else if r.uniform() < 0.03 {
                        mid += 0.01 * (r.uniform() < 0.5 ? -1 : 1)
                    }
                    ticks.append(
                        Tick(
                            symbol: "SIM", ts: ts, price: mid, size: nil, bid: mid - 0.005, ask: mid + 0.005,
                            bidSize: bs, askSize: asz))
                } else {
                    let up = burst ? r.uniform() < (sign > 0 ? 0.95 : 0.05) : r.uniform() < 0.5
                    last += up ? 0.01 : -0.01
                    ticks.append(Tick(symbol: "SIM", ts: ts, price: last, size: 100 * r.uniform(0.5, 1.5)))
                }
            }
        }
        return (ticks, truth)
    }

    /// Precision and recall per anomaly type. A detection is correct when an injection of its type starts at
    /// its bar (or up to `window` bars before). Detections of another type inside an injection's window (a gap
    /// is also a big return, a volatility regime has big returns) are not counted.
    public static func run(_ cfg: AnomalyBenchConfig = AnomalyBenchConfig(), options: AnomalyOptions = AnomalyOptions())
        -> AnomalyBenchReport
    {
        var tp: [AnomalyType: Int] = [:]
        var det: [AnomalyType: Int] = [:]
        var tru: [AnomalyType: Int] = [:]
        var ignored = 0
        var cleanDet = 0
        var cleanBars = 0
        var cleanByType: [AnomalyType: Int] = [:]
        let day: Int64 = 86_400_000
        func score(_ found: [Anomaly], _ truth: [AnomalyTruth], step: Int64) {
            var used = Set<Int>()
            for t in truth { tru[t.type, default: 0] += 1 }
            for a in found {
                var hit = false
                var skip = false
                for (k, t) in truth.enumerated() {
                    let lag = (a.ts - t.ts) / step
                    guard a.ts >= t.ts else { continue }
                    if t.type == a.type && lag <= Int64(t.window) && !used.contains(k) {
                        used.insert(k)
                        hit = true
                        break
                    }
                    if t.type != a.type && lag <= Int64(t.affects) { skip = true }
                }
                if hit {
                    tp[a.type, default: 0] += 1
                    det[a.type, default: 0] += 1
                } else if skip {
                    ignored += 1
                } else {
                    det[a.type, default: 0] += 1
                }
            }
        }
        let detector = AnomalyDetector(options: options)
        for s in 0..<cfg.series {
            let g = generateBars(seed: cfg.seed &* 1000 &+ UInt64(s), bars: cfg.bars, injections: cfg.injections)
            score(detector.detect(bars: g.bars), g.truth, step: day)
            let clean = generateBars(
                seed: cfg.seed &* 1000 &+ UInt64(s) &+ 500, bars: cfg.bars, injections: 0, inject: false)
            for a in detector.detect(bars: clean.bars) {
                cleanDet += 1
                cleanByType[a.type, default: 0] += 1
            }
            cleanBars += clean.bars.count
        }
        // Order flow: quotes (OFI) and trades only (tick rule) use the same type.
        for (k, q) in [true, false].enumerated() {
            let g = generateTicks(
                seed: cfg.seed &+ UInt64(k) &+ 77, minutes: cfg.tickMinutes, injections: cfg.flowInjections, quotes: q)
            var opts = options
            opts.types = [.orderFlowImbalance]
            score(AnomalyDetector(options: opts).detect(ticks: g.ticks), g.truth, step: 60_000)
        }
        let rows = AnomalyType.allCases.map {
            AccuracyRow(type: $0.rawValue, truths: tru[$0] ?? 0, detections: det[$0] ?? 0, truePositives: tp[$0] ?? 0)
        }
        return AnomalyBenchReport(
            rows: rows, falsePositivesPer1000Bars: cleanBars == 0 ? 0 : 1000 * Double(cleanDet) / Double(cleanBars),
            falsePositivesPer1000BarsByType: cleanByType.reduce(into: [:]) {
                $0[$1.key.rawValue] = 1000 * Double($1.value) / Double(max(1, cleanBars))
            }, ignored: ignored)
    }

    /// Nanoseconds per tick of `AnomalyStream.append(tick:)` with every detector on (quotes and trades), over
    /// `count` generated ticks (use a release build).
    public static func streamingNsPerTick(
        count: Int = 2_000_000, seed: UInt64 = 1, options: AnomalyOptions = AnomalyOptions()
    )
        -> Double
    {
        var g = generateTicks(seed: seed, minutes: max(1, count / 60), injections: 10, quotes: true).ticks
        // Trades on every tick as well, so the trade-sign and bar detectors run too.
        var r = SeededRandom(seed: seed &+ 9)
        for k in g.indices {
            g[k].size = 100 * r.uniform(0.5, 1.5)
            g[k].price += 0.01 * r.normal()
        }
        var s = AnomalyStream(options: options)
        var n = 0
        let clock = ContinuousClock()
        let t0 = clock.now
        for t in g { n &+= s.append(tick: t).count }
        n &+= s.finish().count
        let el = clock.now - t0
        let secs = Double(el.components.seconds) + Double(el.components.attoseconds) * 1e-18
        precondition(n >= 0)
        return secs * 1e9 / Double(g.count)
    }
}
