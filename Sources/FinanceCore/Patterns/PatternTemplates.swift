#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How chart patterns (every type but support, resistance and trend lines) are found.
public enum PatternMethod: String, Sendable, Hashable, CaseIterable, Codable {
    /// Turning points and shape rules (the default; docs/patterns.md, "Method").
    case rules
    /// Template matching (docs/patterns.md, "Template matching"): every window of 20–124 bars ending at a bar is
    /// fitted by least squares to each template of the bank, and a learned model of the fit's statistics decides.
    case templates
}

/// One template of the bank: the textbook shape as knots (x in [0, 1] over the pattern, y in units of its
/// height), from the first key point through the breakout leg.
struct PatTemplate: Sendable {
    /// The type when the fitted height is positive.
    var type: PatternType
    /// The type when the fitted height is negative (the chart upside down), if the mirror is a pattern type.
    var mirror: PatternType?
    var knots: [(Double, Double)]
    /// Knots reported as key points.
    var keys: [Int]
    /// The knot whose price is the breakout level.
    var breakout: Int
    /// The pattern's height: the price difference between these knots.
    var h1: Int
    var h2: Int
    /// Direction of `type` (the mirror's is the opposite).
    var direction: PatternDirection
    /// Lines and channels: the two knots whose prices give the slope.
    var slopeKnots: (Int, Int)? = nil

    /// The bank. The shapes are the ones the labeled benchmark draws (`PatternBenchmark.template`).
    static let bank: [PatTemplate] = {
        let hs: [(Double, Double)] = [(0, 0), (0.15, 0.62), (0.3, 0.25), (0.5, 1), (0.7, 0.25), (0.85, 0.62), (1, 0)]
        let dt: [(Double, Double)] = [(0, 0), (0.25, 1), (0.5, 0.45), (0.75, 1), (1, 0.05)]
        let asc: [(Double, Double)] = [
            (0, 0), (0.22, 1), (0.44, 0.35), (0.64, 1), (0.8, 0.62), (0.92, 1), (1, 1.25),
        ]
        let sym: [(Double, Double)] = [(0, 0), (0.22, 1), (0.44, 0.2), (0.64, 0.82), (0.8, 0.42), (0.92, 0.72)]
        let wedge: [(Double, Double)] = [
            (0, 0), (0.2, 0.8), (0.4, 0.45), (0.6, 1.15), (0.75, 0.85), (0.9, 1.35), (1, 0.7),
        ]
        let channel: [(Double, Double)] = [
            (0, 0), (0.15, 0.65), (0.3, 0.3), (0.45, 0.95), (0.6, 0.6), (0.75, 1.25), (0.9, 0.9), (1, 1.2),
        ]
        let flat: [(Double, Double)] = [
            (0, 0), (0.15, 1), (0.3, 0), (0.45, 1), (0.6, 0), (0.75, 1), (0.9, 0), (1, 0.5),
        ]
        let flag: [(Double, Double)] = [(0, 0), (0.35, 1), (0.5, 0.66), (0.65, 0.93), (0.8, 0.6), (1, 1.2)]
        let pennant: [(Double, Double)] = [(0, 0), (0.35, 1), (0.5, 0.55), (0.65, 0.88), (0.8, 0.72), (1, 1.2)]
        var cup: [(Double, Double)] = (0...12).map { k in
            let z = 2 * Double(k) / 12 - 1
            return (0.75 * Double(k) / 12, z * z * z * z)
        }
        cup += [(0.87, 0.72), (1, 1.15)]
        return [
            PatTemplate(
                type: .headAndShoulders, mirror: .inverseHeadAndShoulders, knots: hs, keys: Array(0..<7), breakout: 4,
                h1: 3, h2: 4, direction: .bearish),
            PatTemplate(
                type: .doubleTop, mirror: .doubleBottom, knots: dt, keys: Array(0..<5), breakout: 2, h1: 1, h2: 2,
                direction: .bearish),
            PatTemplate(
                type: .ascendingTriangle, mirror: .descendingTriangle, knots: asc, keys: Array(0..<7), breakout: 5,
                h1: 1, h2: 2, direction: .bullish),
            PatTemplate(
                type: .symmetricalTriangle, mirror: nil, knots: sym + [(1, 1.05)], keys: Array(0..<7), breakout: 5,
                h1: 1, h2: 2, direction: .bullish),
            PatTemplate(
                type: .symmetricalTriangle, mirror: nil, knots: sym + [(1, 0.1)], keys: Array(0..<7), breakout: 4,
                h1: 1, h2: 2, direction: .bearish),
            PatTemplate(
                type: .risingWedge, mirror: .fallingWedge, knots: wedge, keys: Array(0..<7), breakout: 4, h1: 1, h2: 0,
                direction: .bearish, slopeKnots: (1, 5)),
            PatTemplate(
                type: .channelUp, mirror: .channelDown, knots: channel, keys: Array(0..<8), breakout: 5, h1: 5, h2: 6,
                direction: .bullish, slopeKnots: (1, 5)),
            PatTemplate(
                type: .channelHorizontal, mirror: nil, knots: flat, keys: Array(0..<8), breakout: 5, h1: 5, h2: 6,
                direction: .neutral, slopeKnots: (1, 5)),
            PatTemplate(
                type: .bullFlag, mirror: .bearFlag, knots: flag, keys: Array(0..<6), breakout: 3, h1: 1, h2: 0,
                direction: .bullish),
            PatTemplate(
                type: .bullPennant, mirror: .bearPennant, knots: pennant, keys: Array(0..<6), breakout: 3, h1: 1, h2: 0,
                direction: .bullish),
            PatTemplate(
                type: .cupAndHandle, mirror: nil, knots: cup, keys: [0, 6, 12, 13, 14], breakout: 12, h1: 12, h2: 6,
                direction: .bullish),
        ]
    }()
}

