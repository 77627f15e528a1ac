// Streaming kernels: one value type per indicator, fed one bar at a time.
//
// Every kernel computes the outputs of "the next bar" in `step(_:commit:)`. With `commit == false` the
// kernel's state is left untouched, so the same still-open bar can be evaluated again and again
// (live bars); with `commit == true` the bar is closed and becomes part of the state. The batch engine
// runs the same kernels (or a hand-written loop doing the same arithmetic in the same order), which is
// why streaming and batch agree bit for bit.
//
// Conventions follow TA-Lib 0.8.1 (classic compatibility, unstable period 0). Missing values are NaN.

/// The outputs of one step (up to four; unused lanes are NaN).
public typealias IndicatorValues = SIMD4<Double>

@usableFromInline
let indNaN4 = IndicatorValues(repeating: .nan)

@usableFromInline
protocol IndicatorKernel: Sendable {
    mutating func step(_ bar: Bar, commit: Bool) -> IndicatorValues
}

/// TA-Lib's absolute zero test (TA_IS_ZERO).
@inline(__always) @usableFromInline
func indIsZeroAbs(_ x: Double) -> Bool { -1e-14 < x && x < 1e-14 }

/// TA-Lib 0.8's relative zero test for a difference `a - b`.
@inline(__always) @usableFromInline
func indIsZeroRel(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-14 * (abs(a) + abs(b)) }

/// TA-Lib's true range given the previous close.
@inline(__always) @usableFromInline
func indTrueRange(_ h: Double, _ l: Double, _ pc: Double) -> Double {
    var out = h - l
    let a = abs(h - pc)
    if a > out { out = a }
    let b = abs(l - pc)
    if b > out { out = b }
    return out
}

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

// MARK: - Indicator kernels

@usableFromInline
struct SMAKernel: IndicatorKernel {
    @usableFromInline var s: SMAState
    @usableFromInline init(_ n: Int) { s = SMAState(n) }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        IndicatorValues(s.step(b.close, commit: commit), .nan, .nan, .nan)
    }
}

@usableFromInline
struct EMAKernel: IndicatorKernel {
    @usableFromInline var s: EMAState
    @usableFromInline init(_ n: Int) { s = EMAState(n) }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        IndicatorValues(s.step(b.close, commit: commit), .nan, .nan, .nan)
    }
}

@usableFromInline
struct WMAKernel: IndicatorKernel {
    @usableFromInline let n: Int
    @usableFromInline let nd: Double
    @usableFromInline let divider: Double
    @usableFromInline var count = 0
    @usableFromInline var periodSub = 0.0
    @usableFromInline var periodSum = 0.0
    @usableFromInline var trailing = 0.0
    @usableFromInline var ring: IndRing
    @usableFromInline init(_ n: Int) {
        self.n = n
        nd = Double(n)
        divider = Double((n * (n + 1)) >> 1)
        ring = IndRing(n - 1)
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let x = b.close
        if count < n - 1 {
            if commit {
                periodSub += x
                periodSum += x * Double(count + 1)
                ring.push(x)
                count += 1
            }
            return indNaN4
        }
        var sub = periodSub + x
        sub -= trailing
        let sum = periodSum + x * nd
        let out = sum / divider
        if commit {
            trailing = ring.oldest
            ring.push(x)
            periodSub = sub
            periodSum = sum - sub
            count += 1
        }
        return IndicatorValues(out, .nan, .nan, .nan)
    }
}

@usableFromInline
struct DEMAKernel: IndicatorKernel {
    @usableFromInline var e1: EMAState
    @usableFromInline var e2: EMAState
    @usableFromInline init(_ n: Int) {
        e1 = EMAState(n)
        e2 = EMAState(n)
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let a = e1.step(b.close, commit: commit)
        guard !a.isNaN else { return indNaN4 }
        let c = e2.step(a, commit: commit)
        guard !c.isNaN else { return indNaN4 }
        return IndicatorValues((2.0 * a) - c, .nan, .nan, .nan)
    }
}

