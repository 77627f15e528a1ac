import FinanceCore
import FinanceProviders
import Logging
import ServiceLifecycle

/// Polls the quotes of `symbols` through the providers every `interval` and ingests each new price as a live tick
/// from its provider (run it through `ExclusiveService`, so that one instance polls).
public struct ProviderPoller: Service {
    public let symbols: [String]
    public let interval: Duration
    public let router: ProviderRouter
    public let ingestor: Ingestor
    public let resolver: SymbolResolver
    public let logger: Logger

    public init(
        symbols: [String], interval: Duration, router: ProviderRouter, ingestor: Ingestor,
        resolver: SymbolResolver = SymbolResolver(), logger: Logger
    ) {
        self.symbols = symbols
        self.interval = interval
        self.router = router
        self.ingestor = ingestor
        self.resolver = resolver
        self.logger = logger
    }

    public func run() async throws {
        var last: [String: Int64] = [:]
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            for symbol in self.symbols {
                guard !Task.isCancelled && !Task.isShuttingDownGracefully else { return }
                if let ts = await self.poll(symbol, after: last[symbol]) { last[symbol] = ts }
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }

    /// Fetches one quote and ingests it when it is newer than `after`; returns its time.
    func poll(_ symbol: String, after: Int64?) async -> Int64? {
        let assetClass = self.resolver.assetClass(of: symbol, stored: nil)
        let candidates = self.resolver.providers(for: assetClass, among: self.router.providers.map(\.name))
        do {
            let routed = try await self.router.run(.quote, among: candidates) { provider, call in
                guard let quotes = provider as? any QuoteProvider else { throw ProviderError.unsupported("quotes") }
                return try await quotes.quote(
                    self.resolver.upstream(symbol, provider: provider.name, assetClass: assetClass, currency: nil),
                    call: call)
            }
            let quote = routed.value.quote
            guard quote.ts > (after ?? .min) else { return after }
            try await self.ingestor.ingest(
                ticks: [Tick(symbol: symbol, ts: quote.ts, price: quote.price)], source: .provider(routed.provider))
            return quote.ts
        } catch {
            self.logger.warning("polling a quote failed", metadata: ["symbol": "\(symbol)", "error": "\(error)"])
            return after
        }
    }
}
