// Batch kernels built from other kernels or with state of their own: StochRSI, DEMA/TEMA, Keltner, SAR, WMA,
// OBV, CCI.
extension BatchKernels {
    static func stochrsi(_ x: [Double], _ n: Int, _ fk: Int, _ fd: Int) -> [[Double]] {
        let cnt = x.count
        let first = n + fk - 1 + fd - 1
        let r = rsi(x, n)
        var k = [Double](repeating: .nan, count: cnt)
        var d = [Double](repeating: .nan, count: cnt)
        guard cnt > first else { return [k, d] }
        r.withUnsafeBufferPointer { r in
            let tail = IndDPtr(rebasing: r[n...])
            let (hh, ll) = highestLowest(tail, tail, fk)
            k.withUnsafeMutableBufferPointer { kk in
                d.withUnsafeMutableBufferPointer { dd in
                    var i = fk - 1
                    while i < tail.count {
                        kk[n + i] = stochFastK(tail[i], hh[i], ll[i])
                        i += 1
                    }
                    smaInto(IndDPtr(kk), n + fk - 1, fd, dd)
                    for i in 0..<first { kk[i] = .nan }
                }
            }
        }
        return [k, d]
    }

    /// DEMA (`depth` 2) or TEMA (`depth` 3): the chained EMAs advance together in one loop.
    static func multiEMA(_ x: [Double], _ n: Int, depth: Int) -> [Double] {
        x.withUnsafeBufferPointer { x in
            make(x.count, lookback: depth * (n - 1)) { o in
                var e1 = EMAState(n)
                var e2 = EMAState(n)
                var e3 = EMAState(n)
                let cnt = x.count
                var i = 0
                // Warm-up (until every EMA has a value), then the steady loop without checks.
                let first = depth * (n - 1)
                while i <= first {
                    let a = e1.step(x[i], commit: true)
                    if !a.isNaN {
                        let b = e2.step(a, commit: true)
                        if !b.isNaN {
                            if depth == 2 {
                                o[i] = (2.0 * a) - b
                            } else {
                                let c = e3.step(b, commit: true)
                                if !c.isNaN { o[i] = c + ((3.0 * a) - (3.0 * b)) }
                            }
                        }
                    }
                    i += 1
                }
                let k = e1.k
                let k1 = e1.k1
                var a = e1.acc
                var b = e2.acc
                var c = e3.acc
                if depth == 2 {
                    while i < cnt {
                        a = emaNext(a, x[i], k, k1)
                        b = emaNext(b, a, k, k1)
                        o[i] = (2.0 * a) - b
                        i += 1
                    }
                } else {
                    while i < cnt {
                        a = emaNext(a, x[i], k, k1)
                        b = emaNext(b, a, k, k1)
                        c = emaNext(c, b, k, k1)
                        o[i] = c + ((3.0 * a) - (3.0 * b))
                        i += 1
                    }
                }
            }
        }
    }

    /// Keltner channels from the batch EMA and ATR (same arithmetic as `KeltnerKernel`).
    static func keltner(_ h: [Double], _ l: [Double], _ c: [Double], _ n: Int, _ atrN: Int, _ mult: Double)
        -> [[Double]]
    {
        let mid = ema(c, n)
        let a = atr(h, l, c, atrN)
        let first = Swift.max(n - 1, atrN)
        let up = make(c.count, lookback: first) { o in
            for i in first..<c.count { o[i] = mid[i] + mult * a[i] }
        }
        let lo = make(c.count, lookback: first) { o in
            for i in first..<c.count { o[i] = mid[i] - mult * a[i] }
        }
        var m = mid
        m.withUnsafeMutableBufferPointer { m in
            for i in 0..<Swift.min(first, m.count) { m[i] = .nan }
        }
        return [up, m, lo]
    }

