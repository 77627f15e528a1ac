// Hand-written batch loops for the ten core indicators. Each does the same floating-point operations in
// the same order as its streaming kernel (Kernels.swift), so batch and streaming agree bit for bit; the
// tests check that on every fixture.

@usableFromInline typealias DPtr = UnsafeBufferPointer<Double>
@usableFromInline typealias DMutPtr = UnsafeMutableBufferPointer<Double>

enum BatchKernels {
    /// An array of `count` values produced by `body`, pre-filled with NaN.
    @inline(__always)
    static func make(_ count: Int, _ body: (DMutPtr) -> Void) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buf, c in
            buf.initialize(repeating: .nan)
            body(buf)
            c = count
        }
    }

    static func sma(_ x: [Double], _ n: Int) -> [Double] {
        x.withUnsafeBufferPointer { x in make(x.count) { o in smaInto(x, 0, n, o) } }
    }

    /// SMA of x[from...] written to o[from + n - 1 ...].
    @inline(__always)
    static func smaInto(_ x: DPtr, _ from: Int, _ n: Int, _ o: DMutPtr) {
        let cnt = x.count
        guard cnt - from >= n else { return }
        let nd = Double(n)
        var sum = 0.0
        var i = from
        while i < from + n - 1 {
            sum += x[i]
            i += 1
        }
        while i < cnt {
            let s = sum + x[i]
            o[i] = s / nd
            sum = s - x[i - n + 1]
            i += 1
        }
    }

    static func ema(_ x: [Double], _ n: Int) -> [Double] {
        x.withUnsafeBufferPointer { x in make(x.count) { o in emaInto(x, 0, n, o) } }
    }

    /// EMA of x[from...] (seeded by the SMA of x[from ..< from+n]) written to o[from + n - 1 ...].
    @inline(__always)
    static func emaInto(_ x: DPtr, _ from: Int, _ n: Int, _ o: DMutPtr) {
        let cnt = x.count
        guard cnt - from >= n else { return }
        let nd = Double(n)
        let k = 2.0 / Double(n + 1)
        var acc = 0.0
        var i = from
        while i < from + n - 1 {
            acc += x[i]
            i += 1
        }
        var prev = (acc + x[i]) / nd
        o[i] = prev
        i += 1
        while i < cnt {
            prev = ((x[i] - prev) * k) + prev
            o[i] = prev
            i += 1
        }
    }

    static func rsi(_ x: [Double], _ n: Int) -> [Double] {
        x.withUnsafeBufferPointer { x in
            make(x.count) { o in
                let cnt = x.count
                guard cnt > n else { return }
                let nd = Double(n)
                let nm1 = Double(n - 1)
                var g = 0.0
                var l = 0.0
                var prev = x[0]
                for i in 1...n {
                    let d = x[i] - prev
                    prev = x[i]
                    if d < 0 { l -= d } else { g += d }
                }
                g /= nd
                l /= nd
                var s = g + l
                o[n] = isZeroAbs(s) ? 0.0 : 100.0 * (g / s)
                var i = n + 1
                while i < cnt {
                    let d = x[i] - prev
                    prev = x[i]
                    g *= nm1
                    l *= nm1
                    if d < 0 { l -= d } else { g += d }
                    g /= nd
                    l /= nd
                    s = g + l
                    o[i] = isZeroAbs(s) ? 0.0 : 100.0 * (g / s)
                    i += 1
                }
            }
        }
    }

    static func macd(_ x: [Double], _ f0: Int, _ s0: Int, _ g: Int) -> [[Double]] {
        let (f, s) = f0 > s0 ? (s0, f0) : (f0, s0)
        let cnt = x.count
        let first = s - 1 + g - 1
        var line = [Double](repeating: .nan, count: cnt)
        var signal = [Double](repeating: .nan, count: cnt)
        var hist = [Double](repeating: .nan, count: cnt)
        guard cnt > first else { return [line, signal, hist] }
        x.withUnsafeBufferPointer { x in
            line.withUnsafeMutableBufferPointer { m in
                signal.withUnsafeMutableBufferPointer { sg in
                    hist.withUnsafeMutableBufferPointer { h in
                        // Slow EMA into `sg` (scratch), fast EMA into `m`, then line = fast - slow.
                        emaInto(x, 0, s, sg)
                        emaInto(x, s - f, f, m)
                        for i in (s - 1)..<cnt { m[i] = m[i] - sg[i] }
                        for i in 0..<cnt { sg[i] = .nan }
                        emaInto(DPtr(m), s - 1, g, sg)
                        for i in first..<cnt { h[i] = m[i] - sg[i] }
                        for i in 0..<first { m[i] = .nan }
                    }
                }
            }
        }
        return [line, signal, hist]
    }

    static func bbands(_ x: [Double], _ n: Int, _ dev: Double) -> [[Double]] {
        let cnt = x.count
        var up = [Double](repeating: .nan, count: cnt)
        var mid = [Double](repeating: .nan, count: cnt)
        var lo = [Double](repeating: .nan, count: cnt)
        guard cnt >= n else { return [up, mid, lo] }
        x.withUnsafeBufferPointer { x in
            up.withUnsafeMutableBufferPointer { u in
                mid.withUnsafeMutableBufferPointer { m in
                    lo.withUnsafeMutableBufferPointer { l in
                        let nd = Double(n)
                        var sum = 0.0
                        var total2 = 0.0
                        var i = 0
                        while i < n - 1 {
                            let v = x[i]
                            sum += v
                            total2 += v * v
                            i += 1
                        }
                        let one = dev == 1.0
                        while i < cnt {
                            let v = x[i]
                            let s = sum + v
                            let mm = s / nd
                            let old = x[i - n + 1]
                            sum = s - old
                            let x2 = v * v
                            let t = total2 + x2
                            var mean2 = t / nd
                            total2 = t - old * old
                            mean2 -= mm * mm
                            let sd = mean2 < 1e-14 ? 0.0 : mean2.squareRoot()
                            let w = one ? sd : sd * dev
                            u[i] = mm + w
                            m[i] = mm
                            l[i] = mm - w
                            i += 1
                        }
                    }
                }
            }
        }
        return [up, mid, lo]
    }

    /// Highest / lowest of each window of `n` ending at i, for i >= n-1 (TA-Lib's rescan).
    @inline(__always)
    static func windowExtremes(
        _ h: DPtr, _ l: DPtr, _ n: Int, _ body: (Int, Double, Double) -> Void
    ) {
        let cnt = h.count
        var hIdx = -1
        var lIdx = -1
        var hh = 0.0
        var ll = 0.0
        var today = n - 1
        while today < cnt {
            let trailing = today - n + 1
            let th = h[today]
            if hIdx < trailing {
                hIdx = trailing
                hh = h[trailing]
                var j = trailing
                while j < today {
                    j += 1
                    if h[j] >= hh {
                        hh = h[j]
                        hIdx = j
                    }
                }
            } else if th >= hh {
                hIdx = today
                hh = th
            }
            let tl = l[today]
            if lIdx < trailing {
                lIdx = trailing
                ll = l[trailing]
                var j = trailing
                while j < today {
                    j += 1
                    if l[j] <= ll {
                        ll = l[j]
                        lIdx = j
                    }
                }
            } else if tl <= ll {
                lIdx = today
                ll = tl
            }
            body(today, hh, ll)
            today += 1
        }
    }

    static func willr(_ h: [Double], _ l: [Double], _ c: [Double], _ n: Int) -> [Double] {
        h.withUnsafeBufferPointer { h in
            l.withUnsafeBufferPointer { l in
                c.withUnsafeBufferPointer { c in
                    make(c.count) { o in
                        windowExtremes(h, l, n) { i, hh, ll in o[i] = willrValue(c[i], hh, ll) }
                    }
                }
            }
        }
    }

    static func stoch(_ h: [Double], _ l: [Double], _ c: [Double], _ fk: Int, _ sk: Int, _ sd: Int) -> [[Double]] {
        let cnt = c.count
        let first = fk - 1 + sk - 1 + sd - 1
        var k = [Double](repeating: .nan, count: cnt)
        var d = [Double](repeating: .nan, count: cnt)
        guard cnt > first else { return [k, d] }
        h.withUnsafeBufferPointer { h in
            l.withUnsafeBufferPointer { l in
                c.withUnsafeBufferPointer { c in
                    k.withUnsafeMutableBufferPointer { kk in
                        d.withUnsafeMutableBufferPointer { dd in
                            // fast %K into dd (scratch), slow %K into kk, slow %D into dd.
                            windowExtremes(h, l, fk) { i, hh, ll in dd[i] = stochFastK(c[i], hh, ll) }
                            smaInto(DPtr(dd), fk - 1, sk, kk)
                            for i in 0..<cnt { dd[i] = .nan }
                            smaInto(DPtr(kk), fk - 1 + sk - 1, sd, dd)
                            for i in 0..<first { kk[i] = .nan }
                        }
                    }
                }
            }
        }
        return [k, d]
    }

    static func atr(_ h: [Double], _ l: [Double], _ c: [Double], _ n: Int) -> [Double] {
        h.withUnsafeBufferPointer { h in
            l.withUnsafeBufferPointer { l in
                c.withUnsafeBufferPointer { c in
                    make(c.count) { o in
                        let cnt = c.count
                        guard cnt > n else { return }
                        if n == 1 {
                            for i in 1..<cnt { o[i] = trueRange(h[i], l[i], c[i - 1]) }
                            return
                        }
                        let nd = Double(n)
                        let nm1 = Double(n - 1)
                        var a = 0.0
                        for i in 1...n { a += trueRange(h[i], l[i], c[i - 1]) }
                        a /= nd
                        o[n] = a
                        var i = n + 1
                        while i < cnt {
                            a *= nm1
                            a += trueRange(h[i], l[i], c[i - 1])
                            a /= nd
                            o[i] = a
                            i += 1
                        }
                    }
                }
            }
        }
    }

    static func obv(_ c: [Double], _ v: [Double]) -> [Double] {
        c.withUnsafeBufferPointer { c in
            v.withUnsafeBufferPointer { v in
                make(c.count) { o in
                    let cnt = c.count
                    guard cnt > 0 else { return }
                    var obv = v[0]
                    var prev = c[0]
                    o[0] = obv
                    var i = 1
                    while i < cnt {
                        let x = c[i]
                        if x > prev { obv += v[i] } else if x < prev { obv -= v[i] }
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
        return tp.withUnsafeBufferPointer { t in
            make(cnt) { o in
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
