/// How chart patterns (every type but support, resistance and trend lines) are found.
public enum PatternMethod: String, Sendable, Hashable, CaseIterable, Codable {
    /// Turning points and shape rules (docs/patterns.md, "Method"): about 15 times faster, less accurate; for fast
    /// screening.
    case rules
    /// Template matching, the default (docs/patterns.md, "Template matching"): every window of 20–122 bars ending at a bar is
    /// fitted by least squares to each template of the bank, and a learned model of the fit's statistics decides.
    case templates
}

extension PatternEngine {
    /// The textbook chart-pattern shapes as knots (x in [0, 1] over the pattern, y in units of its height), through the
    /// breakout leg: drawn by the labeled benchmark (FinanceBenchmarks' `PatternBenchmark.template`, which mirrors them
    /// for the opposite types; hence SPI `Benchmarks`) and matched by the template scan (`PatternEngine.Template.bank`).
    @_spi(Benchmarks) public enum Shapes {
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
}

extension PatternEngine {
    /// One template of the bank: the textbook shape as knots (x in [0, 1] over the pattern, y in units of its
    /// height), from the first key point through the breakout leg.
    struct Template: Sendable {
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

        /// The bank: the shapes the labeled benchmark draws (`PatternEngine.Shapes`, `PatternBenchmark.template`).
        static let bank: [PatternEngine.Template] = [
            PatternEngine.Template(
                type: .headAndShoulders, mirror: .inverseHeadAndShoulders, knots: PatternEngine.Shapes.headAndShoulders,
                keys: Array(0..<7), breakout: 4,
                h1: 3, h2: 4, direction: .bearish),
            PatternEngine.Template(
                type: .doubleTop, mirror: .doubleBottom, knots: PatternEngine.Shapes.doubleTop, keys: Array(0..<5),
                breakout: 2, h1: 1,
                h2: 2,
                direction: .bearish),
            PatternEngine.Template(
                type: .ascendingTriangle, mirror: .descendingTriangle, knots: PatternEngine.Shapes.ascendingTriangle,
                keys: Array(0..<7), breakout: 5,
                h1: 1, h2: 2, direction: .bullish),
            PatternEngine.Template(
                type: .symmetricalTriangle, mirror: nil, knots: PatternEngine.Shapes.symmetricalTriangle(true),
                keys: Array(0..<7),
                breakout: 5,
                h1: 1, h2: 2, direction: .bullish),
            PatternEngine.Template(
                type: .symmetricalTriangle, mirror: nil, knots: PatternEngine.Shapes.symmetricalTriangle(false),
                keys: Array(0..<7),
                breakout: 4,
                h1: 1, h2: 2, direction: .bearish),
            PatternEngine.Template(
                type: .risingWedge, mirror: .fallingWedge, knots: PatternEngine.Shapes.risingWedge, keys: Array(0..<7),
                breakout: 4,
                h1: 1, h2: 0,
                direction: .bearish, slopeKnots: (1, 5)),
            PatternEngine.Template(
                type: .channelUp, mirror: .channelDown, knots: PatternEngine.Shapes.channelUp, keys: Array(0..<8),
                breakout: 5, h1: 5,
                h2: 6,
                direction: .bullish, slopeKnots: (1, 5)),
            PatternEngine.Template(
                type: .channelHorizontal, mirror: nil, knots: PatternEngine.Shapes.channelHorizontal,
                keys: Array(0..<8), breakout: 5,
                h1: 5, h2: 6,
                direction: .neutral, slopeKnots: (1, 5)),
            PatternEngine.Template(
                type: .bullFlag, mirror: .bearFlag, knots: PatternEngine.Shapes.bullFlag, keys: Array(0..<6),
                breakout: 3, h1: 1,
                h2: 0,
                direction: .bullish),
            PatternEngine.Template(
                type: .bullPennant, mirror: .bearPennant, knots: PatternEngine.Shapes.bullPennant, keys: Array(0..<6),
                breakout: 3,
                h1: 1, h2: 0,
                direction: .bullish),
            PatternEngine.Template(
                type: .cupAndHandle, mirror: nil, knots: PatternEngine.Shapes.cupAndHandle, keys: [0, 6, 12, 13, 14],
                breakout: 12,
                h1: 12, h2: 6,
                direction: .bullish),
        ]
    }
}

extension PatternEngine {
    /// A template laid over `d` bars: the least-squares pieces in bar-age space (age m = 0 is the window's last bar).
    struct TemplateGeometry: Sendable {
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
        /// The same runs by bar index k from the window's first bar: the template value is alpha + beta·k for k in
        /// [lo, hi).
        var forward: [(lo: Int, hi: Int, alpha: Double, beta: Double)]

