// The building blocks the streaming kernels share: buffers, rings, monotonic deques and the running states of
// the averages they are made of.

// MARK: - Building blocks

/// Fixed-size heap storage with a stable address. Kernels hold their buffers through it so the hot
/// loops index raw memory (no copy-on-write or bounds checks). A kernel value owns its buffers: kernels
/// are internal and never copied while in use.
@usableFromInline
final class IndRawBuffer<T>: @unchecked Sendable {
    @usableFromInline let p: UnsafeMutablePointer<T>
    @usableFromInline let count: Int
    @usableFromInline init(count: Int, value: T) {
        self.count = max(count, 1)
        p = .allocate(capacity: self.count)
        p.initialize(repeating: value, count: self.count)
    }
    deinit {
        p.deinitialize(count: count)
        p.deallocate()
    }
}

/// The last `capacity` committed values. `oldest` is the value written `capacity` pushes ago.
@usableFromInline
struct IndRing: Sendable {
    @usableFromInline let store: IndRawBuffer<Double>
    @usableFromInline let cap: Int
    @usableFromInline var pos = 0
    @usableFromInline init(_ capacity: Int) {
        store = IndRawBuffer(count: capacity, value: 0)
        cap = store.count
    }
    @inline(__always) @usableFromInline var oldest: Double { store.p[pos] }
    @inline(__always) @usableFromInline mutating func push(_ x: Double) {
        store.p[pos] = x
        pos += 1
        if pos == cap { pos = 0 }
    }
}

/// Monotonic deque giving the max (or min) of a sliding window of `window` values, O(1) amortised.
/// Ties resolve to the latest index (as TA-Lib's `>=` / `<=` scans do).
@usableFromInline
struct IndMonoDeque: Sendable {
    @usableFromInline let vals: IndRawBuffer<Double>
    @usableFromInline let idxs: IndRawBuffer<Int>
    @usableFromInline let mask: Int
    @usableFromInline var head = 0
    @usableFromInline var count = 0
    @usableFromInline let window: Int
    @usableFromInline let isMax: Bool

    @usableFromInline init(window: Int, isMax: Bool) {
        self.window = window
        self.isMax = isMax
        var cap = 1
        while cap < window + 1 { cap <<= 1 }
        mask = cap - 1
        vals = IndRawBuffer(count: cap, value: 0)
        idxs = IndRawBuffer(count: cap, value: 0)
    }

    @inline(__always) @usableFromInline func better(_ a: Double, _ b: Double) -> Bool { isMax ? a >= b : a <= b }

    /// The extreme and its index over the window ending at index `i` whose last value is `x`
    /// (the committed part is indices i-window+1 ..< i).
    @inline(__always) @usableFromInline func peek(_ x: Double, at i: Int) -> (Double, Int) {
        if count > 0 {
            let v = vals.p[head]
            if !better(x, v) { return (v, idxs.p[head]) }
        }
        return (x, i)
    }

    @inline(__always) @usableFromInline mutating func push(_ x: Double, at i: Int) {
        let v = vals.p
        let ix = idxs.p
        while count > 0 && better(x, v[(head + count - 1) & mask]) { count -= 1 }
        let slot = (head + count) & mask
        v[slot] = x
        ix[slot] = i
        count += 1
        // The next window ends at i + 1 and starts at i + 2 - window.
        let start = i + 2 - window
        while count > 0 && ix[head] < start {
            head = (head + 1) & mask
            count -= 1
        }
    }
}

/// Simple moving average with TA-Lib's running total (add the new value, divide, subtract the trailing one).
@usableFromInline
struct SMAState: Sendable {
    @usableFromInline let n: Int
    @usableFromInline let nd: Double
    @usableFromInline var count = 0
    @usableFromInline var sum = 0.0
    @usableFromInline var ring: IndRing
    @usableFromInline init(_ n: Int) {
        self.n = n
        nd = Double(n)
        ring = IndRing(n - 1)
    }
    @inline(__always) @usableFromInline mutating func step(_ x: Double, commit: Bool) -> Double {
        if count < n - 1 {
            if commit {
                sum += x
                ring.push(x)
                count += 1
            }
            return .nan
        }
        let s = sum + x
        let out = s / nd
        if commit {
            if n == 1 {
                sum = s - x
            } else {
                sum = s - ring.oldest
                ring.push(x)
            }
            count += 1
        }
        return out
    }
}

