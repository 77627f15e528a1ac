// Support, resistance and trend lines.
extension PatternEngine {
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
                    actives[k].touchPV.append(PatternEngine.PV(i: q.i, v: qv, p: s * q.p, hi: false))
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
        var tr: [PatternEngine.PV] = []
        for p in zz[sc].pivots.reversed() {
            if p.i < q.i - o.maxPatternBars { break }
            if p.hi == (s > 0) { continue }
            tr.append(PatternEngine.PV(i: p.i, v: s * p.v, p: s * p.p, hi: false))
            if tr.count >= 8 { break }
        }
        if !absorbed[0] { horizontalLevel(tr, s: s, tol: tol, sc: sc, t: t, out: &out) }
        if !absorbed[1] { trendLine(tr, s: s, tol: o.trendLineTolerance * atrAt[t], sc: sc, t: t, out: &out) }
    }

    func closesHold(_ line: PatternEngine.Line, from a: Int, to t: Int, s: Double, tol: Double) -> Bool {
        for k in a...t where s * bars[k].close < line.at(k) - tol { return false }
        return true
    }

    /// Price must move away from the line by at least `minSwingATR` ATRs between consecutive touches (a level
    /// touched inside a tight range is not a level).
    func swingsClear(_ touches: [PatternEngine.PV], base: PatternEngine.Line, s: Double, t: Int) -> Bool {
        let need = o.minSwingATR * atrAt[t]
        for k in 1..<touches.count where swingHeight(from: touches[k - 1].i, to: touches[k].i, base: base, s: s) < need
        {
            return false
        }
        return true
    }

    func swingHeight(from a: Int, to t: Int, base: PatternEngine.Line, s: Double) -> Double {
        var m = 0.0
        for k in a...t {
            let v = s > 0 ? bars[k].high : -bars[k].low
            m = max(m, v - base.at(k))
        }
        return m
    }

    mutating func horizontalLevel(
        _ tr: [PatternEngine.PV], s: Double, tol: Double, sc: Int, t: Int, out: inout [PatternDetection]
    ) {
        guard let q = tr.first else { return }
        var touches: [PatternEngine.PV] = [q]
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
        let center = PatternEngine.Line.flat(level)
        guard closesHold(center, from: touches[0].i, to: t, s: s, tol: tol) else { return }
        guard swingsClear(touches, base: center, s: s, t: t) else { return }
        let conf = patClamp(1 - mad / tol, 0.05, 1)
        let type: PatternType = s > 0 ? .support : .resistance
        let cand = PatternEngine.Candidate(
            type: type, dir: s > 0 ? .bullish : .bearish, start: touches[0].i, pts: touches.map { ($0.i, $0.p) },
            confirm: .flat(level - tol), fail: .flat(.infinity), confirmAbove: false,
            height: swingHeight(from: touches[0].i, to: t, base: center, s: s), conf: conf, prio: 5,
            touches: touches.count, strength: Double(touches.count) * conf, slope: 0)
        addLine(cand, kind: 1, s: s, center: center, tol: tol, touches: touches, sc: sc, t: t, out: &out)
    }

    mutating func trendLine(
        _ tr: [PatternEngine.PV], s: Double, tol: Double, sc: Int, t: Int, out: inout [PatternDetection]
    ) {
        let n = o.minTouches
        guard tr.count >= n else { return }
        let touches = Array(tr[0..<n].reversed())
        guard Self.regularLegs(touches) else { return }
        let pts = touches.map { ($0.i, $0.v) }
        let line = PatternEngine.Line.fit(pts)
        let res = line.maxResidual(pts)
        guard res <= tol, line.b * Double(touches[n - 1].i - touches[0].i) >= 2 * tol else { return }
        let real = PatternEngine.Line.fit(touches.map { ($0.i, $0.p) })
        guard closesHold(real, from: touches[0].i, to: t, s: s, tol: tol) else { return }
        guard swingsClear(touches, base: real, s: s, t: t) else { return }
        let conf = patClamp(1 - res / tol, 0.05, 1)
        let cand = PatternEngine.Candidate(
            type: .trendLine, dir: s > 0 ? .bullish : .bearish, start: touches[0].i, pts: touches.map { ($0.i, $0.p) },
            confirm: PatternEngine.Line(a: real.a - tol, b: real.b), fail: .flat(.infinity), confirmAbove: false,
            height: swingHeight(from: touches[0].i, to: t, base: real, s: s), conf: conf, prio: 5, touches: n,
            strength: Double(n) * conf, slope: real.b)
        addLine(cand, kind: 2, s: s, center: line, tol: tol, touches: touches, sc: sc, t: t, out: &out)
    }

    mutating func addLine(
        _ c: PatternEngine.Candidate, kind: Int, s: Double, center: PatternEngine.Line, tol: Double,
        touches: [PatternEngine.PV], sc: Int,
        t: Int, out: inout [PatternDetection]
    ) {
        let last = touches[touches.count - 1].i
        guard last - c.start <= o.maxPatternBars, !claimed(c.type, c.start, last, 5) else { return }
        let cand = c.oriented(s)
        let id = "\(c.type.rawValue):\(bars[c.start].ts):\(bars[last].ts):\(sc)"
        guard screened(cand, id: id, sc: sc, t: t) else { return }
        claims.append(PatternEngine.Claim(type: c.type, s: c.start, e: last, prio: 5))
        emit(record(cand, id: id, start: c.start, t: t, status: .completed), &out)
        actives.append(
            PatternEngine.Active(
                cand: cand, id: id, start: c.start, created: t, expiry: last + o.maxPatternBars, lineKind: kind, s: s,
                center: center, tol: tol, touchPV: touches, lastTouch: last))
    }
}
