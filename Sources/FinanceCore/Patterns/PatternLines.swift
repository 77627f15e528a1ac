#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension PatternEngine {
    /// A support, resistance or trend-line window of the template scan (`PatternMethod.templates`): n touches at
    /// x = 0.1 + 0.8k/(n − 1) of a d-bar window with a swing after each touch but the last, fitted by least squares as a
    /// piecewise-linear curve through knots, the touches constrained to one level or one sloped line and the swings
    /// free. The window is read from its first bar up to `lag` bars after its last touch (at most d bars), and decided
    /// `lag` bars after its last touch.
    struct LineGeometry: Sendable {
        /// Bars read after the last touch.
        static let lag = 6
        let d: Int
        let n: Int
        /// Knot positions as row numbers (row 0: the window's first bar), K = 2n + 1 knots: start, touch, swing, touch,
        /// …, touch, end.
        let x: [Double]
        /// Rows read: the first `rows` bars of the window (through the last touch + `lag`, at most d).
        let rows: Int
        /// Rows of the first and last touch.
        let firstTouch: Int
        let lastTouch: Int
        /// Knot indices of the touches.
        let touches: [Int]
        /// Rows i in [i0, i1) between knots j and j + 1.
        let segments: [(i0: Int, i1: Int, j: Int)]
        /// Projections (K × K, row-major) onto the fits: knot values = M·Z with Z_j = Σ_i z_i φ_j(i).
        let touchLine: [Double]
        let level: [Double]
        let free: [Double]
        /// Parameters of the touch-line fit (the line's two, and one per free knot).
        let touchLineParameters: Int

        init(d: Int, n: Int) {
            self.d = d
            self.n = n
            let span = Double(d - 1)
            var xs: [Double] = [0]
            for k in 0..<n {
                let u = 0.1 + 0.8 * Double(k) / Double(n - 1)
                xs.append(u)
                if k < n - 1 { xs.append(u + 0.4 / Double(n - 1)) }
            }
            xs.append(1)
            x = xs.map { $0 * span }
            firstTouch = Int((0.1 * span).rounded())
            lastTouch = Int((0.9 * span).rounded())
            rows = min(d - 1, lastTouch + Self.lag) + 1
            touches = Array(stride(from: 1, to: 2 * n, by: 2))
            let k = xs.count
            var segs: [(Int, Int, Int)] = []
            for j in 0..<(k - 1) {
                let i0 = Int((x[j] - 1e-9).rounded(.up))
                let i1 = j == k - 2 ? rows : min(rows, Int((x[j + 1] - 1e-9).rounded(.up)))
                if i1 > i0 { segs.append((i0, i1, j)) }
            }
            segments = segs
            // The basis φ (rows × K) and its Gram matrix.
            var g = [Double](repeating: 0, count: k * k)
            for (i0, i1, j) in segs {
                let w = x[j + 1] - x[j]
                for i in i0..<i1 {
                    let b = (Double(i) - x[j]) / w
                    let a = 1 - b
                    g[j * k + j] += a * a
                    g[j * k + j + 1] += a * b
                    g[(j + 1) * k + j] += a * b
                    g[(j + 1) * k + j + 1] += b * b
                }
            }
            let ts = touches
            let others = (0..<k).filter { !ts.contains($0) }
            func constraints(_ lead: [[Double]]) -> [[Double]] {
                // Columns: the lead columns, then one per knot not a touch.
                lead + others.map { j in (0..<k).map { $0 == j ? 1.0 : 0.0 } }
            }
            let levelColumn = (0..<k).map { ts.contains($0) ? 1.0 : 0.0 }
            let slopeColumn = (0..<k).map { ts.contains($0) ? xs[$0] : 0.0 }
            touchLine = Self.projection(constraints([levelColumn, slopeColumn]), g: g, k: k)
            level = Self.projection(constraints([levelColumn]), g: g, k: k)
            free = Self.projection((0..<k).map { j in (0..<k).map { $0 == j ? 1.0 : 0.0 } }, g: g, k: k)
            touchLineParameters = 2 + others.count
        }

        /// M = C (Cᵀ G C)⁻¹ Cᵀ for the constraint columns C (each of length k), row-major k × k.
        static func projection(_ columns: [[Double]], g: [Double], k: Int) -> [Double] {
            let p = columns.count
            // A = Cᵀ G C (p × p), then solve A X = Cᵀ by Gauss–Jordan elimination with partial pivoting.
            var a = [Double](repeating: 0, count: p * p)
            for r in 0..<p {
                for c in 0..<p {
                    var s = 0.0
                    for i in 0..<k {
                        for j in 0..<k { s += columns[r][i] * g[i * k + j] * columns[c][j] }
                    }
                    a[r * p + c] = s
                }
            }
            var rhs = (0..<p).map { columns[$0] }
            for col in 0..<p {
                var pivot = col
                for r in col..<p where abs(a[r * p + col]) > abs(a[pivot * p + col]) { pivot = r }
                if pivot != col {
                    for c in 0..<p { a.swapAt(col * p + c, pivot * p + c) }
                    rhs.swapAt(col, pivot)
                }
                let inv = 1 / a[col * p + col]
                for c in 0..<p { a[col * p + c] *= inv }
                rhs[col] = rhs[col].map { $0 * inv }
                for r in 0..<p where r != col {
                    let f = a[r * p + col]
                    guard f != 0 else { continue }
                    for c in 0..<p { a[r * p + c] -= f * a[col * p + c] }
                    rhs[r] = zip(rhs[r], rhs[col]).map { $0 - f * $1 }
                }
            }
            // M = C X, X = (CᵀGC)⁻¹ Cᵀ (p × k).
            var m = [Double](repeating: 0, count: k * k)
            for i in 0..<k {
                for j in 0..<k {
                    var s = 0.0
                    for r in 0..<p { s += columns[r][i] * rhs[r][j] }
                    m[i * k + j] = s
                }
            }
            return m
        }
    }
}