/// A template laid over `d` bars: the least-squares pieces in bar-age space (age m = 0 is the window's last bar).
struct PatTemplateGeometry: Sendable {
    /// Runs of ages [m0, m1) on which the template value is a + b·m, by ascending age.
    var runs: [(m0: Int, m1: Int, a: Double, b: Double)]
    var mean: Double
    /// Σ (t − mean)² over the d bars.
    var spread: Double
    /// max t − min t.
    var range: Double
    /// Template value and bar age of every knot.
    var knotValue: [Double]
    var knotAge: [Int]

    init(_ tpl: PatTemplate, d: Int) {
        let n = Double(d - 1)
        var t = [Double](repeating: 0, count: d)
        var runs: [(Int, Int, Double, Double)] = []
        let ks = tpl.knots
        for j in 0..<(ks.count - 1) {
            let (xa, ya) = ks[j]
            let (xb, yb) = ks[j + 1]
            let lo = Int((xa * n - 1e-9).rounded(.up))
            let hi = j == ks.count - 2 ? d : Int((xb * n - 1e-9).rounded(.up))
            guard hi > lo else { continue }
            // t_k = ya + (yb − ya)(k/n − xa)/(xb − xa) = alpha + beta·k
            let beta = (yb - ya) / ((xb - xa) * n)
            let alpha = ya - beta * xa * n
            for k in lo..<hi { t[k] = alpha + beta * Double(k) }
            // age m = d − 1 − k: k in [lo, hi) is m in [d − hi, d − lo); t = alpha + beta(d − 1) − beta·m.
            runs.append((d - hi, d - lo, alpha + beta * n, -beta))
        }
        // Oldest bars come first above; the residual walk needs ascending ages.
        self.runs = runs.sorted { $0.0 < $1.0 }
        let mean = t.reduce(0, +) / Double(d)
        self.mean = mean
        spread = t.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        range = (t.max() ?? 0) - (t.min() ?? 0)
        knotValue = ks.map(\.1)
        knotAge = ks.map { d - 1 - Int(($0.0 * n).rounded()) }
    }
}

