extension PatternEngine {
    /// Wilder's average true range (private helper so this folder does not depend on the indicators code).
    struct ATR: Sendable {
        let period: Int
        var count = 0
        var sum = 0.0
        var value = 0.0
        var prevClose = Double.nan

        init(period: Int) { self.period = max(1, period) }

        @inline(__always)
        mutating func update(high: Double, low: Double, close: Double) -> Double {
            let tr: Double
            if prevClose.isNaN {
                tr = high - low
            } else {
                tr = max(high - low, max(abs(high - prevClose), abs(low - prevClose)))
            }
            prevClose = close
            count += 1
            if count <= period {
                sum += tr
                value = sum / Double(count)
            } else {
                value = (value * Double(period - 1) + tr) / Double(period)
            }
            return value
        }

        var ready: Bool { count >= period }
    }
}

extension PatternEngine {
    /// A straight line price = a + b · barIndex.
    @_spi(Benchmarks) public struct Line: Sendable, Hashable {
        var a: Double
        var b: Double
        @inline(__always) @_spi(Benchmarks) public func at(_ i: Int) -> Double { a + b * Double(i) }
        var negated: PatternEngine.Line { PatternEngine.Line(a: -a, b: -b) }
        static func flat(_ v: Double) -> PatternEngine.Line { PatternEngine.Line(a: v, b: 0) }

        /// Least-squares fit through (index, value) points; a flat line for one point.
        static func fit(_ pts: [(Int, Double)]) -> PatternEngine.Line {
            let n = Double(pts.count)
            guard pts.count >= 2 else { return .flat(pts.first?.1 ?? 0) }
            let x0 = Double(pts[0].0)
            var sx = 0.0
            var sy = 0.0
            var sxx = 0.0
            var sxy = 0.0
            for (i, v) in pts {
                let x = Double(i) - x0
                sx += x
                sy += v
                sxx += x * x
                sxy += x * v
            }
            let den = n * sxx - sx * sx
            let b = den == 0 ? 0 : (n * sxy - sx * sy) / den
            let a0 = (sy - b * sx) / n
            return PatternEngine.Line(a: a0 - b * x0, b: b)
        }

        func maxResidual(_ pts: [(Int, Double)]) -> Double {
            var m = 0.0
            for (i, v) in pts { m = max(m, abs(v - at(i))) }
            return m
        }
    }
}

extension PatternEngine {
    /// A confirmed zigzag turning point. `v` is the smoothed value the zigzag saw, `p` the real high (peaks) or
    /// low (troughs) it maps back to, `at` the bar at which it became known.
    struct Pivot: Sendable, Hashable {
        var i: Int
        var v: Double
        var p: Double
        var hi: Bool
        var at: Int
    }
}

extension PatternEngine {
    /// Zigzag on a smoothed series: a peak is confirmed once the series has fallen `thr` below its running
    /// maximum (and a trough symmetrically). No look-ahead: `update(j:...)` only sees values up to j.
    struct ZigZag: Sendable {
        var dir = 0
        var maxV = -Double.infinity
        var maxJ = 0
        var minV = Double.infinity
        var minJ = 0
        var pivots: [PatternEngine.Pivot] = []

        /// Feeds smoothed value `s` at bar `j`; returns the extreme a reversal of `thr` confirmed. The first reversal
        /// only sets the direction: the first extreme has no move into it that was seen (it may just be where the data
        /// starts), so it is not a turning point.
        mutating func update(j: Int, s: Double, thr: Double) -> (j: Int, v: Double, hi: Bool)? {
            switch dir {
            case 0:
                if s > maxV {
                    maxV = s
                    maxJ = j
                }
                if s < minV {
                    minV = s
                    minJ = j
                }
                if maxV - s >= thr && maxJ < j {
                    dir = -1
                    minV = s
                    minJ = j
                    return nil
                }
                if s - minV >= thr && minJ < j {
                    dir = 1
                    maxV = s
                    maxJ = j
                    return nil
                }
            case 1:
                if s > maxV {
                    maxV = s
                    maxJ = j
                } else if maxV - s >= thr {
                    let r = (maxJ, maxV, true)
                    dir = -1
                    minV = s
                    minJ = j
                    return r
                }
            default:
                if s < minV {
                    minV = s
                    minJ = j
                } else if s - minV >= thr {
                    let r = (minJ, minV, false)
                    dir = 1
                    maxV = s
                    maxJ = j
                    return r
                }
            }
            return nil
        }
    }
}

@inline(__always) func patClamp(_ x: Double, _ lo: Double, _ hi: Double) -> Double { min(hi, max(lo, x)) }

/// 1 − the mean share of each tolerance used, clamped to [0.05, 1].
func patConfidence(_ used: [Double]) -> Double {
    guard !used.isEmpty else { return 1 }
    var s = 0.0
    for u in used { s += patClamp(u.isFinite ? u : 1, 0, 1) }
    return patClamp(1 - s / Double(used.count), 0.05, 1)
}

extension PatternEngine {
    /// The recent tail of an append-only series, addressed by absolute index (older items are dropped by `trim`),
    /// so a long-running stream keeps bounded memory.
    struct Tail<T: Sendable>: Sendable {
        var items: [T] = []
        var base = 0

