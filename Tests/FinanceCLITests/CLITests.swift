import FinanceCLI
import FinanceCore
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import XCTest

@testable import FinanceCLI

final class CLITests: TemporaryFolderTestCase {
    func testImportBarsIntoANewSQLiteFileInANewFolder() async throws {
        let db = self.dir.appendingPathComponent("nested/deeper/hub.sqlite").path
        let csv = self.write(
            "goog.csv",
            "timestamp,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03T00:00:00Z,10.5,12,10,11,200\n1704326400,11,11.5,10.5,11.2,50\n"
        )
        let code = await FinanceHubCommand.run(arguments: [
            "import", "bars", "--symbol", "goog", "--interval", "1d", "--database", "sqlite:" + db, csv,
        ])
        XCTAssertEqual(code, 0)
        let store = try SQLiteStore(path: db)
        let bars = try await store.bars(
            symbol: "GOOG", series: .stored(.day1), from: nil, to: nil, limit: 10, newestFirst: false)
        XCTAssertEqual(
            bars.map(\.ts),
            [Timestamp.parse("2024-01-02")!, Timestamp.parse("2024-01-03")!, Timestamp.parse("2024-01-04")!])
        let awaited1 = try await store.asset("GOOG").assetClass
        XCTAssertEqual(awaited1, .unknown)
        try await store.close()
    }

    func testImportRejectsBadFilesAndWritesNothing() async throws {
        let db = "sqlite:" + self.dir.appendingPathComponent("hub.sqlite").path
        let bad = self.write(
            "bad.csv",
            "timestamp,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10,9,11,10,1\nnope,1,1,1,1,1\n"
        )
        let code = await FinanceHubCommand.run(arguments: [
            "import", "bars", "--symbol", "X", "--interval", "1d", "--database", db, bad,
        ])
        XCTAssertEqual(code, 1)
        let rules = self.write(
            "rules.csv", "timestamp,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10,9,11,10,1\n")
        let code2 = await FinanceHubCommand.run(arguments: [
            "import", "bars", "--symbol", "X", "--interval", "1d", "--database", db, rules,
        ])
        XCTAssertEqual(code2, 1)
        let store = try SQLiteStore(path: String(db.dropFirst(7)))
        _ = try await store.migrate()
        let stored = try await store.storedIntervals(symbol: "X")
        XCTAssertEqual(stored, [])
        try await store.close()
        let header = self.write("header.csv", "when,open\n1,2\n")
        let code3 = await FinanceHubCommand.run(arguments: [
            "import", "bars", "--symbol", "X", "--database", db, header,
        ])
        XCTAssertEqual(code3, 1)
    }

    func testUsageErrorsExit64() async {
        let badInterval = await FinanceHubCommand.run(arguments: [
            "import", "bars", "--symbol", "X", "--interval", "2m", "f.csv",
        ])
        XCTAssertEqual(badInterval, 64)
        let badSymbol = await FinanceHubCommand.run(arguments: ["import", "bars", "--symbol", "a b", "f.csv"])
        XCTAssertEqual(badSymbol, 64)
        let unknown = await FinanceHubCommand.run(arguments: ["frobnicate"])
        XCTAssertEqual(unknown, 64)
        // Bench sizes and counts must be at least 1, the noise a finite fraction ≥ 0 (checked before any work).
        for arguments in [
            ["bench", "patterns", "--series", "0"], ["bench", "patterns", "--noise", "nan"],
            ["bench", "patterns", "--noise=-0.1"], ["bench", "patterns", "--method", "neural"],
            ["bench", "patterns", "--template-threshold", "1.5"], ["bench", "patterns", "--template-threshold", "nan"],
            ["bench", "patterns", "--min-truth-bars=-1"], ["bench", "patterns", "--textbook-noise", "2"],
            ["bench", "patterns", "--textbook-noise", "nan"],
            ["bench", "import", "--runs", "0"],
            ["bench", "import", "--rows", "0"],
            ["bench", "rollup", "--runs", "0"], ["bench", "ticks", "--requests", "0"],
            ["bench", "ticks", "--clients", "0"],
            ["bench", "ticks", "--batch", "0"],
            ["bench", "alerts", "--runs", "0"], ["bench", "alerts", "--alerts", "0"],
            ["bench", "alerts", "--symbols", "0"], ["bench", "alerts", "--ticks", "0"],
        ] {
            let code = await FinanceHubCommand.run(arguments: arguments)
            XCTAssertEqual(code, 64, "\(arguments)")
        }
        let help = await FinanceHubCommand.run(arguments: ["--help"])
        XCTAssertEqual(help, 0)
    }

