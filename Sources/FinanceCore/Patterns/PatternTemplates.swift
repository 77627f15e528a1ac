import Dispatch

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How chart patterns (every type but support, resistance and trend lines) are found.
public enum PatternMethod: String, Sendable, Hashable, CaseIterable, Codable {
    /// Turning points and shape rules (docs/patterns.md, "Method"): about 15 times faster, less accurate; for fast
    /// screening.
    case rules
    /// Template matching, the default (docs/patterns.md, "Template matching"): every window of 20–122 bars ending at a bar is
    /// fitted by least squares to each template of the bank, and a learned model of the fit's statistics decides.
    case templates
}

/// The textbook chart-pattern shapes as knots (x in [0, 1] over the pattern, y in units of its height), through the
/// breakout leg: drawn by the labeled benchmark (FinanceBenchmarks' `PatternBenchmark.template`, which mirrors them
/// for the opposite types; hence SPI `Benchmarks`) and matched by the template scan (`PatTemplate.bank`).
@_spi(Benchmarks) public enum PatShapes {
    @_spi(Benchmarks) public static let headAndShoulders: [(Double, Double)] = [
        (0, 0), (0.15, 0.62), (0.3, 0.25), (0.5, 1), (0.7, 0.25), (0.85, 0.62), (1, 0),
    ]
    @_spi(Benchmarks) public static let doubleTop: [(Double, Double)] = [
        (0, 0), (0.25, 1), (0.5, 0.45), (0.75, 1), (1, 0.05),
    ]
    @_spi(Benchmarks) public static let ascendingTriangle: [(Double, Double)] = [
        (0, 0), (0.22, 1), (0.44, 0.35), (0.64, 1), (0.8, 0.62), (0.92, 1), (1, 1.25),
    ]
    /// With an upward or a downward breakout.
    @_spi(Benchmarks) public static func symmetricalTriangle(_ up: Bool) -> [(Double, Double)] {
        [(0, 0), (0.22, 1), (0.44, 0.2), (0.64, 0.82), (0.8, 0.42), (0.92, 0.72), (1, up ? 1.05 : 0.1)]
    }
    @_spi(Benchmarks) public static let risingWedge: [(Double, Double)] = [
        (0, 0), (0.2, 0.8), (0.4, 0.45), (0.6, 1.15), (0.75, 0.85), (0.9, 1.35), (1, 0.7),
    ]
    @_spi(Benchmarks) public static let channelUp: [(Double, Double)] = [
        (0, 0), (0.15, 0.65), (0.3, 0.3), (0.45, 0.95), (0.6, 0.6), (0.75, 1.25), (0.9, 0.9), (1, 1.2),
    ]
    @_spi(Benchmarks) public static let channelHorizontal: [(Double, Double)] = [
        (0, 0), (0.15, 1), (0.3, 0), (0.45, 1), (0.6, 0), (0.75, 1), (0.9, 0), (1, 0.5),
    ]
    @_spi(Benchmarks) public static let bullFlag: [(Double, Double)] = [
        (0, 0), (0.35, 1), (0.5, 0.66), (0.65, 0.93), (0.8, 0.6), (1, 1.2),
    ]
    @_spi(Benchmarks) public static let bullPennant: [(Double, Double)] = [
        (0, 0), (0.35, 1), (0.5, 0.55), (0.65, 0.88), (0.8, 0.72), (1, 1.2),
    ]
    /// A quartic bowl over three quarters of the pattern, then the handle and the breakout.
    @_spi(Benchmarks) public static let cupAndHandle: [(Double, Double)] =
        (0...12).map { k in
            let u = Double(k) / 12
            let z = 2 * u - 1
            return (0.75 * u, z * z * z * z)
        } + [(0.87, 0.72), (1, 1.15)]
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

