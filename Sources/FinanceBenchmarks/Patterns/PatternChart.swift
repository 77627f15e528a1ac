import FinanceCore

/// A small SVG renderer for bars and pattern detections (used for the charts in docs/patterns.md).
public enum PatternChart {
    /// An SVG document: candles for `bars`, each detection's key points joined by a line, its breakout level
    /// (dashed) and target (dotted) from the record's `end`, and a label `<type> (<status>)`.
    public static func svg(
        bars: [Bar], detections: [PatternDetection], width: Int = 960, height: Int = 420,
        title: String = ""
    ) -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
        out += "viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        guard let first = bars.first, let last = bars.last else { return out + "</svg>\n" }
        let pad = 40.0
        let top = 28.0
        let w = Double(width) - 2 * pad
        let h = Double(height) - top - pad
        var lo = Double.infinity
        var hi = -Double.infinity
        for b in bars {
            lo = min(lo, b.low)
            hi = max(hi, b.high)
        }
        for d in detections {
            for p in d.points {
                lo = min(lo, p.price)
                hi = max(hi, p.price)
            }
            if d.target.isFinite {
                lo = min(lo, d.target)
                hi = max(hi, d.target)
            }
        }
        if hi <= lo { hi = lo + 1 }
        let span = Double(max(1, last.ts - first.ts))
        let step = w / Double(max(1, bars.count))
        func x(_ ts: Int64) -> Double { pad + w * Double(ts - first.ts) / span }
        func y(_ p: Double) -> Double { top + h * (hi - p) / (hi - lo) }
        func f(_ v: Double) -> String { accuracyFormat(v, decimals: 1) }
        if !title.isEmpty { out += "<text x=\"\(f(pad))\" y=\"18\" font-size=\"13\">\(escape(title))</text>\n" }
        // Axis labels: price range.
        out += "<text x=\"2\" y=\"\(f(y(hi) + 4))\">\(accuracyFormat(hi, decimals: 2))</text>\n"
        out += "<text x=\"2\" y=\"\(f(y(lo)))\">\(accuracyFormat(lo, decimals: 2))</text>\n"
        let bw = max(1.0, step * 0.6)
        for b in bars {
            let cx = x(b.ts)
            let up = b.close >= b.open
            let color = up ? "#2a9d5c" : "#c0392b"
            out +=
                "<line x1=\"\(f(cx))\" y1=\"\(f(y(b.high)))\" x2=\"\(f(cx))\" y2=\"\(f(y(b.low)))\" stroke=\"\(color)\"/>"
            let yt = y(max(b.open, b.close))
            let yb = y(min(b.open, b.close))
            out +=
                "<rect x=\"\(f(cx - bw / 2))\" y=\"\(f(yt))\" width=\"\(f(bw))\" height=\"\(f(max(0.5, yb - yt)))\" fill=\"\(color)\"/>\n"
        }
        let palette = ["#1f77b4", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]
        for (k, d) in detections.enumerated() {
            let c = palette[k % palette.count]
            let pts = d.points.map { "\(f(x($0.ts))),\(f(y($0.price)))" }.joined(separator: " ")
            out += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\"/>\n"
            for p in d.points {
                out += "<circle cx=\"\(f(x(p.ts)))\" cy=\"\(f(y(p.price)))\" r=\"3\" fill=\"\(c)\"/>"
            }
            let xe = x(d.end)
            let x2 = min(Double(width) - pad, xe + 12 * step)
            if d.breakout.isFinite {
                out +=
                    "<line x1=\"\(f(x(d.start)))\" y1=\"\(f(y(d.breakout)))\" x2=\"\(f(x2))\" y2=\"\(f(y(d.breakout)))\" "
                out += "stroke=\"\(c)\" stroke-dasharray=\"6,3\"/>"
            }
            if d.target.isFinite {
                out += "<line x1=\"\(f(xe))\" y1=\"\(f(y(d.target)))\" x2=\"\(f(x2))\" y2=\"\(f(y(d.target)))\" "
                out += "stroke=\"\(c)\" stroke-dasharray=\"2,2\"/>"
            }
            let lx = x(d.points.first?.ts ?? d.start)
            let ly = max(top + 10, y(d.points.map(\.price).max() ?? hi) - 8 - Double(k % 3) * 12)
            out +=
                "\n<text x=\"\(f(lx))\" y=\"\(f(ly))\" fill=\"\(c)\">\(escape(d.type.rawValue)) (\(d.status.rawValue), \(accuracyFormat(d.confidence, decimals: 2)))</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    /// The charts shown in docs/patterns.md: one generated series per listed type (seeded, default noise), with
    /// the latest record of each detection of the rules (`PatternOptions.rules`, as when the charts were drawn)
    /// overlapping the embedded pattern. Returns (file name, SVG).
    public static func documentationCharts(
        types: [PatternType] = [
            .headAndShoulders, .doubleBottom, .ascendingTriangle, .channelUp, .support, .cupAndHandle,
        ],
        seed: UInt64 = 1
    ) -> [(file: String, svg: String)] {
        let data = PatternBenchmark.generate(PatternBenchConfig(seed: seed, series: 400))
        var out: [(file: String, svg: String)] = []
        for type in types {
            // The first series of this type where the detector found it (charts show real output, not truth).
            for s in data where s.truth.first?.type == type {
                let t = s.truth[0]
                let recs = PatternDetector.latest(PatternDetector.detect(bars: s.bars, options: .rules)).filter {
                    $0.status != .forming && $0.end >= t.start && $0.start <= t.end
                }
                guard recs.contains(where: { $0.type == type }) else { continue }
                let title =
                    "generated series (seed \(seed)), truth: \(type.rawValue) bars \(t.startIndex)-\(t.endIndex)"
                out.append(
                    (file: "pattern_\(type.rawValue).svg", svg: svg(bars: s.bars, detections: recs, title: title)))
                break
            }
        }
        return out
    }

    static func escape(_ s: String) -> String {
        var o = ""
        for ch in s {
            switch ch {
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "&": o += "&amp;"
            case "\"": o += "&quot;"
            default: o.append(ch)
            }
        }
        return o
    }
}