@usableFromInline
struct TEMAKernel: IndicatorKernel {
    @usableFromInline var e1: EMAState
    @usableFromInline var e2: EMAState
    @usableFromInline var e3: EMAState
    @usableFromInline init(_ n: Int) {
        e1 = EMAState(n)
        e2 = EMAState(n)
        e3 = EMAState(n)
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let a = e1.step(b.close, commit: commit)
        guard !a.isNaN else { return indNaN4 }
        let c = e2.step(a, commit: commit)
        guard !c.isNaN else { return indNaN4 }
        let d = e3.step(c, commit: commit)
        guard !d.isNaN else { return indNaN4 }
        return IndicatorValues(d + ((3.0 * a) - (3.0 * c)), .nan, .nan, .nan)
    }
}

@usableFromInline
struct RSIKernel: IndicatorKernel {
    @usableFromInline var s: RSIState
    @usableFromInline init(_ n: Int) { s = RSIState(n) }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        IndicatorValues(s.step(b.close, commit: commit), .nan, .nan, .nan)
    }
}

/// MACD: slow EMA seeded on the first `slow` closes, fast EMA seeded on the `fast` closes ending at the
/// same bar (TA-Lib's aligned seeding), signal = EMA of the MACD line; all three start at slow+signal-2.
@usableFromInline
struct MACDKernel: IndicatorKernel {
    @usableFromInline let skipFast: Int
    @usableFromInline var count = 0
    @usableFromInline var fast: EMAState
    @usableFromInline var slow: EMAState
    @usableFromInline var signal: EMAState
    @usableFromInline init(fast f: Int, slow s: Int, signal g: Int) {
        let (f, s) = f > s ? (s, f) : (f, s)
        skipFast = s - f
        fast = EMAState(f)
        slow = EMAState(s)
        signal = EMAState(g)
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let x = b.close
        let sl = slow.step(x, commit: commit)
        var out = indNaN4
        if count >= skipFast {
            let fa = fast.step(x, commit: commit)
            if !sl.isNaN {
                let m = fa - sl
                let sg = signal.step(m, commit: commit)
                if !sg.isNaN { out = IndicatorValues(m, sg, m - sg, .nan) }
            }
        }
        if commit { count += 1 }
        return out
    }
}

/// Bollinger Bands: SMA middle, population standard deviation from the running sum of squares.
@usableFromInline
struct BBandsKernel: IndicatorKernel {
    @usableFromInline var sma: SMAState
    @usableFromInline var sq: IndRing
    @usableFromInline var total2 = 0.0
    @usableFromInline let dev: Double
    @usableFromInline init(_ n: Int, dev: Double) {
        sma = SMAState(n)
        sq = IndRing(n - 1)
        self.dev = dev
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let x = b.close
        let n = sma.n
        let warm = sma.count < n - 1
        let mid = sma.step(x, commit: commit)
        let x2 = x * x
        if warm {
            if commit {
                total2 += x2
                sq.push(x2)
            }
            return indNaN4
        }
        let t = total2 + x2
        let ex2 = t / sma.nd
        var mean2 = ex2
        if commit {
            if n == 1 {
                total2 = t - x2
            } else {
                total2 = t - sq.oldest
                sq.push(x2)
            }
        }
        mean2 -= mid * mid
        let sd = bbandsDeviation(mean2, ex2)
        let w = dev == 1.0 ? sd : sd * dev
        return IndicatorValues(mid + w, mid, mid - w, .nan)
    }
}

/// √variance, or 0 when the variance is not positive or is within 1e-14 of E[x²] (cancellation noise).
@inline(__always) @usableFromInline
func bbandsDeviation(_ variance: Double, _ ex2: Double) -> Double {
    variance <= 1e-14 * ex2 ? 0.0 : variance.squareRoot()
}

/// Slow stochastic: fast %K over `fastK` bars, slow %K = SMA(fast %K, slowK), slow %D = SMA(slow %K, slowD).
@usableFromInline
struct StochKernel: IndicatorKernel {
    @usableFromInline var hi: IndMonoDeque
    @usableFromInline var lo: IndMonoDeque
    @usableFromInline var k: SMAState
    @usableFromInline var d: SMAState
    @usableFromInline let fastK: Int
    @usableFromInline var count = 0
    @usableFromInline init(fastK: Int, slowK: Int, slowD: Int) {
        self.fastK = fastK
        hi = IndMonoDeque(window: fastK, isMax: true)
        lo = IndMonoDeque(window: fastK, isMax: false)
        k = SMAState(slowK)
        d = SMAState(slowD)
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let i = count
        let (hh, _) = hi.peek(b.high, at: i)
        let (ll, _) = lo.peek(b.low, at: i)
        var out = indNaN4
        if i >= fastK - 1 {
            let fk = stochFastK(b.close, hh, ll)
            let sk = k.step(fk, commit: commit)
            if !sk.isNaN {
                let sd = d.step(sk, commit: commit)
                if !sd.isNaN { out = IndicatorValues(sk, sd, .nan, .nan) }
            }
        }
        if commit {
            hi.push(b.high, at: i)
            lo.push(b.low, at: i)
            count += 1
        }
        return out
    }
}

