@_spi(Benchmarks) import FinanceCore

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Where a generated pattern is: its type and the bar span of its ground truth.
public struct PatternTruth: Sendable, Hashable, Codable {
    public var type: PatternType
    public var startIndex: Int
    public var endIndex: Int
    public var start: Int64
    public var end: Int64
    /// Bar indices of the template's key points (turning points, then the end of the breakout move).
    public var keyIndices: [Int] = []

    /// The span's length in bars.
    public var bars: Int { endIndex - startIndex + 1 }
}

/// One generated series with its ground truth (empty for a pattern-free random walk).
public struct LabeledSeries: Sendable {
    public var bars: [Bar]
    public var truth: [PatternTruth]
}

/// Settings of the labeled pattern benchmark.
public struct PatternBenchConfig: Sendable, Hashable {
    public var seed: UInt64 = 1
    /// Number of series; they cycle through the 20 pattern types and "none" (a pattern-free random walk).
    public var series: Int = 2000
    /// Per-bar noise σ as a fraction of the pattern's height.
    public var noise: Double = 0.10
    public var minBars: Int = 20
    public var maxBars: Int = 120
    /// Daily σ of the log random walk around the patterns.
    public var dailySigma: Double = 0.015
    /// Pattern height as a fraction of price, drawn uniformly from this range.
    public var minHeight: Double = 0.06
    public var maxHeight: Double = 0.18
    /// Score only `confirmed` records for chart patterns (levels and lines: any final record).
    public var confirmedOnly: Bool = false
    /// Score only the truths whose span is at least this many bars; a detection of a shorter truth counts neither
    /// as right nor as wrong (`PatternBenchReport.belowMinBars`).
    public var minTruthBars: Int = 0

    public init(seed: UInt64 = 1, series: Int = 2000, noise: Double = 0.10) {
        self.seed = seed
        self.series = series
        self.noise = noise
    }
}

/// The result of `PatternBenchmark.run`.
public struct PatternBenchReport: Sendable, Codable {
    /// One row per pattern type.
    public var rows: [AccuracyRow]
    /// Final records (distinct ids, any type) per 1,000 bars on the pattern-free random-walk series.
    public var falsePositivesPer1000Bars: Double
    /// Component detections not counted: levels/lines inside another pattern's truth span, and chart patterns
    /// inside a level/line truth (see docs/patterns.md).
    public var ignored: Int
    public var bars: Int
    public var seconds: Double
    /// Wrong-type detections overlapping a truth, as "truth->detected" counts (lines/levels excluded).
    public var confusions: [String: Int]
    /// Detections of truths shorter than `PatternBenchConfig.minTruthBars`, not counted.
    public var belowMinBars = 0
    /// Recall by the truth span's length (all truths, whatever `minTruthBars`).
    public var byLength: [LengthRecall] = []
    /// The rows as printed by `financehub bench patterns`.
    public var lines: [String] {
        rows.map(\.line) + ["false_positives_per_1000_bars \(accuracyFormat(falsePositivesPer1000Bars))"]
    }
}

/// The truths of one pattern type whose span (in bars) lies in `from...to`, and how many of them were detected.
public struct LengthRecall: Sendable, Hashable, Codable {
    public var type: String
    public var from: Int
    public var to: Int
    public var truths: Int
    public var found: Int

    /// The span bands of `PatternBenchReport.byLength`: the generator draws patterns of 20–120 bars, and a level's or
    /// line's span runs from its first touch to its last (80 % of the pattern).
    public static let bands = [(1, 29), (30, 49), (50, 79), (80, 1_000)]

    /// `<type> span <from>-<to> recall <r> found <k> of <n>` (the last band `<from>+`).
    public var line: String {
        let recall = truths == 0 ? 0 : Double(found) / Double(truths)
        let span = to >= 1_000 ? "\(from)+" : "\(from)-\(to)"
        return "\(type) span \(span) recall \(accuracyFormat(recall)) found \(found) of \(truths)"
    }
}