    /// The bank: the shapes the labeled benchmark draws (`PatShapes`, `PatternBenchmark.template`).
    static let bank: [PatTemplate] = [
        PatTemplate(
            type: .headAndShoulders, mirror: .inverseHeadAndShoulders, knots: PatShapes.headAndShoulders,
            keys: Array(0..<7), breakout: 4,
            h1: 3, h2: 4, direction: .bearish),
        PatTemplate(
            type: .doubleTop, mirror: .doubleBottom, knots: PatShapes.doubleTop, keys: Array(0..<5), breakout: 2, h1: 1,
            h2: 2,
            direction: .bearish),
        PatTemplate(
            type: .ascendingTriangle, mirror: .descendingTriangle, knots: PatShapes.ascendingTriangle,
            keys: Array(0..<7), breakout: 5,
            h1: 1, h2: 2, direction: .bullish),
        PatTemplate(
            type: .symmetricalTriangle, mirror: nil, knots: PatShapes.symmetricalTriangle(true), keys: Array(0..<7),
            breakout: 5,
            h1: 1, h2: 2, direction: .bullish),
        PatTemplate(
            type: .symmetricalTriangle, mirror: nil, knots: PatShapes.symmetricalTriangle(false), keys: Array(0..<7),
            breakout: 4,
            h1: 1, h2: 2, direction: .bearish),
        PatTemplate(
            type: .risingWedge, mirror: .fallingWedge, knots: PatShapes.risingWedge, keys: Array(0..<7), breakout: 4,
            h1: 1, h2: 0,
            direction: .bearish, slopeKnots: (1, 5)),
        PatTemplate(
            type: .channelUp, mirror: .channelDown, knots: PatShapes.channelUp, keys: Array(0..<8), breakout: 5, h1: 5,
            h2: 6,
            direction: .bullish, slopeKnots: (1, 5)),
        PatTemplate(
            type: .channelHorizontal, mirror: nil, knots: PatShapes.channelHorizontal, keys: Array(0..<8), breakout: 5,
            h1: 5, h2: 6,
            direction: .neutral, slopeKnots: (1, 5)),
        PatTemplate(
            type: .bullFlag, mirror: .bearFlag, knots: PatShapes.bullFlag, keys: Array(0..<6), breakout: 3, h1: 1,
            h2: 0,
            direction: .bullish),
        PatTemplate(
            type: .bullPennant, mirror: .bearPennant, knots: PatShapes.bullPennant, keys: Array(0..<6), breakout: 3,
            h1: 1, h2: 0,
            direction: .bullish),
        PatTemplate(
            type: .cupAndHandle, mirror: nil, knots: PatShapes.cupAndHandle, keys: [0, 6, 12, 13, 14], breakout: 12,
            h1: 12, h2: 6,
            direction: .bullish),
    ]
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

/// The window lengths scanned: 20 bars, then 10 % longer each, up to 122 (20 lengths).
let patTemplateLengths: [Int] = {
    var out: [Int] = []
    var x = 20.0
    while x <= 125 {
        let d = Int(x.rounded())
        if out.last != d { out.append(d) }
        x *= 1.10
    }
    return out
}()

/// A copy of `x` that is never freed, for the scan tables built once per process.
func patFrozen<T>(_ x: [T]) -> UnsafePointer<T> {
    let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, x.count))
    p.initialize(from: x, count: x.count)
    return UnsafePointer(p)
}

/// A buffer shared by the workers of `PatTemplateScan.prepare`, which read it or write disjoint elements.
struct PatShared<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// One window's fit and the statistics the learned model reads.
@_spi(Benchmarks) public struct PatTemplateCandidate: Sendable {
    var template: Int
    @_spi(Benchmarks) public var type: PatternType
    @_spi(Benchmarks) public var startIndex: Int
    @_spi(Benchmarks) public var endIndex: Int
    @_spi(Benchmarks) public var features: [Double]
    /// Fitted log price at each knot.
    var knotLog: [Double]
    var probability = 0.0
    /// A support, resistance or trend-line window: its `patLineGeometry` index (−1: a chart pattern) and first bar.
    @_spi(Benchmarks) public var line = -1
    var windowStart = 0
}

/// Every window length's template geometry as flat arrays, built once and never freed: the scan's inner loop reads
/// only these, through pointers.
struct PatTemplateTable: @unchecked Sendable {
    /// A run of a laid template, by ascending age: the template value is a + b·m for the ages m below `end` and not
    /// below the previous run's end. The fit's covariance is a sum over the runs' ends, cov = Σ c0·Q0[end] +
    /// c1·Q1[end], with Q0 and Q1 the prefix sums of z and m·z below that age (the template mean folded in).
    struct Run {
        var end: Int
        var a: Double
        var b: Double
        var c0: Double
        var c1: Double
    }