@inline(__always) @usableFromInline
func stochFastK(_ c: Double, _ hh: Double, _ ll: Double) -> Double {
    if indIsZeroRel(hh, ll) { return 0.0 }
    let diff = (hh - ll) / 100.0
    return (c - ll) / diff
}

@inline(__always) @usableFromInline
func willrValue(_ c: Double, _ hh: Double, _ ll: Double) -> Double {
    if indIsZeroRel(hh, ll) { return 0.0 }
    let diff = (hh - ll) * (-0.01)
    return (hh - c) / diff
}

@usableFromInline
struct WillRKernel: IndicatorKernel {
    @usableFromInline var hi: IndMonoDeque
    @usableFromInline var lo: IndMonoDeque
    @usableFromInline let n: Int
    @usableFromInline var count = 0
    @usableFromInline init(_ n: Int) {
        self.n = n
        hi = IndMonoDeque(window: n, isMax: true)
        lo = IndMonoDeque(window: n, isMax: false)
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let i = count
        var out = indNaN4
        if i >= n - 1 {
            let (hh, _) = hi.peek(b.high, at: i)
            let (ll, _) = lo.peek(b.low, at: i)
            out = IndicatorValues(willrValue(b.close, hh, ll), .nan, .nan, .nan)
        }
        if commit {
            hi.push(b.high, at: i)
            lo.push(b.low, at: i)
            count += 1
        }
        return out
    }
}

@usableFromInline
struct ATRKernel: IndicatorKernel {
    @usableFromInline var s: ATRState
    @usableFromInline let normalized: Bool
    @usableFromInline init(_ n: Int, normalized: Bool = false) {
        s = ATRState(n)
        self.normalized = normalized
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let a = s.step(b, commit: commit)
        if normalized && !a.isNaN {
            return IndicatorValues(b.close == 0 ? 0.0 : (a / b.close) * 100.0, .nan, .nan, .nan)
        }
        return IndicatorValues(a, .nan, .nan, .nan)
    }
}

/// OBV step without branches: adds, subtracts or keeps the volume.
@inline(__always) @usableFromInline
func obvNext(_ obv: Double, _ x: Double, _ prev: Double, _ v: Double) -> Double {
    // Bit masks instead of selects: the compiler turns `x > prev ? v : 0` into an unpredictable branch.
    let upMask = 0 &- UInt64(x > prev ? 1 : 0)
    let downMask = 0 &- UInt64(x < prev ? 1 : 0)
    let up = Double(bitPattern: v.bitPattern & upMask)
    let down = Double(bitPattern: v.bitPattern & downMask)
    return (obv + up) - down
}

@usableFromInline
struct OBVKernel: IndicatorKernel {
    @usableFromInline var started = false
    @usableFromInline var obv = 0.0
    @usableFromInline var prev = 0.0
    @usableFromInline init() {}
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        var o = b.volume
        if started {
            o = obv
            o = obvNext(o, b.close, prev, b.volume)
        }
        if commit {
            started = true
            obv = o
            prev = b.close
        }
        return IndicatorValues(o, .nan, .nan, .nan)
    }
}

/// Sum of `n` contiguous values in four interleaved lanes (shared by batch and streaming CCI).
@inline(__always) @usableFromInline
func laneSum(_ p: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
    var a0 = 0.0
    var a1 = 0.0
    var a2 = 0.0
    var a3 = 0.0
    var j = 0
    while j + 4 <= n {
        a0 += p[j]
        a1 += p[j + 1]
        a2 += p[j + 2]
        a3 += p[j + 3]
        j += 4
    }
    while j < n {
        a0 += p[j]
        j += 1
    }
    return (a0 + a1) + (a2 + a3)
}

