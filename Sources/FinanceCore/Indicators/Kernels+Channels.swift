// Streaming kernels, channels: Keltner and Donchian.

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