    /// A template laid over a window length: its runs `first..<past` and its constants.
    struct Fit {
        var first: Int
        var past: Int
        var mean: Double
        var inverseSpread: Double
        var range: Double
    }

    /// Runs of every fit, fit after fit.
    let runs: UnsafePointer<Run>
    /// What the covariance reads of each run (same index): its end's offset in the prefix sums (5 · end), c0 and c1.
    /// Kept apart from the runs so the scan's most frequent loop reads 24 bytes a run, not 40.
    let covarianceTerms: UnsafePointer<(offset: Int, c0: Double, c1: Double)>
    /// Fits by g = length index × templates + template.
    let fits: UnsafePointer<Fit>
    /// `PatternType.allCases` index of each template's type and of its mirror (−1: none).
    let positive: UnsafePointer<Int>
    let negative: UnsafePointer<Int>

    init(_ geometry: [[PatTemplateGeometry]]) {
        var runs: [Run] = []
        var fits: [Fit] = []
        for row in geometry {
            for g in row {
                let first = runs.count
                for (j, r) in g.runs.enumerated() {
                    // Σ_{m0 ≤ m < m1} z (a + b m) = a (Q0[m1] − Q0[m0]) + b (Q1[m1] − Q1[m0]), Q[0] = 0; the mean's
                    // −mean·Q0[d] joins the last run's end.
                    let next = j + 1 < g.runs.count ? g.runs[j + 1] : nil
                    runs.append(Run(end: r.m1, a: r.a, b: r.b, c0: r.a - (next?.a ?? g.mean), c1: r.b - (next?.b ?? 0)))
                }
                fits.append(
                    Fit(first: first, past: runs.count, mean: g.mean, inverseSpread: 1 / g.spread, range: g.range))
            }
        }
        self.runs = patFrozen(runs)
        covarianceTerms = patFrozen(runs.map { (5 * $0.end, $0.c0, $0.c1) })
        self.fits = patFrozen(fits)
        positive = patFrozen(PatTemplate.bank.map { $0.type.index })
        negative = patFrozen(
            PatTemplate.bank.map { t in t.mirror.map(\.index) ?? -1 })
    }
}

/// The streaming template scan (`PatternMethod.templates`).
@_spi(Benchmarks) public struct PatTemplateScan: Sendable {
    static let geometry: [[PatTemplateGeometry]] = patTemplateLengths.map { d in
        PatTemplate.bank.map { PatTemplateGeometry($0, d: d) }
    }
    static let table = PatTemplateTable(geometry)
    static let maxLength = patTemplateLengths.last!
    /// Loose limits on the best fit before the model is asked: noise at most 30 % of the height, and a fit better
    /// than a straight line (log RSS ratio above 0.15).
    static let maxNoise = 0.3
    static let minGain = 0.15
    static let minGainRatio = exp(minGain)
    /// Windows of d bars are scanned at the bars whose scan phase is a multiple of this.
    @inline(__always) static func every(_ d: Int) -> Int { max(1, d / 20) }

    /// Bit e set when windows scanned every e bars are due at a bar of this scan phase (one division per e, not per
    /// window).
    static func dueLengths(phase: Int) -> Int {
        var due = 0
        for e in 1...every(maxLength) where phase % e == 0 { due |= 1 << e }
        return due
    }

    /// Bars whose windows `prepare` scores at once.
    static let scoreBlock = 512

    let model: PatTemplateModel
    /// The least probability a window needs, by `PatternType.allCases` index.
    let thresholds: [Double]
    let lag: Int
    /// Log closes of the last `maxLength` + 1 bars, newest last.
    var logs: [Double] = []
    /// Prefix sums over bar age m (0 = newest) of z = y − y_t, m·z, z², and of the one-bar changes and their
    /// squares, interleaved per age.
    var q: [Double]
    var pending: [PatTemplateCandidate] = []
    /// Reported windows (start bar, report bar).
    var claims: [(Int, Int)] = []
    /// The same for each of `lineTypes`, each type decided on its own.
    var pendingLines: [[PatTemplateCandidate]] = [[], [], []]
    var lineClaims: [[(Int, Int)]] = [[], [], []]
    /// Set to collect every candidate's features (training); then every window within the loose limits gets the
    /// model's probability.
    @_spi(Benchmarks) public var collected: [PatTemplateCandidate]? = nil
    var features = [Double](repeating: 0, count: 8)
    var lineFeatures = [Double](repeating: 0, count: Self.lineFeatureCount)
    /// Windows scanned ahead by `prepare`, per bar from `readyBase`.
    var ready: [[PatTemplateCandidate]] = []
    var readyBase = 0