@inline(__always) @usableFromInline
func laneAbsDev(_ p: UnsafeMutablePointer<Double>, _ n: Int, _ m: Double) -> Double {
    var a0 = 0.0
    var a1 = 0.0
    var a2 = 0.0
    var a3 = 0.0
    var j = 0
    while j + 4 <= n {
        a0 += abs(p[j] - m)
        a1 += abs(p[j + 1] - m)
        a2 += abs(p[j + 2] - m)
        a3 += abs(p[j + 3] - m)
        j += 4
    }
    while j < n {
        a0 += abs(p[j] - m)
        j += 1
    }
    return (a0 + a1) + (a2 + a3)
}

/// CCI of the window ending at `p[n-1]`: 0 when the last typical price equals the mean within the
/// relative 1e-14 test (TA-Lib 0.8.1: flat windows give 0 even when the mean carries rounding) or the
/// mean absolute deviation is 0.
@inline(__always) @usableFromInline
func cciValue(_ p: UnsafeMutablePointer<Double>, _ n: Int, _ nd: Double) -> Double {
    let mean = laneSum(p, n) / nd
    let mad = laneAbsDev(p, n, mean)
    let last = p[n - 1]
    let d = last - mean
    return (!indIsZeroRel(last, mean) && mad != 0.0) ? d / (0.015 * (mad / nd)) : 0.0
}

@inline(__always) @usableFromInline
func indTypicalPrice(_ b: Bar) -> Double { (b.high + b.low + b.close) / 3.0 }

/// CCI; the window lives in a mirrored ring (each value stored twice) so it is always contiguous.
@usableFromInline
struct CCIKernel: IndicatorKernel {
    @usableFromInline let n: Int
    @usableFromInline let nd: Double
    @usableFromInline let store: IndRawBuffer<Double>
    @usableFromInline var count = 0
    @usableFromInline var slot = 0  // count % n
    @usableFromInline init(_ n: Int) {
        self.n = n
        nd = Double(n)
        store = IndRawBuffer(count: 2 * n, value: 0)
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let tp = indTypicalPrice(b)
        let slot = self.slot
        // The slot of bar `count` holds bar count-n, which is outside the new window: safe to overwrite
        // even when not committing.
        let buf = store.p
        buf[slot] = tp
        buf[slot + n] = tp
        var out = indNaN4
        let next = slot + 1 == n ? 0 : slot + 1
        if count >= n - 1 {
            let v = cciValue(buf + next, n, nd)
            out = IndicatorValues(v, .nan, .nan, .nan)
        }
        if commit {
            count += 1
            self.slot = next
        }
        return out
    }
}

@usableFromInline
struct DIKernel: IndicatorKernel {
    @usableFromInline var s: DMState
    @usableFromInline let plus: Bool
    @usableFromInline init(_ n: Int, plus: Bool) {
        s = DMState(n)
        self.plus = plus
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let (p, m, _) = s.step(b, commit: commit)
        return IndicatorValues(plus ? p : m, .nan, .nan, .nan)
    }
}

@usableFromInline
struct ADXKernel: IndicatorKernel {
    @usableFromInline var s: DMState
    @usableFromInline var sumDX = 0.0
    @usableFromInline var adx = 0.0
    @usableFromInline init(_ n: Int) { s = DMState(n) }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let n = s.n
        let nd = s.nd
        let i = s.count
        let (p, m, ok) = s.step(b, commit: commit)
        if i < n { return indNaN4 }
        var dx = Double.nan
        if ok {
            let sum = m + p
            if sum != 0 { dx = 100.0 * (abs(m - p) / sum) }
        }
        if i < 2 * n - 1 {
            if commit && !dx.isNaN { sumDX += dx }
            return indNaN4
        }
        var a: Double
        if i == 2 * n - 1 {
            a = (dx.isNaN ? sumDX : sumDX + dx) / nd
        } else {
            a = adx
            if !dx.isNaN { a = wilderNext(a, dx, s.wa, s.wb) }
        }
        if commit { adx = a }
        return IndicatorValues(a, .nan, .nan, .nan)
    }
}

