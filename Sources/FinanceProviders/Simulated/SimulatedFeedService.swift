import FinanceCore
import FinanceStorage
import Foundation
import Logging
import ServiceLifecycle

/// Runs the simulated market in real time and sends its ticks through the one ingestion path.
public struct SimulatedFeedService: Service {
    public let ingestor: Ingestor
    public let instruments: [SimulatedInstrument]
    public let seed: UInt64
    public let ticksPerSecond: Double
    let logger: Logger

    public init(
        ingestor: Ingestor, instruments: [SimulatedInstrument], seed: UInt64, ticksPerSecond: Double, logger: Logger
    ) {
        self.ingestor = ingestor
        self.instruments = instruments
        self.seed = seed
        self.ticksPerSecond = ticksPerSecond
        self.logger = logger
    }

    /// Creates the watchlist's assets (with their classes) where missing.
    public func ensureAssets() async throws {
        for instrument in self.instruments {
            do {
                try await self.ingestor.store.createAsset(instrument.asset)
            } catch StorageError.conflict {
                let existing = try await self.ingestor.store.asset(instrument.asset.symbol)
                if existing.assetClass == .unknown { try await self.ingestor.store.updateAsset(instrument.asset) }
            }
        }
    }

    public func run() async throws {
        try await self.ensureAssets()
        var market = SimulatedMarket(
            instruments: self.instruments, seed: self.seed, ticksPerSecond: self.ticksPerSecond)
        let period = Duration.nanoseconds(Int64(1e9 / max(self.ticksPerSecond, 0.001)))
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: period) }
            } catch {
                return
            }
            let now = Int64(Date.now.timeIntervalSince1970 * 1000)
            do {
                try await self.ingestor.ingest(ticks: market.step(ts: now))
                failures = 0
            } catch {
                failures += 1
                // A busy database (e.g. a long CLI import on the same file) delays ticks; keep going.
                if failures == 1 || failures % 100 == 0 {
                    self.logger.warning(
                        "simulated feed could not store ticks",
                        metadata: ["error": "\(error)", "failures": "\(failures)"])
                }
            }
        }
    }
}