        init(_ tpl: PatternEngine.Template, d: Int) {
            let n = Double(d - 1)
            var t = [Double](repeating: 0, count: d)
            var runs: [(Int, Int, Double, Double)] = []
            var forward: [(lo: Int, hi: Int, alpha: Double, beta: Double)] = []
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
                forward.append((lo, hi, alpha, beta))
                // age m = d − 1 − k: k in [lo, hi) is m in [d − hi, d − lo); t = alpha + beta(d − 1) − beta·m.
                runs.append((d - hi, d - lo, alpha + beta * n, -beta))
            }
            // Oldest bars come first above; the residual walk needs ascending ages.
            self.runs = runs.sorted { $0.0 < $1.0 }
            self.forward = forward
            let mean = t.reduce(0, +) / Double(d)
            self.mean = mean
            spread = t.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            range = (t.max() ?? 0) - (t.min() ?? 0)
            knotValue = ks.map(\.1)
            knotAge = ks.map { d - 1 - Int(($0.0 * n).rounded()) }
        }
    }
}

/// Window lengths from 20 bars, each 10 % longer than the one before, up to `limit`.
func patGeometricLengths(upTo limit: Double) -> [Int] {
    var out: [Int] = []
    var x = 20.0
    while x <= limit {
        let d = Int(x.rounded())
        if out.last != d { out.append(d) }
        x *= 1.10
    }
    return out
}

/// The window lengths the learned models read: 20 bars, then 10 % longer each, up to 122 (20 lengths).
let patTemplateLengths: [Int] = patGeometricLengths(upTo: 125)

/// Every chart window length scanned: the model's, then three longer ones (135, 148 and 163 bars) fitted only for
/// textbook fits (`PatternEngine.TemplateScan.textbookFit`), which the model was never trained on.
let patChartLengths: [Int] = patGeometricLengths(upTo: 170)

/// A copy of `x` that is never freed, for the scan tables built once per process.
func patFrozen<T>(_ x: [T]) -> UnsafePointer<T> {
    let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, x.count))
    p.initialize(from: x, count: x.count)
    return UnsafePointer(p)
}

extension PatternEngine {
    /// A buffer shared by the workers of `PatternEngine.TemplateScan.prepare`, which read it or write disjoint elements.
    struct Shared<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }
}

extension PatternEngine {
    /// One window's fit and the statistics the learned model reads.
    @_spi(Benchmarks) public struct TemplateCandidate: Sendable {
        var template: Int
        @_spi(Benchmarks) public var type: PatternType
        @_spi(Benchmarks) public var startIndex: Int
        @_spi(Benchmarks) public var endIndex: Int
        @_spi(Benchmarks) public var features: [Double]
        /// Fitted log price at each knot.
        var knotLog: [Double]
        var probability = 0.0
        /// A textbook fit (`PatternEngine.TemplateScan.textbookFit`): decided apart from the model's windows, its
        /// probability is 1 − its noise.
        var textbook = false
        /// A support, resistance or trend-line window: its `patLineGeometry` index (−1: a chart pattern) and first bar.
        @_spi(Benchmarks) public var line = -1
        var windowStart = 0
    }
}

extension PatternEngine {
    /// Every window length's template geometry as flat arrays, built once and never freed: the scan's inner loop reads
    /// only these, through pointers.
    struct TemplateTable: @unchecked Sendable {
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

        init(_ geometry: [[PatternEngine.TemplateGeometry]]) {
            var runs: [Run] = []
            var fits: [Fit] = []
            for row in geometry {
                for g in row {
                    let first = runs.count
                    for (j, r) in g.runs.enumerated() {
                        // Σ_{m0 ≤ m < m1} z (a + b m) = a (Q0[m1] − Q0[m0]) + b (Q1[m1] − Q1[m0]), Q[0] = 0; the mean's
                        // −mean·Q0[d] joins the last run's end.
                        let next = j + 1 < g.runs.count ? g.runs[j + 1] : nil
                        runs.append(
                            Run(end: r.m1, a: r.a, b: r.b, c0: r.a - (next?.a ?? g.mean), c1: r.b - (next?.b ?? 0)))
                    }
                    fits.append(
                        Fit(first: first, past: runs.count, mean: g.mean, inverseSpread: 1 / g.spread, range: g.range))
                }
            }
            self.runs = patFrozen(runs)
            covarianceTerms = patFrozen(runs.map { (5 * $0.end, $0.c0, $0.c1) })
            self.fits = patFrozen(fits)
            positive = patFrozen(PatternEngine.Template.bank.map { $0.type.index })
            negative = patFrozen(
                PatternEngine.Template.bank.map { t in t.mirror.map(\.index) ?? -1 })
        }
    }
}