    /// Parabolic SAR (TA-Lib's algorithm, the same arithmetic as `SARKernel`).
    static func sar(_ h: [Double], _ l: [Double], _ accel0: Double, _ maximum: Double) -> [Double] {
        h.withUnsafeBufferPointer { h in
            l.withUnsafeBufferPointer { l in
                make(h.count, lookback: 1) { o in
                    let cnt = h.count
                    let accel = Swift.min(accel0, maximum)
                    var af = accel
                    let diffP = h[1] - h[0]
                    let diffM = l[0] - l[1]
                    let minusDM = (diffM > 0 && diffP < diffM) ? diffM : 0.0
                    var isLong = !(minusDM > 0)
                    var ep: Double
                    var sar: Double
                    if isLong {
                        ep = h[1]
                        sar = l[0]
                    } else {
                        ep = l[1]
                        sar = h[0]
                    }
                    var newHigh = h[1]
                    var newLow = l[1]
                    var i = 1
                    while i < cnt {
                        let prevLow = newLow
                        let prevHigh = newHigh
                        newLow = l[i]
                        newHigh = h[i]
                        if isLong {
                            if newLow <= sar {
                                isLong = false
                                sar = ep
                                if sar < prevHigh { sar = prevHigh }
                                if sar < newHigh { sar = newHigh }
                                o[i] = sar
                                af = accel
                                ep = newLow
                                sar = sar + af * (ep - sar)
                                if sar < prevHigh { sar = prevHigh }
                                if sar < newHigh { sar = newHigh }
                            } else {
                                o[i] = sar
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
                                o[i] = sar
                                af = accel
                                ep = newHigh
                                sar = sar + af * (ep - sar)
                                if sar > prevLow { sar = prevLow }
                                if sar > newLow { sar = newLow }
                            } else {
                                o[i] = sar
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
                        i += 1
                    }
                }
            }
        }
    }

    static func wma(_ x: [Double], _ n: Int) -> [Double] {
        x.withUnsafeBufferPointer { x in
            make(x.count, lookback: n - 1) { o in
                let nd = Double(n)
                let divider = Double((n * (n + 1)) >> 1)
                var periodSub = 0.0
                var periodSum = 0.0
                var i = 0
                while i < n - 1 {
                    let v = x[i]
                    periodSub += v
                    periodSum += v * Double(i + 1)
                    i += 1
                }
                var trailing = 0.0
                while i < x.count {
                    let v = x[i]
                    var sub = periodSub + v
                    sub -= trailing
                    let sum = periodSum + v * nd
                    o[i] = sum / divider
                    trailing = x[i - n + 1]
                    periodSub = sub
                    periodSum = sum - sub
                    i += 1
                }
            }
        }
    }

    static func obv(_ c: [Double], _ v: [Double]) -> [Double] {
        c.withUnsafeBufferPointer { c in
            v.withUnsafeBufferPointer { v in
                make(c.count, lookback: 0) { o in
                    let cnt = c.count
                    var obv = v[0]
                    var prev = c[0]
                    o[0] = obv
                    var i = 1
                    while i < cnt {
                        let x = c[i]
                        obv = obvNext(obv, x, prev, v[i])
                        prev = x
                        o[i] = obv
                        i += 1
                    }
                }
            }
        }
    }

    static func cci(_ h: [Double], _ l: [Double], _ c: [Double], _ n: Int) -> [Double] {
        let cnt = c.count
        guard cnt >= n else { return [Double](repeating: .nan, count: cnt) }
        let tp = h.withUnsafeBufferPointer { h in
            l.withUnsafeBufferPointer { l in
                c.withUnsafeBufferPointer { c in
                    [Double](unsafeUninitializedCapacity: cnt) { buf, k in
                        for i in 0..<cnt { buf[i] = (h[i] + l[i] + c[i]) / 3.0 }
                        k = cnt
                    }
                }
            }
        }
        var tpm = tp
        return tpm.withUnsafeMutableBufferPointer { t in
            make(cnt, lookback: n - 1) { o in
                let nd = Double(n)
                let base = t.baseAddress!
                var i = n - 1
                while i < cnt {
                    o[i] = cciValue(base + (i - n + 1), n, nd)
                    i += 1
                }
            }
        }
    }
}
