import FinanceCore

/// How the watchlist (`providers.watchlist`) is fed when `feed.mode` includes `providers`: crypto symbols stream
/// from the first usable exchange in `providers.preference` order (binance, coinbase: key-free), equities and ETFs
/// from Finnhub's trade stream when Finnhub has keys; every other symbol is polled through the REST providers at an
/// interval that fits their budgets.
public struct ProviderFeedPlan: Sendable, Equatable {
    /// Live source name → its symbols.
    public var live: [String: [String]]
    /// Symbols polled through the REST quote providers.
    public var polled: [String]
    /// Symbols no usable provider can feed (e.g. equities with no equity provider keyed).
    public var unserved: [String] = []
    /// Seconds between two polls of the same symbol.
    public var pollSeconds: Int

    public init(live: [String: [String]], polled: [String], pollSeconds: Int) {
        self.live = live
        self.polled = polled
        self.pollSeconds = pollSeconds
    }

    /// The plan for `settings.watchlist`, given each symbol's asset class (`classes`, else the resolver's guess).
    public static func make(
        _ settings: ProviderSettings, classes: [String: AssetClass] = [:], resolver: SymbolResolver = SymbolResolver()
    ) -> ProviderFeedPlan {
        let usable = settings.usable
        let order = settings.preference + ProviderSettings.names.filter { !settings.preference.contains($0) }
        let exchange = order.first { name in
            ["binance", "coinbase"].contains(name) && usable.contains { $0.name == name }
        }
        let finnhubStream = usable.first { $0.name == "finnhub" && !$0.keys.isEmpty && $0.wsURL != nil }
        var live: [String: [String]] = [:]
        var polled: [String] = []
        var unserved: [String] = []
        var pollers: Set<String> = []
        let quoteProviders = usable.map(\.name).filter { SymbolResolver.classes[$0] != nil }
        for symbol in settings.watchlist {
            let assetClass =
                classes[symbol].flatMap { $0 == .unknown ? nil : $0 }
                ?? resolver.assetClass(of: symbol, stored: nil)
            if assetClass == .crypto, let exchange {
                live[exchange, default: []].append(symbol)
            } else if [.equity, .etf].contains(assetClass), finnhubStream != nil {
                live["finnhub", default: []].append(symbol)
            } else {
                let able = resolver.providers(for: assetClass, among: quoteProviders)
                if able.isEmpty {
                    unserved.append(symbol)
                } else {
                    polled.append(symbol)
                    pollers.formUnion(able)
                }
            }
        }
        var plan = ProviderFeedPlan(
            live: live, polled: polled,
            pollSeconds: Self.pollSeconds(symbols: polled.count, providers: pollers, settings: settings))
        plan.unserved = unserved
        return plan
    }

    /// The shortest interval at which polling `symbols` symbols (one quote request each per round) stays within the
    /// budgets of `providers` (every key of each), at least `providers.poll.minSeconds`.
    static func pollSeconds(symbols: Int, providers: Set<String>, settings: ProviderSettings) -> Int {
        let quoteProviders = settings.usable.filter { providers.contains($0.name) }
        // Requests per second all keys of all quote providers allow over a long run.
        var perSecond = 0.0
        for provider in quoteProviders {
            let spacing = provider.budget.minimumSpacingMilliseconds
            let keys = Double(max(1, provider.keys.count))
            perSecond += spacing == 0 ? 1_000 : keys * 1_000 / Double(spacing)
        }
        guard symbols > 0, perSecond > 0 else { return settings.pollMinSeconds }
        return max(settings.pollMinSeconds, Int((Double(symbols) / perSecond).rounded(.up)))
    }

    /// One line for the startup output.
    public var summary: String {
        var parts = self.live.keys.sorted().map { "\($0) streams \(self.live[$0]!.joined(separator: ", "))" }
        if !self.polled.isEmpty {
            parts.append(
                "polling \(self.polled.joined(separator: ", ")) every \(self.pollSeconds) s (within the budgets)")
        }
        if !self.unserved.isEmpty {
            parts.append("no usable provider for \(self.unserved.joined(separator: ", "))")
        }
        return parts.isEmpty ? "empty watchlist (set providers.watchlist)" : parts.joined(separator: "; ")
    }
}
