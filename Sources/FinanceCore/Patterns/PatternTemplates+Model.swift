#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension PatternEngine {
    /// Gradient-boosted trees over a window's fit statistics (`patternTemplateModelText`, trained by
    /// `scripts/train_pattern_templates.py`): the probability that the window is a pattern of the fitted type. A
    /// logistic cascade in front of the trees turns away the windows the trees would score low.
    @_spi(Benchmarks) public struct TemplateModel: Sendable {
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
        func probabilities(
            _ slots: UnsafePointer<Double>, stride: Int, count: Int, into out: UnsafeMutablePointer<Double>
        ) {
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

        static let trained = PatternEngine.TemplateModel(text: patternTemplateModelText)
        /// The support, resistance and trend-line model (`patternLineModelText`).
        static let lines = PatternEngine.TemplateModel(text: patternLineModelText)
    }
}
