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
                    var failures = 0
                    for try await ticks in self.provider.trades(symbols: self.symbols) {
                        failures = await self.store(ticks, failures: failures)
                    }
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

    /// Ingests one batch; returns the count of consecutive failed batches.
    private func store(_ ticks: [Tick], failures: Int) async -> Int {
        do {
            try await self.ingestor.ingest(ticks: ticks, source: .provider(self.provider.name))
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
