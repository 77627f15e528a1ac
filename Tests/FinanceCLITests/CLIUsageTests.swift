import FinanceCLI
import FinanceCore
import FinanceTestSupport
import Foundation
import XCTest

@testable import FinanceCLI

/// Exit codes and streams of the real binary: usage errors exit 64 with the message on stderr, stdout carries only
/// results; CSV input as the reader takes it (quoted headers, old Mac line endings, long decimals, no hex).
final class CLIUsageTests: TemporaryFolderTestCase {
    /// A valid OHLCV file of `count` daily bars, its lines ending with `newline`.
    func ohlcv(_ name: String, count: Int = 30, newline: String = "\n", number: (Double) -> String = { "\($0)" })
        -> String
    {
        var csv = "timestamp,open,high,low,close,volume" + newline
        for i in 0..<count {
            let c = 100 + 5 * sin(Double(i) / 3)
            csv +=
                "\(1_704_067_200_000 + Int64(i) * 86_400_000),\(number(c)),\(c + 1),\(c - 1),\(number(c + 0.5)),"
                + "\(100 + i)" + newline
        }
        return self.write(name, csv)
    }

    /// Runs the built binary (stdin empty); its exit status, stdout and stderr.
    func run(_ arguments: [String]) throws -> (code: Int32, out: String, err: String) {
        guard let binary = CrashTests.binary else { throw XCTSkip("financehub binary not built next to the tests") }
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        p.currentDirectoryURL = self.dir
        p.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Both pipes drained at once, so a large output on one never blocks the process.
        let errText = Captured(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), errText.text())
    }

    /// Reads a pipe to its end on a thread of its own.
    final class Captured: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            Thread {
                self.data = handle.readDataToEndOfFile()
                self.done.signal()
            }.start()
        }

        func text() -> String {
            self.done.wait()
            return String(decoding: self.data, as: UTF8.self)
        }
    }

    func testAGroupWithoutItsSubcommandIsAUsageErrorOnStderr() async throws {
        for (arguments, names) in [
            ([], "serve, migrate, import"), (["import"], "bars, ticks"), (["bench"], "import, rollup, ticks"),
        ] {
            let (code, out, err) = try self.run(arguments)
            XCTAssertEqual(code, 64, "\(arguments)")
            XCTAssertEqual(out, "", "\(arguments)")
            XCTAssertTrue(err.hasPrefix("Error: missing subcommand: use one of \(names)"), "\(arguments): \(err)")
            XCTAssertTrue(err.contains("USAGE: financehub"), "\(arguments): \(err)")
            let inProcess = await FinanceHubCommand.run(arguments: arguments)
            XCTAssertEqual(inProcess, 64, "\(arguments)")
        }
        // Asked for, help is the result: stdout and 0.
        let help = try self.run(["import", "--help"])
        XCTAssertEqual(help.code, 0)
        XCTAssertTrue(help.out.contains("USAGE: financehub import"), help.out)
        XCTAssertEqual(help.err, "")
    }

    func testEmptyOrUnsupportedLocationsAndPathsAreUsageErrors() throws {
        let input = self.ohlcv("ok.csv")
        for (arguments, message) in [
            (["migrate", "--database", ""], "--database is empty: use sqlite:PATH or postgres://"),
            (["migrate", "--database", "mysql://x"], "--database 'mysql://x': unsupported database location"),
            (["serve", "--database", "mysql://x"], "--database 'mysql://x': unsupported database location"),
            (["import", "bars", "--symbol", "x", "--database", "", input], "--database is empty"),
            (["bench", "ticks", "--database", ""], "--database is empty"),
            (["bench", "import", "--database", "mysql://x"], "--database 'mysql://x'"),
            (["indicators", "--input", input, "--indicators", "sma:3", "--output", ""], "--output needs a file path"),
            (["patterns", "--input", input, "--output", ""], "--output needs a file path"),
            (["patterns", "--input", input, "--chart", ""], "--chart needs a file path"),
            (["anomalies", "--input", input, "--output", ""], "--output needs a file path"),
        ] {
            let (code, out, err) = try self.run(arguments)
            XCTAssertEqual(code, 64, "\(arguments): \(err)")
            XCTAssertEqual(out, "", "\(arguments)")
            XCTAssertTrue(err.hasPrefix("Error: " + message), "\(arguments): \(err)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.dir.appendingPathComponent("data").path))
    }

    func testAnomaliesReadsAQuotedTickHeader() throws {
        let ticks = self.write("t.csv", "\"timestamp\",\"price\"\n1704067200000,5\n1704067201000,5.5\n")
        // Before: taken for an OHLCV file, "header lacks open, high, low, close, volume".
        let (code, out, err) = try self.run(["anomalies", "--input", ticks])
        XCTAssertEqual(code, 0, err)
        XCTAssertEqual(out, "ts,type,severity,threshold,values\n")
        XCTAssertTrue(TickFile.isTickHeader(Array("\"Timestamp\", \"PRICE\"\r1,2\r".utf8)))
        XCTAssertFalse(TickFile.isTickHeader(Array("\"timestamp\",\"open\",\"price\"\n".utf8)))
    }

    func testOldMacLineEndingsParseAndABadHeaderIsQuotedCutShort() throws {
        let mac = self.ohlcv("mac.csv", newline: "\r")
        let unix = self.ohlcv("unix.csv")
        let fromMac = try self.run(["indicators", "--input", mac, "--indicators", "sma:3"])
        let fromUnix = try self.run(["indicators", "--input", unix, "--indicators", "sma:3"])
        XCTAssertEqual(fromMac.code, 0, fromMac.err)
        XCTAssertEqual(fromMac.out, fromUnix.out)
        // A header of 300,000 columns: the message quotes 100 characters of it.
        let wide = self.write("wide.csv", "timestamp," + String(repeating: "open,", count: 300_000) + "x\n1,2\n")
        let (code, out, err) = try self.run(["patterns", "--input", wide])
        XCTAssertEqual(code, 1)
        XCTAssertEqual(out, "")
        XCTAssertLessThan(err.count, 400, String(err.prefix(400)))
        XCTAssertTrue(err.contains("the header lacks high, low, close, volume (got timestamp,open,open,"), err)
        XCTAssertTrue(err.contains("…)"), err)
    }

    func testLongDecimalsAreNumbersAndHexIsNot() throws {
        // Open and close with 130 more zeros: 140 characters or so each.
        let long = self.ohlcv("long.csv") { "\($0)" + String(repeating: "0", count: 130) }
        let plain = self.ohlcv("plain.csv")
        let a = try self.run(["indicators", "--input", long, "--indicators", "sma:3"])
        let b = try self.run(["indicators", "--input", plain, "--indicators", "sma:3"])
        XCTAssertEqual(a.code, 0, a.err)
        XCTAssertEqual(a.out, b.out)
        let hex = self.ohlcv("hex.csv", count: 3) { _ in "0x10" }
        let h = try self.run(["indicators", "--input", hex, "--indicators", "sma:3"])
        XCTAssertEqual(h.code, 1)
        XCTAssertTrue(h.err.contains("line 2, open: not a finite number: '0x10'"), h.err)
        let spec = try self.run(["indicators", "--input", plain, "--indicators", "bbands:5:0x10"])
        XCTAssertEqual(spec.code, 64)
        XCTAssertTrue(
            spec.err.hasPrefix("Error: --indicators: indicator 'bbands': parameter devs = '0x10' must be a number"),
            spec.err)
    }
}
