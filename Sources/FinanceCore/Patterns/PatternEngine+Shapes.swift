#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// Shape rules (written for one orientation; the mirror comes from s = −1).
extension PatternEngine {
    @_spi(Benchmarks) public func headAndShoulders(_ w: [PatternEngine.PV], _ s: Double) -> (
        cand: PatternEngine.Candidate, trigger: PatternEngine.Line
    )? {
        let (l0, h1, l2, h3, l4, h5) = (w[0], w[1], w[2], w[3], w[4], w[5])
        guard Self.regularLegs(w) else { return nil }
        let neck = PatternEngine.Line.fit([(l2.i, l2.v), (l4.i, l4.v)])
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
        let neckReal = PatternEngine.Line.fit([(l2.i, l2.p), (l4.i, l4.p)])
        let height = h3.p - neckReal.at(h3.i)
        let conf = patConfidence([
            shoulderDiff / (0.4 * hh), neckDiff / (0.4 * hh), abs(log(d1 / d2)) / log(3),
        ])
        let cand = PatternEngine.Candidate(
            type: s > 0 ? .headAndShoulders : .inverseHeadAndShoulders, dir: s > 0 ? .bearish : .bullish,
            start: l0.i, pts: w.map { ($0.i, $0.p) }, confirm: neckReal, fail: .flat(h3.p), confirmAbove: false,
            height: max(height, 0), conf: conf, prio: 0)
        // Shape done once the decline from the right shoulder has covered 3/4 of the way to the neckline.
        return (cand, PatternEngine.Line(a: neck.a + Self.triggerShare * (h5.v - neck.at(h5.i)), b: neck.b))
    }

    @_spi(Benchmarks) public func doubleTop(_ w: [PatternEngine.PV], _ s: Double) -> (
        cand: PatternEngine.Candidate, trigger: PatternEngine.Line
    )? {
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
        let cand = PatternEngine.Candidate(
            type: s > 0 ? .doubleTop : .doubleBottom, dir: s > 0 ? .bearish : .bullish, start: l0.i,
            pts: w.map { ($0.i, $0.p) }, confirm: .flat(l2.p), fail: .flat(top), confirmAbove: false,
            height: top - l2.p, conf: patConfidence([diff / (Self.topTol * depth), max(0, share - 0.5) / 0.18]), prio: 1
        )
        return (cand, .flat(l2.v + Self.triggerShare * depth))
    }

    @_spi(Benchmarks) public func cupAndHandle(_ w: [PatternEngine.PV]) -> PatternEngine.Candidate? {
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
        return PatternEngine.Candidate(
            type: .cupAndHandle, dir: .bullish, start: h0.i, pts: w.map { ($0.i, $0.p) }, confirm: .flat(rim),
            fail: .flat(l3.p), confirmAbove: true, height: rim - l1.p,
            conf: patConfidence([rimDiff / (0.25 * depth), handle / (0.55 * depth), (1 - share) / (1 - Self.roundCut)]),
            prio: 1)
    }

    @_spi(Benchmarks) public func flag(_ w: [PatternEngine.PV], _ s: Double) -> PatternEngine.Candidate? {
        let (l0, h1, l2, h3, l4) = (w[0], w[1], w[2], w[3], w[4])
        let pole = h1.v - l0.v
        let poleBars = h1.i - l0.i
        let consBars = l4.i - h1.i
        guard pole > 0, poleBars >= 1, consBars >= 3, Double(poleBars) <= 1.5 * Double(consBars) else { return nil }
        guard h3.v <= h1.v + 0.15 * pole, min(l2.v, l4.v) >= h1.v - 0.65 * pole else { return nil }
        let up = PatternEngine.Line.fit([(h1.i, h1.v), (h3.i, h3.v)])
        let lo = PatternEngine.Line.fit([(l2.i, l2.v), (l4.i, l4.v)])
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
        let upR = PatternEngine.Line.fit([(h1.i, h1.p), (h3.i, h3.p)])
        let loR = PatternEngine.Line.fit([(l2.i, l2.p), (l4.i, l4.p)])
        return PatternEngine.Candidate(
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
    static func regularLegs(_ w: [PatternEngine.PV]) -> Bool {
        var mn = Int.max
        var mx = 0
        for k in 1..<w.count {
            let d = w[k].i - w[k - 1].i
            mn = min(mn, d)
            mx = max(mx, d)
        }
        return Double(mx) <= legRatio * Double(max(mn, legFloor))
    }

    @_spi(Benchmarks) public func lineShape(_ w: [PatternEngine.PV]) -> PatternEngine.Candidate? {
        guard Self.regularLegs(w) else { return nil }
        var hs: [(Int, Double)] = []
        var ls: [(Int, Double)] = []
        for q in w { if q.hi { hs.append((q.i, q.v)) } else { ls.append((q.i, q.v)) } }
        let up = PatternEngine.Line.fit(hs)
        let lo = PatternEngine.Line.fit(ls)
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
        let upR = PatternEngine.Line.fit(hr)
        let loR = PatternEngine.Line.fit(lr)
        let height = max(upR.at(x0) - loR.at(x0), upR.at(x1) - loR.at(x1))
        let shapeUse = prio == 4 ? abs(1 - c) / 0.33 : c / Self.converging
        var cand = PatternEngine.Candidate(
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
}
