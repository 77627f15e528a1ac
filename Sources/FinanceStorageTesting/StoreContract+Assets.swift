import FinanceCore
import FinanceStorage
import XCTest

/// Checks of `DatabaseAdmin` and `AssetRepository` (and assets created or deleted with market data).
extension StoreContract {
    // MARK: - Schema

    @Sendable static func migrateIdempotent(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let again = try await store.migrate()
        XCTAssertEqual(again, 0, "a second migrate() applies nothing")
        let version = try await store.schemaVersion()
        XCTAssertGreaterThanOrEqual(version.latest, 1, "latest schema version")
        XCTAssertEqual(version.current, version.latest, "schema current after migrate")
        XCTAssertTrue(version.isCurrent)
        try await store.ping()
        XCTAssertFalse(store.displayName.isEmpty, "displayName")
    }

    // MARK: - Assets

    @Sendable static func assetCRUD(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let empty = try await store.assets()
        XCTAssertEqual(empty, [], "a fresh store has no assets")
        await expectError(.notFound("asset NOPE"), "asset() of a missing symbol") { _ = try await store.asset("NOPE") }

        let msft = Asset(
            symbol: "MSFT", name: "Microsoft Corporation", assetClass: .equity, exchange: "NASDAQ", currency: "USD",
            sector: "Technology", industry: "Software—Infrastructure")
        let aapl = Asset(symbol: "AAPL", name: "Apple Inc.", assetClass: .equity, exchange: "NASDAQ", currency: "USD")
        let btc = Asset(symbol: "BTC-USD", assetClass: .crypto)
        try await store.createAsset(msft)
        try await store.createAsset(btc)
        try await store.createAsset(aapl)
        let listed = try await store.assets()
        XCTAssertEqual(listed, [aapl, btc, msft], "assets() ordered by symbol, with every field")
        let fetched = try await store.asset("MSFT")
        XCTAssertEqual(fetched, msft, "asset() returns every field")

        await expectError(.conflict("asset MSFT"), "createAsset of an existing symbol") {
            try await store.createAsset(Asset(symbol: "MSFT", name: "Other"))
        }
        let unchanged = try await store.asset("MSFT")
        XCTAssertEqual(unchanged, msft, "a conflicting create changes nothing")

        var updated = msft
        updated.name = "Microsoft"
        updated.sector = nil
        updated.assetClass = .etf
        try await store.updateAsset(updated)
        let afterUpdate = try await store.asset("MSFT")
        XCTAssertEqual(afterUpdate, updated, "updateAsset replaces fields, including clearing them")
        await expectError(.notFound("asset NOPE"), "updateAsset of a missing symbol") {
            try await store.updateAsset(Asset(symbol: "NOPE"))
        }

        try await store.deleteAsset("BTC-USD")
        await expectError(.notFound("asset BTC-USD"), "asset() after delete") { _ = try await store.asset("BTC-USD") }
        await expectError(.notFound("asset BTC-USD"), "deleteAsset twice") { try await store.deleteAsset("BTC-USD") }
        let remaining = try await store.assets()
        XCTAssertEqual(remaining.map(\.symbol), ["AAPL", "MSFT"], "assets() after delete")
        // A deleted symbol can be created again.
        try await store.createAsset(btc)
        let recreated = try await store.asset("BTC-USD")
        XCTAssertEqual(recreated, btc)
    }

    @Sendable static func writeBarsCreatesUnknownAssets(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let known = Asset(symbol: "KNOWN", name: "Known Inc.", assetClass: .equity)
        try await store.createAsset(known)
        try await store.writeBars(
            BarBatch(symbol: "NEW1", interval: .minute1, bars: bars(from: t0, step: minute, 0..<3)))
        try await store.writeBars(BarBatch(symbol: "KNOWN", interval: .day1, bars: bars(from: t0, step: day, 0..<2)))
        let created = try await store.asset("NEW1")
        XCTAssertEqual(created, Asset(symbol: "NEW1", assetClass: .unknown), "writeBars creates an unknown asset")
        let kept = try await store.asset("KNOWN")
        XCTAssertEqual(kept, known, "writeBars keeps an existing asset's fields")
        _ = try await store.writeTicks([Tick(symbol: "TICKONLY", ts: t0, price: 10, size: 1)])
        let tickAsset = try await store.asset("TICKONLY")
        XCTAssertEqual(tickAsset, Asset(symbol: "TICKONLY"), "writeTicks creates an unknown asset")
        let symbols = try await store.assets().map(\.symbol)
        XCTAssertEqual(symbols, ["KNOWN", "NEW1", "TICKONLY"])
    }

