import FinanceCore
import FinanceStorage
import Foundation
import Logging
import Synchronization
import XCTest

@testable import FinanceStoragePostgres

final class PostgresStoreTests: XCTestCase {
    private func withStore(migrate: Bool = true, _ body: (PostgresStore) async throws -> Void) async throws {
        let store = try await PostgresTestDatabase.freshStore(migrate: migrate)
        do {
            try await body(store)
        } catch {
            await PostgresTestDatabase.dispose(store)
            throw error
        }
        await PostgresTestDatabase.dispose(store)
    }

    func testDisplayNameHidesPassword() async throws {
        try await self.withStore { store in
            XCTAssertFalse(store.displayName.contains(":financehub@"), store.displayName)
            if let password = store.location.password, !password.isEmpty {
                XCTAssertFalse(store.displayName.contains(":\(password)@"))
            }
            XCTAssertTrue(store.displayName.hasPrefix("postgres://"))
        }
    }

    func testMigrateIsIdempotent() async throws {
        try await self.withStore(migrate: false) { store in
            var v = try await store.schemaVersion()
            XCTAssertEqual(v.current, 0)
            XCTAssertFalse(v.isCurrent)
            do {
                try await store.requireCurrentSchema()
                XCTFail("schema should be behind")
            } catch StorageError.schemaBehind(let current, let latest) {
                XCTAssertEqual(current, 0)
                XCTAssertEqual(latest, v.latest)
            }
            let first = try await store.migrate()
            XCTAssertEqual(first, PostgresMigrations.all.count, "every migration applied once")
            XCTAssertGreaterThan(first, 0)
            let second = try await store.migrate()
            XCTAssertEqual(second, 0)
            v = try await store.schemaVersion()
            XCTAssertTrue(v.isCurrent)
            XCTAssertEqual(v.current, v.latest)
            try await store.requireCurrentSchema()
        }
    }

    func testConcurrentMigrationsApplyOnce() async throws {
        let base = try PostgresTestDatabase.requireURL()
        let url = PostgresTestDatabase.url(base, schema: PostgresTestDatabase.uniqueSchema())
        let a = try await PostgresStore.connect(url: url)
        let b = try await PostgresStore.connect(url: url)
        async let ca = a.migrate()
        async let cb = b.migrate()
        let (na, nb) = try await (ca, cb)
        XCTAssertEqual(na + nb, PostgresMigrations.all.count)
        XCTAssertTrue(na == 0 || nb == 0)
        try await b.close()
        await PostgresTestDatabase.dispose(a)
    }

    func testAssetsCRUD() async throws {
        try await self.withStore { store in
            let a = Asset(symbol: "AAPL", name: "Apple", assetClass: .equity, exchange: "NASDAQ", currency: "USD")
            try await store.createAsset(a)
            do {
                try await store.createAsset(a)
                XCTFail("duplicate create")
            } catch StorageError.conflict {}
            let read = try await store.asset("AAPL")
            XCTAssertEqual(read, a)
            var b = a
            b.name = "Apple Inc."
            b.sector = "Tech"
            try await store.updateAsset(b)
            let updated = try await store.asset("AAPL")
            XCTAssertEqual(updated, b)
            do {
                try await store.updateAsset(Asset(symbol: "NOPE"))
                XCTFail("update of missing asset")
            } catch StorageError.notFound {}
            do {
                _ = try await store.asset("NOPE")
                XCTFail("read of missing asset")
            } catch StorageError.notFound {}
            try await store.createAsset(Asset(symbol: "AA"))
            let all = try await store.assets()
            XCTAssertEqual(all.map(\.symbol), ["AA", "AAPL"])
            try await store.deleteAsset("AA")
            do {
                try await store.deleteAsset("AA")
                XCTFail("second delete")
            } catch StorageError.notFound {}
        }
    }

