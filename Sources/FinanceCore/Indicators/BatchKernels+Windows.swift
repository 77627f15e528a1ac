// Batch kernels over sliding windows: extremes, ranges, Donchian, Ichimoku, Aroon, Williams %R, Stochastic, ATR,
// NATR, MFI, ROC/momentum.
extension BatchKernels {
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
}
