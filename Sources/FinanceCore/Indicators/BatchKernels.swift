// Hand-written batch loops for the ten core indicators. Each does the same floating-point operations in
// the same order as its streaming kernel (Kernels+*.swift), so batch and streaming agree bit for bit; the
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
}
