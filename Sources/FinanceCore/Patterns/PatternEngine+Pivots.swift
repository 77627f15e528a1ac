// Turning points: the windows the shape rules read, the rules' tuning constants, the ranking of shapes, and what a new
// turning point sets off.
extension PatternEngine {
    func window(_ sc: Int, _ n: Int, _ s: Double) -> [PatternEngine.PV]? {
        let pv = zz[sc].pivots
        guard pv.count >= n else { return nil }
        var w: [PatternEngine.PV] = []
        w.reserveCapacity(n)
        for q in pv[(pv.count - n)...] {
            w.append(PatternEngine.PV(i: q.i, v: s * q.v, p: s * q.p, hi: s > 0 ? q.hi : !q.hi))
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
    static func better(_ a: PatternEngine.Found, _ b: PatternEngine.Found) -> Bool {
        better(a.cand, a.npiv, b.cand, b.npiv)
    }
    static func better(_ a: PatternEngine.Candidate, _ na: Int, _ b: PatternEngine.Candidate, _ nb: Int) -> Bool {
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
        var found: [PatternEngine.Found] = []
        for s in [1.0, -1.0] {
            let top = (s > 0) == last.hi  // in orientation s the newest pivot is a peak
            if top {
                if let w = window(sc, 6, s), let c = headAndShoulders(w, s) {
                    found.append(PatternEngine.Found(cand: c.cand.oriented(s), npiv: 6, trigger: c.trigger, s: s))
                }
                if let w = window(sc, 4, s), let c = doubleTop(w, s) {
                    found.append(PatternEngine.Found(cand: c.cand.oriented(s), npiv: 4, trigger: c.trigger, s: s))
                }
            } else {
                if s > 0, let w = window(sc, 4, s), let c = cupAndHandle(w) {
                    found.append(PatternEngine.Found(cand: c, npiv: 4, trigger: nil, s: 1))
                }
                if let w = window(sc, 5, s), let c = flag(w, s) {
                    found.append(PatternEngine.Found(cand: c.oriented(s), npiv: 5, trigger: nil, s: s))
                }
            }
        }
        // Triangles, wedges and channels: 3+3 touches preferred, then 3+2, then 4+3.
        for n in [6, 5, 7] {
            if let w = window(sc, n, 1), let c = lineShape(w) {
                found.append(PatternEngine.Found(cand: c, npiv: n, trigger: nil, s: 1))
                break
            }
        }
        if trace != nil {
            for f in found where reportable(f.cand, t: t) {
                trace?.candidates.append(PatternEngine.TraceShape(type: f.cand.type, start: f.cand.start, end: t))
            }
        }
        // Among the new shapes keep the most specific, then the largest (most turning points), then the best fit.
        found.sort { Self.better($0, $1) }
        var kept: [PatternEngine.Found] = []
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
}
