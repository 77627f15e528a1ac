import FinanceCore
import FinanceProviders

/// Everything the HTTP server needs to know from configuration.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// The largest request body read; larger ones get 413.
    public var maxBodyBytes: Int
    /// The simulated feed, or nil when `--feed none`.
    public var simulatedFeed: SimulatedFeedSettings?

    public init(
        host: String = "127.0.0.1", port: Int = 8000, maxBodyBytes: Int = 10 * 1024 * 1024,
        simulatedFeed: SimulatedFeedSettings? = SimulatedFeedSettings()
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.simulatedFeed = simulatedFeed
    }
}

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
