import FinanceCore
import FinanceStorage
import XCTest

/// Checks of `ProviderStateRepository`: budgets, key states, the usage log and the health history.
extension StoreContract {
    static func windows(at t: Int64, perMinute: Int, perDay: Int) -> [BudgetWindow] {
        let minute = t - t % 60_000
        let day = t - t % 86_400_000
        return [
            BudgetWindow(kind: .minute, start: minute, end: minute + 60_000, limit: perMinute),
            BudgetWindow(kind: .day, start: day, end: day + 86_400_000, limit: perDay),
        ]
    }

    @Sendable static func providerBudgets(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let t = t0 + 30_000
        let w = windows(at: t, perMinute: 3, perDay: 4)
        for i in 0..<3 {
            let r = try await store.reserveBudget(provider: "p", keyId: "k1", windows: w, cost: 1, now: t)
            XCTAssertEqual(r, .granted, "reservation \(i) within the minute's 3")
        }
        let full = try await store.reserveBudget(provider: "p", keyId: "k1", windows: w, cost: 1, now: t)
        XCTAssertEqual(full, .exhausted(w[0]), "the 4th in the minute: the minute window is full")
        let usage = try await store.budgetUsage(provider: "p", keyId: "k1", windows: w)
        XCTAssertEqual(usage, [3, 3], "a refused reservation counts in no window")
        let other = try await store.reserveBudget(provider: "p", keyId: "k2", windows: w, cost: 2, now: t)
        XCTAssertEqual(other, .granted, "keys are counted apart")
        let otherProvider = try await store.reserveBudget(provider: "q", keyId: "k1", windows: w, cost: 3, now: t)
        XCTAssertEqual(otherProvider, .granted, "providers are counted apart")

        // The next minute: the minute window resets, the day window holds one more.
        let t2 = t + 60_000
        let w2 = windows(at: t2, perMinute: 3, perDay: 4)
        let next = try await store.reserveBudget(provider: "p", keyId: "k1", windows: w2, cost: 1, now: t2)
        XCTAssertEqual(next, .granted)
        let dayFull = try await store.reserveBudget(provider: "p", keyId: "k1", windows: w2, cost: 1, now: t2)
        XCTAssertEqual(dayFull, .exhausted(w2[1]), "the day's 4 are spent")
        let after = try await store.budgetUsage(provider: "p", keyId: "k1", windows: w2)
        XCTAssertEqual(after, [1, 4])
        let ended = try await store.budgetUsage(provider: "p", keyId: "k1", windows: w)
        XCTAssertEqual(ended[0], 0, "an ended window is forgotten")
        let tooBig = try await store.reserveBudget(provider: "p", keyId: "k3", windows: w2, cost: 5, now: t2)
        XCTAssertEqual(tooBig, .exhausted(w2[0]), "a cost beyond a window's limit is refused")

        // Concurrent reservations never exceed a window.
        let w3 = windows(at: t2, perMinute: 10, perDay: 1_000)
        let granted = try await withThrowingTaskGroup(of: BudgetReservation.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    try await store.reserveBudget(provider: "burst", keyId: "k", windows: w3, cost: 1, now: t2)
                }
            }
            var n = 0
            for try await r in group where r == .granted { n += 1 }
            return n
        }
        XCTAssertEqual(granted, 10, "40 concurrent reservations against a limit of 10")
    }

    @Sendable static func providerKeyStates(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let empty = try await store.keyStates(provider: "p")
        XCTAssertEqual(empty, [])
        let parked = ProviderKeyState(provider: "p", keyId: "bbbb0000", parkedUntil: t0 + 5_000)
        let disabled = ProviderKeyState(
            provider: "p", keyId: "aaaa0000", disabledReason: "key rejected: invalid",
            unavailable: ["news", "barsHistory"])
        try await store.saveKeyState(parked)
        try await store.saveKeyState(disabled)
        try await store.saveKeyState(ProviderKeyState(provider: "q", keyId: "aaaa0000"))
        let states = try await store.keyStates(provider: "p")
        XCTAssertEqual(states, [disabled, parked], "by key id, capabilities sorted")
        XCTAssertEqual(states.first?.unavailable, ["barsHistory", "news"])
        var unparked = parked
        unparked.parkedUntil = nil
        try await store.saveKeyState(unparked)
        let replaced = try await store.keyStates(provider: "p")
        XCTAssertEqual(replaced, [disabled, unparked], "a saved state replaces the previous one")
    }

    @Sendable static func providerUsageAndHealth(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        var entries: [ProviderUsageEntry] = []
        for i in 0..<5 {
            let provider = i == 2 ? "other" : "p"
            let keyId: String? = i == 3 ? nil : "k1"
            let status = i == 4 ? "timeout" : "success"
            let ts = t0 + Int64(i) * 1_000
            entries.append(
                ProviderUsageEntry(
                    ts: ts, provider: provider, keyId: keyId, endpoint: "/simple/price", status: status,
                    latencyMs: Double(i) + 0.5, credits: i == 3 ? 0 : 1, cacheHit: i == 3))
        }
        try await store.appendUsage(entries)
        let all = try await store.usage(provider: "p", from: t0, to: t0 + 10_000, limit: 100)
        XCTAssertEqual(all, [entries[0], entries[1], entries[3], entries[4]], "values round-trip, oldest first")
        let window = try await store.usage(provider: "p", from: t0 + 1_000, to: t0 + 4_000, limit: 100)
        XCTAssertEqual(window, [entries[1], entries[3]], "from inclusive, to exclusive")
        let limited = try await store.usage(provider: "p", from: t0, to: t0 + 10_000, limit: 2)
        XCTAssertEqual(limited, [entries[0], entries[1]])

        let a = ProviderHealthSample(
            provider: "p", minute: t0, score: 97.5, requests: 40, failures: 1, latencyP95Ms: 120.25, circuit: "closed")
        let b = ProviderHealthSample(
            provider: "p", minute: t0 + 60_000, score: 20, requests: 0, failures: 0, latencyP95Ms: nil, circuit: "open")
        try await store.recordHealth([b, a])
        var a2 = a
        a2.score = 90
        try await store.recordHealth([
            a2,
            ProviderHealthSample(
                provider: "q", minute: t0, score: 1, requests: 1, failures: 1, latencyP95Ms: 1, circuit: "half_open"),
        ])
        let history = try await store.health(provider: "p", from: t0, to: t0 + 120_000)
        XCTAssertEqual(history, [a2, b], "one sample per minute, the last recorded")
        let later = try await store.health(provider: "p", from: t0 + 1, to: t0 + 120_000)
        XCTAssertEqual(later, [b])
    }
}

