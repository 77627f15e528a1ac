// The template scan's scoring and decisions: the learned models' probabilities, then which windows are reported.
extension PatternEngine.TemplateScan {
    /// Sets every candidate's probability, chart windows by `model` and line windows by `PatternEngine.TemplateModel.lines`,
    /// all windows of a kind at once (`PatternEngine.TemplateModel.probabilities`).
    static func score(_ candidates: inout [PatternEngine.TemplateCandidate], model: PatternEngine.TemplateModel) {
        for (lines, m) in [(false, model), (true, PatternEngine.TemplateModel.lines)] {
            // Textbook fits carry their own probability.
            let which = candidates.indices.filter {
                (candidates[$0].line >= 0) == lines && !candidates[$0].textbook
            }
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

    /// Reports a window `lag` bars after its end (at once when it was found later: textbook fits) when no
    /// overlapping window seen so far is more probable, no reported window holds its region, and no window of
    /// `sameType` (the other lane's claims: the model's and the textbook fits') holds it with the same type.
    static func decide(
        t: Int, lag: Int, pending: inout [PatternEngine.TemplateCandidate], claims: inout [(Int, Int, Int)],
        sameType: [(Int, Int, Int)] = []
    )
        -> [PatternEngine.TemplateCandidate]
    {
        guard !pending.isEmpty else { return [] }
        var out: [PatternEngine.TemplateCandidate] = []
        let due = pending.indices.filter { pending[$0].endIndex <= t - lag }.sorted {
            pending[$0].probability > pending[$1].probability
        }
        var dropped = Set<Int>()
        for k in due where !dropped.contains(k) {
            let c = pending[k]
            if claims.contains(where: { Self.overlaps(c.startIndex, c.endIndex, $0.0, $0.1) }) { continue }
            let type = c.type.index
            if sameType.contains(where: { $0.2 == type && Self.overlaps(c.startIndex, c.endIndex, $0.0, $0.1) }) {
                continue
            }
            var beaten = false
            for (j, o) in pending.enumerated() where j != k && !dropped.contains(j) {
                if o.probability > c.probability
                    && Self.overlaps(c.startIndex, c.endIndex, o.startIndex, o.endIndex)
                {
                    beaten = true
                    break
                }
            }
            if beaten { continue }
            out.append(c)
            claims.append((c.startIndex, t, type))
            for (j, o) in pending.enumerated()
            where Self.overlaps(c.startIndex, c.endIndex, o.startIndex, o.endIndex) {
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
