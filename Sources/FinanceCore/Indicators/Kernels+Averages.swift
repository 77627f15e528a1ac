// Streaming kernels, moving averages and the bands and MACD built on them: SMA, EMA, WMA, DEMA, TEMA, MACD, Bollinger Bands.

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
