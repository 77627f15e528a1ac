import FinanceCore
import FinanceStorage

/// Whether a symbol is known, found as a quote request finds it: a stored asset, else (when some provider is
/// usable) an on-demand lookup, which stores the asset it finds. Bodies that name symbols (portfolio holdings,
/// alert targets) check them with it.
public struct SymbolLookup: Sendable {
    public let assets: any AssetRepository
    public let onDemand: OnDemandQuotes?

    public init(assets: any AssetRepository, onDemand: OnDemandQuotes?) {
        self.assets = assets
        self.onDemand = onDemand
    }

    /// True when `symbol` (canonical) is stored or a provider knows it; providers that fail throw.
    /// `admit` runs before each upstream fetch (a per-user limit).
    public func isKnown(_ symbol: String, admit: (@Sendable () throws -> Void)? = nil) async throws -> Bool {
        do {
            _ = try await self.assets.asset(symbol)
            return true
        } catch StorageError.notFound {}
        guard let onDemand = self.onDemand else { return false }
        do {
            _ = try await onDemand.quote(symbol: symbol, admit: admit)
            return true
        } catch StorageError.notFound {
            return false
        }
    }
}
