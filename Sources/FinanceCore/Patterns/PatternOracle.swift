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
            var engine = PatEngine(options: PatternOptions())
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

    /// The type the engine's shape rule assigns to the truth's key points (the breakout end excluded), or nil.
    static func classify(_ t: PatternTruth, bars: [Bar], engine: PatEngine) -> PatternType? {
        var knots: [Int] = []
        for i in t.keyIndices.dropLast() where knots.last.map({ i > $0 }) ?? true { knots.append(i) }
        guard knots.count >= 4 else { return nil }
        let fit = patKnotFit(knots) { bars[$0].close }
        // A cup's template has 13 points along the bowl; its turning points are the rims, the bottom and the handle.
        let keys: [Int] = t.type == .cupAndHandle && knots.count == 14 ? [0, 6, 12, 13] : Array(knots.indices)
        let firstPeak = fit[keys[1]] < fit[keys[0]]
        var w: [PatPV] = []
        for (k, j) in keys.enumerated() {
            let hi = (k % 2 == 0) == firstPeak
            let i = knots[j]
            w.append(PatPV(i: i, v: fit[j], p: hi ? bars[i].high : bars[i].low, hi: hi))
        }
        func oriented(_ s: Double) -> [PatPV] {
            w.map { PatPV(i: $0.i, v: s * $0.v, p: s * $0.p, hi: s > 0 ? $0.hi : !$0.hi) }
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