/// The window lengths scanned: 20 bars, then 7 % longer each, up to 124.
let patTemplateLengths: [Int] = {
    var out: [Int] = []
    var x = 20.0
    while x <= 125 {
        let d = Int(x.rounded())
        if out.last != d { out.append(d) }
        x *= 1.07
    }
    return out
}()

/// One window's fit and the statistics the learned model reads.
struct PatTemplateCandidate: Sendable {
    var template: Int
    var type: PatternType
    var startIndex: Int
    var endIndex: Int
    var features: [Double]
    /// Fitted log price at each knot.
    var knotLog: [Double]
    var probability = 0.0
}

/// The streaming template scan (`PatternMethod.templates`).
struct PatTemplateScan: Sendable {
    static let geometry: [[PatTemplateGeometry]] = patTemplateLengths.map { d in
        PatTemplate.bank.map { PatTemplateGeometry($0, d: d) }
    }
    static let maxLength = patTemplateLengths.last!
    /// Loose limits on the best fit before the model is asked: noise at most 30 % of the height, and a fit better
    /// than a straight line (log RSS ratio above 0.15).
    static let maxNoise = 0.3
    static let minGain = 0.15

    let model: PatTemplateModel
    let threshold: Double
    let lag: Int
    /// Log closes of the last `maxLength` + 1 bars, newest last.
    var logs: [Double] = []
    var q0: [Double]
    var q1: [Double]
    var q2: [Double]
    var dq1: [Double]
    var dq2: [Double]
    var pending: [PatTemplateCandidate] = []
    /// Reported windows (start bar, report bar).
    var claims: [(Int, Int)] = []
    /// Set to collect every candidate's features (training).
    var collected: [PatTemplateCandidate]? = nil

    init(model: PatTemplateModel, threshold: Double, lag: Int) {
        self.model = model
        self.threshold = threshold
        self.lag = lag
        let n = Self.maxLength + 1
        q0 = Array(repeating: 0, count: n)
        q1 = q0
        q2 = q0
        dq1 = q0
        dq2 = q0
    }

    /// Processes bar `t` (its close `close`): scans the windows ending at t and returns the windows decided at t.
    mutating func step(t: Int, close: Double) -> [PatTemplateCandidate] {
        logs.append(log(close))
        if logs.count > 2 * (Self.maxLength + 1) { logs.removeFirst(logs.count - Self.maxLength - 1) }
        let avail = logs.count
        if avail >= patTemplateLengths[0] { scan(t: t, avail: avail) }
        return decide(t: t)
    }