/// MFI's positive and negative money flow of one bar (both 0 when the typical price did not move,
/// relative 1e-14 test), and 1 when either is non-zero. Branch-free (bit masks).
@inline(__always) @usableFromInline
func mfiFlows(_ tp: Double, _ prevTP: Double, _ volume: Double) -> (Double, Double, Int) {
    let d = tp - prevTP
    let flow = (tp * volume).bitPattern
    let moved = indIsZeroRel(tp, prevTP) ? UInt64(0) : ~UInt64(0)
    let posMask = moved & (0 &- UInt64(d > 0 ? 1 : 0))
    let negMask = moved & (0 &- UInt64(d < 0 ? 1 : 0))
    let pf = Double(bitPattern: flow & posMask)
    let nf = Double(bitPattern: flow & negMask)
    return (pf, nf, (pf != 0 || nf != 0) ? 1 : 0)
}

/// Money flow index; a flow is neutral when the typical price did not move (relative 1e-14 test).
@usableFromInline
struct MFIKernel: IndicatorKernel {
    @usableFromInline let n: Int
    @usableFromInline var count = 0
    @usableFromInline var prevTP = 0.0
    @usableFromInline var pos: IndRing
    @usableFromInline var neg: IndRing
    @usableFromInline var posSum = 0.0
    @usableFromInline var negSum = 0.0
    @usableFromInline var live = 0  // non-zero flows in the window
    @usableFromInline init(_ n: Int) {
        self.n = n
        pos = IndRing(n)
        neg = IndRing(n)
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let tp = indTypicalPrice(b)
        if count == 0 {
            if commit {
                prevTP = tp
                count = 1
            }
            return indNaN4
        }
        var ps = posSum
        var ns = negSum
        var lv = live
        if count > n {
            let op = pos.oldest
            let on = neg.oldest
            ps -= op
            ns -= on
            lv -= (op != 0 || on != 0) ? 1 : 0
        }
        let (pf, nf, nz) = mfiFlows(tp, prevTP, b.volume)
        ps += pf
        ns += nf
        lv += nz
        var out = indNaN4
        if count >= n {
            // No money flow in the window: 0 (the running sums may hold rounding residue then).
            let s = ps + ns
            out = IndicatorValues(lv == 0 || s == 0 ? 0.0 : 100.0 * (ps / s), .nan, .nan, .nan)
        }
        if commit {
            live = lv
            posSum = ps
            negSum = ns
            pos.push(pf)
            neg.push(nf)
            prevTP = tp
            count += 1
        }
        return out
    }
}

/// ROC ((x / x[n ago] - 1) * 100) or momentum (x - x[n ago]).
@usableFromInline
struct ChangeKernel: IndicatorKernel {
    @usableFromInline let n: Int
    @usableFromInline let ratio: Bool
    @usableFromInline var count = 0
    @usableFromInline var ring: IndRing
    @usableFromInline init(_ n: Int, ratio: Bool) {
        self.n = n
        self.ratio = ratio
        ring = IndRing(n)
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let x = b.close
        var out = indNaN4
        if count >= n {
            let p = ring.oldest
            out[0] = ratio ? (p != 0.0 ? ((x / p) - 1.0) * 100.0 : 0.0) : x - p
        }
        if commit {
            ring.push(x)
            count += 1
        }
        return out
    }
}

/// StochRSI: fast stochastic (fast %K over `fastK`, fast %D = SMA(fastD)) of RSI(n).
@usableFromInline
struct StochRSIKernel: IndicatorKernel {
    @usableFromInline var rsi: RSIState
    @usableFromInline var hi: IndMonoDeque
    @usableFromInline var lo: IndMonoDeque
    @usableFromInline var d: SMAState
    @usableFromInline let fastK: Int
    @usableFromInline let lookback: Int
    @usableFromInline var count = 0  // RSI values seen
    @usableFromInline var bars = 0
    @usableFromInline init(_ n: Int, fastK: Int, fastD: Int) {
        rsi = RSIState(n)
        self.fastK = fastK
        hi = IndMonoDeque(window: fastK, isMax: true)
        lo = IndMonoDeque(window: fastK, isMax: false)
        d = SMAState(fastD)
        lookback = n + fastK - 1 + fastD - 1
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let r = rsi.step(b.close, commit: commit)
        var out = indNaN4
        if !r.isNaN {
            let i = count
            if i >= fastK - 1 {
                let (hh, _) = hi.peek(r, at: i)
                let (ll, _) = lo.peek(r, at: i)
                let k = stochFastK(r, hh, ll)
                let dv = d.step(k, commit: commit)
                if bars >= lookback { out = IndicatorValues(k, dv, .nan, .nan) }
            }
            if commit {
                hi.push(r, at: i)
                lo.push(r, at: i)
                count += 1
            }
        }
        if commit { bars += 1 }
        return out
    }
}

