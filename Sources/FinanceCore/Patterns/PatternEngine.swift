extension PatternEngine {
    /// A pivot seen in an orientation: s = +1 is the real chart, s = −1 the chart upside down (so one rule covers
    /// a pattern and its mirror, e.g. head-and-shoulders and its inverse).
    @_spi(Benchmarks) public struct PV: Sendable {
        @_spi(Benchmarks) public var i: Int
        @_spi(Benchmarks) public var v: Double
        @_spi(Benchmarks) public var p: Double
        @_spi(Benchmarks) public var hi: Bool

        @_spi(Benchmarks) public init(i: Int, v: Double, p: Double, hi: Bool) {
            self.i = i
            self.v = v
            self.p = p
            self.hi = hi
        }
    }
}

extension PatternEngine {
    /// A shape that matched, in real-chart orientation.
    @_spi(Benchmarks) public struct Candidate: Sendable {
        @_spi(Benchmarks) public var type: PatternType
        var dir: PatternDirection
        var start: Int
        var pts: [(Int, Double)]
        /// The breakout line (the upper boundary for neutral patterns).
        var confirm: PatternEngine.Line
        /// The invalidation line (the lower boundary for neutral patterns).
        var fail: PatternEngine.Line
        var confirmAbove: Bool
        var neutral: Bool = false
        var height: Double
        var conf: Double
        var prio: Int
        var touches: Int? = nil
        var strength: Double? = nil
        var slope: Double? = nil
        /// Triangles, wedges and channels: the largest line residual as a share of the pattern height (lower fits
        /// better); used to choose between overlapping windows.
        var misfit: Double = 0

        @_spi(Benchmarks) public func oriented(_ s: Double) -> PatternEngine.Candidate {
            guard s < 0 else { return self }
            var c = self
            c.pts = pts.map { ($0.0, -$0.1) }
            c.confirm = confirm.negated
            c.fail = fail.negated
            c.confirmAbove = !confirmAbove
            if let sl = slope { c.slope = -sl }
            return c
        }
    }
}

extension PatternEngine {
    /// A completed pattern or an active level/line waiting for its breakout.
    struct Active {
        var cand: PatternEngine.Candidate
        var id: String
        var start: Int
        var created: Int
        var expiry: Int
        /// 0: a pattern; 1: horizontal level; 2: sloped trend line. `s` is the orientation (+1 lows, −1 highs).
        var lineKind: Int = 0
        var s: Double = 1
        var center = PatternEngine.Line.flat(0)
        var tol = 0.0
        var touchPV: [PatternEngine.PV] = []
        var lastTouch = 0
    }
}

extension PatternEngine {
    /// A matched shape waiting for its completion trigger (reported as `forming` meanwhile).
    struct Pending {
        var cand: PatternEngine.Candidate
        var id: String
        var sc: Int
        var created: Int
        /// Completed once the oriented close is at or below this line (trigger kind).
        var trigger: PatternEngine.Line
        var s: Double
        /// Settle kind: completed at the next turning point unless a larger shape supersedes it (or at a breakout).
        var settle: Bool
        var npiv: Int
        /// Turning points seen since it was found (settle kind).
        var age = 0
    }
}

extension PatternEngine {
    /// A shape found at a new turning point, before conflicts are resolved.
    struct Found {
        var cand: PatternEngine.Candidate
        var npiv: Int
        var trigger: PatternEngine.Line?
        var s: Double
    }
}

extension PatternEngine {
    /// A chart-pattern shape seen by the engine, as bar indices (for `PatternBenchmark.resolutionCeiling`).
    @_spi(Benchmarks) public struct TraceShape: Sendable, Hashable {
        @_spi(Benchmarks) public var type: PatternType
        @_spi(Benchmarks) public var start: Int
        /// The bar at which it was found or completed.
        @_spi(Benchmarks) public var end: Int
    }
}

extension PatternEngine {
    /// What conflict resolution chose from (diagnostics only; nil in normal use).
    @_spi(Benchmarks) public struct Trace: Sendable {
        /// Every reportable shape the rules matched at a turning point, before conflicts are resolved.
        @_spi(Benchmarks) public var candidates: [PatternEngine.TraceShape] = []
        /// Every shape that reached completion, before the one-pattern-per-region claim check.
        @_spi(Benchmarks) public var completable: [PatternEngine.TraceShape] = []

        @_spi(Benchmarks) public init() {}
    }
}

extension PatternEngine {
    struct Claim {
        var type: PatternType
        var s: Int
        var e: Int
        var prio: Int
    }
}

