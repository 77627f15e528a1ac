import FinanceCore
import FinanceStorage
@_spi(Testing) import FinanceStorageSQLite
import FinanceStorageTesting
import Foundation
import XCTest

/// SQLite-specific behaviour: files, pragmas, migrations, several connections and processes, atomicity by fault injection.
final class SQLiteStoreTests: XCTestCase {
    private var folder: URL!

    override func setUp() {
        self.folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "financehub-sqlite-\(UUID().uuidString)")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: self.folder)
    }

    private var path: String { self.folder.appendingPathComponent("nested/deeper/store.sqlite").path }

    private func open() async throws -> SQLiteStore {
        let store = try SQLiteStore(path: self.path)
        _ = try await store.migrate()
        return store
    }

    private let t0 = StoreContract.t0

    func testCreatesFileAndFolders() async throws {
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.folder.path))
        let store = try SQLiteStore(path: self.path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: self.path), "the database file is created")
        XCTAssertEqual(store.displayName, "sqlite:\(self.path)")
        try await store.close()
    }

    func testPragmas() async throws {
        let store = try await self.open()
        let settings = try await store.settings()
        XCTAssertEqual(settings.journalMode, "wal")
        XCTAssertEqual(settings.synchronous, 1, "synchronous = NORMAL")
        XCTAssertEqual(settings.pageSize, 16384, "new files use 16 KiB pages")
        XCTAssertEqual(settings.busyTimeoutMilliseconds, 10_000)
        XCTAssertTrue(FileManager.default.fileExists(atPath: self.path + "-wal"), "WAL file")
        try await store.close()
    }

    func testSchemaVersionAndMigrations() async throws {
        let store = try SQLiteStore(path: self.path)
        let fresh = try await store.schemaVersion()
        XCTAssertEqual(fresh.current, 0)
        XCTAssertGreaterThanOrEqual(fresh.latest, 1)
        XCTAssertFalse(fresh.isCurrent)
        let applied = try await store.migrate()
        XCTAssertEqual(applied, fresh.latest, "a fresh file applies every migration")
        let again = try await store.migrate()
        XCTAssertEqual(again, 0)
        let version = try await store.schemaVersion()
        XCTAssertEqual(version, SchemaVersion(current: fresh.latest, latest: fresh.latest))
        try await store.close()
        let reopened = try SQLiteStore(path: self.path)
        let onReopen = try await reopened.migrate()
        XCTAssertEqual(onReopen, 0, "re-opening a migrated file applies nothing")
        try await reopened.close()
    }

    func testSchemaVersionSeesAnotherInstancesMigration() async throws {
        let server = try SQLiteStore(path: self.path)
        let before = try await server.schemaVersion()
        XCTAssertEqual(before.current, 0)
        let cli = try SQLiteStore(path: self.path)
        _ = try await cli.migrate()
        let after = try await server.schemaVersion()
        XCTAssertTrue(after.isCurrent, "the open store sees the other instance's migration")
        try await cli.writeBars(BarBatch(symbol: "M", interval: .day1, bars: [StoreContract.bar(t0, 1)]))
        let assets = try await server.assets()
        XCTAssertEqual(assets.map(\.symbol), ["M"])
        try await cli.close()
        try await server.close()
    }

    func testNewerSchemaIsReported() async throws {
        let store = try await self.open()
        try await store.executeForTesting("INSERT INTO grdb_migrations (identifier) VALUES ('v999-from-the-future')")
        let version = try await store.schemaVersion()
        XCTAssertEqual(version.current, version.latest + 1)
        do {
            _ = try await store.migrate()
            XCTFail("migrate() on a newer schema should throw")
        } catch let error as StorageError {
            XCTAssertEqual(error, .schemaAhead(current: version.latest + 1, latest: version.latest))
        }
        try await store.close()
    }

    func testUnmigratedStoreReportsBackendErrors() async throws {
        let store = try SQLiteStore(path: self.path)
        do {
            _ = try await store.assets()
            XCTFail("reading an unmigrated file should fail")
        } catch let error as StorageError {
            guard case .backend(let message) = error else { return XCTFail("expected .backend, got \(error)") }
            XCTAssertTrue(message.contains("no such table"), message)
        }
        try await store.close()
    }

    func testInvalidPaths() async throws {
        for bad in ["", ":memory:"] {
            XCTAssertThrowsError(try SQLiteStore(path: bad)) { error in
                guard case .invalidConfiguration = error as? StorageError else { return XCTFail("\(error)") }
            }
        }
        // A folder that cannot be created (a file is in the way).
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        let blocker = self.folder.appendingPathComponent("file")
        _ = FileManager.default.createFile(atPath: blocker.path, contents: Data("x".utf8))
        XCTAssertThrowsError(try SQLiteStore(path: blocker.appendingPathComponent("db.sqlite").path)) { error in
            guard case .invalidConfiguration = error as? StorageError else { return XCTFail("\(error)") }
        }
    }

    func testReopenSeesData() async throws {
        let store = try await self.open()
        let bars = StoreContract.bars(from: t0, step: 60_000, 0..<200)
        try await store.writeBars(BarBatch(symbol: "REOPEN", interval: .minute1, bars: bars))
        _ = try await store.writeTicks([Tick(symbol: "REOPEN", ts: t0 + 1, price: 5, size: 1, bid: 4.5)])
        try await store.createAsset(Asset(symbol: "AAA", name: "A", assetClass: .fx, currency: "EUR"))
        try await store.close()

        let reopened = try await self.open()
        let read = try await reopened.bars(
            symbol: "REOPEN", series: .stored(.minute1), from: nil, to: nil, limit: 1000, newestFirst: false)
        XCTAssertEqual(read.count, 200)
        try await StoreContract.assertRollupsExact(reopened, "REOPEN", base: .minute1, "after re-open")
        let tick = try await reopened.latestTick(symbol: "REOPEN")
        XCTAssertEqual(tick, Tick(symbol: "REOPEN", ts: t0 + 1, price: 5, size: 1, bid: 4.5))
        let asset = try await reopened.asset("AAA")
        XCTAssertEqual(asset, Asset(symbol: "AAA", name: "A", assetClass: .fx, currency: "EUR"))
        try await reopened.close()
    }

    func testSecondInstanceSeesWritesOnNextRead() async throws {
        let server = try await self.open()
        let importer = try SQLiteStore(path: self.path)  // like the CLI importing while a server runs
        // The server reads first (its connections are open), then the importer writes.
        let before = try await server.bars(
            symbol: "SHARED", series: .stored(.minute1), from: nil, to: nil, limit: 10, newestFirst: true)
        XCTAssertEqual(before, [])
        let bars = StoreContract.bars(from: t0, step: 60_000, 0..<120)
        try await importer.writeBars(BarBatch(symbol: "SHARED", interval: .minute1, bars: bars))
        let after = try await server.bars(
            symbol: "SHARED", series: .stored(.minute1), from: nil, to: nil, limit: 10, newestFirst: true)
        XCTAssertEqual(after, Array(bars.suffix(10).reversed()), "the server sees the importer's commit")
        let hours = try await server.bars(
            symbol: "SHARED", series: .rollup(base: .minute1, interval: .hour1), from: nil, to: nil, limit: 10,
            newestFirst: false)
        XCTAssertEqual(hours.count, 2)
        let assets = try await server.assets()
        XCTAssertEqual(assets.map(\.symbol), ["SHARED"])
        // And the other way round, for a correction.
        var fix = bars[5]
        fix.high += 100
        try await server.writeBars(BarBatch(symbol: "SHARED", interval: .minute1, bars: [fix]))
        let seen = try await importer.bars(
            symbol: "SHARED", series: .rollup(base: .minute1, interval: .hour1), from: nil, to: nil, limit: 10,
            newestFirst: false)
        XCTAssertEqual(seen.first?.high, fix.high)
        try await importer.close()
        try await server.close()
    }

    func testConcurrentWritersOnTwoInstances() async throws {
        let a = try await self.open()
        let b = try SQLiteStore(path: self.path)
        let t0 = self.t0
        try await withThrowingTaskGroup(of: Void.self) { group in
            for k in 0..<24 {
                let store = k % 2 == 0 ? a : b
                group.addTask {
                    let bars = StoreContract.bars(from: t0 + Int64(k) * 10 * 60_000, step: 60_000, 0..<10, seed: k)
                    try await store.writeBars(BarBatch(symbol: "CONC", interval: .minute1, bars: bars))
                    _ = try await store.writeTicks([Tick(symbol: "CONC", ts: t0 + Int64(k), price: 1, size: 1)])
                }
            }
            try await group.waitForAll()
        }
        let all = try await a.bars(
            symbol: "CONC", series: .stored(.minute1), from: nil, to: nil, limit: 1000, newestFirst: false)
        XCTAssertEqual(all.count, 240)
        try await StoreContract.assertRollupsExact(b, "CONC", base: .minute1, "after concurrent writers")
        let ticks = try await b.ticks(symbol: "CONC", from: nil, to: nil, limit: 100)
        XCTAssertEqual(ticks.count, 24)
        try await a.close()
        try await b.close()
    }

    func testRejectedBatchLeavesNothing() async throws {
        let store = try await self.open()
        try await store.writeBars(
            BarBatch(symbol: "KEEP", interval: .minute1, bars: StoreContract.bars(from: t0, step: 60_000, 0..<3)))
        var poisoned = StoreContract.bars(from: t0, step: 60_000, 0..<3, seed: 9)
        poisoned[1].open = .nan  // bound as NULL: the NOT NULL constraint fails
        let good = BarBatch(
            symbol: "NEWSYM", interval: .minute1, bars: StoreContract.bars(from: t0, step: 60_000, 0..<50))
        do {
            try await store.writeBars(
                [good, BarBatch(symbol: "KEEP", interval: .minute1, bars: poisoned)], progress: nil)
            XCTFail("a NaN price must be rejected")
        } catch let error as StorageError {
            guard case .backend(let message) = error else { return XCTFail("expected .backend, got \(error)") }
            XCTAssertTrue(message.contains("NOT NULL"), message)
        }
        let assets = try await store.assets()
        XCTAssertEqual(assets.map(\.symbol), ["KEEP"], "no asset from the failed call")
        let newBars = try await store.bars(
            symbol: "NEWSYM", series: .stored(.minute1), from: nil, to: nil, limit: 100, newestFirst: false)
        XCTAssertEqual(newBars, [])
        let kept = try await store.bars(
            symbol: "KEEP", series: .stored(.minute1), from: nil, to: nil, limit: 100, newestFirst: false)
        XCTAssertEqual(kept, StoreContract.bars(from: t0, step: 60_000, 0..<3))
        // The store is usable after the failure.
        try await store.writeBars(good)
        try await StoreContract.assertRollupsExact(store, "NEWSYM", base: .minute1, "after a failed write")
        try await store.close()
    }

    func testFailureInRollupStageRollsBackBarsAndTicks() async throws {
        let store = try await self.open()
        try await store.executeForTesting(
            """
            CREATE TRIGGER boom BEFORE INSERT ON bar_rollups WHEN NEW.symbol = 'BOOM' AND NEW.interval = '1d'
            BEGIN SELECT RAISE(ABORT, 'injected failure'); END
            """)
        let bars = StoreContract.bars(from: t0, step: 60_000, 0..<10)
        do {
            try await store.writeBars(
                [
                    BarBatch(symbol: "FINE", interval: .minute1, bars: bars),
                    BarBatch(symbol: "BOOM", interval: .minute1, bars: bars),
                ],
                progress: nil)
            XCTFail("the trigger should fail the write")
        } catch let error as StorageError {
            XCTAssertTrue("\(error)".contains("injected failure"), "\(error)")
        }
        do {
            _ = try await store.writeTicks([
                Tick(symbol: "FINE", ts: t0, price: 1, size: 1), Tick(symbol: "BOOM", ts: t0, price: 1, size: 1),
            ])
            XCTFail("the trigger should fail the tick write")
        } catch is StorageError {}
        for symbol in ["FINE", "BOOM"] {
            for series in [BarSeries.stored(.minute1), .rollup(base: .minute1, interval: .hour1)] {
                let left = try await store.bars(
                    symbol: symbol, series: series, from: nil, to: nil, limit: 100, newestFirst: false)
                XCTAssertEqual(left, [], "\(symbol) \(series) rolled back")
            }
            let ticks = try await store.ticks(symbol: symbol, from: nil, to: nil, limit: 10)
            XCTAssertEqual(ticks, [], "\(symbol) ticks rolled back")
        }
        let assets = try await store.assets()
        XCTAssertEqual(assets, [], "no assets from failed writes")
        try await store.close()
    }

    func testClosedStoreThrowsStorageErrors() async throws {
        let store = try await self.open()
        try await store.close()
        do {
            _ = try await store.assets()
            XCTFail("a closed store should throw")
        } catch {
            XCTAssertTrue(error is StorageError, "\(error)")
        }
    }

    func testProgressAcrossManySmallBatches() async throws {
        let store = try await self.open()
        let batches = (0..<250).map { k in
            BarBatch(
                symbol: "S\(k % 5)", interval: .hour1,
                bars: StoreContract.bars(from: t0 + Int64(k / 5) * 1000 * 3_600_000, step: 3_600_000, 0..<1000, seed: k)
            )
        }
        let log = ProgressRecorder()
        try await store.writeBars(batches, progress: { log.add($0) })
        XCTAssertEqual(log.values, [100_000, 200_000, 250_000], "every ~100k rows, then the total after commit")
        try await StoreContract.assertRollupsExact(store, "S3", base: .hour1, "many batches")
        try await store.close()
    }

    func testLargeBatchProgressAndRollups() async throws {
        let store = try await self.open()
        // Three weeks of minutes crossing month and week edges, in one batch, then a sparse correction batch.
        let start: Int64 = 1_706_572_800_000  // 2024-01-30
        let bars = StoreContract.bars(from: start, step: 60_000, 0..<(21 * 1440))
        let log = ProgressRecorder()
        try await store.writeBars([BarBatch(symbol: "BIG", interval: .minute1, bars: bars)], progress: { log.add($0) })
        XCTAssertEqual(log.values.last, bars.count)
        let sparse = StoreContract.bars(from: start + 7, step: 86_400_000 + 60_000, 0..<20, seed: 50).map {
            var b = $0
            b.ts = Interval.minute1.bucketStart(b.ts)
            return b
        }
        try await store.writeBars(BarBatch(symbol: "BIG", interval: .minute1, bars: sparse))
        try await StoreContract.assertRollupsExact(store, "BIG", base: .minute1, "large batch + sparse corrections")
        try await store.close()
    }

    // MARK: - Durability against kill -9

    /// The child half of `testAcknowledgedWritesSurviveKill`: writes batches forever, printing each acknowledgement.
    func testDurabilityChildProcess() async throws {
        guard let path = ProcessInfo.processInfo.environment["FINANCEHUB_DURABILITY_CHILD_DB"] else {
            throw XCTSkip("runs only as the child process of testAcknowledgedWritesSurviveKill")
        }
        let store = try SQLiteStore(path: path)
        _ = try await store.migrate()
        for k in 0..<100_000 {
            let bars = StoreContract.bars(from: t0 + Int64(k) * 500 * 60_000, step: 60_000, 0..<500, seed: k)
            try await store.writeBars(BarBatch(symbol: "DUR", interval: .minute1, bars: bars))
            FileHandle.standardOutput.write(Data("ACK \(k)\n".utf8))
        }
    }

    func testAcknowledgedWritesSurviveKill() async throws {
        #if os(Linux)
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            child.arguments = ["FinanceStorageTests.SQLiteStoreTests/testDurabilityChildProcess"]
            var environment = ProcessInfo.processInfo.environment
            environment["FINANCEHUB_DURABILITY_CHILD_DB"] = self.path
            child.environment = environment
            let pipe = Pipe()
            child.standardOutput = pipe
            child.standardError = FileHandle.nullDevice
            try child.run()
            // Wait for a few acknowledged writes, then kill -9 while the child is writing the next ones.
            var output = ""
            var acknowledged = -1
            let deadline = Date().addingTimeInterval(60)
            while acknowledged < 8 && Date() < deadline {
                let data = pipe.fileHandleForReading.availableData
                if data.isEmpty { break }
                output += String(decoding: data, as: UTF8.self)
                for line in output.split(separator: "\n") where line.hasPrefix("ACK ") {
                    acknowledged = max(acknowledged, Int(line.dropFirst(4)) ?? -1)
                }
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            XCTAssertGreaterThanOrEqual(acknowledged, 8, "the child acknowledged writes; output: \(output.suffix(500))")

            let store = try SQLiteStore(path: self.path)
            let version = try await store.schemaVersion()
            XCTAssertTrue(version.isCurrent)
            let stored = try await store.bars(
                symbol: "DUR", series: .stored(.minute1), from: nil, to: nil, limit: .max, newestFirst: false)
            XCTAssertGreaterThanOrEqual(stored.count, (acknowledged + 1) * 500, "every acknowledged batch survived")
            XCTAssertEqual(stored.count % 500, 0, "no partial batch")
            try await StoreContract.assertRollupsExact(store, "DUR", base: .minute1, "after kill -9")
            try await store.close()
        #else
            throw XCTSkip("uses /proc/self/exe")
        #endif
    }
}

private final class ProgressRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int] = []
    func add(_ value: Int) {
        self.lock.lock()
        self.storage.append(value)
        self.lock.unlock()
    }
    var values: [Int] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.storage
    }
}
