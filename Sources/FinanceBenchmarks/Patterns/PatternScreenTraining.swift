@_spi(Benchmarks) import FinanceCore

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How `PatternBenchmark.trainScreen` trains the screen. The defaults produced `PatternScreen.trained`.
public struct PatternScreenTrainingConfig: Sendable, Hashable {
    /// Generator seeds of the training data (the published tables use seeds 1–3).
    public var seeds: [UInt64] = [11, 12, 13, 14]
    /// Noise levels of the training data (σ as a fraction of the pattern height); each is one group.
    public var noises: [Double] = [0, 0.05, 0.10, 0.15, 0.20, 0.30]
    /// Labeled series per seed and noise level.
    public var series = 2000
    /// L2 penalty on the standardized weights (the intercept is not penalized).
    public var penalty = 1.0
    /// A type's threshold may lower the F1 of no noise level (on the training data) by more than this.
    public var maxLoss = 0.01

    public init() {}
}

/// One training row: a finished shape of the unscreened detector and whether it matches a truth of its type.
struct PatternScreenSample {
    var type: PatternType
    var group: Int
    var label: Bool
    var features: [Double]
}

/// What training found for one type, on its own training data.
public struct PatternScreenFit: Sendable, Hashable {
    public var type: PatternType
    public var samples: Int
    public var positives: Int
    /// Probability threshold chosen (nil: the screen keeps every shape of this type).
    public var threshold: Double?
    /// Mean over the noise levels of the type's F1 without and with the screen (training data, records left out
    /// do not free their region here).
    public var f1Before: Double
    public var f1After: Double

    /// `<type> samples n positives n threshold p f1_before f f1_after f`
    public var line: String {
        "\(type.rawValue) samples \(samples) positives \(positives) threshold "
            + (threshold.map { accuracyFormat($0, decimals: 2) } ?? "none") + " f1_before \(accuracyFormat(f1Before))"
            + " f1_after \(accuracyFormat(f1After))"
    }
}

extension PatternBenchmark {
    /// Trains the screen: runs the unscreened detector over the labeled series of every seed and noise level,
    /// labels each finished record (latest record per id) true when the benchmark's scoring counts it as a
    /// correct detection of its type (components, which the scoring ignores, are left out), fits one L2
    /// logistic regression per type on the standardized features (Newton's method), and picks per type the
    /// probability threshold (0–0.80, step 0.01) that maximizes the mean F1 over the noise levels without
    /// lowering any level's F1 by more than `maxLoss`.
    public static func trainScreen(
        _ cfg: PatternScreenTrainingConfig = PatternScreenTrainingConfig(), progress: ((String) -> Void)? = nil
    ) -> (screen: PatternScreen, fits: [PatternScreenFit]) {
        let (samples, truths) = screenSamples(cfg, progress: progress)
        var weights: [PatternType: [Double]] = [:]
        var thresholds: [PatternType: Double] = [:]
        var fits: [PatternScreenFit] = []
        for type in PatternType.allCases {
            let rows = samples.filter { $0.type == type }
            guard !rows.isEmpty else { continue }
            let w = logisticFit(rows.map(\.features), rows.map(\.label), penalty: cfg.penalty)
            weights[type] = w
            let screen = PatternScreen(weights: [type: w], thresholds: [:])
            let p = rows.map { screen.probability(type, $0.features) ?? 1 }
            func f1s(_ cut: Double) -> [Double] {
                cfg.noises.indices.map { g in
                    var tp = 0
                    var det = 0
                    for (k, r) in rows.enumerated() where r.group == g && p[k] >= cut {
                        det += 1
                        if r.label { tp += 1 }
                    }
                    let n = truths[g][type] ?? 0
                    return det + n == 0 ? 0 : 2 * Double(tp) / Double(det + n)
                }
            }
            let base = f1s(0)
            let mean = { (v: [Double]) in v.reduce(0, +) / Double(max(v.count, 1)) }
            var best = (f1: mean(base), cut: 0.0)
            for step in 1...80 {
                let cut = Double(step) / 100
                let v = f1s(cut)
                guard zip(v, base).allSatisfy({ $0 >= $1 - cfg.maxLoss }), mean(v) > best.f1 + 1e-12 else { continue }
                best = (mean(v), cut)
            }
            if best.cut > 0 { thresholds[type] = log(best.cut / (1 - best.cut)) }
            fits.append(
                PatternScreenFit(
                    type: type, samples: rows.count, positives: rows.filter(\.label).count,
                    threshold: best.cut > 0 ? best.cut : nil, f1Before: mean(base), f1After: best.f1))
        }
        return (PatternScreen(weights: weights, thresholds: thresholds), fits)
    }

    /// The training rows and, per noise level, the truths of each type.
    static func screenSamples(_ cfg: PatternScreenTrainingConfig, progress: ((String) -> Void)?) -> (
        [PatternScreenSample], [[PatternType: Int]]
    ) {
        var options = PatternOptions.rules
        options.includeForming = false
        options.screen = nil
        var samples: [PatternScreenSample] = []
        var truths: [[PatternType: Int]] = Array(repeating: [:], count: cfg.noises.count)
        for (g, noise) in cfg.noises.enumerated() {
            for seed in cfg.seeds {
                progress?("screen training data: noise \(noise), seed \(seed)")
                for s in generate(PatternBenchConfig(seed: seed, series: cfg.series, noise: noise)) {
                    for t in s.truth { truths[g][t.type, default: 0] += 1 }
                    var engine = PatternEngine(options: options)
                    engine.screenLog = [:]
                    var records: [PatternDetection] = []
                    for b in s.bars { records += engine.step(b) }
                    let index = Dictionary(uniqueKeysWithValues: s.bars.enumerated().map { ($1.ts, $0) })
                    for d in PatternDetector.latest(records) where d.status != .forming {
                        guard let features = engine.screenLog?[d.id], let a = index[d.start], let b = index[d.end]
                        else { continue }
                        let verdict = judge(d.type, a, b, s.truth)
                        if verdict.match != nil || !verdict.component {
                            samples.append(
                                PatternScreenSample(
                                    type: d.type, group: g, label: verdict.match != nil, features: features))
                        }
                    }
                }
            }
        }
        return (samples, truths)
    }

