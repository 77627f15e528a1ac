// Streaming kernels, oscillators: RSI, Stochastic, Williams %R, CCI, MFI, ROC/momentum, StochRSI, Aroon.

@usableFromInline
struct RSIKernel: IndicatorKernel {
    @usableFromInline var s: RSIState
    @usableFromInline init(_ n: Int) { s = RSIState(n) }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        IndicatorValues(s.step(b.close, commit: commit), .nan, .nan, .nan)
    }
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