/// One EMA step, `prev + k·(x − prev)` written as `prev·(1−k) + x·k` (one multiply-add on the
/// loop-carried chain instead of three dependent operations; same value up to rounding).
@inline(__always) @usableFromInline
func emaNext(_ prev: Double, _ x: Double, _ k: Double, _ k1: Double) -> Double { prev * k1 + x * k }

/// Wilder's smoothing step `(prev·(n−1) + x) / n` written as `prev·((n−1)/n) + x·(1/n)`.
@inline(__always) @usableFromInline
func wilderNext(_ prev: Double, _ x: Double, _ a: Double, _ b: Double) -> Double { prev * a + x * b }

/// max(d, 0) and max(-d, 0) without branches (exact for |d| < 8.9e307).
@inline(__always) @usableFromInline
func indPosPart(_ d: Double) -> Double { (d + abs(d)) * 0.5 }
@inline(__always) @usableFromInline
func indNegPart(_ d: Double) -> Double { (abs(d) - d) * 0.5 }

/// Two Wilder steps: `(a·wa + t1·wb)·wa + t2·wb` as `a·wa² + (t1·wa·wb + t2·wb)`.
@inline(__always) @usableFromInline
func atrTwoSteps(_ a: Double, _ t1: Double, _ t2: Double, _ wa2: Double, _ wab: Double, _ wb: Double) -> Double {
    a * wa2 + (t1 * wab + t2 * wb)
}

/// EMA seeded with the SMA of its first n inputs; k = 2 / (n + 1).
@usableFromInline
struct EMAState: Sendable {
    @usableFromInline let n: Int
    @usableFromInline let nd: Double
    @usableFromInline let k: Double
    @usableFromInline let k1: Double
    @usableFromInline var count = 0
    @usableFromInline var acc = 0.0  // seed sum, then the previous EMA
    @usableFromInline init(_ n: Int) {
        self.n = n
        nd = Double(n)
        k = 2.0 / Double(n + 1)
        k1 = 1.0 - k
    }
    @inline(__always) @usableFromInline mutating func step(_ x: Double, commit: Bool) -> Double {
        let out: Double
        if count >= n {
            out = emaNext(acc, x, k, k1)
        } else if count == n - 1 {
            out = (acc + x) / nd
        } else {
            if commit {
                acc += x
                count += 1
            }
            return .nan
        }
        if commit {
            acc = out
            count += 1
        }
        return out
    }
}

/// Wilder's RSI.
@usableFromInline
struct RSIState: Sendable {
    @usableFromInline let n: Int
    @usableFromInline let nd: Double
    @usableFromInline let nm1: Double
    @usableFromInline let wa: Double
    @usableFromInline let wb: Double
    @usableFromInline var count = 0
    @usableFromInline var prev = 0.0
    @usableFromInline var gain = 0.0
    @usableFromInline var loss = 0.0
    @usableFromInline init(_ n: Int) {
        self.n = n
        nd = Double(n)
        nm1 = Double(n - 1)
        wa = Double(n - 1) / Double(n)
        wb = 1.0 / Double(n)
    }
    @inline(__always) @usableFromInline mutating func step(_ x: Double, commit: Bool) -> Double {
        if count == 0 {
            if commit {
                prev = x
                count = 1
            }
            return .nan
        }
        let d = x - prev
        var g = gain
        var l = loss
        var out = Double.nan
        if count > n {
            g = wilderNext(g, indPosPart(d), wa, wb)
            l = wilderNext(l, indNegPart(d), wa, wb)
        } else {
            if d < 0 { l -= d } else { g += d }
            if count == n {
                g /= nd
                l /= nd
            }
        }
        if count >= n {
            let s = g + l
            out = s == 0 ? 0.0 : 100.0 * (g / s)
        }
        if commit {
            gain = g
            loss = l
            prev = x
            count += 1
        }
        return out
    }
}

