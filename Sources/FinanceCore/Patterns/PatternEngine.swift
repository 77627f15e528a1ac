#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A pivot seen in an orientation: s = +1 is the real chart, s = −1 the chart upside down (so one rule covers
/// a pattern and its mirror, e.g. head-and-shoulders and its inverse).
@_spi(Benchmarks) public struct PatPV: Sendable {
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

/// A shape that matched, in real-chart orientation.
@_spi(Benchmarks) public struct PatCand: Sendable {
    @_spi(Benchmarks) public var type: PatternType
    var dir: PatternDirection
    var start: Int
    var pts: [(Int, Double)]
    /// The breakout line (the upper boundary for neutral patterns).
    var confirm: PatLine
    /// The invalidation line (the lower boundary for neutral patterns).
    var fail: PatLine
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

    @_spi(Benchmarks) public func oriented(_ s: Double) -> PatCand {
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

/// A completed pattern or an active level/line waiting for its breakout.
struct PatActive {
    var cand: PatCand
    var id: String
    var start: Int
    var created: Int
    var expiry: Int
    /// 0: a pattern; 1: horizontal level; 2: sloped trend line. `s` is the orientation (+1 lows, −1 highs).
    var lineKind: Int = 0
    var s: Double = 1
    var center = PatLine.flat(0)
    var tol = 0.0
    var touchPV: [PatPV] = []
    var lastTouch = 0
}

/// A matched shape waiting for its completion trigger (reported as `forming` meanwhile).
struct PatPending {
    var cand: PatCand
    var id: String
    var sc: Int
    var created: Int
    /// Completed once the oriented close is at or below this line (trigger kind).
    var trigger: PatLine
    var s: Double
    /// Settle kind: completed at the next turning point unless a larger shape supersedes it (or at a breakout).
    var settle: Bool
    var npiv: Int
    /// Turning points seen since it was found (settle kind).
    var age = 0
}

/// A shape found at a new turning point, before conflicts are resolved.
struct PatFound {
    var cand: PatCand
    var npiv: Int
    var trigger: PatLine?
    var s: Double
}

/// A chart-pattern shape seen by the engine, as bar indices (for `PatternBenchmark.resolutionCeiling`).
@_spi(Benchmarks) public struct PatTraceShape: Sendable, Hashable {
    @_spi(Benchmarks) public var type: PatternType
    @_spi(Benchmarks) public var start: Int
    /// The bar at which it was found or completed.
    @_spi(Benchmarks) public var end: Int
}

/// What conflict resolution chose from (diagnostics only; nil in normal use).
@_spi(Benchmarks) public struct PatTrace: Sendable {
    /// Every reportable shape the rules matched at a turning point, before conflicts are resolved.
    @_spi(Benchmarks) public var candidates: [PatTraceShape] = []
    /// Every shape that reached completion, before the one-pattern-per-region claim check.
    @_spi(Benchmarks) public var completable: [PatTraceShape] = []

    @_spi(Benchmarks) public init() {}
}

struct PatClaim {
    var type: PatternType
    var s: Int
    var e: Int
    var prio: Int
}

/// The streaming engine behind `PatternDetector` and `PatternStream`.
@_spi(Benchmarks) public struct PatEngine: Sendable {
    let o: PatternOptions
    var bars = PatTail<Bar>()
    var atr: PatATR
    var atrAt = PatTail<Double>()
    /// One zigzag per chart scale (`o.scales`), then the level scale (`o.levelScale`) last.
    var zz: [PatZigZag]
    /// The settings of each zigzag in `zz`.
    let zigzags: [PatternScale]
    var actives: [PatActive] = []
    var claims: [PatClaim] = []
    var formingByID: [String: PatternDetection] = [:]
    var pending: [PatPending] = []
    /// Drop history no live pattern can reach (off only in tests, to check it changes nothing).
    @_spi(Benchmarks) public var trimming = true
    /// Set to record every candidate and completable shape (`PatternBenchmark.resolutionCeiling`).
    @_spi(Benchmarks) public var trace: PatTrace? = nil
    /// Set to record the screen's features of every shape that reaches it, by record id
    /// (`PatternBenchmark.trainScreen`).
    @_spi(Benchmarks) public var screenLog: [String: [Double]]? = nil
    /// The template scan of chart patterns (`PatternMethod.templates`).
    var templates: PatTemplateScan?

    @_spi(Benchmarks) public init(options: PatternOptions) {
        self.o = options
        if options.method == .templates {
            templates = PatTemplateScan(
                model: .trained,
                thresholds: PatternType.allCases.map {
                    options.templateThreshold ?? PatternOptions.templateThresholds[$0] ?? 0.7
                },
                lag: min(max(0, options.templateLag), 1000))
        }
        self.atr = PatATR(period: options.atrPeriod)
        self.zigzags = options.scales + [options.levelScale]
        self.zz = Array(repeating: PatZigZag(), count: options.scales.count + 1)
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
            let phase = PatTemplateScan.phase(ts: bar.ts, previous: t > 0 ? bars[t - 1].ts : nil)
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
            let pv = PatPivot(i: best, v: r.v, p: r.hi ? bars[best].high : bars[best].low, hi: r.hi, at: t)
            zz[sc].pivots.append(pv)
            onPivot(sc: sc, t: t, out: &out)
        }
        // Bounded memory: keep the bars, ATRs and turning points any live pattern can still reach.
        if trimming {
            // Template records read their window's bars up to `templateLag` bars after it ends.
            let keep = max(6 * o.maxPatternBars + 100, PatTemplateScan.maxLength + (templates?.lag ?? 0) + 100)
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

    // MARK: records

    func record(
        _ c: PatCand, id: String, start: Int, t: Int, status: PatternStatus, dir: PatternDirection? = nil,
        breakout: Double? = nil, below: Bool = false
    ) -> PatternDetection {
        let bo: Double
        let tg: Double
        if let b = breakout {
            bo = b
            tg = below ? b - c.height : b + c.height
        } else if c.neutral {
            bo = c.confirm.at(t)
            tg = bo + c.height
        } else {
            bo = c.confirm.at(t)
            tg = c.confirmAbove ? bo + c.height : bo - c.height
        }
        return PatternDetection(
            id: id, type: c.type, direction: dir ?? c.dir, start: bars[start].ts, end: bars[t].ts,
            points: c.pts.map { PatternPoint(ts: bars[$0.0].ts, price: $0.1) }, breakout: bo, target: tg,
            confidence: c.conf, status: status, touches: c.touches, strength: c.strength, slope: c.slope)
    }

    /// The record of a window the template scan reported at bar t: confirmed, since the template includes the
    /// breakout leg.
    func templateRecord(_ c: PatTemplateCandidate, t: Int) -> PatternDetection {
        let tpl = PatTemplate.bank[c.template]
        let d = c.endIndex - c.startIndex + 1
        let g = PatTemplateScan.geometry[patTemplateLengths.firstIndex(of: d)!][c.template]
        let price = c.knotLog.map { exp($0) }
        let at = g.knotAge.map { c.endIndex - $0 }
        let mirrored = c.type != tpl.type
        var dir = tpl.direction
        if mirrored { dir = dir == .bullish ? .bearish : .bullish }
        let breakout = price[tpl.breakout]
        let height = abs(price[tpl.h1] - price[tpl.h2])
        let slope = tpl.slopeKnots.map { (price[$0.1] - price[$0.0]) / Double(max(1, at[$0.1] - at[$0.0])) }
        return PatternDetection(
            id: "\(c.type.rawValue):\(bars[c.startIndex].ts):\(bars[c.endIndex].ts):t\(c.template)", type: c.type,
            direction: dir, start: bars[c.startIndex].ts, end: bars[t].ts,
            points: tpl.keys.map { PatternPoint(ts: bars[at[$0]].ts, price: price[$0]) }, breakout: breakout,
            target: dir == .bearish ? breakout - height : breakout + height, confidence: c.probability,
            status: .confirmed, touches: tpl.slopeKnots == nil ? nil : tpl.knots.count - 2, slope: slope)
    }

    /// A support, resistance or trend line the template scan reported at bar t: `completed`, then watched for its
    /// break like the rules' lines (later touches from the level scale's turning points join it).
    mutating func templateLine(_ c: PatTemplateCandidate, t: Int, out: inout [PatternDetection]) {
        let g = patLineGeometry[c.line]
        // Orientation: +1 when the touches are troughs (the swings above them).
        let s: Double = c.features[3] > 0 ? 1 : -1
        // The touches' fitted prices, then the level (their mean) or the line through them.
        let fitted = g.touches.map { j in (c.windowStart + Int(g.x[j].rounded()), s * exp(c.knotLog[j])) }
        let center: PatLine =
            c.type == .trendLine ? .fit(fitted) : .flat(fitted.reduce(0) { $0 + $1.1 } / Double(fitted.count))
        let touches = fitted.map { PatPV(i: $0.0, v: center.at($0.0), p: center.at($0.0), hi: false) }
        let first = touches[0].i
        let last = touches[touches.count - 1].i
        let pts = touches.map { ($0.i, $0.v) }
        let tol = max((c.type == .trendLine ? o.trendLineTolerance : o.lineTolerance) * atrAt[t], 0)
        // Not already broken: the close at the report bar is not beyond it (the window's end is free to break it).
        guard closesHold(center, from: t, to: t, s: s, tol: tol) else { return }
        let cand = PatCand(
            type: c.type, dir: s > 0 ? .bullish : .bearish, start: first, pts: pts,
            confirm: PatLine(a: center.a - tol, b: center.b), fail: .flat(.infinity), confirmAbove: false,
            height: swingHeight(from: first, to: t, base: center, s: s), conf: c.probability, prio: 5,
            touches: touches.count, strength: Double(touches.count) * c.probability, slope: center.b
        ).oriented(s)
        let id = "\(c.type.rawValue):\(bars[first].ts):\(bars[last].ts):l\(g.n)"
        emit(record(cand, id: id, start: first, t: t, status: .completed), &out)
        actives.append(
            PatActive(
                cand: cand, id: id, start: first, created: t, expiry: last + o.maxPatternBars,
                lineKind: c.type == .trendLine ? 2 : 1, s: s, center: center, tol: tol, touchPV: touches,
                lastTouch: last))
    }

    mutating func emit(_ d: PatternDetection, _ out: inout [PatternDetection]) {
        if o.types.contains(d.type) { out.append(d) }
    }

    mutating func checkActives(t: Int, out: inout [PatternDetection]) {
        let c = bars[t].close
        var k = 0
        while k < actives.count {
            let ac = actives[k]
            if ac.created >= t {
                k += 1
                continue
            }
            let cd = ac.cand
            var status: PatternStatus? = nil
            var dir: PatternDirection? = nil
            var bo = 0.0
            var below = false
            if cd.neutral {
                let up = cd.confirm.at(t)
                let lo = cd.fail.at(t)
                if c > up {
                    status = .confirmed
                    dir = .bullish
                    bo = up
                } else if c < lo {
                    status = .confirmed
                    dir = .bearish
                    bo = lo
                    below = true
                }
            } else {
                let cl = cd.confirm.at(t)
                let fl = cd.fail.at(t)
                if cd.confirmAbove ? c > cl : c < cl {
                    status = .confirmed
                    bo = cl
                    below = !cd.confirmAbove
                    if ac.lineKind != 0 { dir = cd.confirmAbove ? .bullish : .bearish }
                } else if cd.confirmAbove ? c < fl : c > fl {
                    status = .failed
                    bo = cl
                    below = !cd.confirmAbove
                }
            }
            if status == nil && ac.lineKind != 0 && t - ac.start > 4 * o.maxPatternBars {
                actives.remove(at: k)
                continue
            }
            if status == nil && t > ac.expiry {
                if ac.lineKind != 0 {
                    actives.remove(at: k)
                    continue
                }
                status = .failed
                bo = cd.confirm.at(t)
                below = !cd.confirmAbove
            }
            if let st = status {
                var cand = cd
                if ac.lineKind != 0 {
                    cand.pts = ac.touchPV.map { ($0.i, ac.s * $0.p) }
                }
                let r = record(cand, id: ac.id, start: ac.start, t: t, status: st, dir: dir, breakout: bo, below: below)
                emit(r, &out)
                actives.remove(at: k)
                continue
            }
            k += 1
        }
    }

    /// True when a claim of equal or higher priority already covers half of [s, e] (or the same type does).
    func claimed(_ type: PatternType, _ s: Int, _ e: Int, _ prio: Int) -> Bool {
        let len = max(1, e - s)
        for c in claims.reversed() {
            let ov = min(e, c.e) - max(s, c.s)
            guard ov > 0 else { continue }
            if type.isLine || c.type.isLine {
                if c.type == type && Double(ov) >= 0.5 * Double(len) { return true }
                continue
            }
            // One chart pattern per region: the first found keeps it, except that a head-and-shoulders, double
            // top/bottom or cup (priority ≤ 1, a more specific shape) may still complete over a less specific
            // shape (a triangle, wedge, channel or flag settles from fewer clues and often straddles the lead-in).
            if 2 * ov >= len || 2 * ov >= c.e - c.s {
                if prio <= 1 && prio < c.prio { continue }
                return true
            }
        }
        return false
    }

    func makeID(_ cand: PatCand, _ sc: Int) -> String {
        "\(cand.type.rawValue):\(bars[cand.start].ts):\(bars[cand.pts.last!.0].ts):\(sc)"
    }

    mutating func checkPending(t: Int, out: inout [PatternDetection]) {
        let c = bars[t].close
        var k = 0
        while k < pending.count {
            let p = pending[k]
            if p.created >= t {
                k += 1
                continue
            }
            let oc = p.s * c
            let failed = p.cand.confirmAbove ? c < p.cand.fail.at(t) : c > p.cand.fail.at(t)
            if p.settle {
                let cd = p.cand
                let hi = cd.neutral || cd.confirmAbove ? cd.confirm.at(t) : cd.fail.at(t)
                let lo = cd.neutral || cd.confirmAbove ? cd.fail.at(t) : cd.confirm.at(t)
                let margin = 0.5 * atrAt[t]
                if c > hi + margin || c < lo - margin {
                    pending.remove(at: k)
                    formingByID[p.id] = nil
                    accept(p.cand, sc: p.sc, t: t, out: &out)
                    continue
                }
                if t - p.cand.start > o.maxPatternBars {
                    pending.remove(at: k)
                    formingByID[p.id] = nil
                    continue
                }
                k += 1
                continue
            }
            if oc <= p.trigger.at(t) {
                pending.remove(at: k)
                formingByID[p.id] = nil
                accept(p.cand, sc: p.sc, t: t, out: &out)
                continue
            }
            if failed || t - p.cand.start > o.maxPatternBars {
                pending.remove(at: k)
                formingByID[p.id] = nil
                continue
            }
            k += 1
        }
    }

    /// A matched shape that may be reported at bar t: short enough, confident enough for its type and significant.
    func reportable(_ cand: PatCand, t: Int) -> Bool {
        guard t - cand.start <= o.maxPatternBars else { return false }
        // Shapes that use most of their tolerances are not reported for the types where that separates true from
        // false detections (`PatternOptions.minConfidence`).
        guard cand.conf >= o.minConfidence[cand.type] ?? 0 else { return false }
        // Significance: the key points must span at least `minRangeATR` ATRs.
        var lo = Double.infinity
        var hi = -Double.infinity
        for p in cand.pts {
            lo = min(lo, p.1)
            hi = max(hi, p.1)
        }
        return hi - lo >= o.minRangeATR * atrAt[t]
    }

    mutating func addPending(_ f: PatFound, sc: Int, t: Int, out: inout [PatternDetection]) {
        let cand = f.cand
        guard reportable(cand, t: t), !claimed(cand.type, cand.start, t, cand.prio) else { return }
        let id = makeID(cand, sc)
        guard formingByID[id] == nil else { return }
        pending.append(
            PatPending(
                cand: cand, id: id, sc: sc, created: t,
                trigger: f.trigger.map { PatLine(a: $0.a - Self.triggerATR * atrAt[t], b: $0.b) } ?? .flat(0), s: f.s,
                settle: f.trigger == nil, npiv: f.npiv))
        let r = record(cand, id: id, start: cand.start, t: t, status: .forming)
        formingByID[id] = r
        if o.includeForming { emit(r, &out) }
    }

    mutating func accept(_ cand: PatCand, sc: Int, t: Int, out: inout [PatternDetection]) {
        guard t - cand.start <= o.maxPatternBars else { return }
        trace?.completable.append(PatTraceShape(type: cand.type, start: cand.start, end: t))
        guard !claimed(cand.type, cand.start, t, cand.prio) else { return }
        let id = makeID(cand, sc)
        guard screened(cand, id: id, sc: sc, t: t) else { return }
        claims.append(PatClaim(type: cand.type, s: cand.start, e: t, prio: cand.prio))
        let r = record(cand, id: id, start: cand.start, t: t, status: .completed)
        emit(r, &out)
        let span = t - cand.start
        actives.append(PatActive(cand: cand, id: id, start: cand.start, created: t, expiry: t + max(20, span)))
    }

    // MARK: pivots

    func window(_ sc: Int, _ n: Int, _ s: Double) -> [PatPV]? {
        let pv = zz[sc].pivots
        guard pv.count >= n else { return nil }
        var w: [PatPV] = []
        w.reserveCapacity(n)
        for q in pv[(pv.count - n)...] {
            w.append(PatPV(i: q.i, v: s * q.v, p: s * q.p, hi: s > 0 ? q.hi : !q.hi))
        }
        return w
    }

    /// Share of closes strictly between bars a and b lying below `mid` (in orientation s).
    func lowShare(_ a: Int, _ b: Int, _ mid: Double, _ s: Double) -> Double {
        guard b - a >= 2 else { return 0.5 }
        var n = 0
        for k in (a + 1)..<b where s * bars[k].close < mid { n += 1 }
        return Double(n) / Double(b - a - 1)
    }

    static let roundCut = 0.68
    static let headProminence = 0.2
    static let troughATR = 1.5
    static let topTol = 0.25
    static let triggerShare = 0.0
    /// Head-and-shoulders and double tops complete on a close this many ATRs beyond the neckline/trough (the same
    /// margin as the breakout that settles the other shapes): a close that only touches the level is a bounce, as
    /// inside a range or channel.
    static let triggerATR = 0.5
    static let flatSlope = 0.3
    /// Width end/start at most this: converging (triangles, wedges); within [parallel, 1/parallel]: a channel. The
    /// boundary is the geometric middle between a textbook wedge (the far end about half as wide) and a channel
    /// (equal widths), so there is no gap in which neither is reported.
    static let converging = 0.7
    static let parallelLo = 0.7
    static let slopeSplit = 0.35

    static let settlePivots = 2

    /// Shape ranking. Triangles, wedges and channels (priority ≥ 3) compete on their fit alone (which of two
    /// overlapping windows of turning points fits its lines better); otherwise the lower priority number (more
    /// specific), then more turning points, then higher confidence.
    static func better(_ a: PatFound, _ b: PatFound) -> Bool {
        better(a.cand, a.npiv, b.cand, b.npiv)
    }
    static func better(_ a: PatCand, _ na: Int, _ b: PatCand, _ nb: Int) -> Bool {
        if a.prio >= 3 && b.prio >= 3 && a.misfit != b.misfit { return a.misfit < b.misfit }
        return better(a.prio, na, a.conf, b.prio, nb, b.conf)
    }
    static func better(_ pa: Int, _ na: Int, _ ca: Double, _ pb: Int, _ nb: Int, _ cb: Double) -> Bool {
        if pa != pb { return pa < pb }
        if na != nb { return na > nb }
        return ca > cb
    }

    static func overlapHalf(_ a0: Int, _ a1: Int, _ b0: Int, _ b1: Int) -> Bool {
        let ov = min(a1, b1) - max(a0, b0)
        return ov > 0 && (2 * ov >= a1 - a0 || 2 * ov >= b1 - b0)
    }

    mutating func onPivot(sc: Int, t: Int, out: inout [PatternDetection]) {
        // Support, resistance and trend lines have their own, smoother zigzag: the chart scales' finer turning
        // points add touches that are noise.
        guard sc < o.scales.count else {
            levels(sc: sc, t: t, out: &out)
            return
        }
        let last = zz[sc].pivots.last!
        var found: [PatFound] = []
        for s in [1.0, -1.0] {
            let top = (s > 0) == last.hi  // in orientation s the newest pivot is a peak
            if top {
                if let w = window(sc, 6, s), let c = headAndShoulders(w, s) {
                    found.append(PatFound(cand: c.cand.oriented(s), npiv: 6, trigger: c.trigger, s: s))
                }
                if let w = window(sc, 4, s), let c = doubleTop(w, s) {
                    found.append(PatFound(cand: c.cand.oriented(s), npiv: 4, trigger: c.trigger, s: s))
                }
            } else {
                if s > 0, let w = window(sc, 4, s), let c = cupAndHandle(w) {
                    found.append(PatFound(cand: c, npiv: 4, trigger: nil, s: 1))
                }
                if let w = window(sc, 5, s), let c = flag(w, s) {
                    found.append(PatFound(cand: c.oriented(s), npiv: 5, trigger: nil, s: s))
                }
            }
        }
        // Triangles, wedges and channels: 3+3 touches preferred, then 3+2, then 4+3.
        for n in [6, 5, 7] {
            if let w = window(sc, n, 1), let c = lineShape(w) {
                found.append(PatFound(cand: c, npiv: n, trigger: nil, s: 1))
                break
            }
        }
        if trace != nil {
            for f in found where reportable(f.cand, t: t) {
                trace?.candidates.append(PatTraceShape(type: f.cand.type, start: f.cand.start, end: t))
            }
        }
        // Among the new shapes keep the most specific, then the largest (most turning points), then the best fit.
        found.sort { Self.better($0, $1) }
        var kept: [PatFound] = []
        for f in found where !kept.contains(where: { Self.overlapHalf($0.cand.start, t, f.cand.start, t) }) {
            kept.append(f)
        }
        // Pending shapes of this scale: a trigger-kind one is dropped (its last leg turned). A settle-kind one is
        // dropped when a new overlapping shape extends it (same type) or beats it (more specific, or as specific
        // with at least as many turning points); it completes once `settlePivots` turning points passed without
        // that. A new shape that an older pending one beats is not added.
        var blocked = Set<Int>()
        if !pending.isEmpty {
            var k = 0
            while k < pending.count {
                let p = pending[k]
                guard p.sc == sc else {
                    k += 1
                    continue
                }
                if !p.settle {
                    pending.remove(at: k)
                    formingByID[p.id] = nil
                    continue
                }
                var superseded = false
                for (fi, f) in kept.enumerated() where Self.overlapHalf(f.cand.start, t, p.cand.start, p.created) {
                    // Only a shape holding all but the first of the pending one's turning points may replace it
                    // (a window shifted past the pattern's end must not).
                    let second = p.cand.pts.count > 1 ? p.cand.pts[1].0 : p.cand.start
                    if f.cand.type == p.cand.type
                        || (f.cand.start <= second
                            && Self.better(f.cand, f.npiv, p.cand, p.npiv))
                    {
                        superseded = true
                    } else {
                        blocked.insert(fi)
                    }
                }
                if superseded {
                    pending.remove(at: k)
                    formingByID[p.id] = nil
                    continue
                }
                pending[k].age += 1
                if pending[k].age >= Self.settlePivots {
                    pending.remove(at: k)
                    formingByID[p.id] = nil
                    accept(p.cand, sc: sc, t: t, out: &out)
                    continue
                }
                k += 1
            }
        }
        for (fi, f) in kept.enumerated() where !blocked.contains(fi) {
            addPending(f, sc: sc, t: t, out: &out)
        }
    }

    // MARK: shape rules (written for one orientation; the mirror comes from s = −1)

    @_spi(Benchmarks) public func headAndShoulders(_ w: [PatPV], _ s: Double) -> (cand: PatCand, trigger: PatLine)? {
        let (l0, h1, l2, h3, l4, h5) = (w[0], w[1], w[2], w[3], w[4], w[5])
        guard Self.regularLegs(w) else { return nil }
        let neck = PatLine.fit([(l2.i, l2.v), (l4.i, l4.v)])
        let hh = h3.v - neck.at(h3.i)
        guard hh > 0 else { return nil }
        let prom = h3.v - max(h1.v, h5.v)
        // The head stands clearly above both shoulders (a textbook head: half the head-to-neckline height); three
        // nearly equal tops are a range or a horizontal channel.
        guard prom >= Self.headProminence * hh else { return nil }
        let shoulderDiff = abs(h1.v - h5.v)
        guard shoulderDiff <= 0.4 * hh else { return nil }
        guard min(h1.v - neck.at(h1.i), h5.v - neck.at(h5.i)) >= 0.2 * hh else { return nil }
        let neckDiff = abs(l2.v - l4.v)
        guard neckDiff <= 0.4 * hh else { return nil }
        guard l0.v <= max(l2.v, l4.v) + 0.1 * hh else { return nil }
        let d1 = Double(h3.i - h1.i)
        let d2 = Double(h5.i - h3.i)
        guard d1 > 0, d2 > 0, d1 / d2 <= 3, d2 / d1 <= 3 else { return nil }
        // A rounded head is a cup, not a head: the share of closes in the head's upper half must stay below the cut.
        let headShare = 1 - lowShare(l2.i, l4.i, neck.at(h3.i) + hh / 2, s)
        guard headShare < Self.roundCut else { return nil }
        let neckReal = PatLine.fit([(l2.i, l2.p), (l4.i, l4.p)])
        let height = h3.p - neckReal.at(h3.i)
        let conf = patConfidence([
            shoulderDiff / (0.4 * hh), neckDiff / (0.4 * hh), abs(log(d1 / d2)) / log(3),
        ])
        let cand = PatCand(
            type: s > 0 ? .headAndShoulders : .inverseHeadAndShoulders, dir: s > 0 ? .bearish : .bullish,
            start: l0.i, pts: w.map { ($0.i, $0.p) }, confirm: neckReal, fail: .flat(h3.p), confirmAbove: false,
            height: max(height, 0), conf: conf, prio: 0)
        // Shape done once the decline from the right shoulder has covered 3/4 of the way to the neckline.
        return (cand, PatLine(a: neck.a + Self.triggerShare * (h5.v - neck.at(h5.i)), b: neck.b))
    }

    @_spi(Benchmarks) public func doubleTop(_ w: [PatPV], _ s: Double) -> (cand: PatCand, trigger: PatLine)? {
        let (l0, h1, l2, h3) = (w[0], w[1], w[2], w[3])
        guard Self.regularLegs(w) else { return nil }
        let depth = (h1.v + h3.v) / 2 - l2.v
        guard depth > 0 else { return nil }
        let diff = abs(h1.v - h3.v)
        // The rise into the first top starts well below the trough (half the depth; a textbook double top starts
        // about a full depth below it, a flag's consolidation only a quarter): otherwise it is a flag or a range.
        guard diff <= Self.topTol * depth, l0.v <= l2.v - 0.5 * depth, h3.i - h1.i >= 4 else { return nil }
        // The trough must retrace a real part of the rise (a shallow dip after a steep pole is a flag).
        guard depth >= 0.4 * (h1.v - l0.v) else { return nil }
        // Significance: the trough lies well below the tops compared with a bar's range (a dip of about one ATR is
        // noise between two probes of the same level).
        guard depth >= Self.troughATR * atrAt[h3.i] else { return nil }
        let da = Double(l2.i - h1.i)
        let db = Double(h3.i - l2.i)
        guard da > 0, db > 0, da / db <= 3, db / da <= 3 else { return nil }
        let share = lowShare(h1.i, h3.i, l2.v + depth / 2, s)
        guard share < Self.roundCut else { return nil }
        let top = max(h1.p, h3.p)
        let cand = PatCand(
            type: s > 0 ? .doubleTop : .doubleBottom, dir: s > 0 ? .bearish : .bullish, start: l0.i,
            pts: w.map { ($0.i, $0.p) }, confirm: .flat(l2.p), fail: .flat(top), confirmAbove: false,
            height: top - l2.p, conf: patConfidence([diff / (Self.topTol * depth), max(0, share - 0.5) / 0.18]), prio: 1
        )
        return (cand, .flat(l2.v + Self.triggerShare * depth))
    }

    @_spi(Benchmarks) public func cupAndHandle(_ w: [PatPV]) -> PatCand? {
        let (h0, l1, h2, l3) = (w[0], w[1], w[2], w[3])
        let depth = (h0.v + h2.v) / 2 - l1.v
        guard depth > 0 else { return nil }
        let rimDiff = abs(h0.v - h2.v)
        let handle = h2.v - l3.v
        guard rimDiff <= 0.25 * depth, handle <= 0.55 * depth else { return nil }
        let cupBars = h2.i - h0.i
        let handleBars = l3.i - h2.i
        guard cupBars >= 10, handleBars * 2 <= cupBars else { return nil }
        let share = lowShare(h0.i, h2.i, l1.v + depth / 2, 1)
        guard share >= Self.roundCut else { return nil }
        let rim = max(h0.p, h2.p)
        return PatCand(
            type: .cupAndHandle, dir: .bullish, start: h0.i, pts: w.map { ($0.i, $0.p) }, confirm: .flat(rim),
            fail: .flat(l3.p), confirmAbove: true, height: rim - l1.p,
            conf: patConfidence([rimDiff / (0.25 * depth), handle / (0.55 * depth), (1 - share) / (1 - Self.roundCut)]),
            prio: 1)
    }

    @_spi(Benchmarks) public func flag(_ w: [PatPV], _ s: Double) -> PatCand? {
        let (l0, h1, l2, h3, l4) = (w[0], w[1], w[2], w[3], w[4])
        let pole = h1.v - l0.v
        let poleBars = h1.i - l0.i
        let consBars = l4.i - h1.i
        guard pole > 0, poleBars >= 1, consBars >= 3, Double(poleBars) <= 1.5 * Double(consBars) else { return nil }
        guard h3.v <= h1.v + 0.15 * pole, min(l2.v, l4.v) >= h1.v - 0.65 * pole else { return nil }
        let up = PatLine.fit([(h1.i, h1.v), (h3.i, h3.v)])
        let lo = PatLine.fit([(l2.i, l2.v), (l4.i, l4.v)])
        let w0 = up.at(h1.i) - lo.at(h1.i)
        let w1 = up.at(l4.i) - lo.at(l4.i)
        // Widths of the first and last consolidation swings (the lines extrapolated back to the pole's top make a
        // converging pennant look wider than it is).
        let sw0 = h1.v - l2.v
        let sw1 = h3.v - l4.v
        guard w0 > 0, w1 > 0, sw0 > 0, sw1 > 0, max(sw0, sw1) <= 0.6 * pole else { return nil }
        let c = sw1 / sw0
        // A flag's swings stay within half the pole; a pennant may open wider (its first swing) before it narrows.
        if c >= 0.6 && max(sw0, sw1) > 0.5 * pole { return nil }
        let cb = Double(consBars)
        let drift = (up.b + lo.b) / 2 * cb / pole
        let su = up.b * cb / pole
        let sl = lo.b * cb / pole
        var type: PatternType
        if c >= 0.6 && c <= 1.67 && drift <= 0.1 && drift >= -0.6 {
            type = s > 0 ? .bullFlag : .bearFlag
        } else if c < 0.6 && su <= 0.05 && sl >= -0.05 {
            type = s > 0 ? .bullPennant : .bearPennant
        } else {
            return nil
        }
        let upR = PatLine.fit([(h1.i, h1.p), (h3.i, h3.p)])
        let loR = PatLine.fit([(l2.i, l2.p), (l4.i, l4.p)])
        return PatCand(
            type: type, dir: s > 0 ? .bullish : .bearish, start: l0.i, pts: w.map { ($0.i, $0.p) }, confirm: upR,
            fail: loR, confirmAbove: true, height: h1.p - l0.p,
            conf: patConfidence([max(sw0, sw1) / (0.6 * pole), Double(poleBars) / (1.5 * cb)]), prio: 2)
    }

    /// Triangles, wedges and channels: lines fitted through the highs and the lows of 6–7 alternating pivots.
    static let legRatio = 3.0
    static let legFloor = 3

    /// Legs between consecutive turning points of comparable duration: the longest at most `legRatio` × the
    /// shortest (counted as at least `legFloor` bars). The touches of a triangle, wedge or channel and the legs of
    /// a head-and-shoulders or double top come at a roughly steady pace; a window that reaches back past a long
    /// trend into unrelated turning points does not.
    static func regularLegs(_ w: [PatPV]) -> Bool {
        var mn = Int.max
        var mx = 0
        for k in 1..<w.count {
            let d = w[k].i - w[k - 1].i
            mn = min(mn, d)
            mx = max(mx, d)
        }
        return Double(mx) <= legRatio * Double(max(mn, legFloor))
    }

    @_spi(Benchmarks) public func lineShape(_ w: [PatPV]) -> PatCand? {
        guard Self.regularLegs(w) else { return nil }
        var hs: [(Int, Double)] = []
        var ls: [(Int, Double)] = []
        for q in w { if q.hi { hs.append((q.i, q.v)) } else { ls.append((q.i, q.v)) } }
        let up = PatLine.fit(hs)
        let lo = PatLine.fit(ls)
        let x0 = w[0].i
        let x1 = w[w.count - 1].i
        let w0 = up.at(x0) - lo.at(x0)
        let w1 = up.at(x1) - lo.at(x1)
        guard w0 > 0, w1 > 0 else { return nil }
        let h = max(w0, w1)
        let res = max(up.maxResidual(hs), lo.maxResidual(ls))
        let resTol = w.count == 5 ? 0.15 : 0.25  // with 5 pivots one line is exact: hold the other tighter
        guard res <= resTol * h else { return nil }
        let len = Double(x1 - x0)
        let su = up.b * len / h
        let sl = lo.b * len / h
        let c = w1 / w0
        let flat = Self.flatSlope
        var type: PatternType? = nil
        var dir = PatternDirection.neutral
        var prio = 3
        if c <= Self.converging {
            // Classified by the ratio of the two slopes: a triangle's flat side moves at most `slopeSplit` × its
            // sloped side (midway between a flat line and a symmetrical triangle's equal slopes, or a wedge whose
            // slower line moves about 0.7 × the faster one).
            let k = Self.slopeSplit
            if sl > flat && su <= k * sl && su >= -k * sl {
                type = .ascendingTriangle
                dir = .bullish
            } else if su < -flat && sl >= k * su && sl <= -k * su {
                type = .descendingTriangle
                dir = .bearish
            } else if su < 0 && sl > 0 && max(sl, -su) > flat {
                type = .symmetricalTriangle
            } else if su > 0 && sl > su && sl > flat {
                type = .risingWedge
                dir = .bearish
            } else if sl < 0 && su < sl && su < -flat {
                type = .fallingWedge
                dir = .bullish
            }
        } else if c >= Self.parallelLo && c <= 1 / Self.parallelLo {
            prio = 4
            let ms = (su + sl) / 2
            if ms > flat && su > 0 && sl > 0 {
                type = .channelUp
                dir = .bullish
            } else if ms < -flat && su < 0 && sl < 0 {
                type = .channelDown
                dir = .bearish
            } else if abs(su) <= flat && abs(sl) <= flat {
                type = .channelHorizontal
            }
        }
        guard let tp = type else { return nil }
        // Wedges and channels need 3 touches on both lines; a triangle may have 3 + 2.
        if w.count < 6 && (prio == 4 || tp == .risingWedge || tp == .fallingWedge) { return nil }
        var hr: [(Int, Double)] = []
        var lr: [(Int, Double)] = []
        for q in w { if q.hi { hr.append((q.i, q.p)) } else { lr.append((q.i, q.p)) } }
        let upR = PatLine.fit(hr)
        let loR = PatLine.fit(lr)
        let height = max(upR.at(x0) - loR.at(x0), upR.at(x1) - loR.at(x1))
        let shapeUse = prio == 4 ? abs(1 - c) / 0.33 : c / Self.converging
        var cand = PatCand(
            type: tp, dir: dir, start: x0, pts: w.map { ($0.i, $0.p) }, confirm: upR, fail: loR, confirmAbove: true,
            height: height, conf: patConfidence([res / (resTol * h), shapeUse]), prio: prio, misfit: res / h)
        switch tp {
        case .symmetricalTriangle, .channelUp, .channelDown, .channelHorizontal:
            cand.neutral = true
        case .descendingTriangle, .risingWedge:
            cand.confirm = loR
            cand.fail = upR
            cand.confirmAbove = false
        default: break
        }
        if prio == 4 {
            cand.touches = w.count
            cand.slope = (upR.b + loR.b) / 2
            cand.strength = Double(w.count) * cand.conf
        }
        return cand
    }

    // MARK: support, resistance and trend lines

    mutating func levels(sc: Int, t: Int, out: inout [PatternDetection]) {
        let q = zz[sc].pivots.last!
        let s: Double = q.hi ? -1 : 1  // orientation in which q is a trough
        let qv = s * q.v
        let tol = o.lineTolerance * atrAt[t]
        guard tol > 0 else { return }
        var absorbed = [false, false]
        for k in actives.indices where actives[k].lineKind != 0 && actives[k].s == s {
            let ac = actives[k]
            if abs(qv - ac.center.at(q.i)) <= tol {
                // Only a turning point after the last touch is a new one (a template line's touches sit at the
                // template's bars, so the turning point of its own last low or high may come in later but lie
                // before it).
                if q.i > ac.lastTouch + 3 {
                    actives[k].touchPV.append(PatPV(i: q.i, v: qv, p: s * q.p, hi: false))
                    actives[k].lastTouch = q.i
                    actives[k].expiry = q.i + o.maxPatternBars
                    actives[k].cand.touches = actives[k].touchPV.count
                }
                absorbed[ac.lineKind - 1] = true
            }
        }
        // With template matching the levels and lines come from the template scan; the turning points only add
        // touches to them.
        guard templates == nil else { return }
        // Troughs (in orientation s) of this scale, newest first.
        var tr: [PatPV] = []
        for p in zz[sc].pivots.reversed() {
            if p.i < q.i - o.maxPatternBars { break }
            if p.hi == (s > 0) { continue }
            tr.append(PatPV(i: p.i, v: s * p.v, p: s * p.p, hi: false))
            if tr.count >= 8 { break }
        }
        if !absorbed[0] { horizontalLevel(tr, s: s, tol: tol, sc: sc, t: t, out: &out) }
        if !absorbed[1] { trendLine(tr, s: s, tol: o.trendLineTolerance * atrAt[t], sc: sc, t: t, out: &out) }
    }

    func closesHold(_ line: PatLine, from a: Int, to t: Int, s: Double, tol: Double) -> Bool {
        for k in a...t where s * bars[k].close < line.at(k) - tol { return false }
        return true
    }

    /// Price must move away from the line by at least `minSwingATR` ATRs between consecutive touches (a level
    /// touched inside a tight range is not a level).
    func swingsClear(_ touches: [PatPV], base: PatLine, s: Double, t: Int) -> Bool {
        let need = o.minSwingATR * atrAt[t]
        for k in 1..<touches.count where swingHeight(from: touches[k - 1].i, to: touches[k].i, base: base, s: s) < need
        {
            return false
        }
        return true
    }

    func swingHeight(from a: Int, to t: Int, base: PatLine, s: Double) -> Double {
        var m = 0.0
        for k in a...t {
            let v = s > 0 ? bars[k].high : -bars[k].low
            m = max(m, v - base.at(k))
        }
        return m
    }

    mutating func horizontalLevel(_ tr: [PatPV], s: Double, tol: Double, sc: Int, t: Int, out: inout [PatternDetection])
    {
        guard let q = tr.first else { return }
        var touches: [PatPV] = [q]
        for p in tr.dropFirst() {
            if p.v < q.v - tol { break }  // a lower trough in between: the level did not hold
            if abs(p.v - q.v) <= tol { touches.append(p) }
        }
        guard touches.count >= o.minTouches else { return }
        touches.reverse()
        guard Self.regularLegs(touches) else { return }
        let mean = touches.reduce(0) { $0 + $1.v } / Double(touches.count)
        var mad = 0.0
        for p in touches {
            guard abs(p.v - mean) <= tol else { return }
            mad += abs(p.v - mean)
        }
        mad /= Double(touches.count)
        let level = touches.reduce(0) { $0 + $1.p } / Double(touches.count)
        let center = PatLine.flat(level)
        guard closesHold(center, from: touches[0].i, to: t, s: s, tol: tol) else { return }
        guard swingsClear(touches, base: center, s: s, t: t) else { return }
        let conf = patClamp(1 - mad / tol, 0.05, 1)
        let type: PatternType = s > 0 ? .support : .resistance
        let cand = PatCand(
            type: type, dir: s > 0 ? .bullish : .bearish, start: touches[0].i, pts: touches.map { ($0.i, $0.p) },
            confirm: .flat(level - tol), fail: .flat(.infinity), confirmAbove: false,
            height: swingHeight(from: touches[0].i, to: t, base: center, s: s), conf: conf, prio: 5,
            touches: touches.count, strength: Double(touches.count) * conf, slope: 0)
        addLine(cand, kind: 1, s: s, center: center, tol: tol, touches: touches, sc: sc, t: t, out: &out)
    }

    mutating func trendLine(_ tr: [PatPV], s: Double, tol: Double, sc: Int, t: Int, out: inout [PatternDetection]) {
        let n = o.minTouches
        guard tr.count >= n else { return }
        let touches = Array(tr[0..<n].reversed())
        guard Self.regularLegs(touches) else { return }
        let pts = touches.map { ($0.i, $0.v) }
        let line = PatLine.fit(pts)
        let res = line.maxResidual(pts)
        guard res <= tol, line.b * Double(touches[n - 1].i - touches[0].i) >= 2 * tol else { return }
        let real = PatLine.fit(touches.map { ($0.i, $0.p) })
        guard closesHold(real, from: touches[0].i, to: t, s: s, tol: tol) else { return }
        guard swingsClear(touches, base: real, s: s, t: t) else { return }
        let conf = patClamp(1 - res / tol, 0.05, 1)
        let cand = PatCand(
            type: .trendLine, dir: s > 0 ? .bullish : .bearish, start: touches[0].i, pts: touches.map { ($0.i, $0.p) },
            confirm: PatLine(a: real.a - tol, b: real.b), fail: .flat(.infinity), confirmAbove: false,
            height: swingHeight(from: touches[0].i, to: t, base: real, s: s), conf: conf, prio: 5, touches: n,
            strength: Double(n) * conf, slope: real.b)
        addLine(cand, kind: 2, s: s, center: line, tol: tol, touches: touches, sc: sc, t: t, out: &out)
    }

    mutating func addLine(
        _ c: PatCand, kind: Int, s: Double, center: PatLine, tol: Double, touches: [PatPV], sc: Int,
        t: Int, out: inout [PatternDetection]
    ) {
        let last = touches[touches.count - 1].i
        guard last - c.start <= o.maxPatternBars, !claimed(c.type, c.start, last, 5) else { return }
        let cand = c.oriented(s)
        let id = "\(c.type.rawValue):\(bars[c.start].ts):\(bars[last].ts):\(sc)"
        guard screened(cand, id: id, sc: sc, t: t) else { return }
        claims.append(PatClaim(type: c.type, s: c.start, e: last, prio: 5))
        emit(record(cand, id: id, start: c.start, t: t, status: .completed), &out)
        actives.append(
            PatActive(
                cand: cand, id: id, start: c.start, created: t, expiry: last + o.maxPatternBars, lineKind: kind, s: s,
                center: center, tol: tol, touchPV: touches, lastTouch: last))
    }
}