/// The line windows scanned: every template length, with 3 and 4 touches.
let patLineGeometry: [PatternEngine.LineGeometry] = patTemplateLengths.flatMap { d in
    [PatternEngine.LineGeometry(d: d, n: 3), PatternEngine.LineGeometry(d: d, n: 4)]
}

extension PatternEngine {
    /// `patLineGeometry` as flat arrays, built once and never freed: the line scan's inner loop reads only these.
    struct LineTable: @unchecked Sendable {
        struct Window {
            var d: Int
            var n: Int
            var rows: Int
            var knots: Int
            var firstTouch: Int
            var lastTouch: Int
            var touchLineParameters: Int
            /// Segments `segmentFirst..<segmentPast`; knot rows from `xFirst`; matrices (knots², column-major, so
            /// column j is contiguous) from `touchLine`, `level`, `free`.
            var segmentFirst: Int
            var segmentPast: Int
            var xFirst: Int
            var touchLine: Int
            var level: Int
            var free: Int
        }

        struct Segment {
            var i0: Int
            var i1: Int
            var j: Int
            var xa: Double
            var xb: Double
            /// 1 / (xb − xa).
            var inverseWidth: Double
        }

        let windows: UnsafePointer<Window>
        let count: Int
        let segments: UnsafePointer<Segment>
        let x: UnsafePointer<Double>
        /// The knots' rows over the window's span d − 1 (from `xFirst` too), looked up instead of divided per window.
        let u: UnsafePointer<Double>
        let matrices: UnsafePointer<Double>

