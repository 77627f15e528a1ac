import FinanceCore
import FinanceProviders
import FinanceStorage
import Logging
import ServiceLifecycle

/// Moves a live provider's trades into the one ingestion path, as live data, until graceful shutdown. The
/// assets of its symbols are created first (with their class, when the provider can look them up). A failing
/// stream is opened again after a pause; a failing store write is logged and the feed goes on.
public struct LiveFeedService: Service {
    public let provider: any LiveTradeProvider
    public let symbols: [String]
    public let assets: any AssetRepository
    public let ingestor: Ingestor
    let logger: Logger
    /// How long to wait before opening a stream again after it failed or ended.
    let retryDelay: Duration

    public init(
        provider: any LiveTradeProvider, symbols: [String], assets: any AssetRepository, ingestor: Ingestor,
        logger: Logger,
        retryDelay: Duration = .seconds(1)
    ) {
        self.provider = provider
        self.symbols = symbols
        self.assets = assets
        self.ingestor = ingestor
        self.logger = logger
        self.retryDelay = retryDelay
    }

    /// Creates the feed's assets where missing, and gives a stored asset of class `unknown` the provider's class.
    public func ensureAssets() async throws {
        guard let search = self.provider as? any SymbolSearchProvider else { return }
        for symbol in self.symbols {
            guard let asset = try await search.searchAssets(symbol).first(where: { $0.symbol == symbol }) else {
                continue
            }
            do {
                try await self.assets.createAsset(asset)
            } catch StorageError.conflict {
                let existing = try await self.assets.asset(symbol)
                if existing.assetClass == .unknown { try await self.assets.updateAsset(asset) }
            }
        }
    }

    public func run() async throws {
        try await self.ensureAssets()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown {
                    try await self.pump(self.provider.trades(symbols: self.symbols))
                }
            } catch {
                self.logger.warning(
                    "live feed failed", metadata: ["provider": "\(self.provider.name)", "error": "\(error)"])
            }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { return }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.retryDelay) }
            } catch {
                return
            }
        }
    }

    /// The most ticks waiting for a write (`TickBacklog`).
    static let backlogCapacity = 200_000

    /// Reads the stream into a backlog while the previous write runs, and writes all that waits at once.
    func pump(_ stream: AsyncThrowingStream<[Tick], any Error>) async throws {
        let backlog = TickBacklog(capacity: Self.backlogCapacity)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { backlog.finish() }
                for try await ticks in stream { backlog.append(ticks) }
            }
            group.addTask {
                var failures = 0
                var exported = self.provider.streamStats ?? LiveStreamStats()
                while let (ticks, dropped) = await backlog.next() {
                    if let stats = self.provider.streamStats {
                        ProviderMetrics.stream(provider: self.provider.name, now: stats, before: exported)
                        exported = stats
                    }
                    if dropped > 0 {
                        self.logger.warning(
                            "live feed dropped ticks: the store is behind",
                            metadata: ["provider": "\(self.provider.name)", "dropped": "\(dropped)"])
                    }
                    for start in stride(from: 0, to: ticks.count, by: Validation.maxBatchItems) {
                        let chunk = Array(ticks[start..<min(start + Validation.maxBatchItems, ticks.count)])
                        failures = await self.store(chunk, failures: failures)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Ingests one batch (its invalid ticks set aside, so that one bad trade does not refuse the others); returns the
    /// count of consecutive failed batches.
    private func store(_ ticks: [Tick], failures: Int) async -> Int {
        var valid = ticks
        do { _ = try Ingestor.validate(ticks: ticks, maxItems: nil) } catch {
            let bad = Set(error.issues.compactMap(\.index))
            valid = ticks.enumerated().filter { !bad.contains($0.offset) }.map(\.element)
            self.logger.warning(
                "live feed skipped invalid ticks",
                metadata: ["provider": "\(self.provider.name)", "skipped": "\(ticks.count - valid.count)"])
        }
        guard !valid.isEmpty else { return failures }
        do {
            try await self.ingestor.ingest(ticks: valid, source: .provider(self.provider.name))
            let now = SystemClock().nowMilliseconds()
            ProviderMetrics.streamLag(provider: self.provider.name, milliseconds: valid.map { now - $0.ts })
            return 0
        } catch {
            // A busy database (e.g. a long CLI import on the same file) delays ticks; keep going.
            let count = failures + 1
            if count == 1 || count % 100 == 0 {
                self.logger.warning(
                    "live feed could not store ticks",
                    metadata: ["provider": "\(self.provider.name)", "error": "\(error)", "failures": "\(count)"])
            }
            return count
        }
    }
}