    /// Symbols use `A–Z 0–9 . - _ ^ =`; every store orders them bytewise (as Swift's `<` on ASCII does),
    /// not by a locale collation that ignores punctuation (PostgreSQL: use COLLATE "C").
    @Sendable static func symbolsWithPunctuation(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let symbols = [
            "^GSPC", "BRK.B", "EURUSD=X", "A_B-C", "BRK-A", "A", "AA", "Z9", "0700.HK", "BTC-USD",
            String(repeating: "X", count: 32),
        ]
        for (k, symbol) in symbols.enumerated() {
            try await store.writeBars(BarBatch(symbol: symbol, interval: .minute1, bars: [bar(t0, k)]))
        }
        let listed = try await store.assets().map(\.symbol)
        XCTAssertEqual(listed, symbols.sorted(), "assets ordered bytewise by symbol")
        for (k, symbol) in symbols.enumerated() {
            let read = try await all(store, symbol, .stored(.minute1))
            XCTAssertEqual(read, [bar(t0, k)], "bars of \(symbol)")
            let asset = try await store.asset(symbol)
            XCTAssertEqual(asset.symbol, symbol)
        }
        // Symbols are exact keys: no prefix or pattern matching.
        let prefix = try await all(store, "BRK", .stored(.minute1))
        XCTAssertEqual(prefix, [], "no prefix match")
        let pattern = try await all(store, "BRK_B", .stored(.minute1))
        XCTAssertEqual(pattern, [], "_ is not a wildcard")
        await expectError(.notFound("asset BRK%"), "% is not a wildcard") { _ = try await store.asset("BRK%") }
        try await store.deleteAsset("BRK.B")
        let afterDelete = try await all(store, "BRK-A", .stored(.minute1))
        XCTAssertEqual(afterDelete, [bar(t0, symbols.firstIndex(of: "BRK-A")!)], "deleting BRK.B keeps BRK-A")
    }

    // MARK: - Deletes and listing

    @Sendable static func deleteAssetCascades(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        for symbol in ["DEL", "KEEP"] {
            try await store.writeBars(
                BarBatch(symbol: symbol, interval: .minute1, bars: bars(from: t0, step: minute, 0..<120)))
            try await store.writeBars(BarBatch(symbol: symbol, interval: .day1, bars: bars(from: t0, step: day, 0..<5)))
            _ = try await store.writeTicks([Tick(symbol: symbol, ts: t0 + 5 * hour, price: 10, size: 1)])
        }
        try await store.deleteAsset("DEL")
        await expectError(.notFound("asset DEL"), "asset after delete") { _ = try await store.asset("DEL") }
        for series in [
            BarSeries.stored(.minute1), .stored(.day1), .rollup(base: .minute1, interval: .hour1),
            .rollup(base: .minute1, interval: .day1),
        ] {
            let left = try await all(store, "DEL", series)
            XCTAssertEqual(left, [], "deleteAsset removes \(series)")
            let kept = try await all(store, "KEEP", series)
            XCTAssertFalse(kept.isEmpty, "deleteAsset keeps other symbols' \(series)")
        }
        let ticks = try await store.ticks(symbol: "DEL", from: nil, to: nil, limit: 10)
        XCTAssertEqual(ticks, [], "deleteAsset removes ticks")
        let latest = try await store.latestTick(symbol: "DEL")
        XCTAssertNil(latest)
        let keptTicks = try await store.ticks(symbol: "KEEP", from: nil, to: nil, limit: 10)
        XCTAssertEqual(keptTicks.count, 1)
        let intervals = try await store.storedIntervals(symbol: "DEL")
        XCTAssertEqual(intervals, [], "no stored intervals after delete")
        // Writing again starts from scratch: old rows do not leak into the new rollups.
        try await store.writeBars(BarBatch(symbol: "DEL", interval: .minute1, bars: [bar(t0 + 30 * minute, 7)]))
        let hours = try await all(store, "DEL", .rollup(base: .minute1, interval: .hour1))
        assertBars(hours, Bucketing.aggregate([bar(t0 + 30 * minute, 7)], into: .hour1), "fresh rollups after delete")
        let recreated = try await store.asset("DEL")
        XCTAssertEqual(recreated.assetClass, .unknown)
    }

    @Sendable static func storedIntervalsFinestFirst(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let empty = try await store.storedIntervals(symbol: "SI")
        XCTAssertEqual(empty, [], "no intervals for an unknown symbol")
        try await store.createAsset(Asset(symbol: "SI", assetClass: .equity))
        let stillEmpty = try await store.storedIntervals(symbol: "SI")
        XCTAssertEqual(stillEmpty, [], "no intervals for an asset without bars")
        try await store.writeBars(BarBatch(symbol: "SI", interval: .month1, bars: [bar(t0 - day, 1)]))
        try await store.writeBars(BarBatch(symbol: "SI", interval: .day1, bars: bars(from: t0, step: day, 0..<3)))
        try await store.writeBars(BarBatch(symbol: "SI", interval: .minute1, bars: bars(from: t0, step: minute, 0..<3)))
        try await store.writeBars(BarBatch(symbol: "SI", interval: .week1, bars: [bar(t0 - day, 2)]))
        try await store.writeBars(BarBatch(symbol: "SI", interval: .hour1, bars: bars(from: t0, step: hour, 0..<3)))
        try await store.writeBars(
            BarBatch(symbol: "SI2", interval: .minute5, bars: bars(from: t0, step: 5 * minute, 0..<3)))
        let intervals = try await store.storedIntervals(symbol: "SI")
        XCTAssertEqual(intervals, [.minute1, .hour1, .day1, .week1, .month1], "stored intervals, finest first")
        let other = try await store.storedIntervals(symbol: "SI2")
        XCTAssertEqual(other, [.minute5])
    }
}
