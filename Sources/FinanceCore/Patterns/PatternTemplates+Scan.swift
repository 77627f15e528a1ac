import Dispatch

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension PatternEngine {
    /// The streaming template scan (`PatternMethod.templates`).
    @_spi(Benchmarks) public struct TemplateScan: Sendable {
        static let geometry: [[PatternEngine.TemplateGeometry]] = patChartLengths.map { d in
            PatternEngine.Template.bank.map { PatternEngine.TemplateGeometry($0, d: d) }
        }
        static let table = PatternEngine.TemplateTable(geometry)
        /// The longest window the learned models read (chart patterns, levels and lines).
        static let maxLength = patTemplateLengths.last!
        /// The longest chart window scanned (longer than `maxLength`: textbook fits only).
        static let chartMaxLength = patChartLengths.last!
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
            for e in 1...every(chartMaxLength) where phase % e == 0 { due |= 1 << e }
            return due
        }

        /// Bars whose windows `prepare` scores at once.
        static let scoreBlock = 512

        let model: PatternEngine.TemplateModel
        /// The least probability a window needs, by `PatternType.allCases` index.
        let thresholds: [Double]
        let lag: Int
        /// Textbook fits: the most noise a fit may have (0: none are made; `PatternOptions.textbookNoise`).
        let textbookNoise: Double
        /// Log closes of the last `historyLength` + 1 bars, newest last.
        var logs: [Double] = []
        /// Prefix sums over bar age m (0 = newest) of z = y − y_t, m·z, z², and of the one-bar changes and their
        /// squares, interleaved per age.
        var q: [Double]
        var pending: [PatternEngine.TemplateCandidate] = []
        /// Reported windows (start bar, report bar, `PatternType.allCases` index of the type).
        var claims: [(Int, Int, Int)] = []
        /// The same for each of `lineTypes`, each type decided on its own.
        var pendingLines: [[PatternEngine.TemplateCandidate]] = [[], [], []]
        var lineClaims: [[(Int, Int, Int)]] = [[], [], []]
        /// Textbook fits waiting for their decision, and those reported (decided apart from the model's windows).
        var pendingTextbook: [PatternEngine.TemplateCandidate] = []
        var textbookClaims: [(Int, Int, Int)] = []
        /// Set to collect every candidate's features (training); then every window within the loose limits gets the
        /// model's probability.
        @_spi(Benchmarks) public var collected: [PatternEngine.TemplateCandidate]? = nil
        var features = [Double](repeating: 0, count: 8)
        var lineFeatures = [Double](repeating: 0, count: Self.lineFeatureCount)
        /// Windows scanned ahead by `prepare`, per bar from `readyBase`.
        var ready: [[PatternEngine.TemplateCandidate]] = []
        var readyBase = 0

        @_spi(Benchmarks) public init(
            model: PatternEngine.TemplateModel, thresholds: [Double], lag: Int, textbookNoise: Double = 0
        ) {
            self.model = model
            self.thresholds = thresholds
            self.lag = lag
            self.textbookNoise = textbookNoise
            q = Array(repeating: 0, count: 5 * (Self.chartMaxLength + 1))
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
        @_spi(Benchmarks) public mutating func step(t: Int, close: Double, phase: Int) -> [PatternEngine
            .TemplateCandidate]
        {
            logs.append(log(close))
            if logs.count > 4 * (Self.historyLength + 1) { logs.removeFirst(logs.count - Self.historyLength - 1) }
            if t >= readyBase && t < readyBase + ready.count {
                for c in ready[t - readyBase] { keep(c) }
                if t == readyBase + ready.count - 1 { ready = [] }
            } else if logs.count >= patTemplateLengths[0] {
                scan(t: t, phase: phase)
            }
            var out = Self.decide(t: t, lag: lag, pending: &pending, claims: &claims, sameType: textbookClaims)
            for k in 0..<3 { out += Self.decide(t: t, lag: 0, pending: &pendingLines[k], claims: &lineClaims[k]) }
            out += Self.decide(t: t, lag: lag, pending: &pendingTextbook, claims: &textbookClaims, sameType: claims)
            return out
        }

        /// Whether a scored window's probability reaches its type's threshold (`thresholds` by `PatternType.allCases`
        /// index).
        @inline(__always) static func reaches(_ c: PatternEngine.TemplateCandidate, _ thresholds: [Double]) -> Bool {
            c.textbook || c.probability >= thresholds[c.type.index]
        }

        /// Queues a scanned window whose probability reaches its type's threshold.
        mutating func keep(_ c: PatternEngine.TemplateCandidate) {
            guard Self.reaches(c, thresholds) else { return }
            if c.textbook {
                // Several scanned windows may refine to the same fit.
                let same = pendingTextbook.contains {
                    $0.startIndex == c.startIndex && $0.endIndex == c.endIndex && $0.template == c.template
                }
                if !same { pendingTextbook.append(c) }
            } else if c.line < 0 {
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
            let textbookNoise = self.textbookNoise
            var results = [[[PatternEngine.TemplateCandidate]]](repeating: [], count: chunks)
            results.withUnsafeMutableBufferPointer { slots in
                all.withUnsafeBufferPointer { logs in
                    // Each chunk reads the shared logs and writes only its own slot.
                    let out = PatternEngine.Shared(slots)
                    let y = PatternEngine.Shared(logs)
                    DispatchQueue.concurrentPerform(iterations: chunks) { c in
                        var q = [Double](repeating: 0, count: 5 * (Self.chartMaxLength + 1))
                        var f = [Double](repeating: 0, count: 8)
                        var lf = [Double](repeating: 0, count: Self.lineFeatureCount)
                        var mine: [[PatternEngine.TemplateCandidate]] = []
                        // Bars in blocks, each block's windows scored at once, then kept by bar.
                        var block: [PatternEngine.TemplateCandidate] = []
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
                                            rebasing: y.value[max(0, count - Self.historyLength - 1)..<count]),
                                        t: firstT + k, phase: phases[k], q: q, features: &f, lineFeatures: &lf,
                                        model: model, collecting: false, textbookNoise: textbookNoise,
                                        into: &block)
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
            var added: [PatternEngine.TemplateCandidate] = []
            var f = self.features
            var lf = self.lineFeatures
            let collecting = self.collected != nil
            let logs = self.logs
            let model = self.model
            // Training rows are the model's windows only.
            let textbookNoise = collecting ? 0 : self.textbookNoise
            logs.withUnsafeBufferPointer { y in
                buffer.withUnsafeMutableBufferPointer { q in
                    Self.scanBar(
                        y: y, t: t, phase: phase, q: q, features: &f, lineFeatures: &lf, model: model,
                        collecting: collecting, textbookNoise: textbookNoise, into: &added)
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
        /// (`scanLines`) and then chart patterns, appended to `added` unscored (`score`), and the textbook fits found
        /// around chart windows (`textbookFit`, when `textbookNoise` > 0). `y` holds the log closes up to bar t (the
        /// last; `historyLength` + 1 of them at most are read), `q` is scratch of 5 × (chartMaxLength + 1) values, `f`
        /// and `lf` of 8 and `lineFeatureCount`.
        static func scanBar(
            y: UnsafeBufferPointer<Double>, t: Int, phase: Int, q: UnsafeMutableBufferPointer<Double>,
            features f: inout [Double], lineFeatures lf: inout [Double], model: PatternEngine.TemplateModel,
            collecting: Bool, textbookNoise: Double,
            into added: inout [PatternEngine.TemplateCandidate]
        ) {
            let due = Self.dueLengths(phase: phase)
            // The prefix sums reach the longest window due: the models' longest, or a textbook-only one.
            var n = min(y.count, Self.maxLength)
            if textbookNoise > 0 {
                for d in patChartLengths where d > Self.maxLength && due >> Self.every(d) & 1 != 0 {
                    n = max(n, min(y.count, d))
                }
            }
            let tab = Self.table
            let nT = PatternEngine.Template.bank.count
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
            scanLines(y: y, t: t, due: due, q: q, features: &lf, collecting: collecting, into: &added)
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * nT) { scratch in
                let covs = scratch.baseAddress!
                let rsses = covs + nT
                withUnsafeTemporaryAllocation(of: Int.self, capacity: nT) { types in
                    for (li, d) in patChartLengths.enumerated() {
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
                        if textbookNoise > 0 && d >= Self.textbookMinLength && noise < Self.textbookGateNoise
                            && gainRatio > Self.textbookGateGainRatio,
                            let c = Self.textbookFit(y: y, t: t, d: d, step: Self.every(d), limit: textbookNoise)
                        {
                            added.append(c)
                        }
                        // Longer windows are textbook fits only: the model never saw them.
                        guard d <= Self.maxLength else { continue }
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
                                (y[last - m] - yt) - zbar - bestB
                                * (tab.runs[r].a + tab.runs[r].b * Double(m) - fit.mean)
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
                            PatternEngine.TemplateCandidate(
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
    }
}
