#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The one seeded pseudo-random generator (SplitMix64): the same seed gives the same numbers on every platform,
/// so benchmarks, generated data and the simulated market are reproducible.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    var state: UInt64

    /// A generator for `seed` (benchmarks and generators use this one).
    public init(seed: UInt64) { self.state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// A generator whose internal state starts at `state` (the simulated market's streams are defined this way).
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(self.next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }
    /// Uniform in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * self.uniform() }
    /// Uniform in (0, 1): never 0, so its logarithm is finite.
    public mutating func openUniform() -> Double { (Double(self.next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }
    /// An integer in a...b.
    public mutating func int(_ a: Int, _ b: Int) -> Int { a + Int(self.next() % UInt64(b - a + 1)) }
    /// Standard normal (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(self.uniform(), 1e-300)
        let u2 = self.uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
    /// Standard normal (Box–Muller) from two open uniforms.
    public mutating func openNormal() -> Double {
        (-2 * log(self.openUniform())).squareRoot() * cos(2 * Double.pi * self.openUniform())
    }
}
