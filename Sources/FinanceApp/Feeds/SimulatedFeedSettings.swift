import FinanceCore
import FinanceProviders

/// Settings of the simulated feed.
public struct SimulatedFeedSettings: Sendable {
    public var seed: UInt64
    public var ticksPerSecond: Double
    public var instruments: [SimulatedInstrument]

    public init(
        seed: UInt64 = 42, ticksPerSecond: Double = 4,
        instruments: [SimulatedInstrument] = SimulatedInstrument.defaultWatchlist
    ) {
        self.seed = seed
        self.ticksPerSecond = ticksPerSecond
        self.instruments = instruments
    }
}

extension SimulatedFeedSettings {
    /// The simulated market these settings describe, as a provider.
    public func provider(clock: any WallClock) -> SimulatedProvider {
        SimulatedProvider(
            instruments: self.instruments, seed: self.seed, ticksPerSecond: self.ticksPerSecond, clock: clock)
    }
}
