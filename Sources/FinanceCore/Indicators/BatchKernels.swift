// Hand-written batch loops for the ten core indicators. Each does the same floating-point operations in
// the same order as its streaming kernel (Kernels.swift), so batch and streaming agree bit for bit; the
// tests check that on every fixture.

@usableFromInline typealias IndDPtr = UnsafeBufferPointer<Double>
@usableFromInline typealias IndDMutPtr = UnsafeMutableBufferPointer<Double>

enum BatchKernels {
    /// An array of `count` values produced by `body`, pre-filled with NaN.
    @inline(__always)
    static func make(_ count: Int, _ body: (IndDMutPtr) -> Void) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buf, c in
            buf.initialize(repeating: .nan)
            body(buf)
            c = count
        }
    }

    /// An array of `count` values whose first `lookback` are NaN; `body` must write every later index
    /// (it is only called when count > lookback). Saves a pass over memory for the simple indicators.
    @inline(__always)
    static func make(_ count: Int, lookback: Int, _ body: (IndDMutPtr) -> Void) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buf, c in
            if count <= lookback {
                buf.initialize(repeating: .nan)
            } else {
                (buf.baseAddress! as UnsafeMutablePointer<Double>).initialize(repeating: .nan, count: lookback)
                body(buf)
            }
            c = count
        }
    }

    /// Three arrays of `count` values filled together by `body`; the first `lookback` of each are NaN
    /// and `body` (called only when count > lookback) must write every later index of all three.
    @inline(__always)
    static func make3(_ count: Int, lookback: Int, _ body: (IndDMutPtr, IndDMutPtr, IndDMutPtr) -> Void)
        -> [[Double]]
    {
        var second: [Double] = []
        var third: [Double] = []
        let first = [Double](unsafeUninitializedCapacity: count) { a, ca in
            second = [Double](unsafeUninitializedCapacity: count) { b, cb in
                third = [Double](unsafeUninitializedCapacity: count) { c, cc in
                    let k = Swift.min(lookback, count)
                    for buf in [a, b, c] { buf.baseAddress?.initialize(repeating: .nan, count: k) }
                    if count > lookback { body(a, b, c) }
                    cc = count
                }
                cb = count
            }
            ca = count
        }
        return [first, second, third]
    }

    static func sma(_ x: [Double], _ n: Int) -> [Double] {
        x.withUnsafeBufferPointer { x in make(x.count, lookback: n - 1) { o in smaInto(x, 0, n, o) } }
    }

    /// SMA of x[from...] written to o[from + n - 1 ...].
    @inline(__always)
    static func smaInto(_ x: IndDPtr, _ from: Int, _ n: Int, _ o: IndDMutPtr) {
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
        x.withUnsafeBufferPointer { x in make(x.count, lookback: n - 1) { o in emaInto(x, 0, n, o) } }
    }

    /// EMA of x[from...] (seeded by the SMA of x[from ..< from+n]) written to o[from + n - 1 ...].
    @inline(__always)
    static func emaInto(_ x: IndDPtr, _ from: Int, _ n: Int, _ o: IndDMutPtr) {
        let cnt = x.count
        guard cnt - from >= n else { return }
        let nd = Double(n)
        let k = 2.0 / Double(n + 1)
        let k1 = 1.0 - k
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
            prev = emaNext(prev, x[i], k, k1)
            o[i] = prev
            i += 1
        }
    }

    static func rsi(_ x: [Double], _ n: Int) -> [Double] {
        x.withUnsafeBufferPointer { x in
            make(x.count, lookback: n) { o in
                let cnt = x.count
                let nd = Double(n)
                let wa = Double(n - 1) / Double(n)
                let wb = 1.0 / Double(n)
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
                o[n] = s == 0 ? 0.0 : 100.0 * (g / s)
                var i = n + 1
                while i < cnt {
                    let d = x[i] - prev
                    prev = x[i]
                    g = wilderNext(g, indPosPart(d), wa, wb)
                    l = wilderNext(l, indNegPart(d), wa, wb)
                    s = g + l
                    o[i] = s == 0 ? 0.0 : 100.0 * (g / s)
                    i += 1
                }
            }
        }
    }

    /// MACD with its three EMA chains (slow, fast, signal) fused in one loop so they run in parallel.
    static func macd(_ x: [Double], _ f0: Int, _ s0: Int, _ g: Int) -> [[Double]] {
        let (f, s) = f0 > s0 ? (s0, f0) : (f0, s0)
        let first = s - 1 + g - 1
        return x.withUnsafeBufferPointer { x in
            make3(x.count, lookback: first) { m, sg, h in
                let cnt = x.count
                let ks = 2.0 / Double(s + 1)
                let ks1 = 1.0 - ks
                let kf = 2.0 / Double(f + 1)
                let kf1 = 1.0 - kf
                let kg = 2.0 / Double(g + 1)
                let kg1 = 1.0 - kg
                var accS = 0.0
                var accF = 0.0
                var i = 0
                while i < s - 1 {
                    accS += x[i]
                    if i >= s - f { accF += x[i] }
                    i += 1
                }
                var slow = (accS + x[i]) / Double(s)
                var fast = (accF + x[i]) / Double(f)
                var mm = fast - slow
                var accG = 0.0
                while i < first {
                    if i > s - 1 {
                        slow = emaNext(slow, x[i], ks, ks1)
                        fast = emaNext(fast, x[i], kf, kf1)
                        mm = fast - slow
                    }
                    accG += mm
                    i += 1
                }
                if i > s - 1 {
                    slow = emaNext(slow, x[i], ks, ks1)
                    fast = emaNext(fast, x[i], kf, kf1)
                    mm = fast - slow
                }
                var sig = (accG + mm) / Double(g)
                m[i] = mm
                sg[i] = sig
                h[i] = mm - sig
                i += 1
                while i < cnt {
                    let v = x[i]
                    slow = emaNext(slow, v, ks, ks1)
                    fast = emaNext(fast, v, kf, kf1)
                    mm = fast - slow
                    sig = emaNext(sig, mm, kg, kg1)
                    m[i] = mm
                    sg[i] = sig
                    h[i] = mm - sig
                    i += 1
                }
            }
        }
    }

    static func bbands(_ x: [Double], _ n: Int, _ dev: Double) -> [[Double]] {
        x.withUnsafeBufferPointer { x in
            make3(x.count, lookback: n - 1) { u, m, l in
                let cnt = x.count
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
                    let ex2 = t / nd
                    var mean2 = ex2
                    total2 = t - old * old
                    mean2 -= mm * mm
                    let sd = bbandsDeviation(mean2, ex2)
                    let w = one ? sd : sd * dev
                    u[i] = mm + w
                    m[i] = mm
                    l[i] = mm - w
                    i += 1
                }
            }
        }
    }

    /// Sliding maximum (or minimum) of every window of `n` values ending at i >= n-1, written to o[i]
    /// (van Herk / Gil-Werman: blocks of n, running prefix extreme of the current block combined with the
    /// suffix extremes of the previous one; three branch-free comparisons per value). Exact: the result
    /// is one of the inputs, the same as the streaming deque's.
    @inline(__always)
    static func slidingExtreme(_ x: IndDPtr, _ n: Int, _ o: IndDMutPtr, max isMax: Bool) {
        let cnt = x.count
        guard cnt >= n, n > 0 else { return }
        @inline(__always) func pick(_ a: Double, _ b: Double) -> Double { isMax ? (a > b ? a : b) : (a < b ? a : b) }
        let suf = UnsafeMutablePointer<Double>.allocate(capacity: n + 1)
        defer { suf.deallocate() }
        // Suffix extremes of block 0.
        var start = 0
        var acc = x[n - 1]
        suf[n - 1] = acc
        var k = n - 2
        while k >= 0 {
            acc = pick(x[k], acc)
            suf[k] = acc
            k -= 1
        }
        o[n - 1] = suf[0]
        start = n
        while start < cnt {
            let end = Swift.min(start + n, cnt)
            var run = x[start]
            var i = start
            while i < end {
                if i > start { run = pick(run, x[i]) }
                let kk = i - start
                o[i] = kk == n - 1 ? run : pick(suf[kk + 1], run)
                i += 1
            }
            if end - start == n {
                var a = x[end - 1]
                suf[n - 1] = a
                var j = n - 2
                while j >= 0 {
                    a = pick(x[start + j], a)
                    suf[j] = a
                    j -= 1
                }
            }
            start = end
        }
    }

    /// Highest high and lowest low of each window of `n` (NaN before n-1).
    static func highestLowest(_ h: IndDPtr, _ l: IndDPtr, _ n: Int) -> ([Double], [Double]) {
        let hh = make(h.count) { o in slidingExtreme(h, n, o, max: true) }
        let ll = make(l.count) { o in slidingExtreme(l, n, o, max: false) }
        return (hh, ll)
    }

    /// Highest of `h` and lowest of `l` over each window of `n` ending at i, for i >= n-1, handed to
    /// `body` in order (the van Herk / Gil-Werman scheme of `slidingExtreme`, both series in one pass,
    /// no temporary arrays).
    @inline(__always)
    static func windowExtremes(
        _ h: IndDPtr, _ l: IndDPtr, _ n: Int, _ body: (Int, Double, Double) -> Void
    ) {
        let cnt = h.count
        guard cnt >= n, n > 0 else { return }
        @inline(__always) func mx(_ a: Double, _ b: Double) -> Double { a > b ? a : b }
        @inline(__always) func mn(_ a: Double, _ b: Double) -> Double { a < b ? a : b }
        let sh = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n)
        defer { sh.deallocate() }
        let sl = sh + n
        @inline(__always) func suffixes(_ start: Int) {
            // The running extremes stay in registers (reading back sh[j+1] would chain through memory).
            var a = h[start + n - 1]
            var b = l[start + n - 1]
            sh[n - 1] = a
            sl[n - 1] = b
            var j = n - 2
            while j >= 0 {
                a = mx(h[start + j], a)
                b = mn(l[start + j], b)
                sh[j] = a
                sl[j] = b
                j -= 1
            }
        }
        suffixes(0)
        body(n - 1, sh[0], sl[0])
        var start = n
        while start < cnt {
            let end = Swift.min(start + n, cnt)
            var rh = h[start]
            var rl = l[start]
            // Offset 0 of the block.
            if n == 1 {
                body(start, rh, rl)
            } else {
                body(start, mx(sh[1], rh), mn(sl[1], rl))
            }
            var i = start + 1
            while i < end {
                rh = mx(rh, h[i])
                rl = mn(rl, l[i])
                let k = i - start
                if k == n - 1 {
                    body(i, rh, rl)
                } else {
                    body(i, mx(sh[k + 1], rh), mn(sl[k + 1], rl))
                }
                i += 1
            }
            if end - start == n { suffixes(start) }
            start = end
        }
    }

    static func donchian(_ h: [Double], _ l: [Double], _ n: Int) -> [[Double]] {
        let (hh, ll) = h.withUnsafeBufferPointer { h in l.withUnsafeBufferPointer { l in highestLowest(h, l, n) } }
        let mid = make(h.count) { o in
            var i = n - 1
            while i < h.count {
                o[i] = (hh[i] + ll[i]) / 2.0
                i += 1
            }
        }
        return [hh, mid, ll]
    }

    static func ichimoku(_ h: [Double], _ l: [Double], _ a: Int, _ b: Int, _ c: Int) -> [[Double]] {
        let mids = [a, b, c].map { n in donchian(h, l, n)[1] }
        let spanA = make(h.count) { o in
            for i in 0..<h.count { o[i] = (mids[0][i] + mids[1][i]) / 2.0 }
        }
        return [mids[0], mids[1], spanA, mids[2]]
    }

    /// Aroon with TA-Lib's rescanning extreme tracking (latest index wins ties).
    static func aroon(_ h: [Double], _ l: [Double], _ n: Int) -> [[Double]] {
        let cnt = h.count
        var down = [Double](repeating: .nan, count: cnt)
        var up = [Double](repeating: .nan, count: cnt)
        guard cnt > n else { return [down, up] }
        h.withUnsafeBufferPointer { h in
            l.withUnsafeBufferPointer { l in
                down.withUnsafeMutableBufferPointer { dn in
                    up.withUnsafeMutableBufferPointer { upo in
                        let factor = 100.0 / Double(n)
                        var hIdx = -1
                        var lIdx = -1
                        var hh = 0.0
                        var ll = 0.0
                        var today = n
                        while today < cnt {
                            let trailing = today - n
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
                            } else if l[today] <= ll {
                                lIdx = today
                                ll = l[today]
                            }
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
                            } else if h[today] >= hh {
                                hIdx = today
                                hh = h[today]
                            }
                            upo[today] = factor * Double(n - (today - hIdx))
                            dn[today] = factor * Double(n - (today - lIdx))
                            today += 1
                        }
                    }
                }
            }
        }
        return [down, up]
    }

    static func willr(_ h: [Double], _ l: [Double], _ c: [Double], _ n: Int) -> [Double] {
        h.withUnsafeBufferPointer { h in
            l.withUnsafeBufferPointer { l in
                c.withUnsafeBufferPointer { c in
                    make(c.count, lookback: n - 1) { o in
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
                            smaInto(IndDPtr(dd), fk - 1, sk, kk)
                            for i in 0..<cnt { dd[i] = .nan }
                            smaInto(IndDPtr(kk), fk - 1 + sk - 1, sd, dd)
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
                    make(c.count, lookback: n) { o in
                        let cnt = c.count
                        @inline(__always) func put(_ i: Int, _ a: Double) { o[i] = a }
                        if n == 1 {
                            for i in 1..<cnt { put(i, indTrueRange(h[i], l[i], c[i - 1])) }
                            return
                        }
                        let nd = Double(n)
                        let wa = Double(n - 1) / Double(n)
                        let wb = 1.0 / Double(n)
                        let wa2 = wa * wa
                        let wab = wa * wb
                        var a = 0.0
                        for i in 1...n { a += indTrueRange(h[i], l[i], c[i - 1]) }
                        a /= nd
                        put(n, a)
                        var i = n + 1
                        while i + 1 < cnt {
                            let t1 = indTrueRange(h[i], l[i], c[i - 1])
                            let t2 = indTrueRange(h[i + 1], l[i + 1], c[i])
                            put(i, wilderNext(a, t1, wa, wb))
                            a = atrTwoSteps(a, t1, t2, wa2, wab, wb)
                            put(i + 1, a)
                            i += 2
                        }
                        if i < cnt { put(i, wilderNext(a, indTrueRange(h[i], l[i], c[i - 1]), wa, wb)) }
                    }
                }
            }
        }
    }

    /// NATR: 100·ATR/close (0 when close is 0), the ATR loop with the division fused in.
    static func natr(_ h: [Double], _ l: [Double], _ c: [Double], _ n: Int) -> [Double] {
        h.withUnsafeBufferPointer { h in
            l.withUnsafeBufferPointer { l in
                c.withUnsafeBufferPointer { c in
                    make(c.count, lookback: n) { o in
                        let cnt = c.count
                        @inline(__always) func put(_ i: Int, _ a: Double) {
                            o[i] = c[i] == 0 ? 0.0 : (a / c[i]) * 100.0
                        }
                        if n == 1 {
                            for i in 1..<cnt { put(i, indTrueRange(h[i], l[i], c[i - 1])) }
                            return
                        }
                        let nd = Double(n)
                        let wa = Double(n - 1) / Double(n)
                        let wb = 1.0 / Double(n)
                        let wa2 = wa * wa
                        let wab = wa * wb
                        var a = 0.0
                        for i in 1...n { a += indTrueRange(h[i], l[i], c[i - 1]) }
                        a /= nd
                        put(n, a)
                        var i = n + 1
                        while i + 1 < cnt {
                            let t1 = indTrueRange(h[i], l[i], c[i - 1])
                            let t2 = indTrueRange(h[i + 1], l[i + 1], c[i])
                            put(i, wilderNext(a, t1, wa, wb))
                            a = atrTwoSteps(a, t1, t2, wa2, wab, wb)
                            put(i + 1, a)
                            i += 2
                        }
                        if i < cnt { put(i, wilderNext(a, indTrueRange(h[i], l[i], c[i - 1]), wa, wb)) }
                    }
                }
            }
        }
    }

    /// MFI: the same arithmetic as `MFIKernel`, with the flows of the window in a small ring.
    static func mfi(_ h: [Double], _ l: [Double], _ c: [Double], _ v: [Double], _ n: Int) -> [Double] {
        h.withUnsafeBufferPointer { h in
            l.withUnsafeBufferPointer { l in
                c.withUnsafeBufferPointer { c in
                    v.withUnsafeBufferPointer { v in
                        make(c.count, lookback: n) { o in
                            let cnt = c.count
                            let ring = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n)
                            defer { ring.deallocate() }
                            let pos = ring
                            let neg = ring + n
                            var slot = 0
                            var ps = 0.0
                            var ns = 0.0
                            var live = 0
                            var prevTP = (h[0] + l[0] + c[0]) / 3.0
                            var i = 1
                            while i < cnt {
                                let tp = (h[i] + l[i] + c[i]) / 3.0
                                if i > n {
                                    let op = pos[slot]
                                    let on = neg[slot]
                                    ps -= op
                                    ns -= on
                                    live -= (op != 0 || on != 0) ? 1 : 0
                                }
                                let (pf, nf, nz) = mfiFlows(tp, prevTP, v[i])
                                ps += pf
                                ns += nf
                                live += nz
                                if i >= n {
                                    let s = ps + ns
                                    o[i] = live == 0 || s == 0 ? 0.0 : 100.0 * (ps / s)
                                }
                                pos[slot] = pf
                                neg[slot] = nf
                                slot += 1
                                if slot == n { slot = 0 }
                                prevTP = tp
                                i += 1
                            }
                        }
                    }
                }
            }
        }
    }

    static func change(_ x: [Double], _ n: Int, ratio: Bool) -> [Double] {
        x.withUnsafeBufferPointer { x in
            make(x.count, lookback: n) { o in
                var i = n
                if ratio {
                    while i < x.count {
                        let p = x[i - n]
                        o[i] = p != 0.0 ? ((x[i] / p) - 1.0) * 100.0 : 0.0
                        i += 1
                    }
                } else {
                    // Raw pointers and a counted loop so the compiler vectorises it.
                    let now = x.baseAddress! + n
                    let then = x.baseAddress!
                    let out = o.baseAddress! + n
                    for j in 0..<(x.count - n) { out[j] = now[j] - then[j] }
                }
            }
        }
    }

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
