#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Textbook fits (docs/patterns.md, "Textbook fits"): a chart window whose template fit is nearly exact is reported
/// whatever the model says. The model learned shapes drawn with noise of σ 5–15 % of their height, in windows on the
/// scan's grid of lengths and bars; a clean shape lies off that grid by a few bars, which leaves smooth residuals the
/// model reads as a random walk. So a window that fits well on the grid is fitted again at every start and end
/// near it, and kept when its best fit leaves at most `PatternOptions.textbookNoise` of noise.
extension PatternEngine.TemplateScan {
    /// Scanned windows at least this long are refined (shorter shapes are left to the model).
    static let textbookMinLength = 43
    /// A scanned window is refined when its fit has noise under this share of its height ...
    static let textbookGateNoise = 0.2
    /// ... and beats a straight line by this log ratio of residuals (a window a few bars off a clean channel
    /// beats it by less than 1).
    static let textbookGateGain = 0.75
    static let textbookGateGainRatio = exp(textbookGateGain)
    /// The refined fit beats a straight line by this log ratio of residuals.
    static let textbookMinGain = 1.0
    /// The refined fit's misfit, the part of its residual σ beyond the closes' own noise (`textbookMisfit`), is under
    /// this share of its height: a fit of the wrong type or span over part of a clean shape (a symmetrical triangle
    /// over a pennant's end, a channel shifted by a swing) leaves 0.035 or more, the right one under 0.025.
    static let textbookMaxMisfit = 0.025
    /// The refined fit's residuals are at least e (2.7) times smaller than the best fit of another type's (on random
    /// walks the cleanest fits are flags and pennants barely apart from a neighbour type: gaps of 0.5–0.65).
    static let textbookMinGap = 1.0
    /// The longest refined window: 10 % beyond the longest scanned one.
    static let textbookLongest = Int((Double(chartMaxLength) * 1.1).rounded())
    /// Bars of history a scan reads: the longest refined window, ending up to a scan period before the bar.
    static let historyLength = textbookLongest + every(chartMaxLength)

    /// Each template laid over each length up to `textbookLongest` (empty below 3 bars), built once.
    static let textbookGeometry: [[PatternEngine.TemplateGeometry]] = (0...textbookLongest).map { d in
        d < 3 ? [] : PatternEngine.Template.bank.map { PatternEngine.TemplateGeometry($0, d: d) }
    }

    /// The same as flat tables, never freed nor written after they are built (the refinement's inner loop reads
    /// them through pointers, without the reference counting of nested arrays): the forward runs of every fit, and
    /// each fit's runs and constants by d × templates + template.
    nonisolated(unsafe) static let textbookRuns: UnsafePointer<(lo: Int, hi: Int, alpha: Double, beta: Double)> =
        patFrozen(
            textbookGeometry.flatMap { row in row.flatMap(\.forward) })
    nonisolated(unsafe) static let textbookFits:
        UnsafePointer<(first: Int, past: Int, mean: Double, spread: Double, range: Double)> = {
            var out: [(first: Int, past: Int, mean: Double, spread: Double, range: Double)] = []
            var first = 0
            let nT = PatternEngine.Template.bank.count
            for row in textbookGeometry {
                if row.isEmpty {
                    out += Array(repeating: (first, first, 0, 1, 0), count: nT)
                    continue
                }
                for g in row {
                    out.append((first, first + g.forward.count, g.mean, g.spread, g.range))
                    first += g.forward.count
                }
            }
            return patFrozen(out)
        }()