        @inline(__always) subscript(i: Int) -> T { items[i - base] }
        /// Absolute number of items ever appended.
        var count: Int { base + items.count }
        var last: T? { items.last }
        mutating func append(_ x: T) { items.append(x) }

        /// Keeps at least the last `keep` items; drops in chunks so the cost is amortised O(1).
        mutating func trim(keep: Int) {
            guard items.count > 2 * keep else { return }
            let drop = items.count - keep
            items.removeFirst(drop)
            base += drop
        }
    }
}

/// Visits every bar of the legs between consecutive `knots` (bar indices): `body(leg, bar, u)` with u the bar's
/// position from 0 at the leg's first knot towards 1 at its last; each knot is visited once (the last leg includes
/// its end). The hat functions of a piecewise-linear path through the knots are 1 − u and u on each leg. False,
/// visiting nothing, when the knots are not strictly increasing.
func patLegs(_ knots: [Int], _ body: (_ leg: Int, _ bar: Int, _ u: Double) -> Void) -> Bool {
    for k in 1..<max(1, knots.count) where knots[k] <= knots[k - 1] { return false }
    for k in 0..<max(0, knots.count - 1) {
        let a = knots[k]
        let len = Double(knots[k + 1] - a)
        for i in a...(k == knots.count - 2 ? knots[k + 1] : knots[k + 1] - 1) { body(k, i, Double(i - a) / len) }
    }
    return true
}

/// Least-squares continuous piecewise-linear fit of `y(i)` over [knots.first, knots.last] with breakpoints at
/// `knots` (strictly increasing bar indices): the fitted values at the knots. The hat-function basis makes the
/// normal equations tridiagonal (Thomas algorithm, O(knots)); building them is O(bars).
@_spi(Benchmarks) public func patKnotFit(_ knots: [Int], _ y: (Int) -> Double) -> [Double] {
    let m = knots.count
    guard m >= 2 else { return knots.map(y) }
    var d = [Double](repeating: 0, count: m)
    var e = [Double](repeating: 0, count: m)
    var r = [Double](repeating: 0, count: m)
    let increasing = patLegs(knots) { k, i, u in
        let v = y(i)
        d[k] += (1 - u) * (1 - u)
        e[k] += u * (1 - u)
        d[k + 1] += u * u
        r[k] += (1 - u) * v
        r[k + 1] += u * v
    }
    guard increasing else { return knots.map(y) }
    var c = [Double](repeating: 0, count: m)
    var z = [Double](repeating: 0, count: m)
    var den = d[0]
    c[0] = e[0] / den
    z[0] = r[0] / den
    for k in 1..<m {
        den = d[k] - e[k - 1] * c[k - 1]
        guard abs(den) > 1e-12 else { return knots.map(y) }
        c[k] = e[k] / den
        z[k] = (r[k] - e[k - 1] * z[k - 1]) / den
    }
    var x = z
    for k in stride(from: m - 2, through: 0, by: -1) { x[k] = z[k] - c[k] * x[k + 1] }
    return x
}

/// Least-squares fit of two lines (upper through the peaks, lower through the troughs) to every close between the
/// first and the last turning point of `w`: the path is modelled as straight legs between turning points lying
/// exactly on their line, so the four line parameters come from all bars, not from a few turning-point values.
/// Nil when the turning points are not increasing or a line has too few points to be determined.
@_spi(Benchmarks) public func patTwoLineFit(_ w: [PatternEngine.PV], _ y: (Int) -> Double) -> (
    upper: PatternEngine.Line, lower: PatternEngine.Line
)? {
    guard w.count >= 4 else { return nil }
    let x0 = Double(w[0].i)
    func coef(_ q: PatternEngine.PV) -> [Double] {
        let x = Double(q.i) - x0
        return q.hi ? [1, x, 0, 0] : [0, 0, 1, x]
    }
    var m = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
    var r = [Double](repeating: 0, count: 4)
    let coefs = w.map(coef)
    let increasing = patLegs(w.map(\.i)) { k, i, u in
        var row = [0.0, 0, 0, 0]
        for p in 0..<4 { row[p] = (1 - u) * coefs[k][p] + u * coefs[k + 1][p] }
        let v = y(i)
        for p in 0..<4 {
            r[p] += row[p] * v
            for q in 0..<4 { m[p][q] += row[p] * row[q] }
        }
    }
    guard increasing else { return nil }
    for c in 0..<4 {
        var piv = c
        for rr in (c + 1)..<4 where abs(m[rr][c]) > abs(m[piv][c]) { piv = rr }
        guard abs(m[piv][c]) > 1e-12 else { return nil }
        m.swapAt(c, piv)
        r.swapAt(c, piv)
        for rr in (c + 1)..<4 {
            let f = m[rr][c] / m[c][c]
            for q in c..<4 { m[rr][q] -= f * m[c][q] }
            r[rr] -= f * r[c]
        }
    }
    var x = [0.0, 0, 0, 0]
    for c in stride(from: 3, through: 0, by: -1) {
        var s = r[c]
        for q in (c + 1)..<4 { s -= m[c][q] * x[q] }
        x[c] = s / m[c][c]
    }
    return (PatternEngine.Line(a: x[0] - x[1] * x0, b: x[1]), PatternEngine.Line(a: x[2] - x[3] * x0, b: x[3]))
}