extension StoreContract {
    @Sendable static func assetSources(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        try await store.createAsset(Asset(symbol: "BTC", assetClass: .crypto))
        _ = try await store.writeTicks([Tick(symbol: "AAPL", ts: t0, price: 1)])
        let none = try await store.source(of: "BTC")
        XCTAssertNil(none, "nothing recorded yet")
        try await store.recordSource("coingecko", symbols: ["BTC", "NOPE"])
        try await store.recordSource("push", symbols: ["AAPL"])
        let btc = try await store.source(of: "BTC")
        let aapl = try await store.source(of: "AAPL")
        let nope = try await store.source(of: "NOPE")
        XCTAssertEqual([btc, aapl, nope], ["coingecko", "push", nil], "symbols without an asset are skipped")
        try await store.recordSource("simulated", symbols: ["BTC"])
        let replaced = try await store.source(of: "BTC")
        XCTAssertEqual(replaced, "simulated", "the latest source replaces the previous one")
        let asset = try await store.asset("BTC")
        XCTAssertEqual(asset.assetClass, .crypto, "recording a source changes nothing else")
        try await store.deleteAsset("BTC")
        try await store.createAsset(Asset(symbol: "BTC"))
        let fresh = try await store.source(of: "BTC")
        XCTAssertNil(fresh, "a deleted asset's source goes with it")
    }
}

extension StoreContract {
    @Sendable static func providerSymbolMap(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let none = try await store.symbolOverrides("BTC")
        XCTAssertEqual(none, [:])
        try await store.setSymbolOverrides("BTC", ["coingecko": "bitcoin", "binance": "BTCUSDC"])
        try await store.setSymbolOverrides("ETH", ["coingecko": "ethereum"])
        try await store.setSymbolOverrides("BTC", ["binance": "BTCFDUSD", "coinbase": nil])
        let btc = try await store.symbolOverrides("BTC")
        XCTAssertEqual(btc, ["coingecko": "bitcoin", "binance": "BTCFDUSD"], "set replaces, other providers stay")
        try await store.setSymbolOverrides("BTC", ["coingecko": nil])
        let removed = try await store.symbolOverrides("BTC")
        XCTAssertEqual(removed, ["binance": "BTCFDUSD"], "nil removes an override")
        let eth = try await store.symbolOverrides("ETH")
        XCTAssertEqual(eth, ["coingecko": "ethereum"])
    }
}