    mutating func scan(t: Int, avail: Int) {
        let last = logs.count - 1
        let yt = logs[last]
        let n = min(avail, Self.maxLength)
        // Prefix sums over bar age m (0 = newest) of z = y − y_t, m·z, z², and of the one-bar changes.
        for m in 0..<n {
            let z = logs[last - m] - yt
            q0[m + 1] = q0[m] + z
            q1[m + 1] = q1[m] + Double(m) * z
            q2[m + 1] = q2[m] + z * z
            let dz = m + 1 <= last ? logs[last - m] - logs[last - m - 1] : 0
            dq1[m + 1] = dq1[m] + dz
            dq2[m + 1] = dq2[m] + dz * dz
        }
        let bank = PatTemplate.bank
        for (li, d) in patTemplateLengths.enumerated() {
            guard d <= n else { break }
            // Longer windows are scanned every max(1, d/20) bars.
            let stride = max(1, d / 20)
            guard t % stride == 0 else { continue }
            let dd = Double(d)
            let sz = q0[d]
            let vy = q2[d] - sz * sz / dd
            guard vy > 0 else { continue }
            // Straight line: t = m (any linear template fits the same).
            let mbar = (dd - 1) / 2
            let covLine = q1[d] - mbar * sz
            let vLine = dd * (dd * dd - 1) / 12
            let rssLine = max(vy - covLine * covLine / vLine, 1e-300)
            var best = -1
            var bestRSS = Double.infinity
            var bestB = 0.0
            var second = Double.infinity
            var secondType: PatternType? = nil
            var bestType = PatternType.support
            let geos = Self.geometry[li]
            for (k, g) in geos.enumerated() {
                var szt = 0.0
                for r in g.runs {
                    szt += r.a * (q0[r.m1] - q0[r.m0]) + r.b * (q1[r.m1] - q1[r.m0])
                }
                let cov = szt - g.mean * sz
                let b = cov / g.spread
                let tpl = bank[k]
                let type: PatternType
                if b > 0 {
                    type = tpl.type
                } else if let mt = tpl.mirror, b < 0 {
                    type = mt
                } else {
                    continue
                }
                let rss = max(vy - b * cov, 0)
                if rss < bestRSS {
                    if best >= 0 && bestType != type {
                        second = bestRSS
                        secondType = bestType
                    }
                    bestRSS = rss
                    best = k
                    bestB = b
                    bestType = type
                } else if rss < second && type != bestType {
                    second = rss
                    secondType = type
                }
            }
            guard best >= 0 else { continue }
            let g = geos[best]
            let height = abs(bestB) * g.range
            let noise = (bestRSS / (dd - 2)).squareRoot() / max(height, 1e-300)
            let gain = log(rssLine / max(bestRSS, 1e-300))
            guard noise < Self.maxNoise && gain > Self.minGain else { continue }
            // Lag-1 autocorrelation of the residuals.
            let zbar = sz / dd
            var num = 0.0
            var den = 0.0
            var prev = 0.0
            var run = 0
            var tv = 0.0
            for m in 0..<d {
                while g.runs[run].m1 <= m { run += 1 }
                tv = g.runs[run].a + g.runs[run].b * Double(m)
                let e = (logs[last - m] - yt) - zbar - bestB * (tv - g.mean)
                if m > 0 { num += e * prev }
                den += e * e
                prev = e
            }
            let rho = den > 0 ? num / den : 0
            let nd = dd - 1
            let dm = dq1[d - 1] / nd
            let dstd = max(dq2[d - 1] / nd - dm * dm, 0).squareRoot()
            let gapRatio = second.isFinite ? log(max(second, 1e-300) / max(bestRSS, 1e-300)) : 10
            let features = [
                noise, gain, min(gapRatio, 10), rho, dd, log(max(height, 1e-300) / max(dstd, 1e-12)),
                Double(PatternType.allCases.firstIndex(of: bestType)!),
                Double(secondType.map { PatternType.allCases.firstIndex(of: $0)! } ?? -1),
            ]
            var c = PatTemplateCandidate(
                template: best, type: bestType, startIndex: t - d + 1, endIndex: t, features: features,
                knotLog: g.knotValue.map { yt + zbar + bestB * ($0 - g.mean) })
            c.probability = model.probability(features)
            if collected != nil { collected?.append(c) }
            if c.probability >= threshold { pending.append(c) }
        }
    }