/// Aroon over n+1 bars (down, up); the latest extreme wins ties.
@usableFromInline
struct AroonKernel: IndicatorKernel {
    @usableFromInline var hi: IndMonoDeque
    @usableFromInline var lo: IndMonoDeque
    @usableFromInline let n: Int
    @usableFromInline let factor: Double
    @usableFromInline var count = 0
    @usableFromInline init(_ n: Int) {
        self.n = n
        factor = 100.0 / Double(n)
        hi = IndMonoDeque(window: n + 1, isMax: true)
        lo = IndMonoDeque(window: n + 1, isMax: false)
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let i = count
        var out = indNaN4
        if i >= n {
            let (_, hIdx) = hi.peek(b.high, at: i)
            let (_, lIdx) = lo.peek(b.low, at: i)
            out = IndicatorValues(factor * Double(n - (i - lIdx)), factor * Double(n - (i - hIdx)), .nan, .nan)
        }
        if commit {
            hi.push(b.high, at: i)
            lo.push(b.low, at: i)
            count += 1
        }
        return out
    }
}

/// Parabolic SAR, TA-Lib's algorithm (initial direction from the first bar's -DM).
@usableFromInline
struct SARKernel: IndicatorKernel {
    @usableFromInline let accel: Double
    @usableFromInline let maximum: Double
    @usableFromInline var count = 0
    @usableFromInline var isLong = true
    @usableFromInline var sar = 0.0
    @usableFromInline var ep = 0.0
    @usableFromInline var af = 0.0
    @usableFromInline var prevHigh = 0.0  // previous bar's high / low
    @usableFromInline var prevLow = 0.0
    @usableFromInline init(acceleration: Double, maximum: Double) {
        self.accel = min(acceleration, maximum)
        self.maximum = maximum
        af = self.accel
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let newHigh = b.high
        let newLow = b.low
        if count == 0 {
            if commit {
                prevHigh = newHigh
                prevLow = newLow
                count = 1
            }
            return indNaN4
        }
        var isLong = self.isLong
        var sar = self.sar
        var ep = self.ep
        var af = self.af
        var prevHigh = self.prevHigh
        var prevLow = self.prevLow
        if count == 1 {
            let diffP = newHigh - prevHigh
            let diffM = prevLow - newLow
            let minusDM = (diffM > 0 && diffP < diffM) ? diffM : 0.0
            isLong = !(minusDM > 0)
            if isLong {
                ep = newHigh
                sar = prevLow
            } else {
                ep = newLow
                sar = prevHigh
            }
            prevHigh = newHigh
            prevLow = newLow
        }
        let out: Double
        if isLong {
            if newLow <= sar {
                isLong = false
                sar = ep
                if sar < prevHigh { sar = prevHigh }
                if sar < newHigh { sar = newHigh }
                out = sar
                af = accel
                ep = newLow
                sar = sar + af * (ep - sar)
                if sar < prevHigh { sar = prevHigh }
                if sar < newHigh { sar = newHigh }
            } else {
                out = sar
                if newHigh > ep {
                    ep = newHigh
                    af += accel
                    if af > maximum { af = maximum }
                }
                sar = sar + af * (ep - sar)
                if sar > prevLow { sar = prevLow }
                if sar > newLow { sar = newLow }
            }
        } else {
            if newHigh >= sar {
                isLong = true
                sar = ep
                if sar > prevLow { sar = prevLow }
                if sar > newLow { sar = newLow }
                out = sar
                af = accel
                ep = newHigh
                sar = sar + af * (ep - sar)
                if sar > prevLow { sar = prevLow }
                if sar > newLow { sar = newLow }
            } else {
                out = sar
                if newLow < ep {
                    ep = newLow
                    af += accel
                    if af > maximum { af = maximum }
                }
                sar = sar + af * (ep - sar)
                if sar < prevHigh { sar = prevHigh }
                if sar < newHigh { sar = newHigh }
            }
        }
        if commit {
            self.isLong = isLong
            self.sar = sar
            self.ep = ep
            self.af = af
            self.prevHigh = newHigh
            self.prevLow = newLow
            count += 1
        }
        return IndicatorValues(out, .nan, .nan, .nan)
    }
}

