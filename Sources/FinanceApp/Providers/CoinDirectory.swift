import FinanceCore
import FinanceProviders

/// Which symbols are coins, from CoinGecko's coin list: read once and kept for `ttl` (one request a day), so that a
/// symbol neither the asset table nor the built-in map knows is routed to the crypto providers when CoinGecko lists
/// it. Where several coins share a symbol (many `eth`), CoinGecko's market-cap ranking picks one (`resolve`).
public actor CoinDirectory {
    private let provider: CoinGeckoProvider
    private let pool: KeyPool
    private let clock: any WallClock
    private let ttl: Int64
    /// Upper-cased symbol → ids, and when the list was read.
    private var coins: [String: [String]] = [:]
    private var readAt: Int64?
    private var chosen: [String: String] = [:]

    public init(provider: CoinGeckoProvider, pool: KeyPool, clock: any WallClock, ttl: Int64 = 86_400_000) {
        self.provider = provider
        self.pool = pool
        self.clock = clock
        self.ttl = ttl
    }

    /// The CoinGecko id of `symbol`, nil when CoinGecko does not list it (or cannot be asked now).
    public func id(of symbol: String) async -> String? {
        let now = self.clock.nowMilliseconds()
        if self.readAt.map({ now - $0 >= self.ttl }) ?? true {
            guard await self.readList(now: now) else { return nil }
        }
        guard let ids = self.coins[symbol] else { return nil }
        if ids.count == 1 { return ids[0] }
        if let id = self.chosen[symbol] { return id }
        guard let key = try? await self.pool.key(for: .symbolSearch).key,
            let resolved = try? await self.provider.resolve([symbol], call: self.pool.call(with: key))[symbol]
        else { return ids.sorted().first }
        self.chosen[symbol] = resolved
        return resolved
    }

    private func readList(now: Int64) async -> Bool {
        guard let key = try? await self.pool.key(for: .symbolSearch).key,
            let list = try? await self.provider.coinList(call: self.pool.call(with: key))
        else { return false }
        var coins: [String: [String]] = [:]
        for coin in list { coins[coin.symbol.uppercased(), default: []].append(coin.id) }
        self.coins = coins
        self.chosen = [:]
        self.readAt = now
        return true
    }
}