    /// Reports a window `lag` bars after its end when no overlapping window seen so far is more probable and no
    /// reported window holds its region.
    mutating func decide(t: Int) -> [PatTemplateCandidate] {
        guard !pending.isEmpty else { return [] }
        var out: [PatTemplateCandidate] = []
        let due = pending.indices.filter { pending[$0].endIndex == t - lag }.sorted {
            pending[$0].probability > pending[$1].probability
        }
        var dropped = Set<Int>()
        for k in due where !dropped.contains(k) {
            let c = pending[k]
            if claims.contains(where: { Self.overlaps(c.startIndex, c.endIndex, $0.0, $0.1) }) { continue }
            var beaten = false
            for (j, o) in pending.enumerated() where j != k && !dropped.contains(j) {
                if o.probability > c.probability && Self.overlaps(c.startIndex, c.endIndex, o.startIndex, o.endIndex) {
                    beaten = true
                    break
                }
            }
            if beaten { continue }
            out.append(c)
            claims.append((c.startIndex, t))
            for (j, o) in pending.enumerated() where Self.overlaps(c.startIndex, c.endIndex, o.startIndex, o.endIndex) {
                dropped.insert(j)
            }
        }
        pending = pending.enumerated().filter { !dropped.contains($0.offset) && $0.element.endIndex > t - lag }.map(
            \.element)
        if claims.count > 32 { claims.removeFirst(claims.count - 16) }
        return out
    }

    /// Overlap of more than 30 % of the shorter window.
    @inline(__always) static func overlaps(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Bool {
        let ov = min(b, d) - max(a, c) + 1
        return Double(ov) > 0.3 * Double(min(b - a + 1, d - c + 1))
    }
}

/// Gradient-boosted trees over a window's fit statistics (`PatternTemplateModelText`, trained by
/// `scripts/train_pattern_templates.py`): the probability that the window is a pattern of the fitted type.
struct PatTemplateModel: Sendable {
    var baseline: Double
    /// Nodes of all trees: feature (−1 for a leaf), threshold or leaf value, left and right child (absolute).
    var feature: [Int32]
    var value: [Double]
    var left: [Int32]
    var right: [Int32]
    var roots: [Int32]

    /// Parses the text format: first line `baseline <b>`, then one line per tree of space-separated nodes
    /// `f:threshold:left:right` or `L:value` (children relative to the tree).
    init(text: String) {
        baseline = 0
        feature = []
        value = []
        left = []
        right = []
        roots = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("baseline ") {
                baseline = Double(line.dropFirst(9)) ?? 0
                continue
            }
            let base = Int32(feature.count)
            roots.append(base)
            for node in line.split(separator: " ") {
                let p = node.split(separator: ":")
                if p[0] == "L" {
                    feature.append(-1)
                    value.append(Double(p[1]) ?? 0)
                    left.append(-1)
                    right.append(-1)
                } else {
                    feature.append(Int32(p[0]) ?? 0)
                    value.append(Double(p[1]) ?? 0)
                    left.append(base + (Int32(p[2]) ?? 0))
                    right.append(base + (Int32(p[3]) ?? 0))
                }
            }
        }
    }

    func probability(_ x: [Double]) -> Double {
        var s = baseline
        for r in roots {
            var n = Int(r)
            while feature[n] >= 0 {
                n = Int(x[Int(feature[n])] <= value[n] ? left[n] : right[n])
            }
            s += value[n]
        }
        return 1 / (1 + exp(-s))
    }

    static let trained = PatTemplateModel(text: patternTemplateModelText)
}

extension PatternBenchmark {
    /// The template model's training rows: every window of every generated series that passes the scan's loose
    /// limits, as CSV `label,<features>` (label 1 when the fitted type and window span detect a truth by the
    /// benchmark's rule). `scripts/train_pattern_templates.py` trains the model on them.
    public static func templateFeatures(_ cfg: PatternBenchConfig) -> String {
        var out = "label,noise,gain,gap,rho,length,height_ratio,type,second\n"
        for s in generate(cfg) {
            var scan = PatTemplateScan(model: PatTemplateModel(text: ""), threshold: 2, lag: 0)
            scan.collected = []
            for (t, b) in s.bars.enumerated() { _ = scan.step(t: t, close: b.close) }
            for c in scan.collected ?? [] {
                let label = judge(c.type, c.startIndex, c.endIndex, s.truth).match == nil ? 0 : 1
                out += "\(label)," + c.features.map { "\($0)" }.joined(separator: ",") + "\n"
            }
        }
        return out
    }
}
