/// Settings of portfolios (`portfolios.*`).
public struct PortfolioSettings: Sendable, Equatable {
    /// How often every portfolio's value is recorded for its history (and the held portfolios and sector members
    /// are read again), in seconds.
    public var snapshotSeconds: Int

    public init(snapshotSeconds: Int = 300) {
        self.snapshotSeconds = snapshotSeconds
    }
}