    func testWriteBarsUpsertsAndRollsUp() async throws {
        try await self.withStore { store in
            let t0: Int64 = 1_700_000_000_000 - 1_700_000_000_000 % 86_400_000
            let bars: [Bar] = (0..<180).map { (i: Int) -> Bar in
                let p = Double(i)
                return Bar(ts: t0 + Int64(i) * 60_000, open: p, high: p + 2, low: p - 1, close: p + 1, volume: 10)
            }
            try await store.writeBars(BarBatch(symbol: "BTC-USD", interval: .minute1, bars: bars))
            let asset = try await store.asset("BTC-USD")
            XCTAssertEqual(asset.assetClass, .unknown)
            let stored = try await store.bars(
                symbol: "BTC-USD", series: .stored(.minute1), from: nil, to: nil, limit: 1000, newestFirst: false)
            XCTAssertEqual(stored, bars)
            let hours = try await store.bars(
                symbol: "BTC-USD", series: .rollup(base: .minute1, interval: .hour1), from: nil, to: nil, limit: 10,
                newestFirst: false)
            XCTAssertEqual(hours, Bucketing.aggregate(bars, into: .hour1))
            // A correction lowers the high of the first hour.
            var corrected = bars[0..<60].map { $0 }
            for i in corrected.indices { corrected[i].high = corrected[i].open + 0.5 }
            try await store.writeBars(BarBatch(symbol: "BTC-USD", interval: .minute1, bars: corrected))
            let all = corrected + bars[60...]
            let hours2 = try await store.bars(
                symbol: "BTC-USD", series: .rollup(base: .minute1, interval: .hour1), from: nil, to: nil, limit: 10,
                newestFirst: false)
            XCTAssertEqual(hours2, Bucketing.aggregate(all, into: .hour1))
            let days = try await store.bars(
                symbol: "BTC-USD", series: .rollup(base: .minute1, interval: .day1), from: nil, to: nil, limit: 10,
                newestFirst: true)
            XCTAssertEqual(days, Bucketing.aggregate(all, into: .day1))
            let newest = try await store.bars(
                symbol: "BTC-USD", series: .stored(.minute1), from: t0 + 60_000, to: t0 + 600_000, limit: 3,
                newestFirst: true)
            XCTAssertEqual(newest.map(\.ts), [t0 + 540_000, t0 + 480_000, t0 + 420_000])
            let intervals = try await store.storedIntervals(symbol: "BTC-USD")
            XCTAssertEqual(intervals, [.minute1])
        }
    }

    func testWriteTicksRebuildsMinuteBars() async throws {
        try await self.withStore { store in
            let m: Int64 = 1_700_000_040_000 - 1_700_000_040_000 % 60_000
            let first = try await store.writeTicks([
                Tick(symbol: "ETH", ts: m + 5_000, price: 10, size: 1, bid: 9.5),
                Tick(symbol: "ETH", ts: m + 1_000, price: 12, size: 2),
                Tick(symbol: "ETH", ts: m + 61_000, price: 20),
            ])
            XCTAssertEqual(
                first,
                [
                    SymbolBar(symbol: "ETH", bar: Bar(ts: m, open: 12, high: 12, low: 10, close: 10, volume: 3)),
                    SymbolBar(
                        symbol: "ETH", bar: Bar(ts: m + 60_000, open: 20, high: 20, low: 20, close: 20, volume: 0)),
                ])
            // A late tick with the same time as an earlier one arrives after it: it closes the minute.
            let second = try await store.writeTicks([Tick(symbol: "ETH", ts: m + 5_000, price: 8, size: 1)])
            XCTAssertEqual(
                second, [SymbolBar(symbol: "ETH", bar: Bar(ts: m, open: 12, high: 12, low: 8, close: 8, volume: 4))])
            let latest = try await store.latestTick(symbol: "ETH")
            XCTAssertEqual(latest?.price, 20)
            let ticks = try await store.ticks(symbol: "ETH", from: m, to: m + 60_000, limit: 10)
            XCTAssertEqual(ticks.map(\.price), [12, 10, 8])
            XCTAssertEqual(ticks[1].bid, 9.5)
            XCTAssertNil(ticks[1].ask)
            let hour = try await store.bars(
                symbol: "ETH", series: .rollup(base: .minute1, interval: .hour1), from: nil, to: nil, limit: 10,
                newestFirst: false)
            XCTAssertEqual(hour.count, 1)
            XCTAssertEqual(hour.first?.volume, 4)
            XCTAssertEqual(hour.first?.close, 20)
            let none = try await store.latestTick(symbol: "NONE")
            XCTAssertNil(none)
        }
    }

    func testDeleteAssetCascades() async throws {
        try await self.withStore { store in
            let m: Int64 = 1_700_000_040_000 - 1_700_000_040_000 % 60_000
            _ = try await store.writeTicks([Tick(symbol: "X", ts: m, price: 1), Tick(symbol: "Y", ts: m, price: 2)])
            try await store.writeBars(
                BarBatch(
                    symbol: "X", interval: .day1, bars: [Bar(ts: 0, open: 1, high: 1, low: 1, close: 1, volume: 1)]))
            try await store.deleteAsset("X")
            let bars = try await store.bars(
                symbol: "X", series: .stored(.minute1), from: nil, to: nil, limit: 10, newestFirst: false)
            XCTAssertEqual(bars, [])
            let rollups = try await store.bars(
                symbol: "X", series: .rollup(base: .minute1, interval: .hour1), from: nil, to: nil, limit: 10,
                newestFirst: false)
            XCTAssertEqual(rollups, [])
            let ticks = try await store.ticks(symbol: "X", from: nil, to: nil, limit: 10)
            XCTAssertEqual(ticks, [])
            let intervals = try await store.storedIntervals(symbol: "X")
            XCTAssertEqual(intervals, [])
            let y = try await store.ticks(symbol: "Y", from: nil, to: nil, limit: 10)
            XCTAssertEqual(y.count, 1)
        }
    }