public enum PatternBenchmark {
    static let kinds: [PatternType?] = PatternType.allCases.map { Optional($0) } + [nil]

    /// Template key points (x in [0, 1] over the pattern, y in price units of the pattern height), and the x
    /// range that is the ground-truth span.
    public static func template(_ type: PatternType, _ r: inout SeededRandom) -> (
        pts: [(Double, Double)], s: Double, e: Double
    ) {
        func flip(_ p: [(Double, Double)]) -> [(Double, Double)] { p.map { ($0.0, 1 - $0.1) } }
        switch type {
        case .headAndShoulders:
            return (PatternEngine.Shapes.headAndShoulders, 0, 1)
        case .inverseHeadAndShoulders:
            return (flip(template(.headAndShoulders, &r).pts), 0, 1)
        case .doubleTop:
            return (PatternEngine.Shapes.doubleTop, 0, 1)
        case .doubleBottom:
            return (flip(template(.doubleTop, &r).pts), 0, 1)
        case .ascendingTriangle:
            return (PatternEngine.Shapes.ascendingTriangle, 0, 1)
        case .descendingTriangle:
            return (flip(template(.ascendingTriangle, &r).pts), 0, 1)
        case .symmetricalTriangle:
            return (PatternEngine.Shapes.symmetricalTriangle(r.uniform() < 0.5), 0, 1)
        case .risingWedge:
            return (PatternEngine.Shapes.risingWedge, 0, 1)
        case .fallingWedge:
            return (flip(template(.risingWedge, &r).pts), 0, 1)
        case .channelUp:
            return (PatternEngine.Shapes.channelUp, 0, 1)
        case .channelDown:
            return (flip(template(.channelUp, &r).pts), 0, 1)
        case .channelHorizontal:
            return (PatternEngine.Shapes.channelHorizontal, 0, 1)
        case .bullFlag:
            return (PatternEngine.Shapes.bullFlag, 0, 1)
        case .bearFlag:
            return (flip(template(.bullFlag, &r).pts), 0, 1)
        case .bullPennant:
            return (PatternEngine.Shapes.bullPennant, 0, 1)
        case .bearPennant:
            return (flip(template(.bullPennant, &r).pts), 0, 1)
        case .cupAndHandle:
            return (PatternEngine.Shapes.cupAndHandle, 0, 1)
        case .support, .resistance:
            let n = r.int(3, 4)
            let highs = [0.9, 0.5, 1.0, 0.6].shuffledDeterministic(&r)
            var p: [(Double, Double)] = [(0, 0.7)]
            for k in 0..<n {
                let x = 0.1 + 0.8 * Double(k) / Double(n - 1)
                p.append((x, 0))
                if k < n - 1 { p.append((x + 0.4 / Double(n - 1), highs[k])) }
            }
            p.append((1, 0.6))
            return (type == .support ? p : flip(p), 0.1, 0.9)
        case .trendLine:
            let n = r.int(3, 4)
            let offs = [0.5, 0.25, 0.6, 0.3].shuffledDeterministic(&r)
            var p: [(Double, Double)] = [(0, 0.45)]
            for k in 0..<n {
                let x = 0.1 + 0.8 * Double(k) / Double(n - 1)
                p.append((x, 0.7 * x))
                if k < n - 1 {
                    let xm = x + 0.4 / Double(n - 1)
                    p.append((xm, 0.7 * xm + offs[k]))
                }
            }
            p.append((1, 0.7 + 0.4))
            return (r.uniform() < 0.5 ? p : flip(p), 0.1, 0.9)
        }
    }

