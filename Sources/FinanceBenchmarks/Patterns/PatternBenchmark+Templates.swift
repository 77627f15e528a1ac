@_spi(Benchmarks) import FinanceCore

extension PatternBenchmark {
    /// Every window of the series the template scan fits within its loose limits, chart patterns and lines, with
    /// its statistics (no model asked).
    static func scannedWindows(_ s: LabeledSeries) -> [PatternEngine.TemplateCandidate] {
        var scan = PatternEngine.TemplateScan(
            model: PatternEngine.TemplateModel(text: ""),
            thresholds: Array(repeating: 2, count: PatternType.allCases.count),
            lag: 0)
        scan.collected = []
        for (t, b) in s.bars.enumerated() {
            _ = scan.step(
                t: t, close: b.close,
                phase: PatternEngine.TemplateScan.phase(ts: b.ts, previous: t > 0 ? s.bars[t - 1].ts : nil))
        }
        return scan.collected ?? []
    }

    /// The template model's training rows: every window of every generated series that passes the scan's loose
    /// limits, as CSV `label,<features>` (label 1 when the fitted type and window span detect a truth by the
    /// benchmark's rule). `scripts/train_pattern_templates.py` trains the model on them.
    public static func templateFeatures(_ cfg: PatternBenchConfig) -> String {
        var out = "label,noise,gain,gap,rho,length,height_ratio,type,second\n"
        for s in generate(cfg) {
            for c in scannedWindows(s) where c.line < 0 {
                let label = judge(c.type, c.startIndex, c.endIndex, s.truth).match == nil ? 0 : 1
                out += "\(label)," + c.features.map { "\($0)" }.joined(separator: ",") + "\n"
            }
        }
        return out
    }

    /// The line model's training rows: every support, resistance and trend-line window within the scan's loose
    /// limits, as CSV `label,component,<features>` (component 1 when the window lies mostly inside a truth of
    /// another type, which the scoring rule does not count).
    public static func lineFeatures(_ cfg: PatternBenchConfig) -> String {
        var out =
            "label,component,length,touches,type,side,slope,noise,dw,dwy,margin,margin_mean,start,end,touch_dev,"
            + "free_margin,level_gain,line_gain,free_gain,height_ratio,swing_slope,swing_dev,swing_spread\n"
        for s in generate(cfg) {
            for c in scannedWindows(s) where c.line >= 0 {
                let verdict = judge(c.type, c.startIndex, c.endIndex, s.truth)
                out += "\(verdict.match == nil ? 0 : 1),\(verdict.component ? 1 : 0),"
                out += c.features.map { "\($0)" }.joined(separator: ",") + "\n"
            }
        }
        return out
    }
}