    func testFailedWriteIsAtomic() async throws {
        try await self.withStore { store in
            // Duplicate times inside a batch break the upsert: nothing of the call survives.
            let good = BarBatch(
                symbol: "GOOD", interval: .minute1, bars: [Bar(ts: 0, open: 1, high: 1, low: 1, close: 1, volume: 1)])
            let bad = BarBatch(
                symbol: "BAD", interval: .minute1,
                bars: [
                    Bar(ts: 0, open: 1, high: 1, low: 1, close: 1, volume: 1),
                    Bar(ts: 0, open: 2, high: 2, low: 2, close: 2, volume: 1),
                ])
            do {
                try await store.writeBars([good, bad], progress: nil)
                XCTFail("expected a failure")
            } catch StorageError.backend(let message) {
                XCTAssertFalse(message.contains("financehub:financehub"))
            }
            let assets = try await store.assets()
            XCTAssertEqual(assets, [])
            let bars = try await store.bars(
                symbol: "GOOD", series: .stored(.minute1), from: nil, to: nil, limit: 10, newestFirst: false)
            XCTAssertEqual(bars, [])
        }
    }

    func testWrongPasswordFailsWithoutShowingIt() async throws {
        let base = try PostgresURL(parsing: PostgresTestDatabase.requireURL())
        var wrong = base
        wrong.password = "not-the-password-zq9"
        do {
            let store = try await PostgresStore.connect(wrong)
            try? await store.close()
            XCTFail("connected with a wrong password")
        } catch let error as StorageError {
            guard case .backend = error else { return XCTFail("expected backend, got \(error)") }
            XCTAssertFalse("\(error)".contains("zq9"), "\(error)")
        }
    }

    func testDeletesRacingWritesLeaveNoOrphans() async throws {
        try await self.withStore { store in
            let t0: Int64 = 1_704_153_600_000
            try await withThrowingTaskGroup(of: Void.self) { group in
                for k in 0..<24 {
                    group.addTask {
                        if k % 4 == 3 {
                            do { try await store.deleteAsset("DW") } catch StorageError.notFound {}
                        } else {
                            let bars = (0..<30).map { i in
                                Bar(
                                    ts: t0 + Int64(k * 30 + i) * 60_000, open: 1, high: 2, low: 0.5, close: 1.5,
                                    volume: 1)
                            }
                            try await store.writeBars(BarBatch(symbol: "DW", interval: .minute1, bars: bars))
                            _ = try await store.writeTicks([
                                Tick(symbol: "DW", ts: t0 + Int64(k) * 1000, price: 1, size: 1)
                            ])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let exists = try await store.assets().contains { $0.symbol == "DW" }
            let stored = try await store.bars(
                symbol: "DW", series: .stored(.minute1), from: nil, to: nil, limit: 100_000, newestFirst: false)
            let hours = try await store.bars(
                symbol: "DW", series: .rollup(base: .minute1, interval: .hour1), from: nil, to: nil, limit: 100_000,
                newestFirst: false)
            let ticks = try await store.ticks(symbol: "DW", from: nil, to: nil, limit: 100_000)
            if exists {
                XCTAssertEqual(
                    hours, Bucketing.aggregate(stored, into: .hour1), "rollups exact after racing writes and deletes")
            } else {
                XCTAssertEqual(stored, [], "no orphan bars")
                XCTAssertEqual(hours, [], "no orphan rollups")
                XCTAssertEqual(ticks, [], "no orphan ticks")
            }
        }
    }

    /// Records the messages of warning level and above.
    final class WarningRecorder: Sendable {
        let messages = Mutex<[String]>([])

        struct Handler: LogHandler {
            let recorder: WarningRecorder
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .warning
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { self.metadata[key] }
                set { self.metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                self.recorder.messages.withLock { $0.append(event.message.description) }
            }
        }

        var logger: Logger { Logger(label: "test") { _ in Handler(recorder: self) } }
    }

    func testConnectingWaitsForThePoolToRunWithoutWarnings() async throws {
        let base = try PostgresTestDatabase.requireURL()
        let recorder = WarningRecorder()
        for _ in 0..<5 {
            let store = try await PostgresStore.connect(url: base, logger: recorder.logger)
            _ = try await store.schemaVersion()
            try await store.close()
        }
        // Before: a lease right after starting `run()` logged "PostgresClient.run() hasn't been called yet".
        XCTAssertEqual(recorder.messages.withLock { $0 }, [])
    }

    func testClosedStoreThrowsBackend() async throws {
        let store = try await PostgresTestDatabase.freshStore()
        try await store.dropSchema()
        try await store.close()
        do {
            try await store.ping()
            XCTFail("ping after close")
        } catch is StorageError {}
    }
}
