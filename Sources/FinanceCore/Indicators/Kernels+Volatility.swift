// Streaming kernels, volatility: ATR and NATR.

@usableFromInline
struct ATRKernel: IndicatorKernel {
    @usableFromInline var s: ATRState
    @usableFromInline let normalized: Bool
    @usableFromInline init(_ n: Int, normalized: Bool = false) {
        s = ATRState(n)
        self.normalized = normalized
    }
    @inline(__always) @usableFromInline mutating func step(_ b: Bar, commit: Bool) -> IndicatorValues {
        let a = s.step(b, commit: commit)
        if normalized && !a.isNaN {
            return IndicatorValues(b.close == 0 ? 0.0 : (a / b.close) * 100.0, .nan, .nan, .nan)
        }
        return IndicatorValues(a, .nan, .nan, .nan)
    }
}

/// OBV step without branches: adds, subtracts or keeps the volume.
@inline(__always) @usableFromInline
func obvNext(_ obv: Double, _ x: Double, _ prev: Double, _ v: Double) -> Double {
    // Bit masks instead of selects: the compiler turns `x > prev ? v : 0` into an unpredictable branch.
    let upMask = 0 &- UInt64(x > prev ? 1 : 0)
    let downMask = 0 &- UInt64(x < prev ? 1 : 0)
    let up = Double(bitPattern: v.bitPattern & upMask)
    let down = Double(bitPattern: v.bitPattern & downMask)
    return (obv + up) - down
}
