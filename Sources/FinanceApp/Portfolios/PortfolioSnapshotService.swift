import FinanceCore
import FinanceStorage
import Logging
import ServiceLifecycle

/// Every `portfolios.snapshotSeconds`: reads the portfolios and the sector members again (changes made through
/// other instances), values every portfolio at the quote book's prices and records the values for the history.
/// A snapshot's time is the start of its period, so instances sharing a database write the same rows (the last
/// one's value wins) instead of one row each.
public struct PortfolioSnapshotService: Service {
    public let valuation: PortfolioValuation
    /// The live sector index, whose members are read again with the portfolios.
    public let sectors: SectorIndex?
    public let settings: PortfolioSettings
    public let clock: any WallClock
    public let logger: Logger

    public init(
        valuation: PortfolioValuation, sectors: SectorIndex?, settings: PortfolioSettings, clock: any WallClock,
        logger: Logger
    ) {
        self.valuation = valuation
        self.sectors = sectors
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                do {
                    _ = try await self.snapshot()
                    if failing { self.logger.info("portfolio snapshots are written again") }
                    failing = false
                } catch is CancellationError {
                    return
                } catch {
                    // Logged once until it works again: a database down for an hour does not log every period.
                    if !failing {
                        self.logger.warning("portfolio snapshots failed", metadata: ["error": "\(error)"])
                    }
                    failing = true
                }
                guard (try? await Task.sleep(for: .seconds(max(1, self.settings.snapshotSeconds)))) != nil else {
                    return
                }
            }
        }
    }

    /// One round: reloads, values and records every portfolio with a value (one whose holdings all have a price);
    /// returns the snapshots written.
    @discardableResult
    public func snapshot() async throws -> [PortfolioSnapshot] {
        try await self.valuation.reload()
        try await self.sectors?.reload()
        let period = Int64(max(1, self.settings.snapshotSeconds)) * 1_000
        let now = self.clock.nowMilliseconds()
        let ts = now - ((now % period) + period) % period
        var snapshots: [PortfolioSnapshot] = []
        for portfolio in self.valuation.portfolios {
            if let value = try await self.valuation.value(of: portfolio).value {
                snapshots.append(PortfolioSnapshot(portfolioId: portfolio.id, ts: ts, value: value))
            }
        }
        try await self.valuation.repository.appendPortfolioSnapshots(snapshots)
        return snapshots
    }
}
