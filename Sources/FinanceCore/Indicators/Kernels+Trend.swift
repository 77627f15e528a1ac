// Streaming kernels, trend: +DI/−DI, ADX, Parabolic SAR, Ichimoku.

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