/// Wilder's ATR (first value: the SMA of the first n true ranges).
@usableFromInline
struct ATRState: Sendable {
    @usableFromInline let n: Int
    @usableFromInline let nd: Double
    @usableFromInline let nm1: Double
    @usableFromInline let wa: Double
    @usableFromInline let wb: Double
    @usableFromInline let wa2: Double
    @usableFromInline let wab: Double
    @usableFromInline var count = 0
    @usableFromInline var prevClose = 0.0
    @usableFromInline var acc = 0.0  // seed sum, then the ATR of the last even step ("anchor")
    @usableFromInline var lastTR = 0.0  // the true range of the last odd step
    @usableFromInline init(_ n: Int) {
        self.n = n
        nd = Double(n)
        nm1 = Double(n - 1)
        wa = Double(n - 1) / Double(n)
        wb = 1.0 / Double(n)
        wa2 = wa * wa
        wab = wa * wb
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> Double {
        if count == 0 {
            if commit {
                prevClose = b.close
                count = 1
            }
            return .nan
        }
        let tr = indTrueRange(b.high, b.low, prevClose)
        var a: Double
        var out = Double.nan
        if n == 1 {
            a = tr
            out = tr
        } else if count <= n {
            a = acc + tr
            if count == n {
                out = a / nd
                a = out
            }
        } else if (count - n) & 1 == 1 {
            // Odd step: one Wilder step from the anchor; the anchor stays.
            out = wilderNext(acc, tr, wa, wb)
            if commit {
                lastTR = tr
                prevClose = b.close
                count += 1
            }
            return out
        } else {
            // Even step: two Wilder steps from the anchor at once (halves the loop-carried chain).
            a = atrTwoSteps(acc, lastTR, tr, wa2, wab, wb)
            out = a
        }
        if commit {
            acc = a
            prevClose = b.close
            count += 1
        }
        return out
    }
}

/// TA-Lib's +DM / −DM of one bar (−DM when the low fell more than the high rose, +DM when the high rose
/// more than the low fell, else neither), branch-free with bit masks. Adding the 0 of the other side is
/// exact, so this equals TA-Lib's if / else-if.
@inline(__always) @usableFromInline
func directionalMovement(_ diffP: Double, _ diffM: Double) -> (Double, Double) {
    let mMask = 0 &- UInt64(diffM > 0 && diffP < diffM ? 1 : 0)
    let pMask = 0 &- UInt64(diffP > 0 && diffP > diffM ? 1 : 0)
    return (Double(bitPattern: diffP.bitPattern & pMask), Double(bitPattern: diffM.bitPattern & mMask))
}

/// The +DM / -DM / TR smoothing shared by ADX, +DI and -DI (TA-Lib's exact sequence).
@usableFromInline
struct DMState: Sendable {
    @usableFromInline let n: Int
    @usableFromInline let nd: Double
    @usableFromInline var count = 0
    @usableFromInline var prevHigh = 0.0
    @usableFromInline var prevLow = 0.0
    @usableFromInline var prevClose = 0.0
    @usableFromInline var plusDM = 0.0
    @usableFromInline var minusDM = 0.0
    @usableFromInline var tr = 0.0
    @usableFromInline let wa: Double
    @usableFromInline let wb: Double
    @usableFromInline init(_ n: Int) {
        self.n = n
        nd = Double(n)
        wa = Double(n - 1) / Double(n)
        wb = 1.0 / Double(n)
    }
    /// Returns (+DI, -DI, valid); valid from bar n on.
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> (Double, Double, Bool) {
        if count == 0 {
            if commit {
                prevHigh = b.high
                prevLow = b.low
                prevClose = b.close
                count = 1
            }
            return (.nan, .nan, false)
        }
        let diffP = b.high - prevHigh
        let diffM = prevLow - b.low
        var p = plusDM
        var m = minusDM
        var t = tr
        let smoothing = count >= n
        if smoothing {
            m *= wa
            p *= wa
        }
        let (dp, dm) = directionalMovement(diffP, diffM)
        p += dp
        m += dm
        let r = indTrueRange(b.high, b.low, prevClose)
        if smoothing { t = t * wa + r } else { t += r }
        var pdi = Double.nan
        var mdi = Double.nan
        if smoothing {
            if t != 0 {
                let k = 100.0 / t
                pdi = p * k
                mdi = m * k
            } else {
                pdi = 0
                mdi = 0
            }
        }
        if commit {
            plusDM = p
            minusDM = m
            tr = t
            prevHigh = b.high
            prevLow = b.low
            prevClose = b.close
            count += 1
        }
        return (pdi, mdi, smoothing && t != 0)
    }
}