        init(_ geometry: [PatternEngine.LineGeometry]) {
            var windows: [Window] = []
            var segments: [Segment] = []
            var x: [Double] = []
            var u: [Double] = []
            var matrices: [Double] = []
            for g in geometry {
                let k = g.x.count
                let first = segments.count
                segments += g.segments.map {
                    Segment(
                        i0: $0.i0, i1: $0.i1, j: $0.j, xa: g.x[$0.j], xb: g.x[$0.j + 1],
                        inverseWidth: 1 / (g.x[$0.j + 1] - g.x[$0.j]))
                }
                let xFirst = x.count
                x += g.x
                u += g.x.map { $0 / Double(g.d - 1) }
                let m0 = matrices.count
                matrices += [g.touchLine, g.level, g.free].flatMap { m in
                    (0..<(k * k)).map { m[($0 % k) * k + $0 / k] }
                }
                windows.append(
                    Window(
                        d: g.d, n: g.n, rows: g.rows, knots: k, firstTouch: g.firstTouch, lastTouch: g.lastTouch,
                        touchLineParameters: g.touchLineParameters, segmentFirst: first, segmentPast: segments.count,
                        xFirst: xFirst, touchLine: m0, level: m0 + k * k, free: m0 + 2 * k * k))
            }
            self.windows = patFrozen(windows)
            self.count = windows.count
            self.segments = patFrozen(segments)
            self.x = patFrozen(x)
            self.u = patFrozen(u)
            // `fit` reads eight rows of a column at once: padding for the last column of a 7-knot window.
            self.matrices = patFrozen(matrices + [Double](repeating: 0, count: 8))
        }

        static let shared = PatternEngine.LineTable(patLineGeometry)
    }
}

extension PatternEngine.TemplateScan {
    /// Loose limits before the line model is asked: the swings clear the touch line by 5 % of the height, noise
    /// under 40 % of it, and a fit better than a straight line (log RSS ratio above 0.2).
    static let lineMinMargin = 0.05
    static let lineMaxNoise = 0.4
    static let lineMinGain = 0.2
    static let lineMinGainRatio = exp(lineMinGain)
    /// Trend-line windows are at least this long (docs/patterns.md: shorter ones were nearly all false).
    static let lineMinTrendBars = 37
    /// Number of statistics the line model reads.
    static let lineFeatureCount = 21
    /// The line types in the order the scan numbers them (0, 1, 2).
    static let lineTypes: [PatternType] = [.support, .resistance, .trendLine]