    /// L2-penalized logistic regression by Newton's method on standardized features; returns the intercept and
    /// the weights of the raw features. A constant feature gets weight 0.
    static func logisticFit(_ x: [[Double]], _ y: [Bool], penalty: Double) -> [Double] {
        let n = x.count
        let d = x.first?.count ?? 0
        var mean = Array(repeating: 0.0, count: d)
        var scale = Array(repeating: 1.0, count: d)
        for j in 0..<d {
            mean[j] = x.reduce(0) { $0 + $1[j] } / Double(n)
            let v = x.reduce(0) { $0 + ($1[j] - mean[j]) * ($1[j] - mean[j]) } / Double(n)
            scale[j] = v > 0 ? v.squareRoot() : 0
        }
        let z: [[Double]] = x.map { row in
            [1] + (0..<d).map { j in scale[j] > 0 ? (row[j] - mean[j]) / scale[j] : 0 }
        }
        var w = Array(repeating: 0.0, count: d + 1)
        for _ in 0..<100 {
            var g = Array(repeating: 0.0, count: d + 1)
            var h = Array(repeating: Array(repeating: 0.0, count: d + 1), count: d + 1)
            for (i, row) in z.enumerated() {
                var s = 0.0
                for j in 0...d { s += w[j] * row[j] }
                let p = 1 / (1 + exp(-s))
                let r = p - (y[i] ? 1 : 0)
                let q = max(p * (1 - p), 1e-12)
                for j in 0...d {
                    g[j] += r * row[j]
                    let qj = q * row[j]
                    for k in j...d { h[j][k] += qj * row[k] }
                }
            }
            for j in 0...d {
                for k in 0..<j { h[j][k] = h[k][j] }
                if j > 0 {
                    g[j] += penalty * w[j]
                    // A constant feature (all zeros once standardized) keeps its weight at 0.
                    h[j][j] += penalty + (scale[j - 1] > 0 ? 0 : 1)
                }
            }
            guard let step = solve(h, g) else { break }
            var largest = 0.0
            for j in 0...d {
                w[j] -= step[j]
                largest = max(largest, abs(step[j]))
            }
            if largest < 1e-10 { break }
        }
        var raw = Array(repeating: 0.0, count: d + 1)
        raw[0] = w[0]
        for j in 0..<d where scale[j] > 0 {
            raw[j + 1] = w[j + 1] / scale[j]
            raw[0] -= w[j + 1] * mean[j] / scale[j]
        }
        return raw
    }

    /// Solves a·x = b by Gaussian elimination with partial pivoting (nil when singular).
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        var m = a
        var v = b
        let n = v.count
        for c in 0..<n {
            var pivot = c
            for r in (c + 1)..<max(n, c + 1) where abs(m[r][c]) > abs(m[pivot][c]) { pivot = r }
            guard abs(m[pivot][c]) > 1e-300 else { return nil }
            m.swapAt(c, pivot)
            v.swapAt(c, pivot)
            for r in (c + 1)..<max(n, c + 1) {
                let f = m[r][c] / m[c][c]
                guard f != 0 else { continue }
                for k in c..<n { m[r][k] -= f * m[c][k] }
                v[r] -= f * v[c]
            }
        }
        var x = Array(repeating: 0.0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = v[r]
            for k in (r + 1)..<max(n, r + 1) { s -= m[r][k] * x[k] }
            x[r] = s / m[r][r]
        }
        return x
    }

    /// Swift source of `PatternScreen.trained` for `screen` (printed by `financehub bench patterns --train-screen`).
    public static func screenSource(_ screen: PatternScreen, _ cfg: PatternScreenTrainingConfig) -> String {
        var out = """
            // Generated by `financehub bench patterns --train-screen` (PatternBenchmark.trainScreen): seeds \
            \(cfg.seeds.map(String.init).joined(separator: ", ")), noise \
            \(cfg.noises.map { accuracyFormat($0, decimals: 2) }.joined(separator: ", ")), \(cfg.series) series each.

            extension PatternScreen {
                /// The screen the detector uses by default (docs/patterns.md, "Learned screen").
                public static let trained = PatternScreen(
                    weights: [

            """
        let weights = PatternType.allCases.compactMap { type in
            screen.weights[type].map { "            .\(type): [\($0.map { "\($0)" }.joined(separator: ", "))],\n" }
        }
        out += weights.isEmpty ? "            :\n" : weights.joined()
        out += "        ],\n        thresholds: [\n"
        let thresholds = PatternType.allCases.compactMap { type in
            screen.thresholds[type].map { "            .\(type): \($0),\n" }
        }
        out += thresholds.isEmpty ? "            :\n" : thresholds.joined()
        out += "        ])\n}\n"
        return out
    }
}
