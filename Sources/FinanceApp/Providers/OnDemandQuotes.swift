import FinanceCore
import FinanceProviders
import FinanceStorage
import Logging

/// A quote with where it came from and what its change compares with.
public struct SourcedQuote: Sendable, Equatable {
    public var quote: Quote
    /// The provider's name, or `simulated`, `push` or `import` for stored data.
    public var source: String
    /// `utcDay` (our stored daily bars), `24h` or `previousClose` (a provider's own figures).
    public var changeBasis: String

    public init(quote: Quote, source: String, changeBasis: String) {
        self.quote = quote
        self.source = source
        self.changeBasis = changeBasis
    }
}

/// `GET /api/quotes/{symbol}` when providers have keys: a symbol fed here (pushes, the simulated feed, imports) is
/// answered from the quote book however old its data; any other symbol without a quote fresher than the quote TTL
/// asks the providers (through the cache, so concurrent requests coalesce and unknown symbols are not asked again
/// within the TTL; failing over between providers), creates its asset with its class, stores the price through
/// the one ingestion path (recording the provider as its source) and answers with the provider's own change figures.
public struct OnDemandQuotes: Sendable {
    public let book: QuoteBook
    public let router: ProviderRouter
    public let cache: ResponseCache<String, Routed<ProviderQuote>>
    public let ingestor: Ingestor
    public let assets: any AssetRepository
    public let sources: DataSourceLedger
    public let resolver: SymbolResolver
    /// Per-asset provider identifiers (the symbol map's overrides).
    public let symbolMap: (any ProviderStateRepository)?
    /// CoinGecko's coin list, for symbols neither the asset table nor the built-in map classifies.
    public let coins: CoinDirectory?
    public let quoteTTLMilliseconds: Int64
    public let clock: any WallClock
    public let logger: Logger

    public init(
        book: QuoteBook, router: ProviderRouter, cache: ResponseCache<String, Routed<ProviderQuote>>,
        ingestor: Ingestor, assets: any AssetRepository, sources: DataSourceLedger, resolver: SymbolResolver,
        symbolMap: (any ProviderStateRepository)? = nil, coins: CoinDirectory? = nil, quoteTTLMilliseconds: Int64,
        clock: any WallClock, logger: Logger
    ) {
        self.book = book
        self.router = router
        self.cache = cache
        self.ingestor = ingestor
        self.assets = assets
        self.sources = sources
        self.resolver = resolver
        self.symbolMap = symbolMap
        self.coins = coins
        self.quoteTTLMilliseconds = quoteTTLMilliseconds
        self.clock = clock
        self.logger = logger
    }