    @_spi(Benchmarks) public init(model: PatTemplateModel, thresholds: [Double], lag: Int) {
        self.model = model
        self.thresholds = thresholds
        self.lag = lag
        q = Array(repeating: 0, count: 5 * (Self.maxLength + 1))
    }

    /// The scan phase of a bar at `ts` after one at `previous`: its index counted in its own bar spacing,
    /// ts / (ts − previous). It depends on the bar and the one before it only, so the windows scanned (and the
    /// records) do not depend on where reading started.
    @_spi(Benchmarks) public static func phase(ts: Int64, previous: Int64?) -> Int {
        guard let previous, ts > previous else { return 0 }
        let (spacing, overflow) = ts.subtractingReportingOverflow(previous)
        return overflow ? 0 : Int(ts / spacing)
    }

    /// Processes bar `t` (its close `close`, its scan phase `phase`): scans the windows ending at t and returns the
    /// windows decided at t.
    @_spi(Benchmarks) public mutating func step(t: Int, close: Double, phase: Int) -> [PatTemplateCandidate] {
        logs.append(log(close))
        if logs.count > 4 * (Self.maxLength + 1) { logs.removeFirst(logs.count - Self.maxLength - 1) }
        if t >= readyBase && t < readyBase + ready.count {
            for c in ready[t - readyBase] { keep(c) }
            if t == readyBase + ready.count - 1 { ready = [] }
        } else if logs.count >= patTemplateLengths[0] {
            scan(t: t, phase: phase)
        }
        var out = Self.decide(t: t, lag: lag, pending: &pending, claims: &claims)
        for k in 0..<3 { out += Self.decide(t: t, lag: 0, pending: &pendingLines[k], claims: &lineClaims[k]) }
        return out
    }

    /// Whether a scored window's probability reaches its type's threshold (`thresholds` by `PatternType.allCases`
    /// index).
    @inline(__always) static func reaches(_ c: PatTemplateCandidate, _ thresholds: [Double]) -> Bool {
        c.probability >= thresholds[c.type.index]
    }

    /// Queues a scanned window whose probability reaches its type's threshold.
    mutating func keep(_ c: PatTemplateCandidate) {
        guard Self.reaches(c, thresholds) else { return }
        if c.line < 0 {
            pending.append(c)
        } else {
            pendingLines[Self.lineTypes.firstIndex(of: c.type)!].append(c)
        }
    }

