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
        // The time between steps in a catch-up batch, in whole ms (ticks of one symbol never share a time).
        let stepMs = max(1, Int64((1000 / max(self.ticksPerSecond, 0.001)).rounded()))
        let clock = ContinuousClock()
        var pace = FeedPace(period: period, start: clock.now)
        var lastTs = Int64.min
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let deadline = pace.next
                try await cancelWhenGracefulShutdown { try await Task.sleep(until: deadline, clock: clock) }
            } catch {
                return
            }
            // Every step due since the last ingest goes into one batch, so the rate holds when storing a batch
            // takes longer than a period.
            let due = pace.due(at: clock.now)
            let now = Int64(Date.now.timeIntervalSince1970 * 1000)
            var ticks: [Tick] = []
            for k in 0..<due {
                let ts = max(now - Int64(due - 1 - k) * stepMs, lastTs + 1)
                lastTs = ts
                ticks += market.step(ts: ts)
            }
            do {
                try await self.ingestor.ingest(ticks: ticks)
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

/// Deadline pacing of the simulated feed: steps fall due every `period` from `start`, whatever each ingest takes.
struct FeedPace {
    let period: Duration
    /// When the next step falls due.
    private(set) var next: ContinuousClock.Instant
    /// The most steps one batch catches up; beyond it (the process was stalled) the missed steps are skipped.
    static let maxCatchUp = 1_000

    init(period: Duration, start: ContinuousClock.Instant) {
        self.period = period
        self.next = start + period
    }

    /// The number of steps due at `now` (at least 1: the caller slept until `next`), and advances `next` past them.
    mutating func due(at now: ContinuousClock.Instant) -> Int {
        var count = 1
        self.next += self.period
        while self.next <= now && count < Self.maxCatchUp {
            count += 1
            self.next += self.period
        }
        if self.next <= now { self.next = now + self.period }
        return count
    }
}