/// The streaming engine behind `PatternDetector` and `PatternStream`.
@_spi(Benchmarks) public struct PatternEngine: Sendable {
    let o: PatternOptions
    var bars = PatternEngine.Tail<Bar>()
    var atr: PatternEngine.ATR
    var atrAt = PatternEngine.Tail<Double>()
    /// One zigzag per chart scale (`o.scales`), then the level scale (`o.levelScale`) last.
    var zz: [PatternEngine.ZigZag]
    /// The settings of each zigzag in `zz`.
    let zigzags: [PatternScale]
    var actives: [PatternEngine.Active] = []
    var claims: [PatternEngine.Claim] = []
    var formingByID: [String: PatternDetection] = [:]
    var pending: [PatternEngine.Pending] = []
    /// Drop history no live pattern can reach (off only in tests, to check it changes nothing).
    @_spi(Benchmarks) public var trimming = true
    /// Set to record every candidate and completable shape (`PatternBenchmark.resolutionCeiling`).
    @_spi(Benchmarks) public var trace: PatternEngine.Trace? = nil
    /// Set to record the screen's features of every shape that reaches it, by record id
    /// (`PatternBenchmark.trainScreen`).
    @_spi(Benchmarks) public var screenLog: [String: [Double]]? = nil
    /// The template scan of chart patterns (`PatternMethod.templates`).
    var templates: PatternEngine.TemplateScan?

    @_spi(Benchmarks) public init(options: PatternOptions) {
        self.o = options
        if options.method == .templates {
            templates = PatternEngine.TemplateScan(
                model: .trained,
                thresholds: PatternType.allCases.map {
                    options.templateThreshold ?? PatternOptions.templateThresholds[$0] ?? 0.7
                },
                lag: min(max(0, options.templateLag), 1000),
                textbookNoise: options.textbookNoise.isFinite ? min(max(0, options.textbookNoise), 1) : 0)
        }
        self.atr = PatternEngine.ATR(period: options.atrPeriod)
        self.zigzags = options.scales + [options.levelScale]
        self.zz = Array(repeating: PatternEngine.ZigZag(), count: options.scales.count + 1)
    }

    // MARK: step

    @_spi(Benchmarks) public mutating func step(_ bar: Bar) -> [PatternDetection] {
        var out: [PatternDetection] = []
        bars.append(bar)
        let t = bars.count - 1
        let a = atr.update(high: bar.high, low: bar.low, close: bar.close)
        atrAt.append(a)

        // Breakouts, failures and expiries of patterns completed before this bar.
        if !actives.isEmpty { checkActives(t: t, out: &out) }

        if !pending.isEmpty { checkPending(t: t, out: &out) }
        if templates != nil {
            let phase = PatternEngine.TemplateScan.phase(ts: bar.ts, previous: t > 0 ? bars[t - 1].ts : nil)
            for c in templates!.step(t: t, close: bar.close, phase: phase) {
                if c.line >= 0 {
                    templateLine(c, t: t, out: &out)
                } else {
                    emit(templateRecord(c, t: t), &out)
                }
            }
        }
        guard atr.ready else { return out }
        // With template matching the chart scales' turning points are not needed.
        for sc in (templates == nil ? 0 : o.scales.count)..<zz.count {
            let m = zigzags[sc].smoothing
            guard t >= 2 * m else { continue }
            let j = t - m
            var sum = 0.0
            for k in (j - m)...(j + m) { sum += bars[k].close }
            let sj = sum / Double(2 * m + 1)
            guard let r = zz[sc].update(j: j, s: sj, thr: zigzags[sc].threshold * a) else { continue }
            // Map the smoothed extreme back to the real high/low within ±m bars (after the previous pivot).
            let lo = max((zz[sc].pivots.last?.i ?? -1) + 1, r.j - m)
            let hiIdx = min(t, r.j + m)
            var best = max(lo, min(r.j, hiIdx))
            if lo <= hiIdx {
                for k in lo...hiIdx {
                    if r.hi ? bars[k].high > bars[best].high : bars[k].low < bars[best].low { best = k }
                }
            }
            let pv = PatternEngine.Pivot(i: best, v: r.v, p: r.hi ? bars[best].high : bars[best].low, hi: r.hi, at: t)
            zz[sc].pivots.append(pv)
            onPivot(sc: sc, t: t, out: &out)
        }
        // Bounded memory: keep the bars, ATRs and turning points any live pattern can still reach.
        if trimming {
            // Template records read their window's bars up to `templateLag` bars after it ends (textbook fits reach
            // furthest back).
            let keep = max(
                6 * o.maxPatternBars + 100, PatternEngine.TemplateScan.historyLength + (templates?.lag ?? 0) + 100)
            bars.trim(keep: keep)
            atrAt.trim(keep: keep)
            for sc in zz.indices where zz[sc].pivots.count > 256 {
                zz[sc].pivots.removeFirst(zz[sc].pivots.count - 128)
            }
        }
        if claims.count > 64 {
            let horizon = t - 3 * o.maxPatternBars
            claims.removeAll { $0.e < horizon }
        }
        return out
    }
}