    /// Generates the labeled series: patterns of `minBars`–`maxBars` bars at random heights, placed inside a
    /// random walk, with Gaussian per-bar noise of `noise` × height; every 21st series has no pattern.
    public static func generate(_ cfg: PatternBenchConfig) -> [LabeledSeries] {
        var r = SeededRandom(seed: cfg.seed)
        var out: [LabeledSeries] = []
        out.reserveCapacity(cfg.series)
        let day: Int64 = 86_400_000
        let t0: Int64 = 1_577_836_800_000
        for n in 0..<cfg.series {
            let kind = kinds[n % kinds.count]
            var bars: [Bar] = []
            var price = 100.0
            var truth: [PatternTruth] = []
            func push(_ close: Double, _ wick: Double, _ r: inout SeededRandom) {
                let open = bars.last?.close ?? close
                let hi = max(open, close) + abs(r.normal()) * wick
                let lo = min(open, close) - abs(r.normal()) * wick
                let vol = 1_000_000 * (0.3 * r.normal()).expSafe
                bars.append(
                    Bar(ts: t0 + Int64(bars.count) * day, open: open, high: hi, low: lo, close: close, volume: vol))
            }
            func walk(_ k: Int, _ r: inout SeededRandom) {
                for _ in 0..<k {
                    price *= (cfg.dailySigma * r.normal()).expSafe
                    push(price, 0.5 * cfg.dailySigma * price, &r)
                }
            }
            walk(r.int(40, 80), &r)
            if let type = kind {
                let d = r.int(cfg.minBars, cfg.maxBars)
                let tpl = template(type, &r)
                var pts = tpl.pts
                // Jitter the inner key points a little so no two instances are identical.
                for k in 1..<(pts.count - 1) { pts[k].1 += r.uniform(-0.04, 0.04) }
                var lo = Double.infinity
                var hi = -Double.infinity
                for p in pts {
                    lo = min(lo, p.1)
                    hi = max(hi, p.1)
                }
                let height = price * r.uniform(cfg.minHeight, cfg.maxHeight)
                let scale = height / (hi - lo)
                let base = price
                let y0 = pts[0].1
                // Lead-in: approach the first key point from the side opposite to the first move.
                let leadBars = max(3, d / 8)
                let firstUp = pts[1].1 > pts[0].1
                let leadFrom = base + (firstUp ? 0.35 : -0.35) * height
                let sigma = cfg.noise * height
                for k in 1...leadBars {
                    let u = Double(k) / Double(leadBars)
                    let x = leadFrom + (base - leadFrom) * u
                    push(x + (k == leadBars ? 0 : sigma * r.normal()), 0.5 * sigma, &r)
                }
                let startIdx = bars.count
                var seg = 0
                for k in 1..<d {
                    let x = Double(k) / Double(d - 1)
                    while seg < pts.count - 2 && x > pts[seg + 1].0 { seg += 1 }
                    let (xa, ya) = pts[seg]
                    let (xb, yb) = pts[seg + 1]
                    let y = xb > xa ? ya + (yb - ya) * (x - xa) / (xb - xa) : yb
                    let c = base + (y - y0) * scale + sigma * r.normal()
                    push(max(c, 0.01 * base), 0.5 * sigma, &r)
                }
                price = bars.last!.close
                let s = startIdx - 1 + Int((tpl.s * Double(d - 1)).rounded())
                let e = startIdx - 1 + Int((tpl.e * Double(d - 1)).rounded())
                truth.append(
                    PatternTruth(
                        type: type, startIndex: s, endIndex: e, start: bars[s].ts, end: bars[e].ts,
                        keyIndices: pts.map { startIdx - 1 + Int(($0.0 * Double(d - 1)).rounded()) }))
            }
            walk(r.int(30, 60), &r)
            out.append(LabeledSeries(bars: bars, truth: truth))
        }
        return out
    }

