import FinanceCore
import FinanceProviders

/// Settings of the simulated feed.
public struct SimulatedFeedSettings: Sendable {
    public var seed: UInt64
    public var ticksPerSecond: Double
    public var instruments: [SimulatedInstrument]
    /// Days of 1-minute history written before the feed's start on a first start (`feed.historyDays`; 0: none).
    public var historyDays: Int

    public init(
        seed: UInt64 = 42, ticksPerSecond: Double = 4,
        instruments: [SimulatedInstrument] = SimulatedInstrument.defaultWatchlist, historyDays: Int = 30
    ) {
        self.seed = seed
        self.ticksPerSecond = ticksPerSecond
        self.instruments = instruments
        self.historyDays = historyDays
    }
}

extension SimulatedFeedSettings {
    /// The simulated market these settings describe, as a provider.
    public func provider(clock: any WallClock) -> SimulatedProvider {
        SimulatedProvider(
            instruments: self.instruments, seed: self.seed, ticksPerSecond: self.ticksPerSecond, clock: clock)
    }
}
