@_spi(Benchmarks) import FinanceCore

/// How well the shape rules classify when they are given the true key points of each generated pattern (an
/// oracle segmentation): the ceiling that turning-point finding can reach with today's rules, separated from the
/// losses of the turning-point finder and of conflict resolution.
public struct OracleRow: Sendable, Hashable, Codable {
    public var type: String
    public var truths: Int
    public var correct: Int
    /// The most frequent wrong answers ("none" = no rule matched), as "type count".
    public var wrong: [String]
    public var accuracy: Double { truths == 0 ? 0 : Double(correct) / Double(truths) }
    /// `<type> oracle_accuracy <a>` with three decimals.
    public var line: String { "\(type) oracle_accuracy \(accuracyFormat(accuracy))" }
}

extension PatternBenchmark {
    /// Runs each chart pattern's shape rule on the true key points of every generated pattern of that type. Key
    /// values are least-squares fits of a piecewise-linear path through the true key points (every template point
    /// of a cup), so they average the per-bar noise the way the zigzag's smoothing does, without its timing errors.
    public static func oracle(_ cfg: PatternBenchConfig = PatternBenchConfig()) -> [OracleRow] {
        var correct: [PatternType: Int] = [:]
        var truths: [PatternType: Int] = [:]
        var wrong: [PatternType: [String: Int]] = [:]
        for s in generate(cfg) {
            guard let t = s.truth.first, !t.type.isLine, t.keyIndices.count >= 4 else { continue }
            var engine = PatternEngine(options: .rules)
            engine.trimming = false
            for b in s.bars { _ = engine.step(b) }
            let answer = classify(t, bars: s.bars, engine: engine)?.rawValue ?? "none"
            truths[t.type, default: 0] += 1
            if answer == t.type.rawValue {
                correct[t.type, default: 0] += 1
            } else {
                wrong[t.type, default: [:]][answer, default: 0] += 1
            }
        }
        return PatternType.allCases.filter { !$0.isLine }.map { type in
            OracleRow(
                type: type.rawValue, truths: truths[type] ?? 0, correct: correct[type] ?? 0,
                wrong: (wrong[type] ?? [:]).sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3).map {
                    "\($0.key) \($0.value)"
                })
        }
    }

    /// The positions in a template's key points (breakout end excluded) that are turning points: all of them, or
    /// for a cup (13 points along the bowl, then the handle) its rims, its bottom and the handle low.
    static func turningPointPositions(_ type: PatternType, among points: [Int]) -> [Int] {
        type == .cupAndHandle && points.count == 14 ? [0, 6, 12, 13] : Array(points.indices)
    }

    /// The type the engine's shape rule assigns to the truth's key points (the breakout end excluded), or nil.
    static func classify(_ t: PatternTruth, bars: [Bar], engine: PatternEngine) -> PatternType? {
        var knots: [Int] = []
        for i in t.keyIndices.dropLast() where knots.last.map({ i > $0 }) ?? true { knots.append(i) }
        guard knots.count >= 4 else { return nil }
        let fit = patKnotFit(knots) { bars[$0].close }
        let keys = turningPointPositions(t.type, among: knots)
        let firstPeak = fit[keys[1]] < fit[keys[0]]
        var w: [PatternEngine.PV] = []
        for (k, j) in keys.enumerated() {
            let hi = (k % 2 == 0) == firstPeak
            let i = knots[j]
            w.append(PatternEngine.PV(i: i, v: fit[j], p: hi ? bars[i].high : bars[i].low, hi: hi))
        }
        func oriented(_ s: Double) -> [PatternEngine.PV] {
            w.map { PatternEngine.PV(i: $0.i, v: s * $0.v, p: s * $0.p, hi: s > 0 ? $0.hi : !$0.hi) }
        }
        let s: Double = w[w.count - 1].hi ? 1 : -1
        switch t.type {
        case .headAndShoulders, .inverseHeadAndShoulders:
            return w.count == 6 ? engine.headAndShoulders(oriented(s), s)?.cand.type : nil
        case .doubleTop, .doubleBottom:
            return w.count == 4 ? engine.doubleTop(oriented(s), s)?.cand.type : nil
        case .cupAndHandle:
            return engine.cupAndHandle(w)?.type
        case .bullFlag, .bearFlag, .bullPennant, .bearPennant:
            return w.count == 5 ? engine.flag(oriented(-s), -s)?.oriented(-s).type : nil
        default:
            return engine.lineShape(w)?.type
        }
    }
}

/// How far apart two pattern types lie on the statistic that tells them apart, measured on their true key points.
public struct SeparationRow: Sendable, Hashable, Codable {
    public var pair: String
    /// Mean and standard deviation of the statistic for each type.
    public var means: [Double]
    public var deviations: [Double]
    /// (mean difference) / (pooled standard deviation).
    public var dPrime: Double
    /// The best accuracy any single threshold on the statistic reaches on these samples (both types together).
    public var bestThresholdAccuracy: Double
    /// `<a>/<b> d_prime <d> best_threshold_accuracy <a>`.
    public var line: String {
        "\(pair) d_prime \(accuracyFormat(dPrime, decimals: 2)) best_threshold_accuracy \(accuracyFormat(bestThresholdAccuracy))"
    }
}

