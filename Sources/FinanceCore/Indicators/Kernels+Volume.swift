// Streaming kernels, volume: OBV and VWAP.

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