    /// Runs the detector over the generated series and scores it: a detection (the latest final record of
    /// each id) is correct when its type matches the truth, it covers at least half of the truth span and is
    /// at most twice as long. Components are not counted: support, resistance and trend lines lying (by at
    /// least half their length) inside a truth of another type, and chart patterns lying inside a support,
    /// resistance or trend-line truth. `AccuracyRow.strictPrecision` counts them.
    public static func run(_ cfg: PatternBenchConfig = PatternBenchConfig(), options: PatternOptions = PatternOptions())
        -> PatternBenchReport
    {
        let clock = ContinuousClock()
        let t0 = clock.now
        let data = generate(cfg)
        var tp: [PatternType: Int] = [:]
        var det: [PatternType: Int] = [:]
        var tru: [PatternType: Int] = [:]
        var ignored = 0
        var noneBars = 0
        var noneDet = 0
        var allBars = 0
        var confusions: [String: Int] = [:]
        var strictDet: [PatternType: Int] = [:]
        var belowMinBars = 0
        var lengthTruths: [PatternType: [Int]] = [:]
        var lengthFound: [PatternType: [Int]] = [:]
        let zero = [Int](repeating: 0, count: LengthRecall.bands.count)
        var opts = options
        opts.includeForming = false
        let detector = PatternDetector(options: opts)
        for s in data {
            allBars += s.bars.count
            let recs = PatternDetector.latest(detector.detect(bars: s.bars)).filter {
                $0.status != .forming && (!cfg.confirmedOnly || $0.type.isLine || $0.status == .confirmed)
            }
            let t0 = s.bars[0].ts
            let day = s.bars.count > 1 ? s.bars[1].ts - t0 : 1
            if s.truth.isEmpty {
                noneBars += s.bars.count
                noneDet += recs.count
            }
            var used = Set<Int>()
            let short = s.truth.map { $0.bars < cfg.minTruthBars }
            for (k, t) in s.truth.enumerated() where !short[k] { tru[t.type, default: 0] += 1 }
            for d in recs {
                let a = Int((d.start - t0) / day)
                let b = Int((d.end - t0) / day)
                let verdict = judge(d.type, a, b, s.truth, used: used)
                if let k = verdict.match {
                    used.insert(k)
                    if short[k] {
                        belowMinBars += 1
                        continue
                    }
                    tp[d.type, default: 0] += 1
                    det[d.type, default: 0] += 1
                } else if verdict.component {
                    ignored += 1
                    strictDet[d.type, default: 0] += 1
                } else {
                    det[d.type, default: 0] += 1
                    if let t = s.truth.first, !d.type.isLine, min(b, t.endIndex) >= max(a, t.startIndex) {
                        confusions["\(t.type.rawValue)->\(d.type.rawValue)", default: 0] += 1
                    }
                }
            }
            for (k, t) in s.truth.enumerated() {
                let band =
                    LengthRecall.bands.firstIndex { t.bars >= $0.0 && t.bars <= $0.1 } ?? LengthRecall.bands.count - 1
                lengthTruths[t.type, default: zero][band] += 1
                if used.contains(k) { lengthFound[t.type, default: zero][band] += 1 }
            }
        }
        let byLength = PatternType.allCases.flatMap { t in
            LengthRecall.bands.enumerated().map { (i, band) in
                LengthRecall(
                    type: t.rawValue, from: band.0, to: band.1, truths: lengthTruths[t]?[i] ?? 0,
                    found: lengthFound[t]?[i] ?? 0)
            }
        }
        let rows = PatternType.allCases.map { t -> AccuracyRow in
            var r = AccuracyRow(
                type: t.rawValue, truths: tru[t] ?? 0, detections: det[t] ?? 0, truePositives: tp[t] ?? 0)
            let all = (det[t] ?? 0) + (strictDet[t] ?? 0)
            r.strictPrecision = all == 0 ? 0 : Double(tp[t] ?? 0) / Double(all)
            return r
        }
        let el = clock.now - t0
        let secs = Double(el.components.seconds) + Double(el.components.attoseconds) * 1e-18
        return PatternBenchReport(
            rows: rows, falsePositivesPer1000Bars: noneBars == 0 ? 0 : 1000 * Double(noneDet) / Double(noneBars),
            ignored: ignored, bars: allBars, seconds: secs, confusions: confusions, belowMinBars: belowMinBars,
            byLength: byLength)
    }