    func testImportTicksBuildsMinuteBars() async throws {
        let db = self.dir.appendingPathComponent("ticks.sqlite").path
        let csv = self.write(
            "t.csv",
            "timestamp,price,size,bid,ask,bidSize,askSize\n1704067200000,10,1,9.9,10.1,5,5\n1704067230000,12,2,,,,\n1704067290000,11,3,10.9,11.1,1,1\n"
        )
        let code = await FinanceHubCommand.run(arguments: ["import", "ticks", "--symbol", "eth", "--database", db, csv])
        XCTAssertEqual(code, 0)
        let store = try SQLiteStore(path: db)
        let bars = try await store.bars(
            symbol: "ETH", series: .stored(.minute1), from: nil, to: nil, limit: 10, newestFirst: false)
        XCTAssertEqual(
            bars,
            [
                Bar(ts: 1_704_067_200_000, open: 10, high: 12, low: 10, close: 12, volume: 3),
                Bar(ts: 1_704_067_260_000, open: 11, high: 11, low: 11, close: 11, volume: 3),
            ])
        let last = try await store.latestTick(symbol: "ETH")
        XCTAssertEqual(last?.bid, 10.9)
        try await store.close()
        let bad = self.write("bad.csv", "timestamp,price\n1,-5\n")
        let code2 = await FinanceHubCommand.run(arguments: [
            "import", "ticks", "--symbol", "eth", "--database", db, bad,
        ])
        XCTAssertEqual(code2, 1)
    }

    func testMigrateIsIdempotent() async {
        let db = "sqlite:" + self.dir.appendingPathComponent("m.sqlite").path
        let first = await FinanceHubCommand.run(arguments: ["migrate", "--database", db])
        let second = await FinanceHubCommand.run(arguments: ["migrate", "--database", db])
        XCTAssertEqual(first, 0)
        XCTAssertEqual(second, 0)
        // An unsupported location is a usage error, found before anything runs.
        let bad = await FinanceHubCommand.run(arguments: ["migrate", "--database", "mysql://x"])
        XCTAssertEqual(bad, 64)
    }