/// Keltner channels: EMA(close, n) ± mult · ATR(atrN) (upper, middle, lower).
@usableFromInline
struct KeltnerKernel: IndicatorKernel {
    @usableFromInline var ema: EMAState
    @usableFromInline var atr: ATRState
    @usableFromInline let mult: Double
    @usableFromInline init(_ n: Int, atr a: Int, mult: Double) {
        ema = EMAState(n)
        atr = ATRState(a)
        self.mult = mult
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let m = ema.step(b.close, commit: commit)
        let a = atr.step(b, commit: commit)
        if m.isNaN || a.isNaN { return indNaN4 }
        return IndicatorValues(m + mult * a, m, m - mult * a, .nan)
    }
}

/// Donchian channels over n bars (upper, middle, lower).
@usableFromInline
struct DonchianKernel: IndicatorKernel {
    @usableFromInline var hi: IndMonoDeque
    @usableFromInline var lo: IndMonoDeque
    @usableFromInline let n: Int
    @usableFromInline var count = 0
    @usableFromInline init(_ n: Int) {
        self.n = n
        hi = IndMonoDeque(window: n, isMax: true)
        lo = IndMonoDeque(window: n, isMax: false)
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let i = count
        var out = indNaN4
        if i >= n - 1 {
            let (hh, _) = hi.peek(b.high, at: i)
            let (ll, _) = lo.peek(b.low, at: i)
            out = IndicatorValues(hh, (hh + ll) / 2.0, ll, .nan)
        }
        if commit {
            hi.push(b.high, at: i)
            lo.push(b.low, at: i)
            count += 1
        }
        return out
    }
}

/// VWAP of the typical price, reset at 00:00 UTC; missing while the day's volume is 0.
@usableFromInline
struct VWAPKernel: IndicatorKernel {
    @usableFromInline var day = Int64.min
    @usableFromInline var pv = 0.0
    @usableFromInline var vol = 0.0
    @usableFromInline init() {}
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let d = b.ts >= 0 ? b.ts / 86_400_000 : (b.ts - 86_399_999) / 86_400_000
        var p = pv
        var v = vol
        if d != day {
            p = 0
            v = 0
        }
        p += indTypicalPrice(b) * b.volume
        v += b.volume
        if commit {
            day = d
            pv = p
            vol = v
        }
        return IndicatorValues(v > 0 ? p / v : .nan, .nan, .nan, .nan)
    }
}

/// Ichimoku without forward shift: tenkan, kijun, span A, span B on the row where they are computed.
@usableFromInline
struct IchimokuKernel: IndicatorKernel {
    @usableFromInline var h1, l1, h2, l2, h3, l3: IndMonoDeque
    @usableFromInline let a, b, c: Int
    @usableFromInline var count = 0
    @usableFromInline init(_ a: Int, _ b: Int, _ c: Int) {
        self.a = a
        self.b = b
        self.c = c
        h1 = IndMonoDeque(window: a, isMax: true)
        l1 = IndMonoDeque(window: a, isMax: false)
        h2 = IndMonoDeque(window: b, isMax: true)
        l2 = IndMonoDeque(window: b, isMax: false)
        h3 = IndMonoDeque(window: c, isMax: true)
        l3 = IndMonoDeque(window: c, isMax: false)
    }
    @inline(__always) @usableFromInline mutating func step(_ bar: Bar, commit: Bool) -> IndicatorValues {
        let i = count
        let hi = bar.high
        let lo = bar.low
        let tenkan = i >= a - 1 ? (h1.peek(hi, at: i).0 + l1.peek(lo, at: i).0) / 2.0 : .nan
        let kijun = i >= b - 1 ? (h2.peek(hi, at: i).0 + l2.peek(lo, at: i).0) / 2.0 : .nan
        let spanB = i >= c - 1 ? (h3.peek(hi, at: i).0 + l3.peek(lo, at: i).0) / 2.0 : .nan
        if commit {
            h1.push(hi, at: i)
            l1.push(lo, at: i)
            h2.push(hi, at: i)
            l2.push(lo, at: i)
            h3.push(hi, at: i)
            l3.push(lo, at: i)
            count += 1
        }
        return IndicatorValues(tenkan, kijun, (tenkan + kijun) / 2.0, spanB)
    }
}