    /// The scoring rule on a record of `type` spanning bars [a, b]: the first truth outside `used` it detects
    /// correctly (the type matches and `spanMatches`), else whether it is a component, which is not counted: a
    /// level/line lying mostly inside a truth of another type, or a chart pattern lying mostly inside a level/line
    /// truth (three touches with two swings between them always form one).
    static func judge(_ type: PatternType, _ a: Int, _ b: Int, _ truths: [PatternTruth], used: Set<Int> = [])
        -> (match: Int?, component: Bool)
    {
        var component = false
        for (k, t) in truths.enumerated() {
            if type == t.type && !used.contains(k) && spanMatches(a, b, t) { return (k, false) }
            let overlap = min(b, t.endIndex) - max(a, t.startIndex) + 1
            if type != t.type && 2 * overlap >= b - a + 1 && (type.isLine || t.type.isLine) { component = true }
        }
        return (nil, component)
    }

    /// The scoring rule's span test: the bars [a, b] overlap the truth by at least half its length and are at
    /// most twice as long.
    static func spanMatches(_ a: Int, _ b: Int, _ t: PatternTruth) -> Bool {
        let ov = min(b, t.endIndex) - max(a, t.startIndex) + 1
        let tl = t.bars
        return 2 * ov >= tl && b - a + 1 <= 2 * tl
    }

    /// Seconds to run the batch detector over `bars` once (use a release build).
    public static func scanSpeed(bars: [Bar], options: PatternOptions = PatternOptions()) -> Double {
        let clock = ContinuousClock()
        let t0 = clock.now
        let r = PatternDetector(options: options).detect(bars: bars)
        let el = clock.now - t0
        precondition(r.count >= 0)
        return Double(el.components.seconds) + Double(el.components.attoseconds) * 1e-18
    }

    /// Seconds per bar of the streaming detector (`PatternStream.append`, one bar at a time, as live analytics
    /// feeds one series) over `bars` (use a release build).
    public static func streamSpeed(bars: [Bar], options: PatternOptions = PatternOptions()) -> Double {
        var stream = PatternStream(options: options)
        var found = 0
        let clock = ContinuousClock()
        let t0 = clock.now
        for bar in bars { found += stream.append(bar).count }
        let el = clock.now - t0
        precondition(found >= 0)
        return (Double(el.components.seconds) + Double(el.components.attoseconds) * 1e-18) / Double(max(1, bars.count))
    }

    /// A seeded random walk of `count` one-minute bars (σ per bar `sigma`), for speed tests.
    public static func randomWalk(count: Int, seed: UInt64 = 1, sigma: Double = 0.001, stepMs: Int64 = 60_000) -> [Bar]
    {
        var r = SeededRandom(seed: seed)
        var out: [Bar] = []
        out.reserveCapacity(count)
        var p = 100.0
        for k in 0..<count {
            let o = p
            p *= (sigma * r.normal()).expSafe
            let hi = max(o, p) * (1 + abs(r.normal()) * sigma * 0.5)
            let lo = min(o, p) * (1 - abs(r.normal()) * sigma * 0.5)
            out.append(
                Bar(
                    ts: 1_700_000_040_000 + Int64(k) * stepMs, open: o, high: hi, low: lo, close: p,
                    volume: 1000 * (0.3 * r.normal()).expSafe))
        }
        return out
    }
}

extension Double {
    var expSafe: Double { exp(self) }
}

extension Array {
    func shuffledDeterministic(_ r: inout SeededRandom) -> [Element] {
        var a = self
        if a.count < 2 { return a }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(r.next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
        return a
    }
}
