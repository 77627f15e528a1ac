// Streaming kernels: one value type per indicator, fed one bar at a time.
//
// Every kernel computes the outputs of "the next bar" in `step(_:commit:)`. With `commit == false` the
// kernel's state is left untouched, so the same still-open bar can be evaluated again and again
// (live bars); with `commit == true` the bar is closed and becomes part of the state. The batch engine
// runs the same kernels (or a hand-written loop doing the same arithmetic in the same order), which is
// why streaming and batch agree bit for bit.
//
// Conventions follow TA-Lib 0.8.1 (classic compatibility, unstable period 0). Missing values are NaN.

/// The outputs of one step (up to four; unused lanes are NaN).
public typealias IndicatorValues = SIMD4<Double>

@usableFromInline
let indNaN4 = IndicatorValues(repeating: .nan)

@usableFromInline
protocol IndicatorKernel: Sendable {
    mutating func step(_ bar: Bar, commit: Bool) -> IndicatorValues
}

/// TA-Lib's absolute zero test (TA_IS_ZERO).
@inline(__always) @usableFromInline
func indIsZeroAbs(_ x: Double) -> Bool { -1e-14 < x && x < 1e-14 }

/// TA-Lib 0.8's relative zero test for a difference `a - b`.
@inline(__always) @usableFromInline
func indIsZeroRel(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-14 * (abs(a) + abs(b)) }

/// TA-Lib's true range given the previous close.
@inline(__always) @usableFromInline
func indTrueRange(_ h: Double, _ l: Double, _ pc: Double) -> Double {
    var out = h - l
    let a = abs(h - pc)
    if a > out { out = a }
    let b = abs(l - pc)
    if b > out { out = b }
    return out
}