    /// The best textbook fit near the scanned window of `d` bars ending at bar t (the last of `y`'s log closes):
    /// every window of 10 % shorter to 10 % longer (40 bars at least) ending at one of the `step` bars up to t (the
    /// scan period of `d`, so every end is tried), every template. The fit with the least noise is a candidate when
    /// that noise is under `limit` and it beats a straight line and every other type (`textbookMinGain`,
    /// `textbookMinGap`) and its misfit is under `textbookMaxMisfit`; its probability is 1 − its noise. nil otherwise.
    static func textbookFit(
        y: UnsafeBufferPointer<Double>, t: Int, d: Int, step: Int, limit: Double
    ) -> PatternEngine.TemplateCandidate? {
        let shortest = max(40, Int((Double(d) / 1.1).rounded()))
        let longest = min(textbookLongest, Int((Double(d) * 1.1).rounded()))
        let count = min(y.count, longest + step - 1)
        guard count >= shortest else { return nil }
        let last = y.count - 1
        let yt = y[last]
        let nT = PatternEngine.Template.bank.count
        var best: (noise: Double, s: Int, e: Int, template: Int, type: Int, b: Double, zbar: Double, gain: Double)?
        var bestGap = 0.0
        // The flat tables and the type tables as locals: read through a static in the loop, each read checked
        // that the static was built (`swift_once`).
        let runs = Self.textbookRuns
        let allFits = Self.textbookFits
        let positive = Self.table.positive
        let negative = Self.table.negative
        // Prefix sums over the local bars i = 0..<count (bar t − count + 1 + i) of z = y − y_t, i·z and z².
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 3 * (count + 1) + 2 * nT) { p in
            let p0 = p.baseAddress!
            let p1 = p0 + (count + 1)
            let p2 = p1 + (count + 1)
            let rss = p2 + (count + 1)
            let covs = rss + nT
            p0[0] = 0
            p1[0] = 0
            p2[0] = 0
            for i in 0..<count {
                let z = y[last - count + 1 + i] - yt
                p0[i + 1] = p0[i] + z
                p1[i + 1] = p1[i] + Double(i) * z
                p2[i + 1] = p2[i] + z * z
            }
            withUnsafeTemporaryAllocation(of: Int.self, capacity: nT) { types in
                for j in 0..<step {
                    let e = count - 1 - j
                    guard e + 1 >= shortest else { break }
                    for dd in shortest...min(longest, e + 1) {
                        let s = e - dd + 1
                        let n = Double(dd)
                        let sum = p0[e + 1] - p0[s]
                        let vy = p2[e + 1] - p2[s] - sum * sum / n
                        guard vy > 0 else { continue }
                        let sk = p1[e + 1] - p1[s] - Double(s) * sum
                        let covLine = sk - (n - 1) / 2 * sum
                        let rssLine = max(vy - covLine * covLine / (n * (n * n - 1) / 12), 1e-300)
                        let fits = allFits + dd &* nT
                        // Every template's covariance first (independent sums), then the residuals (independent
                        // divisions), then the first least one by selects, as the scan does.
                        let ds = Double(s)
                        let q0 = p0 + s
                        let q1 = p1 + s
                        for k in 0..<nT {
                            let g = fits[k]
                            var cov = -g.mean * sum
                            var i = g.first
                            while i < g.past {
                                let r = runs[i]
                                let a = q0[r.hi] - q0[r.lo]
                                cov += r.alpha * a + r.beta * (q1[r.hi] - q1[r.lo] - ds * a)
                                i &+= 1
                            }
                            covs[k] = cov
                        }
                        for k in 0..<nT {
                            let cov = covs[k]
                            let type = cov > 0 ? positive[k] : cov < 0 ? negative[k] : -1
                            types[k] = type
                            rss[k] = type >= 0 ? max(vy - cov * cov / fits[k].spread, 0) : .infinity
                        }
                        var k0 = -1
                        var least = Double.infinity
                        for k in 0..<nT {
                            let better = rss[k] < least
                            k0 = better ? k : k0
                            least = better ? rss[k] : least
                        }
                        guard k0 >= 0 else { continue }
                        let g = fits[k0]
                        let b = covs[k0] / g.spread
                        let noise = (rss[k0] / (n - 2)).squareRoot() / max(abs(b) * g.range, 1e-300)
                        guard noise < (best?.noise ?? limit) else { continue }
                        let type = types[k0]
                        var second = Double.infinity
                        for k in 0..<nT where types[k] != type { second = min(second, rss[k]) }
                        let gain = log(rssLine / max(rss[k0], 1e-300))
                        let gap = second.isFinite ? log(max(second, 1e-300) / max(rss[k0], 1e-300)) : 10
                        guard gain > Self.textbookMinGain, gap > Self.textbookMinGap else { continue }
                        best = (noise, s, e, k0, type, b, sum / n, gain)
                        bestGap = min(gap, 10)
                    }
                }
            }
        }
        guard let best else { return nil }
        // The misfit: the residual σ beyond the closes' own noise, as a share of the height (as the noise is).
        let height = max(abs(best.b) * Self.textbookGeometry[best.e - best.s + 1][best.template].range, 1e-300)
        let own = Self.noiseFloor(y: y, from: last - (count - 1 - best.s), to: last - (count - 1 - best.e)) / height
        let misfit = max(best.noise * best.noise - own * own, 0).squareRoot()
        guard misfit < Self.textbookMaxMisfit else { return nil }
        let geo = Self.textbookGeometry[best.e - best.s + 1][best.template]
        var c = PatternEngine.TemplateCandidate(
            template: best.template, type: PatternType.allCases[best.type],
            startIndex: t - (count - 1 - best.s), endIndex: t - (count - 1 - best.e),
            features: [best.noise, best.gain, bestGap],
            knotLog: geo.knotValue.map { yt + best.zbar + best.b * ($0 - geo.mean) })
        c.probability = 1 - best.noise
        c.textbook = true
        return c
    }

    /// The σ of the closes' own noise over y[from...to], from their second differences (a piecewise-linear shape's are
    /// 0 but at its knots, so their median is the noise's): median |Δ²y| / (0.6745 · √6), as for Gaussian noise.
    static func noiseFloor(y: UnsafeBufferPointer<Double>, from: Int, to: Int) -> Double {
        guard to - from >= 2 else { return 0 }
        var d2: [Double] = []
        d2.reserveCapacity(to - from - 1)
        for i in (from + 1)..<to {
            let second: Double = y[i + 1] - 2 * y[i] + y[i - 1]
            d2.append(abs(second))
        }
        d2.sort()
        let k = d2.count / 2
        let median = d2.count % 2 == 1 ? d2[k] : (d2[k - 1] + d2[k]) / 2
        return median / (0.6745 * 6.0.squareRoot())
    }

    /// The `PatternType.allCases` index of template k's fit with covariance `cov` (the mirror's when negative), −1
    /// when it has none.
    @inline(__always) static func typeIndex(template k: Int, cov: Double) -> Int {
        cov > 0 ? table.positive[k] : cov < 0 ? table.negative[k] : -1
    }
}