    /// Runs `chattr` on `path` (as root, file permissions do not stop writes; an immutable file does).
    @discardableResult
    func chattr(_ flag: String, _ path: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
        process.arguments = [flag, path]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    func testAnSQLiteFileThatCanOnlyBeReadIsRefusedAtStart() async throws {
        let path = self.dir.appendingPathComponent("ro.sqlite").path
        let created = await FinanceHubCommand.run(arguments: ["migrate", "--database", "sqlite:" + path])
        XCTAssertEqual(created, 0)
        guard self.chattr("+i", path) else { throw XCTSkip("chattr +i is not available here") }
        defer { self.chattr("-i", path) }
        // Before: the server started "ready" and answered every write with a 503.
        let store = try SQLiteStore(path: path)
        do {
            try await store.checkWritable()
            XCTFail("an immutable file was taken as writable")
        } catch let error as StorageError {
            XCTAssertTrue(error.description.contains("can only be read"), error.description)
        }
        _ = try await store.bars(symbol: "X", series: .stored(.day1), from: nil, to: nil, limit: 1, newestFirst: false)
        try await store.close()
        let csv = self.write("x.csv", "timestamp,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n")
        for arguments in [
            ["migrate", "--database", "sqlite:" + path],
            ["import", "bars", "--symbol", "x", "--interval", "1d", "--database", "sqlite:" + path, csv],
        ] {
            let code = await FinanceHubCommand.run(arguments: arguments)
            XCTAssertEqual(code, 1, "\(arguments)")
        }
    }

    func testDatabaseLocations() throws {
        XCTAssertEqual(try DatabaseLocation(parsing: "sqlite:./data/x.sqlite"), .sqlite(path: "./data/x.sqlite"))
        XCTAssertEqual(try DatabaseLocation(parsing: "/tmp/x.sqlite"), .sqlite(path: "/tmp/x.sqlite"))
        XCTAssertEqual(
            try DatabaseLocation(parsing: "postgres://u:p@h:5432/d"), .postgres(url: "postgres://u:p@h:5432/d"))
        XCTAssertThrowsError(try DatabaseLocation(parsing: "sqlite:"))
        XCTAssertThrowsError(try DatabaseLocation(parsing: "mysql://x"))
    }

    func testSettingsLayering() async throws {
        let yaml = self.write("c.yaml", "http:\n  port: 9001\n  maxBodyBytes: 2048\nfeed:\n  mode: none\n")
        let s = try await AppSettings.load(
            configFile: yaml, overrides: ["http.host": "0.0.0.0"], environment: ["FINANCEHUB_HTTP_PORT": "9002"])
        XCTAssertEqual(s.server.port, 9002)  // environment beats the file
        XCTAssertEqual(s.server.maxBodyBytes, 2048)
        XCTAssertEqual(s.server.host, "0.0.0.0")
        XCTAssertNil(s.server.simulatedFeed)
        let json = self.write("c.json", "{\"feed\": {\"seed\": 7, \"ticksPerSecond\": 2.5, \"symbols\": \"btc,eth\"}}")
        let j = try await AppSettings.load(configFile: json, overrides: ["http.port": "1234"], environment: [:])
        XCTAssertEqual(j.server.port, 1234)
        XCTAssertEqual(j.server.simulatedFeed?.seed, 7)
        XCTAssertEqual(j.server.simulatedFeed?.ticksPerSecond, 2.5)
        XCTAssertEqual(j.server.simulatedFeed?.instruments.map(\.asset.symbol), ["BTC", "ETH"])
        do {
            _ = try await AppSettings.load(
                configFile: nil, overrides: [:],
                environment: [
                    "FINANCEHUB_HTTP_PORT": "http", "FINANCEHUB_FEED_MODE": "live", "FINANCEHUB_LOG_LEVEL": "loud",
                ])
            XCTFail("invalid settings must fail")
        } catch let failure as CLIFailure {
            XCTAssertTrue(failure.message.contains("http.port"))
            XCTAssertTrue(failure.message.contains("feed.mode"))
            XCTAssertTrue(failure.message.contains("log.level"))
        }
    }

    /// The message settings fail with ("" when they load).
    private func loadFailure(_ file: String?, _ environment: [String: String] = [:]) async -> String {
        do {
            _ = try await AppSettings.load(configFile: file, overrides: [:], environment: environment)
            return ""
        } catch let failure as CLIFailure {
            return failure.message
        } catch {
            return "\(error)"
        }
    }

    func testConfigFilesRejectTyposEmptyFeedsAndNeverEchoSecrets() async throws {
        // A misspelled key is an error, not a silently used default; dotted names count as nested ones.
        let typo = await self.loadFailure(
            self.write("t.yaml", "http:\n  prot: 8788\nanalytics.maxSymbol: 3\nlog:\n  level: info\n"))
        XCTAssertTrue(typo.contains("unknown keys analytics.maxSymbol, http.prot"), typo)
        let typoJSON = await self.loadFailure(self.write("t.json", "{\"feed\": {\"sed\": 1}}"))
        XCTAssertTrue(typoJSON.contains("unknown key feed.sed"), typoJSON)
        // A file that does not parse: the position and the problem, never the line (it may hold a password).
        let secret = await self.loadFailure(
            self.write("s.yaml", "database:\n  url: postgres://fh:TopSecret99@127.0.0.1:5432/db: x\n"))
        XCTAssertTrue(secret.hasPrefix("cannot read config file"), secret)
        XCTAssertTrue(secret.contains("2:51"), secret)
        XCTAssertFalse(secret.contains("TopSecret99"), secret)
        struct ParseError: Error, CustomStringConvertible { var description: String }
        XCTAssertEqual(
            ConfigFile.describeError(ParseError(description: "3:1: bad postgres://u:pw@h/db:\n  url: x")),
            "3:1: bad postgres://u@h/db")
        // An empty symbol list would run a feed that generates nothing.
        for empty in ["", ",", " , "] {
            let message = await self.loadFailure(nil, ["FINANCEHUB_FEED_SYMBOLS": empty])
            XCTAssertTrue(message.contains("feed.symbols: names no symbol"), "'\(empty)': \(message)")
        }
        let fine = try await AppSettings.load(
            configFile: self.write("ok.yaml", "http:\n  port: 9001\nfeed.symbols: btc\n"), overrides: [:],
            environment: [:])
        XCTAssertEqual(fine.server.port, 9001)
    }
}