    /// The quote of `symbol`; throws `StorageError.notFound` when nothing knows it, `ProvidersUnavailable` when the
    /// providers that could answer failed.
    /// `admit` runs before each upstream fetch this request causes (not for cache hits): a per-user limit.
    public func quote(symbol: String, admit: (@Sendable () throws -> Void)? = nil) async throws -> SourcedQuote {
        let source = try await self.sources.source(of: symbol)
        if let source, source.isLocal {
            return SourcedQuote(
                quote: try await self.book.quote(symbol: symbol), source: source.rawValue, changeBasis: "utcDay")
        }
        // A provider-fed symbol whose stored price is fresh enough (a live stream feeds it) is answered from the book.
        if let source, let held = try? await self.book.quote(symbol: symbol),
            self.clock.nowMilliseconds() - held.ts < self.quoteTTLMilliseconds
        {
            return SourcedQuote(quote: held, source: source.rawValue, changeBasis: "utcDay")
        }
        let stored = try? await self.assets.asset(symbol)
        var resolver = self.resolver
        if let overrides = try await self.symbolMap?.symbolOverrides(symbol), !overrides.isEmpty {
            resolver.overrides[symbol] = overrides
        }
        let assetClass = resolver.assetClass(of: symbol, stored: stored)
        let answer: (value: Routed<ProviderQuote>, source: ResponseCache<String, Routed<ProviderQuote>>.Source)
        var answeredClass = assetClass
        do {
            guard let fetched = try await self.fetch(symbol, assetClass, resolver, stored: stored, admit: admit) else {
                // No provider quotes this class: the store answers (404 when it has nothing).
                return SourcedQuote(
                    quote: try await self.book.quote(symbol: symbol), source: source?.rawValue ?? "push",
                    changeBasis: "utcDay")
            }
            answer = fetched
        } catch ProviderError.unknownSymbol(_) {
            // A symbol taken for an equity that CoinGecko lists as a coin is asked of the crypto providers.
            guard stored.map({ $0.assetClass == .unknown }) ?? true, assetClass != .crypto,
                let id = await self.coins?.id(of: symbol)
            else { throw StorageError.notFound("asset \(symbol)") }
            resolver.coinGeckoIds[symbol] = id
            do {
                guard let fetched = try await self.fetch(symbol, .crypto, resolver, stored: stored, admit: admit) else {
                    throw StorageError.notFound("asset \(symbol)")
                }
                answer = fetched
                answeredClass = .crypto
            } catch ProviderError.unknownSymbol(_) {
                throw StorageError.notFound("asset \(symbol)")
            }
        }
        let routed = answer.value
        if answer.source == .miss {
            try await self.store(routed, assetClass: answeredClass, stored: stored)
        } else {
            await self.router.logCacheHit(provider: routed.provider, endpoint: "quote")
        }
        let basis = routed.value.changeBasis == .rolling24h ? "24h" : "previousClose"
        return SourcedQuote(quote: routed.value.quote, source: routed.provider, changeBasis: basis)
    }

    /// The quote of `symbol` as a provider quoting `assetClass` answers it (through the cache, keyed by class), nil
    /// when no provider quotes that class.
    private func fetch(
        _ symbol: String, _ assetClass: AssetClass, _ resolver: SymbolResolver, stored: Asset?,
        admit: (@Sendable () throws -> Void)?
    )
        async throws -> (value: Routed<ProviderQuote>, source: ResponseCache<String, Routed<ProviderQuote>>.Source)?
    {
        let candidates = resolver.providers(for: assetClass, among: self.router.providers.map(\.name))
        guard !candidates.isEmpty else { return nil }
        let key = assetClass == .crypto ? "crypto:\(symbol)" : symbol
        return try await self.cache.value(for: key, ttl: self.quoteTTLMilliseconds, admit: admit) {
            try await self.router.run(.quote, among: candidates) { provider, call in
                guard let quotes = provider as? any QuoteProvider else { throw ProviderError.unsupported("quotes") }
                let upstream = resolver.upstream(
                    symbol, provider: provider.name, assetClass: assetClass, currency: stored?.currency)
                return try await quotes.quote(upstream, call: call)
            }
        }
    }

    /// Stores a fetched price as a live tick from its provider, creating the asset with its class first.
    private func store(_ routed: Routed<ProviderQuote>, assetClass: AssetClass, stored: Asset?) async throws {
        let quote = routed.value.quote
        if stored == nil {
            do {
                try await self.assets.createAsset(Asset(symbol: quote.symbol, assetClass: assetClass, currency: "USD"))
            } catch StorageError.conflict {
                // Created meanwhile (another request or instance): fine.
            }
        }
        do {
            try await self.ingestor.ingest(
                ticks: [Tick(symbol: quote.symbol, ts: quote.ts, price: quote.price, size: nil)],
                source: .provider(routed.provider))
        } catch {
            // The answer stands; the price is simply not kept (e.g. a provider time outside the valid range).
            self.logger.warning(
                "a provider's quote could not be stored",
                metadata: ["symbol": "\(quote.symbol)", "provider": "\(routed.provider)", "error": "\(error)"])
        }
    }
}
