#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A learned screen of finished shapes: per pattern type, a logistic regression over features of the shape at the
/// bar it completes (bars up to that bar only) estimates the probability that it is a true pattern of its type,
/// and shapes below the type's threshold are not reported and do not claim their region. The model is trained on
/// the labeled benchmark (`PatternBenchmark.trainScreen`, `financehub bench patterns --train-screen`) at several
/// noise levels, on seeds the published tables do not use; docs/patterns.md ("Learned screen") has the method
/// and the figures.
public struct PatternScreen: Sendable, Hashable {
    /// Per type: the intercept, then one weight per entry of `featureNames`.
    public var weights: [PatternType: [Double]]
    /// Per type: the lowest logit (log odds) that passes. A type without weights passes every shape.
    public var thresholds: [PatternType: Double]

    public init(weights: [PatternType: [Double]], thresholds: [PatternType: Double]) {
        self.weights = weights
        self.thresholds = thresholds
    }

    /// What each feature measures (range = highest minus lowest key point; dur = bars from start to completion).
    public static let featureNames = [
        "upper_slope",  // slope of the line through the highs among the key points × their span / range
        "lower_slope",  // the same through the lows
        "log_width_ratio",  // log(width between the two lines at the last key point / at the first)
        "leg_amplitude_cv",  // spread of the key-point-to-key-point moves (std / mean)
        "first_leg",  // first move / range
        "last_leg",  // last move / range
        "log_duration",  // log(dur)
        "key_points",  // number of key points
        "log_range_atr",  // log(range / ATR at completion)
        "confidence",  // the record's confidence
        "misfit",  // triangles, wedges, channels: largest line residual / height (else 0)
        "roughness",  // RMS of the closes around the path through the key points / range
        "max_deviation",  // largest distance of a close from that path / range
        "lead_in",  // close change over the 20 bars before the start / range
        "lead_in_directional",  // the same × +1 (breakout up) / −1 (down) / 0 (either way)
        "post",  // close at completion − last key point, / range
        "post_directional",  // the same × the breakout direction
        "log_leg_ratio",  // log(longest / shortest leg in bars)
        "start_gap",  // bars from the start to the first key point / dur
        "tail",  // bars from the last key point to completion / dur
        "pre_range",  // range of the closes over the 20 bars before the start / range
        "scale",  // the zigzag scale that found it (0 = coarser)
        "height_ratio",  // measured-move height / range
    ]

    /// Whether a shape of `type` with these features is reported.
    public func passes(_ type: PatternType, _ features: [Double]) -> Bool {
        guard let threshold = self.thresholds[type], let z = self.logit(type, features) else { return true }
        return z >= threshold
    }

    /// The model's estimate that the shape is a true pattern of its type (nil: no model for the type).
    public func probability(_ type: PatternType, _ features: [Double]) -> Double? {
        self.logit(type, features).map { 1 / (1 + exp(-$0)) }
    }

    func logit(_ type: PatternType, _ features: [Double]) -> Double? {
        guard let w = self.weights[type], w.count == features.count + 1 else { return nil }
        var z = w[0]
        for i in features.indices { z += w[i + 1] * features[i] }
        return z.isNaN ? nil : z
    }
}

extension PatternEngine {
    /// The screen's features of a shape (in real-chart orientation) completed at bar t: bars ≤ t only. Every value
    /// is finite (a degenerate one is 0).
    func screenFeatures(_ c: PatternEngine.Candidate, sc: Int, t: Int) -> [Double] {
        guard c.pts.count >= 2 else { return Array(repeating: 0, count: PatternScreen.featureNames.count) }
        var lo = Double.infinity
        var hi = -Double.infinity
        for p in c.pts {
            lo = min(lo, p.1)
            hi = max(hi, p.1)
        }
        let range = max(hi - lo, 1e-12)
        let atr = max(atrAt[t], 1e-12)
        let direction: Double = c.neutral ? 0 : (c.confirmAbove ? 1 : -1)
        let dur = Double(max(t - c.start, 1))
        let first = c.pts[0].0
        let last = c.pts[c.pts.count - 1].0
        // The closes around the piecewise-linear path through the key points.
        var squares = 0.0
        var count = 0
        var maxDeviation = 0.0
        var k = 0
        if last > first {
            for i in first...last {
                while k + 2 < c.pts.count && c.pts[k + 1].0 <= i { k += 1 }
                let (i0, p0) = c.pts[k]
                let (i1, p1) = c.pts[k + 1]
                let y = i1 == i0 ? p0 : p0 + (p1 - p0) * Double(i - i0) / Double(i1 - i0)
                let d = bars[i].close - y
                squares += d * d
                maxDeviation = max(maxDeviation, abs(d))
                count += 1
            }
        }
        let roughness = count > 0 ? (squares / Double(count)).squareRoot() / range : 0
        let before = max(bars.base, c.start - 20)
        let leadIn = (bars[c.start].close - bars[before].close) / range
        let post = (bars[t].close - c.pts[c.pts.count - 1].1) / range
        var preLow = Double.infinity
        var preHigh = -Double.infinity
        for i in before...c.start {
            preLow = min(preLow, bars[i].close)
            preHigh = max(preHigh, bars[i].close)
        }
        // Lines through the highs and through the lows among the key points.
        var highs: [(Int, Double)] = []
        var lows: [(Int, Double)] = []
        var longest = 0
        var shortest = Int.max
        var moves: [Double] = []
        for j in c.pts.indices {
            let reference = j > 0 ? c.pts[j - 1].1 : c.pts[1].1
            if c.pts[j].1 > reference { highs.append(c.pts[j]) } else { lows.append(c.pts[j]) }
            guard j > 0 else { continue }
            longest = max(longest, c.pts[j].0 - c.pts[j - 1].0)
            shortest = min(shortest, c.pts[j].0 - c.pts[j - 1].0)
            moves.append(abs(c.pts[j].1 - c.pts[j - 1].1) / range)
        }
        let upper = highs.count >= 2 ? PatternEngine.Line.fit(highs) : .flat(highs.first?.1 ?? 0)
        let lower = lows.count >= 2 ? PatternEngine.Line.fit(lows) : .flat(lows.first?.1 ?? 0)
        let width0 = max(upper.at(first) - lower.at(first), 0.02 * range)
        let width1 = max(upper.at(last) - lower.at(last), 0.02 * range)
        let span = Double(max(last - first, 1))
        let meanMove = moves.reduce(0, +) / Double(moves.count)
        let moveSpread = (moves.reduce(0) { $0 + ($1 - meanMove) * ($1 - meanMove) } / Double(moves.count)).squareRoot()
        let features = [
            upper.b * span / range, lower.b * span / range, log(width1 / width0), moveSpread / max(meanMove, 1e-9),
            moves[0], moves[moves.count - 1], log(dur), Double(c.pts.count), log(range / atr), c.conf, c.misfit,
            roughness, maxDeviation / range, leadIn, leadIn * direction, post, post * direction,
            log(Double(max(longest, 1)) / Double(max(shortest, 1))), Double(first - c.start) / dur,
            Double(t - last) / dur, (preHigh - preLow) / range, Double(sc), c.height / range,
        ]
        return features.map { $0.isFinite ? $0 : 0 }
    }

    /// Whether the screen (if any) lets a shape completed at bar t be reported; records the features for training.
    mutating func screened(_ c: PatternEngine.Candidate, id: String, sc: Int, t: Int) -> Bool {
        guard o.screen != nil || screenLog != nil else { return true }
        let features = screenFeatures(c, sc: sc, t: t)
        screenLog?[id] = features
        return o.screen?.passes(c.type, features) ?? true
    }
}
