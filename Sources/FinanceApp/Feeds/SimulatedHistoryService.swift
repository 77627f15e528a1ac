import FinanceCore
import FinanceProviders
import FinanceStorage
import Logging
import ServiceLifecycle
import Synchronization

/// How the simulated history is coming along, for logs and tests.
public final class SimulatedHistoryStatus: Sendable {
    public enum State: Sendable, Equatable {
        case pending
        /// Days written so far of `total`.
        case writing(days: Int, total: Int)
        /// Done: this many bars were written.
        case written(bars: Int)
        /// Not written, and why (the store has data already, another instance writes it, `feed.historyDays` 0).
        case skipped(String)
        case failed(String)
    }

    private let state = Mutex(State.pending)

    public init() {}

    public var current: State { self.state.withLock { $0 } }

    func set(_ state: State) { self.state.withLock { $0 = state } }
}

/// Writes `feed.historyDays` days of 1-minute bars of the simulated symbols before the live feed's start
/// (`SimulatedHistory`: deterministic for the seed, ending at the live feed's start price) as history, on a first
/// start: when no simulated symbol has a stored bar before `end`. It runs beside the server (`/ready` does not wait
/// for it), one UTC day of every symbol per transaction, logging its progress; with several instances on one
/// database only the holder of the `simulated-history` job lock writes it. Then it waits for shutdown.
public struct SimulatedHistoryService: Service {
    public static let job = "simulated-history"

    public let feed: SimulatedFeedSettings
    /// The first minute of the live feed: history covers the `feed.historyDays` days before it.
    public let end: Int64
    public let marketData: any MarketDataRepository
    public let assets: any AssetRepository
    public let ingestor: Ingestor
    public let lock: any JobLock
    public let status: SimulatedHistoryStatus
    let logger: Logger

    public init(
        feed: SimulatedFeedSettings, end: Int64, marketData: any MarketDataRepository, assets: any AssetRepository,
        ingestor: Ingestor, lock: any JobLock, status: SimulatedHistoryStatus = SimulatedHistoryStatus(),
        logger: Logger
    ) {
        self.feed = feed
        self.end = Interval.minute1.bucketStart(end)
        self.marketData = marketData
        self.assets = assets
        self.ingestor = ingestor
        self.lock = lock
        self.status = status
        self.logger = logger
    }

    public func run() async throws {
        do {
            _ = try await cancelWhenGracefulShutdown { try await self.writeIfNeeded() }
        } catch is CancellationError {
            self.status.set(.failed("stopped by shutdown"))
        } catch {
            self.status.set(.failed("\(error)"))
            self.logger.warning("simulated history could not be written", metadata: ["error": "\(error)"])
        }
        // A service that returns would stop the application: wait for shutdown.
        try? await gracefulShutdown()
    }

    /// Writes the history when the store has none and no other instance writes it; returns the final state.
    @discardableResult
    public func writeIfNeeded() async throws -> SimulatedHistoryStatus.State {
        let state = try await self.decideAndWrite()
        self.status.set(state)
        if case .skipped(let why) = state {
            self.logger.info("simulated history not written", metadata: ["reason": "\(why)"])
        }
        return state
    }

    private func decideAndWrite() async throws -> SimulatedHistoryStatus.State {
        let days = self.feed.historyDays
        guard days > 0, !self.feed.instruments.isEmpty else { return .skipped("feed.historyDays is 0") }
        if try await self.hasData() { return .skipped("the store already has data of the simulated symbols") }
        guard let lease = try await self.lock.tryAcquire(Self.job) else {
            return .skipped("another instance writes it")
        }
        do {
            // The holder before us may have written it meanwhile.
            let state: SimulatedHistoryStatus.State
            if try await self.hasData() {
                state = .skipped("the store already has data of the simulated symbols")
            } else {
                state = .written(bars: try await self.write(days: days))
            }
            await lease.release()
            return state
        } catch {
            await lease.release()
            throw error
        }
    }

    /// True when some simulated symbol has a stored bar (at any interval) before `end`.
    func hasData() async throws -> Bool {
        for instrument in self.feed.instruments {
            let symbol = instrument.asset.symbol
            for interval in try await self.marketData.storedIntervals(symbol: symbol) {
                let bars = try await self.marketData.bars(
                    symbol: symbol, series: .stored(interval), from: nil, to: self.end, limit: 1, newestFirst: false)
                if !bars.isEmpty { return true }
            }
        }
        return false
    }

    private func write(days: Int) async throws -> Int {
        let start = ContinuousClock.now
        self.logger.info(
            "writing simulated history",
            metadata: [
                "days": "\(days)", "symbols": "\(self.feed.instruments.map(\.asset.symbol).joined(separator: ","))",
            ])
        for instrument in self.feed.instruments {
            do {
                try await self.assets.createAsset(instrument.asset)
            } catch StorageError.conflict {
                // The live feed created it (it also gives an `unknown` asset its class).
            }
        }
        let series = self.feed.instruments.map { instrument in
            SimulatedHistory.minuteBars(
                instrument, seed: self.feed.seed, end: self.end, minutes: days * 1_440,
                ticksPerMinute: self.feed.ticksPerSecond * 60)
        }
        var written = 0
        for day in 0..<days {
            try Task.checkCancellation()
            let range = (day * 1_440)..<((day + 1) * 1_440)
            let batches = try zip(self.feed.instruments, series).map { instrument, bars in
                try Ingestor.validate(
                    symbol: instrument.asset.symbol, interval: .minute1,
                    bars: bars[range].enumerated().map { IncomingBar(index: $0.offset, bar: $0.element) },
                    maxItems: nil)
            }
            written += try await self.ingestor.ingest(batches: batches, freshness: .historical, source: .simulated)
                .accepted
            self.status.set(.writing(days: day + 1, total: days))
            if days <= 10 || (day + 1) % 5 == 0 || day + 1 == days {
                self.logger.info("simulated history", metadata: ["days": "\(day + 1)/\(days)", "bars": "\(written)"])
            }
        }
        let elapsed = ContinuousClock.now - start
        self.logger.info(
            "simulated history written",
            metadata: ["bars": "\(written)", "seconds": "\(elapsed.components.seconds)"])
        return written
    }
}
