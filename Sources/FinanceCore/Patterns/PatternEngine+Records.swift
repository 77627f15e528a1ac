#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// Records: what the engine reports, its breakouts, failures, expiries, claims and pending shapes.
extension PatternEngine {
    func record(
        _ c: PatternEngine.Candidate, id: String, start: Int, t: Int, status: PatternStatus,
        dir: PatternDirection? = nil,
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
    func templateRecord(_ c: PatternEngine.TemplateCandidate, t: Int) -> PatternDetection {
        let tpl = PatternEngine.Template.bank[c.template]
        let d = c.endIndex - c.startIndex + 1
        let g = PatternEngine.TemplateScan.textbookGeometry[d][c.template]
        let price = c.knotLog.map { exp($0) }
        let at = g.knotAge.map { c.endIndex - $0 }
        let mirrored = c.type != tpl.type
        var dir = tpl.direction
        if mirrored { dir = dir == .bullish ? .bearish : .bullish }
        let breakout = price[tpl.breakout]
        let height = abs(price[tpl.h1] - price[tpl.h2])
        let slope = tpl.slopeKnots.map { (price[$0.1] - price[$0.0]) / Double(max(1, at[$0.1] - at[$0.0])) }
        return PatternDetection(
            id:
                "\(c.type.rawValue):\(bars[c.startIndex].ts):\(bars[c.endIndex].ts):\(c.textbook ? "x" : "t")\(c.template)",
            type: c.type,
            direction: dir, start: bars[c.startIndex].ts, end: bars[t].ts,
            points: tpl.keys.map { PatternPoint(ts: bars[at[$0]].ts, price: price[$0]) }, breakout: breakout,
            target: dir == .bearish ? breakout - height : breakout + height, confidence: c.probability,
            status: .confirmed, touches: tpl.slopeKnots == nil ? nil : tpl.knots.count - 2, slope: slope)
    }

    /// A support, resistance or trend line the template scan reported at bar t: `completed`, then watched for its
    /// break like the rules' lines (later touches from the level scale's turning points join it).
    mutating func templateLine(_ c: PatternEngine.TemplateCandidate, t: Int, out: inout [PatternDetection]) {
        let g = patLineGeometry[c.line]
        // Orientation: +1 when the touches are troughs (the swings above them).
        let s: Double = c.features[3] > 0 ? 1 : -1
        // The touches' fitted prices, then the level (their mean) or the line through them.
        let fitted = g.touches.map { j in (c.windowStart + Int(g.x[j].rounded()), s * exp(c.knotLog[j])) }
        let center: PatternEngine.Line =
            c.type == .trendLine ? .fit(fitted) : .flat(fitted.reduce(0) { $0 + $1.1 } / Double(fitted.count))
        let touches = fitted.map { PatternEngine.PV(i: $0.0, v: center.at($0.0), p: center.at($0.0), hi: false) }
        let first = touches[0].i
        let last = touches[touches.count - 1].i
        let pts = touches.map { ($0.i, $0.v) }
        let tol = max((c.type == .trendLine ? o.trendLineTolerance : o.lineTolerance) * atrAt[t], 0)
        // Not already broken: the close at the report bar is not beyond it (the window's end is free to break it).
        guard closesHold(center, from: t, to: t, s: s, tol: tol) else { return }
        let cand = PatternEngine.Candidate(
            type: c.type, dir: s > 0 ? .bullish : .bearish, start: first, pts: pts,
            confirm: PatternEngine.Line(a: center.a - tol, b: center.b), fail: .flat(.infinity), confirmAbove: false,
            height: swingHeight(from: first, to: t, base: center, s: s), conf: c.probability, prio: 5,
            touches: touches.count, strength: Double(touches.count) * c.probability, slope: center.b
        ).oriented(s)
        let id = "\(c.type.rawValue):\(bars[first].ts):\(bars[last].ts):l\(g.n)"
        emit(record(cand, id: id, start: first, t: t, status: .completed), &out)
        actives.append(
            PatternEngine.Active(
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

    func makeID(_ cand: PatternEngine.Candidate, _ sc: Int) -> String {
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
    func reportable(_ cand: PatternEngine.Candidate, t: Int) -> Bool {
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

    mutating func addPending(_ f: PatternEngine.Found, sc: Int, t: Int, out: inout [PatternDetection]) {
        let cand = f.cand
        guard reportable(cand, t: t), !claimed(cand.type, cand.start, t, cand.prio) else { return }
        let id = makeID(cand, sc)
        guard formingByID[id] == nil else { return }
        pending.append(
            PatternEngine.Pending(
                cand: cand, id: id, sc: sc, created: t,
                trigger: f.trigger.map { PatternEngine.Line(a: $0.a - Self.triggerATR * atrAt[t], b: $0.b) }
                    ?? .flat(0), s: f.s,
                settle: f.trigger == nil, npiv: f.npiv))
        let r = record(cand, id: id, start: cand.start, t: t, status: .forming)
        formingByID[id] = r
        if o.includeForming { emit(r, &out) }
    }

    mutating func accept(_ cand: PatternEngine.Candidate, sc: Int, t: Int, out: inout [PatternDetection]) {
        guard t - cand.start <= o.maxPatternBars else { return }
        trace?.completable.append(PatternEngine.TraceShape(type: cand.type, start: cand.start, end: t))
        guard !claimed(cand.type, cand.start, t, cand.prio) else { return }
        let id = makeID(cand, sc)
        guard screened(cand, id: id, sc: sc, t: t) else { return }
        claims.append(PatternEngine.Claim(type: cand.type, s: cand.start, e: t, prio: cand.prio))
        let r = record(cand, id: id, start: cand.start, t: t, status: .completed)
        emit(r, &out)
        let span = t - cand.start
        actives.append(
            PatternEngine.Active(cand: cand, id: id, start: cand.start, created: t, expiry: t + max(20, span)))
    }
}