    /// Scans the windows ending at each of the coming bars (their closes and scan phases, bar indices from
    /// `firstT`) on all cores, for `step` to take instead of scanning bar by bar; the result is the same. Only for
    /// long batches.
    mutating func prepare(closes: [Double], phases: [Int], firstT: Int) {
        let workers = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        guard collected == nil, workers > 1, closes.count >= 4096 else { return }
        let history = logs.count
        let all = logs + closes.map { log($0) }
        let chunks = min(4 * workers, closes.count / 1024)
        let model = self.model
        let thresholds = self.thresholds
        var results = [[[PatTemplateCandidate]]](repeating: [], count: chunks)
        results.withUnsafeMutableBufferPointer { slots in
            all.withUnsafeBufferPointer { logs in
                // Each chunk reads the shared logs and writes only its own slot.
                let out = PatShared(slots)
                let y = PatShared(logs)
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    var q = [Double](repeating: 0, count: 5 * (Self.maxLength + 1))
                    var f = [Double](repeating: 0, count: 8)
                    var lf = [Double](repeating: 0, count: Self.lineFeatureCount)
                    var mine: [[PatTemplateCandidate]] = []
                    // Bars in blocks, each block's windows scored at once, then kept by bar.
                    var block: [PatTemplateCandidate] = []
                    var ends: [Int] = []
                    func flush() {
                        Self.score(&block, model: model)
                        var from = 0
                        for end in ends {
                            mine.append(block[from..<end].filter { Self.reaches($0, thresholds) })
                            from = end
                        }
                        block.removeAll(keepingCapacity: true)
                        ends.removeAll(keepingCapacity: true)
                    }
                    q.withUnsafeMutableBufferPointer { q in
                        for k in (closes.count * c / chunks)..<(closes.count * (c + 1) / chunks) {
                            let count = history + k + 1
                            if count >= patTemplateLengths[0] {
                                Self.scanBar(
                                    y: UnsafeBufferPointer(
                                        rebasing: y.value[max(0, count - Self.maxLength - 1)..<count]),
                                    t: firstT + k, phase: phases[k], q: q, features: &f, lineFeatures: &lf,
                                    model: model,
                                    collecting: false, into: &block)
                            }
                            ends.append(block.count)
                            if ends.count == Self.scoreBlock { flush() }
                        }
                    }
                    flush()
                    out.value[c] = mine
                }
            }
        }
        ready = results.flatMap { $0 }
        readyBase = firstT
    }

    mutating func scan(t: Int, phase: Int) {
        // Local copies (moved out of self) so the scan touches no property of self.
        var buffer = self.q
        self.q = []
        var added: [PatTemplateCandidate] = []
        var f = self.features
        var lf = self.lineFeatures
        let collecting = self.collected != nil
        let logs = self.logs
        let model = self.model
        logs.withUnsafeBufferPointer { y in
            buffer.withUnsafeMutableBufferPointer { q in
                Self.scanBar(
                    y: y, t: t, phase: phase, q: q, features: &f, lineFeatures: &lf, model: model,
                    collecting: collecting, into: &added)
            }
        }
        self.q = buffer
        self.features = f
        self.lineFeatures = lf
        Self.score(&added, model: model)
        for c in added {
            if collecting { self.collected?.append(c) }
            keep(c)
        }
    }

    /// The windows ending at bar t that pass the cascades (all within the loose limits when `collecting`), lines
    /// (`scanLines`) and then chart patterns, appended to `added` unscored (`score`). `y` holds the log closes up to
    /// bar t (the last), `q` is scratch of 5 × (maxLength + 1) values, `f` and `lf` of 8 and `lineFeatureCount`.
    static func scanBar(
        y: UnsafeBufferPointer<Double>, t: Int, phase: Int, q: UnsafeMutableBufferPointer<Double>,
        features f: inout [Double], lineFeatures lf: inout [Double], model: PatTemplateModel, collecting: Bool,
        into added: inout [PatTemplateCandidate]
    ) {
        let n = min(y.count, Self.maxLength)
        let tab = Self.table
        let nT = PatTemplate.bank.count
        let last = y.count - 1
        let yt = y[last]
        // The running sums stay in registers (reading back the sum just stored would stall on the store); q[0..<5]
        // is 0.
        var s0 = 0.0
        var s1 = 0.0
        var s2 = 0.0
        var s3 = 0.0
        var s4 = 0.0
        for m in 0..<n {
            let z = y[last - m] - yt
            let dz = m + 1 <= last ? y[last - m] - y[last - m - 1] : 0
            let o = 5 * m
            s0 += z
            s1 += Double(m) * z
            s2 += z * z
            s3 += dz
            s4 += dz * dz
            q[o + 5] = s0
            q[o + 6] = s1
            q[o + 7] = s2
            q[o + 8] = s3
            q[o + 9] = s4
        }
        let due = Self.dueLengths(phase: phase)
        scanLines(y: y, t: t, due: due, q: q, features: &lf, collecting: collecting, into: &added)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * nT) { scratch in
            let covs = scratch.baseAddress!
            let rsses = covs + nT
            withUnsafeTemporaryAllocation(of: Int.self, capacity: nT) { types in
                for (li, d) in patTemplateLengths.enumerated() {
                    guard d <= n else { break }
                    // Longer windows are scanned every max(1, d/20) bars (`every`).
                    guard due >> Self.every(d) & 1 != 0 else { continue }
                    let dd = Double(d)
                    let sz = q[5 * d]
                    let vy = q[5 * d + 2] - sz * sz / dd
                    guard vy > 0 else { continue }
                    // Straight line: t = m (any linear template fits the same).
                    let covLine = q[5 * d + 1] - (dd - 1) / 2 * sz
                    let rssLine = max(vy - covLine * covLine / (dd * (dd * dd - 1) / 12), 1e-300)
                    // Every template's covariance first (independent sums that overlap), then its fit: its residual sum
                    // of squares and its type (none when the fitted height is 0, or negative without a mirror).
                    for k in 0..<nT {
                        let fit = tab.fits[li &* nT &+ k]
                        var cov = 0.0
                        var j = fit.first
                        while j < fit.past {
                            let run = tab.covarianceTerms[j]
                            cov += run.c0 * q[run.offset] + run.c1 * q[run.offset &+ 1]
                            j &+= 1
                        }
                        covs[k] = cov
                    }
                    for k in 0..<nT {
                        let cov = covs[k]
                        let type = cov > 0 ? tab.positive[k] : cov < 0 ? tab.negative[k] : -1
                        types[k] = type
                        rsses[k] =
                            type >= 0 ? max(vy - cov * cov * tab.fits[li &* nT &+ k].inverseSpread, 0) : .infinity
                    }
                    let (best, second, secondType) = Self.bestFits(rss: rsses, types: types.baseAddress!, count: nT)
                    guard best >= 0 else { continue }
                    let bestType = types[best]
                    let bestRSS = rsses[best]
                    let fit = tab.fits[li &* nT &+ best]
                    let bestB = covs[best] * fit.inverseSpread
                    let height = abs(bestB) * fit.range
                    let noise = (bestRSS / (dd - 2)).squareRoot() / max(height, 1e-300)
                    // gain > minGain, the logarithm taken only for the windows that pass.
                    let gainRatio = rssLine / max(bestRSS, 1e-300)
                    guard noise < Self.maxNoise, gainRatio > Self.minGainRatio else { continue }
                    let gain = log(gainRatio)
                    let nd = dd - 1
                    let dm = q[5 * (d - 1) + 3] / nd
                    let dstd = max(q[5 * (d - 1) + 4] / nd - dm * dm, 0).squareRoot()
                    let gap = second.isFinite ? log(max(second, 1e-300) / max(bestRSS, 1e-300)) : 10
                    let heightRatio = log(max(height, 1e-300) / max(dstd, 1e-12))
                    if !collecting
                        && !model.cascade(
                            noise: noise, gain: gain, gap: min(gap, 10), length: dd,
                            heightRatio: heightRatio, type: bestType)
                    {
                        continue
                    }
                    // Lag-1 autocorrelation of the residuals.
                    let zbar = sz / dd
                    var num = 0.0
                    var den = 0.0
                    var prev = 0.0
                    var r = fit.first
                    for m in 0..<d {
                        while tab.runs[r].end <= m { r += 1 }
                        let e =
                            (y[last - m] - yt) - zbar - bestB * (tab.runs[r].a + tab.runs[r].b * Double(m) - fit.mean)
                        if m > 0 { num += e * prev }
                        den += e * e
                        prev = e
                    }
                    f[0] = noise
                    f[1] = gain
                    f[2] = min(gap, 10)
                    f[3] = den > 0 ? num / den : 0
                    f[4] = dd
                    f[5] = heightRatio
                    f[6] = Double(bestType)
                    f[7] = Double(secondType)
                    let geo = Self.geometry[li][best]
                    added.append(
                        PatTemplateCandidate(
                            template: best, type: PatternType.allCases[bestType],
                            startIndex: t - d + 1, endIndex: t, features: f,
                            knotLog: geo.knotValue.map { yt + zbar + bestB * ($0 - geo.mean) }))
                }
            }
        }
    }

    /// The best of `count` fits (the first of the least residual sum of squares; −1 when every residual is +∞, as
    /// for fits without a type), and the least residual of a fit of another type, with that type (+∞ and −1: none).
    /// Two passes of selects instead of one pass of branches, which the data would mispredict.
    @inline(__always) static func bestFits(rss: UnsafePointer<Double>, types: UnsafePointer<Int>, count: Int) -> (
        best: Int, second: Double, secondType: Int
    ) {
        var best = -1
        var bestRSS = Double.infinity
        for k in 0..<count {
            let better = rss[k] < bestRSS
            best = better ? k : best
            bestRSS = better ? rss[k] : bestRSS
        }
        guard best >= 0 else { return (-1, .infinity, -1) }
        let bestType = types[best]
        var second = Double.infinity
        var secondType = -1
        for k in 0..<count {
            let better = rss[k] < second && types[k] != bestType
            secondType = better ? types[k] : secondType
            second = better ? rss[k] : second
        }
        return (best, second, secondType)
    }

    /// Sets every candidate's probability, chart windows by `model` and line windows by `PatTemplateModel.lines`,
    /// all windows of a kind at once (`PatTemplateModel.probabilities`).
    static func score(_ candidates: inout [PatTemplateCandidate], model: PatTemplateModel) {
        for (lines, m) in [(false, model), (true, PatTemplateModel.lines)] {
            let which = candidates.indices.filter { (candidates[$0].line >= 0) == lines }
            guard let firstOne = which.first else { continue }
            let stride = candidates[firstOne].features.count + 1
            var slots = [Double](repeating: -.infinity, count: stride * which.count)
            for (i, c) in which.enumerated() {
                for (j, x) in candidates[c].features.enumerated() { slots[i * stride + 1 + j] = x }
            }
            var p = [Double](repeating: 0, count: which.count)
            m.probabilities(slots, stride: stride, count: which.count, into: &p)
            for (i, c) in which.enumerated() { candidates[c].probability = p[i] }
        }
    }

    /// Reports a window `lag` bars after its end when no overlapping window seen so far is more probable and no
    /// reported window holds its region.
    static func decide(t: Int, lag: Int, pending: inout [PatTemplateCandidate], claims: inout [(Int, Int)])
        -> [PatTemplateCandidate]
    {
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

/// Gradient-boosted trees over a window's fit statistics (`patternTemplateModelText`, trained by
/// `scripts/train_pattern_templates.py`): the probability that the window is a pattern of the fitted type. A
/// logistic cascade in front of the trees turns away the windows the trees would score low.
@_spi(Benchmarks) public struct PatTemplateModel: Sendable {
    struct Node: Sendable {
        /// Slot of the feature compared, in the evaluation's slots: slot 0 holds −∞ and slot i + 1 feature i. A
        /// leaf compares slot 0, which always goes left, and is its own left child, so a walk may step on.
        var slot: Int32
        /// Left child (absolute node index); the right child follows it.
        var left: Int32
        /// Split threshold (x ≤ value goes left) or leaf value.
        var value: Double
    }

    /// Trees over noise, gain, gap, rho, length, height ratio, type, second type.
    var baseline: Double = 0
    /// Every tree's nodes, breadth first, the two children of a node side by side (so the evaluation picks the
    /// child by adding the comparison's outcome).
    var nodes: [Node] = []
    var roots: [Int] = []
    /// Each tree's depth: a walk of that many steps from the root ends on a leaf (leaves step to themselves).
    var depths: [Int] = []
    /// Cascade: threshold, bias, weights of noise, gain, gap, log length, height ratio, noise², gain², noise·gain,
    /// min(gap, 3), then one weight per pattern type. Empty: every window goes to the trees.
    var cascadeWeights: [Double] = []

    /// Parses the text format: `baseline <b>`, optionally `cascade <threshold> <bias> <weights…>`, then one line per
    /// tree of space-separated nodes `f:threshold:left:right` or `L:value` (children relative to the tree).
    @_spi(Benchmarks) public init(text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("baseline ") {
                baseline = Double(line.dropFirst(9)) ?? 0
                continue
            }
            if line.hasPrefix("cascade ") {
                cascadeWeights = line.dropFirst(8).split(separator: " ").map { Double($0) ?? 0 }
                continue
            }
            // (feature, value, left, right) as written, then laid out breadth first.
            let raw = line.split(separator: " ").map { node -> (Int32, Double, Int, Int) in
                let p = node.split(separator: ":")
                if p[0] == "L" { return (-1, Double(p[1]) ?? 0, -1, -1) }
                return (Int32(p[0]) ?? 0, Double(p[1]) ?? 0, Int(p[2]) ?? 0, Int(p[3]) ?? 0)
            }
            var order = [0]
            var depth = [0]
            var k = 0
            while k < order.count {
                let r = raw[order[k]]
                if r.0 >= 0 {
                    order += [r.2, r.3]
                    depth += [depth[k] + 1, depth[k] + 1]
                }
                k += 1
            }
            var position = [Int](repeating: 0, count: raw.count)
            for (at, r) in order.enumerated() { position[r] = at }
            let base = nodes.count
            roots.append(base)
            depths.append(depth.max() ?? 0)
            for (at, r) in order.map({ raw[$0] }).enumerated() {
                let leaf = r.0 < 0
                nodes.append(
                    Node(slot: leaf ? 0 : r.0 + 1, left: Int32(base + (leaf ? at : position[r.2])), value: r.1))
            }
        }
    }

    /// The cascade's verdict: true when the window goes on to the trees.
    func cascade(noise: Double, gain: Double, gap: Double, length: Double, heightRatio: Double, type: Int) -> Bool {
        let w = cascadeWeights
        guard w.count == 11 + PatternType.allCases.count else { return true }
        var z = w[1] + w[11 + type]
        z += w[2] * noise + w[3] * gain + w[4] * gap + w[5] * log(length) + w[6] * heightRatio
        z += w[7] * noise * noise + w[8] * gain * gain + w[9] * noise * gain + w[10] * min(gap, 3)
        return z >= w[0]
    }

    /// The line model's cascade: a logistic score over the statistics and their squares, all but `skipping` (not
    /// yet computed): `cascade <threshold> <bias> <weights of x> <weights of x²>`. True when the window goes on to
    /// the trees.
    func cascade(lines x: [Double], skipping: Int) -> Bool {
        let w = cascadeWeights
        guard w.count == 2 + 2 * x.count else { return true }
        var z = w[1]
        for i in 0..<x.count where i != skipping { z += x[i] * (w[2 + i] + x[i] * w[2 + x.count + i]) }
        return z >= w[0]
    }

    func probability(_ x: [Double]) -> Double {
        var p = 0.0
        withUnsafeTemporaryAllocation(of: Double.self, capacity: x.count + 1) { slots in
            slots[0] = -.infinity
            for i in x.indices { slots[i + 1] = x[i] }
            withUnsafeMutablePointer(to: &p) {
                probabilities(slots.baseAddress!, stride: x.count + 1, count: 1, into: $0)
            }
        }
        return p
    }

    /// The probabilities of `count` windows at once, tree by tree: window i's slots (−∞, then its features) start
    /// at `slots + i·stride`. A tree's walks are independent and of fixed length, eight walked side by side, so they
    /// overlap; each window's score adds the trees in the same order as one window alone.
    func probabilities(_ slots: UnsafePointer<Double>, stride: Int, count: Int, into out: UnsafeMutablePointer<Double>)
    {
        for i in 0..<count { out[i] = baseline }
        nodes.withUnsafeBufferPointer { nodes in
            let nodes = nodes.baseAddress!
            /// One step from node k for the window whose slots are x: the left child when x ≤ value, otherwise (NaN
            /// too) the right one next to it. The outcome is added as a number: a branch on it would be mispredicted
            /// half the time.
            @inline(__always) func step(_ k: Int, _ x: UnsafePointer<Double>) -> Int {
                let node = nodes[k]
                return Int(node.left) &+ Int(unsafeBitCast(!(x[Int(node.slot)] <= node.value), to: UInt8.self))
            }
            let lanes = 8
            let full = count / lanes * lanes
            withUnsafeTemporaryAllocation(of: Int.self, capacity: lanes) { k in
                for (r, root) in roots.enumerated() {
                    let depth = depths[r]
                    var i = 0
                    while i < full {
                        let x = slots + i &* stride
                        for w in 0..<lanes { k[w] = root }
                        for _ in 0..<depth {
                            for w in 0..<lanes { k[w] = step(k[w], x + w &* stride) }
                        }
                        for w in 0..<lanes { out[i &+ w] += nodes[k[w]].value }
                        i &+= lanes
                    }
                    while i < count {
                        var k = root
                        for _ in 0..<depth { k = step(k, slots + i &* stride) }
                        out[i] += nodes[k].value
                        i &+= 1
                    }
                }
            }
        }
        for i in 0..<count { out[i] = 1 / (1 + exp(-out[i])) }
    }

    static let trained = PatTemplateModel(text: patternTemplateModelText)
    /// The support, resistance and trend-line model (`patternLineModelText`).
    static let lines = PatTemplateModel(text: patternLineModelText)
}