    /// The line windows whose last read bar is bar t (see `scanBar`; `q` already holds the prefix sums, `due` the
    /// window lengths due at t, `dueLengths`) that pass the cascade (every one within the loose limits when
    /// `collecting`), appended to `added` unscored; `f` is scratch of `lineFeatureCount` values.
    static func scanLines(
        y: UnsafeBufferPointer<Double>, t: Int, due: Int, q: UnsafeMutableBufferPointer<Double>,
        features f: inout [Double], collecting: Bool, into added: inout [PatternEngine.TemplateCandidate]
    ) {
        let avail = min(y.count, Self.maxLength)
        let last = y.count - 1
        let yt = y[last]
        let tab = PatternEngine.LineTable.shared
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 45) { scratch in
            let zv = scratch.baseAddress!
            let v = zv + 9
            let free = zv + 18
            let level = zv + 27
            let swing = zv + 36
            for gi in 0..<tab.count {
                let g = tab.windows[gi]
                let m = g.rows
                guard m <= avail, due >> Self.every(g.d) & 1 != 0 else { continue }
                let k = g.knots
                let dm = Double(m)
                // Z_j = Σ_i z_i φ_j(i), row i at age m − 1 − i: a segment adds to its two knots, the right knot's
                // share carried to the next segment (adding in memory would stall on the store just made).
                for j in 0..<k { zv[j] = 0 }
                var carry = 0.0
                var carryKnot = -1
                for si in g.segmentFirst..<g.segmentPast {
                    let s = tab.segments[si]
                    let a0 = 5 &* (m &- s.i1)
                    let a1 = 5 &* (m &- s.i0)
                    let s0 = q[a1] - q[a0]
                    let si = (dm - 1) * s0 - (q[a1 &+ 1] - q[a0 &+ 1])
                    let w = s.inverseWidth
                    let left = (s.xb * s0 - si) * w
                    if carryKnot == s.j {
                        zv[s.j] = carry + left
                    } else {
                        if carryKnot >= 0 { zv[carryKnot] = carry }
                        zv[s.j] = left
                    }
                    carry = (si - s.xa * s0) * w
                    carryKnot = s.j &+ 1
                }
                if carryKnot >= 0 { zv[carryKnot] = carry }
                let syy = q[5 * m + 2]
                let sz = q[5 * m]
                // Straight line over the rows.
                let cov = q[5 * m + 1] - (dm - 1) / 2 * sz
                let rssLine = max(syy - sz * sz / dm - cov * cov / (dm * (dm * dm - 1) / 12), 1e-300)
                let rssTL = fit(tab.matrices + g.touchLine, zv, k: k, syy: syy, into: v)
                // log(rssLine / rssTL) > lineMinGain, without the logarithm for the many windows it turns away.
                let gainRatio = rssLine / rssTL
                guard gainRatio > Self.lineMinGainRatio else { continue }
                // The line through the touches, the swings' side of it, and the height up to the last touch.
                let u = tab.u + g.xFirst
                let x = tab.x + g.xFirst
                let span = Double(g.d - 1)
                let (al, be) = lineThrough(v, u, n: g.n, from: 1)
                var lo = Double.infinity
                var hi = -Double.infinity
                for j in 0..<(2 * g.n) {
                    lo = min(lo, v[j])
                    hi = max(hi, v[j])
                }
                let h = hi - lo + 1e-9
                // Each swing's distance from the line (its knot's slot of `swing`), computed once for both loops.
                var meanSwing = 0.0
                for j in stride(from: 2, to: 2 * g.n - 1, by: 2) {
                    swing[j] = v[j] - (al + be * x[j] / span)
                    meanSwing += swing[j]
                }
                let sg: Double = meanSwing >= 0 ? 1 : -1
                var minSwing = Double.infinity
                var maxSwing = -Double.infinity
                for j in stride(from: 2, to: 2 * g.n - 1, by: 2) {
                    let r = sg * swing[j]
                    minSwing = min(minSwing, r)
                    maxSwing = max(maxSwing, r)
                }
                let margin = minSwing / h
                let sigma = (rssTL / Double(max(m - g.touchLineParameters, 1))).squareRoot()
                let noise = sigma / h
                guard margin > Self.lineMinMargin, noise < Self.lineMaxNoise else { continue }
                let slope = sg * be / h
                guard slope >= -0.3 else { continue }
                let type = slope > 0.3 ? 2 : sg > 0 ? 0 : 1
                // A rising zigzag with swings of a few bars is what a random walk draws: no trend line under
                // `lineMinTrendBars`.
                guard type != 2 || g.d >= Self.lineMinTrendBars else { continue }
                // The swings' own line, relative to the touch line (0: parallel).
                let (ap, bp) = lineThrough(v, u, n: g.n - 1, from: 2)
                // The swings' spread about it: none for two swings, whose line passes through both (computed, it
                // would be rounding noise of 1e-16, on which the trees had learned to split).
                var swingDev = 0.0
                if g.n > 3 {
                    for j in stride(from: 2, to: 2 * g.n - 1, by: 2) {
                        let e = v[j] - (ap + bp * x[j] / span)
                        swingDev += e * e
                    }
                }
                let rssFree = fit(tab.matrices + g.free, zv, k: k, syy: syy, into: free)
                let rssLevel = fit(tab.matrices + g.level, zv, k: k, syy: syy, into: level)
                let (af, bf) = lineThrough(free, u, n: g.n, from: 1)
                var touchDev = 0.0
                var freeSwing = Double.infinity
                for j in stride(from: 1, to: 2 * g.n, by: 2) {
                    let e = free[j] - (af + bf * x[j] / span)
                    touchDev += e * e
                }
                for j in stride(from: 2, to: 2 * g.n - 1, by: 2) {
                    freeSwing = min(freeSwing, sg * (free[j] - (af + bf * x[j] / span)))
                }
                let nd = Double(m - 1)
                let dsum = q[5 * (m - 1) + 3]
                let dsq = q[5 * (m - 1) + 4]
                let dstd = max(dsq / nd - (dsum / nd) * (dsum / nd), 1e-12).squareRoot()
                let swings = Double(g.n - 1)
                f[0] = Double(g.d)
                f[1] = Double(g.n)
                f[2] = Double(type)
                f[3] = sg
                f[4] = slope
                f[5] = noise
                f[7] = log(sigma / max(dsq / nd, 1e-300).squareRoot())
                f[8] = margin
                f[9] = sg * meanSwing / swings / h
                f[10] = sg * (v[0] - al) / h
                f[11] = sg * (v[k - 1] - (al + be)) / h
                f[12] = (touchDev / Double(g.n)).squareRoot() / h
                f[13] = freeSwing / h
                f[14] = log(rssLevel / rssTL)
                f[15] = log(gainRatio)
                f[16] = log(rssTL / max(rssFree, 1e-300))
                f[17] = log(h / dstd)
                f[18] = sg * bp / h - slope
                f[19] = (swingDev / swings).squareRoot() / h
                f[20] = (maxSwing - minSwing) / h
                if !collecting && !PatternEngine.TemplateModel.lines.cascade(lines: f, skipping: 6) { continue }
                // The Durbin–Watson statistic of the touch-line fit's residuals.
                var sr = 0.0
                var prev = 0.0
                for si in g.segmentFirst..<g.segmentPast {
                    let s = tab.segments[si]
                    let w = s.inverseWidth
                    for i in s.i0..<s.i1 {
                        let b = (Double(i) - s.xa) * w
                        let e = (y[last &- (m &- 1 &- i)] - yt) - (v[s.j] * (1 - b) + v[s.j &+ 1] * b)
                        if i > 0 { sr += (e - prev) * (e - prev) }
                        prev = e
                    }
                }
                f[6] = log(max(sr, 1e-300) / rssTL)
                let first = t - m + 1
                added.append(
                    PatternEngine.TemplateCandidate(
                        template: -1, type: Self.lineTypes[type],
                        startIndex: first + g.firstTouch,
                        endIndex: first + g.lastTouch + PatternEngine.LineGeometry.lag,
                        features: f, knotLog: (0..<k).map { yt + v[$0] }, line: gi, windowStart: first))
            }
        }
    }

    /// Knot values v = M·z (M column-major, k ≤ 9 knots) and the fit's residual sum of squares Σz² − z·v.
    /// Column by column, eight rows at once: each v_i still adds M_ij·z_j in the order j = 0, 1, …, as one row's dot
    /// product would, but the rows' sums no longer wait on each other.
    @inline(__always) static func fit(
        _ m: UnsafePointer<Double>, _ z: UnsafeMutablePointer<Double>, k: Int, syy: Double,
        into v: UnsafeMutablePointer<Double>
    ) -> Double {
        var rows = SIMD8<Double>()
        var ninth = 0.0
        let raw = UnsafeRawPointer(m)
        for j in 0..<k {
            let column = raw.loadUnaligned(fromByteOffset: j &* k &* 8, as: SIMD8<Double>.self)
            rows = rows + column * SIMD8(repeating: z[j])
            if k > 8 { ninth = ninth + m[j &* k &+ 8] * z[j] }
        }
        var zz = 0.0
        for i in 0..<min(k, 8) {
            v[i] = rows[i]
            zz += z[i] * rows[i]
        }
        if k > 8 {
            v[8] = ninth
            zz += z[8] * ninth
        }
        return max(syy - zz, 1e-300)
    }

    /// The least-squares line a + b·u (u = row / span in [0, 1], `PatternEngine.LineTable.u`) through the `n` knots from,
    /// from + 2, … of v.
    @inline(__always) static func lineThrough(
        _ v: UnsafeMutablePointer<Double>, _ u: UnsafePointer<Double>, n: Int, from: Int
    ) -> (Double, Double) {
        var su = 0.0
        var sv = 0.0
        var suu = 0.0
        var suv = 0.0
        for c in 0..<n {
            let j = from + 2 * c
            let uj = u[j]
            su += uj
            sv += v[j]
            suu += uj * uj
            suv += uj * v[j]
        }
        let nn = Double(n)
        let den = nn * suu - su * su
        let b = den == 0 ? 0 : (nn * suv - su * sv) / den
        return ((sv - b * su) / nn, b)
    }
}