extension PatternBenchmark {
    /// Wedge against channel and pennant against flag: the relative change of the width between the two lines
    /// ((end − start) / mean width), from a two-line least-squares fit over every bar at the true key points (a
    /// flag's or pennant's consolidation only, without the pole). The best single threshold on it bounds the
    /// accuracy of any rule that separates these types by convergence, before any turning point is missed.
    public static func separation(_ cfg: PatternBenchConfig = PatternBenchConfig()) -> [SeparationRow] {
        let pairs: [(PatternType, PatternType)] = [
            (.channelUp, .risingWedge), (.channelDown, .fallingWedge), (.bullFlag, .bullPennant),
            (.bearFlag, .bearPennant),
        ]
        var values: [PatternType: [Double]] = [:]
        for s in generate(cfg) {
            guard let t = s.truth.first, pairs.contains(where: { $0.0 == t.type || $0.1 == t.type }) else { continue }
            var knots = Array(t.keyIndices.dropLast())
            if t.type.isFlagFamily { knots.removeFirst() }  // the consolidation: H1 L2 H3 L4
            let firstPeak = s.bars[knots[1]].close < s.bars[knots[0]].close
            let w = knots.enumerated().map { k, i in PatternEngine.PV(i: i, v: 0, p: 0, hi: (k % 2 == 0) == firstPeak) }
            guard let f = patTwoLineFit(w, { s.bars[$0].close }) else { continue }
            let a = knots[0]
            let b = knots[knots.count - 1]
            let w0 = f.upper.at(a) - f.lower.at(a)
            let w1 = f.upper.at(b) - f.lower.at(b)
            guard w0 + w1 > 0 else { continue }
            values[t.type, default: []].append((w1 - w0) / ((w1 + w0) / 2))
        }
        return pairs.map { p, q in
            let x = values[p] ?? []
            let y = values[q] ?? []
            func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
            func sd(_ v: [Double]) -> Double {
                let m = mean(v)
                return v.count < 2 ? 0 : (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
            }
            let pooled = ((sd(x) * sd(x) + sd(y) * sd(y)) / 2).squareRoot()
            // Best threshold: the first type lies above it (it converges less), the second below.
            var best = 0
            for cut in x + y {
                let right = x.filter { $0 >= cut }.count + y.filter { $0 < cut }.count
                best = max(best, right)
            }
            let n = x.count + y.count
            return SeparationRow(
                pair: "\(p.rawValue)/\(q.rawValue)", means: [mean(x), mean(y)], deviations: [sd(x), sd(y)],
                dPrime: pooled > 0 ? (mean(x) - mean(y)) / pooled : 0,
                bestThresholdAccuracy: n == 0 ? 0 : Double(best) / Double(n))
        }
    }
}

extension PatternType {
    var isFlagFamily: Bool { [.bullFlag, .bearFlag, .bullPennant, .bearPennant].contains(self) }
}

/// How often the turning-point finder produces a pattern's true key points.
public struct TurningPointRow: Sendable, Hashable, Codable {
    public var type: String
    public var truths: Int
    /// Truths whose key points (the first excluded) all appear, in order and with nothing in between, among one
    /// scale's turning points, each within max(2, length / 20) bars.
    public var exact: Int
    /// Share of all key points (the first excluded) with a turning point of some scale that close.
    public var keyPointRecall: Double
    /// `<type> exact_turning_points <share> keypoint_recall <r>`.
    public var line: String {
        "\(type) exact_turning_points \(accuracyFormat(truths == 0 ? 0 : Double(exact) / Double(truths))) keypoint_recall \(accuracyFormat(keyPointRecall))"
    }
}

extension PatternBenchmark {
    /// Turning-point quality per chart-pattern type (a cup's key points: rims, bottom, handle low).
    public static func turningPoints(_ cfg: PatternBenchConfig = PatternBenchConfig()) -> [TurningPointRow] {
        var rows: [PatternType: (n: Int, exact: Int, hit: Int, keys: Int)] = [:]
        let options = PatternOptions.rules
        for s in generate(cfg) {
            guard let t = s.truth.first, !t.type.isLine else { continue }
            var stream = PatternStream(options: options)
            for b in s.bars { _ = stream.append(b) }
            let points = Array(t.keyIndices.dropLast())
            let keys = turningPointPositions(t.type, among: points).map { points[$0] }
            let tol = max(2, t.bars / 20)
            let index = Dictionary(uniqueKeysWithValues: s.bars.enumerated().map { ($1.ts, $0) })
            var exact = false
            var best = 0
            for sc in options.scales.indices {
                let pivots = stream.turningPoints(scale: sc).compactMap { index[$0.ts] }
                best = max(best, keys.dropFirst().filter { k in pivots.contains { abs($0 - k) <= tol } }.count)
                if let j = pivots.firstIndex(where: { abs($0 - keys[1]) <= tol }),
                    keys.dropFirst().enumerated().allSatisfy({ m, k in
                        j + m < pivots.count && abs(pivots[j + m] - k) <= tol
                    })
                {
                    exact = true
                }
            }
            var r = rows[t.type] ?? (0, 0, 0, 0)
            r.n += 1
            r.exact += exact ? 1 : 0
            r.hit += best
            r.keys += keys.count - 1
            rows[t.type] = r
        }
        return PatternType.allCases.filter { !$0.isLine }.map { type in
            let r = rows[type] ?? (0, 0, 0, 0)
            return TurningPointRow(
                type: type.rawValue, truths: r.n, exact: r.exact,
                keyPointRecall: r.keys == 0 ? 0 : Double(r.hit) / Double(r.keys))
        }
    }
}

/// What a perfect conflict resolution could reach with today's turning points and shape rules.
public struct ResolutionCeilingRow: Sendable, Hashable, Codable {
    public var type: String
    public var truths: Int
    /// Truths for which the rules matched a reportable shape of the right type and span at some turning point.
    public var withCandidate: Int
    /// Truths for which such a shape also reached completion (before the one-pattern-per-region check).
    public var withCompleted: Int
    /// Final records of this type that overlap no truth at all (random-walk stretches and pattern-free series):
    /// false detections that no choice among overlapping shapes removes.
    public var outsideDetections: Int

