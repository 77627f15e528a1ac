/// A fixed-size window kept both in arrival order (ring) and sorted, for rolling mean/σ in O(1) and
/// median/MAD with O(log N) comparisons (plus one memmove of at most N doubles per update).
struct AnomWindow: Sendable {
    let capacity: Int
    var ring: [Double]
    var head = 0
    var count = 0
    var sorted: [Double]
    var sum = 0.0
    var sumSq = 0.0
    let keepSorted: Bool

    init(capacity: Int, sorted: Bool) {
        self.capacity = max(1, capacity)
        self.ring = Array(repeating: 0, count: max(1, capacity))
        self.sorted = []
        self.sorted.reserveCapacity(max(1, capacity))
        self.keepSorted = sorted
    }

    @inline(__always)
    static func lowerBound(_ a: [Double], _ x: Double) -> Int {
        var lo = 0
        var hi = a.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if a[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    mutating func push(_ x: Double) {
        if count == capacity {
            let old = ring[head]
            sum -= old
            sumSq -= old * old
            if keepSorted { sorted.remove(at: Self.lowerBound(sorted, old)) }
        } else {
            count += 1
        }
        ring[head] = x
        head = head + 1 == capacity ? 0 : head + 1
        sum += x
        sumSq += x * x
        if keepSorted { sorted.insert(x, at: Self.lowerBound(sorted, x)) }
        // Recompute the sums now and then so floating-point drift cannot build up.
        if head == 0 {
            var s = 0.0
            var q = 0.0
            for k in 0..<count {
                s += ring[k]
                q += ring[k] * ring[k]
            }
            sum = s
            sumSq = q
        }
    }

    var mean: Double { count == 0 ? 0 : sum / Double(count) }

    /// Sample standard deviation.
    var std: Double {
        guard count > 1 else { return 0 }
        let n = Double(count)
        let v = (sumSq - sum * sum / n) / (n - 1)
        return v > 0 ? v.squareRoot() : 0
    }

    /// (x − mean) / std of the window, 0 when the window does not vary.
    func zscore(_ x: Double) -> Double {
        let sd = std
        return sd > 0 ? (x - mean) / sd : 0
    }

    var median: Double {
        let n = sorted.count
        guard n > 0 else { return 0 }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    /// Median absolute deviation from `med`: the median of the two sorted distance sequences
    /// (below the median, read backwards; above it, read forwards), found by k-th selection in O(log N).
    func mad(_ med: Double) -> Double {
        let n = sorted.count
        guard n > 0 else { return 0 }
        let p = Self.lowerBound(sorted, med)
        let nA = p
        let nB = n - p
        // A(i) = med − sorted[p − 1 − i] (ascending), B(j) = sorted[p + j] − med (ascending).
        func kth(_ k: Int) -> Double {
            var lo = max(0, k - nB)
            var hi = min(k, nA)
            while lo <= hi {
                let i = (lo + hi) >> 1
                let j = k - i
                let aPrev = i > 0 ? med - sorted[p - i] : -Double.infinity
                let aCur = i < nA ? med - sorted[p - 1 - i] : Double.infinity
                let bPrev = j > 0 ? sorted[p + j - 1] - med : -Double.infinity
                let bCur = j < nB ? sorted[p + j] - med : Double.infinity
                if aPrev > bCur {
                    hi = i - 1
                } else if bPrev > aCur {
                    lo = i + 1
                } else {
                    return min(aCur, bCur)
                }
            }
            return 0
        }
        return n % 2 == 1 ? kth(n / 2) : (kth(n / 2 - 1) + kth(n / 2)) / 2
    }

    /// Mean absolute deviation from `med` (the fallback when MAD = 0), O(N).
    func meanAbsDev(_ med: Double) -> Double {
        guard count > 0 else { return 0 }
        var s = 0.0
        for k in 0..<count { s += abs(ring[k] - med) }
        return s / Double(count)
    }

    var isFull: Bool { count == capacity }
}

/// The robust z-score 0.6745·(x − median)/MAD (Iglewicz & Hoaglin). When MAD = 0 it falls back to
/// (x − median)/(1.253314·mean absolute deviation); when that is 0 too, it is 0 for x = median and ±cap otherwise.
func anomRobustZ(_ x: Double, median: Double, mad: Double, meanAbsDev: () -> Double, cap: Double) -> Double {
    let d = x - median
    if mad > 0 { return max(-cap, min(cap, 0.6745 * d / mad)) }
    let mean = meanAbsDev()
    if mean > 0 { return max(-cap, min(cap, d / (1.253314 * mean))) }
    if d == 0 { return 0 }
    return d > 0 ? cap : -cap
}