    public var candidateRecall: Double { truths == 0 ? 0 : Double(withCandidate) / Double(truths) }
    public var completedRecall: Double { truths == 0 ? 0 : Double(withCompleted) / Double(truths) }
    /// F1 if every truth with a candidate were found and every other shape overlapping a truth were dropped.
    public var ceilingF1: Double { Self.f1(withCandidate, outsideDetections, truths) }
    /// The same, choosing only among shapes that completed.
    public var completedCeilingF1: Double { Self.f1(withCompleted, outsideDetections, truths) }

    static func f1(_ tp: Int, _ fp: Int, _ truths: Int) -> Double {
        AccuracyRow(type: "", truths: truths, detections: tp + fp, truePositives: tp).f1
    }

    /// `<type> candidate_recall <r> completed_recall <r> ceiling_f1 <f> completed_ceiling_f1 <f>`.
    public var line: String {
        "\(type) candidate_recall \(accuracyFormat(candidateRecall)) completed_recall \(accuracyFormat(completedRecall)) ceiling_f1 \(accuracyFormat(ceilingF1)) completed_ceiling_f1 \(accuracyFormat(completedCeilingF1))"
    }
}

extension PatternBenchmark {
    /// The F1 that conflict resolution alone could reach: the engine runs with a trace of every reportable shape
    /// its rules match and every shape that completes, and a truth counts as reachable when one of them has the
    /// right type and span (its span taken to the bar it was found or completed at or, if later, to the truth's
    /// end, where its breakout record would end). False detections outside every truth stay as they are.
    public static func resolutionCeiling(_ cfg: PatternBenchConfig = PatternBenchConfig()) -> [ResolutionCeilingRow] {
        var opts = PatternOptions.rules
        opts.includeForming = false
        var rows: [PatternType: ResolutionCeilingRow] = [:]
        for type in PatternType.allCases where !type.isLine {
            rows[type] = ResolutionCeilingRow(
                type: type.rawValue, truths: 0, withCandidate: 0, withCompleted: 0, outsideDetections: 0)
        }
        for s in generate(cfg) {
            var engine = PatternEngine(options: opts)
            engine.trace = PatternEngine.Trace()
            var records: [PatternDetection] = []
            for b in s.bars { records += engine.step(b) }
            let index = Dictionary(uniqueKeysWithValues: s.bars.enumerated().map { ($1.ts, $0) })
            for d in PatternDetector.latest(records) where d.status != .forming && !d.type.isLine {
                let a = index[d.start] ?? 0
                let b = index[d.end] ?? 0
                if !s.truth.contains(where: { min(b, $0.endIndex) >= max(a, $0.startIndex) }) {
                    rows[d.type]?.outsideDetections += 1
                }
            }
            guard let t = s.truth.first, !t.type.isLine, let trace = engine.trace else { continue }
            func right(_ x: PatternEngine.TraceShape) -> Bool {
                x.type == t.type && (spanMatches(x.start, x.end, t) || spanMatches(x.start, max(x.end, t.endIndex), t))
            }
            rows[t.type]?.truths += 1
            if trace.candidates.contains(where: right) { rows[t.type]?.withCandidate += 1 }
            if trace.completable.contains(where: right) { rows[t.type]?.withCompleted += 1 }
        }
        return PatternType.allCases.compactMap { rows[$0] }
    }
}
