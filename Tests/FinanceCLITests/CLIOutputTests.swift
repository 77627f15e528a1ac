import FinanceCLI
import FinanceCore
import FinanceTestSupport
import Foundation
import XCTest

@testable import FinanceCLI

/// Where the CLI writes (stdout, `--output` through links), the lines it names, and `bench indicators` checks.
final class CLIOutputTests: TemporaryFolderTestCase {
    /// A valid OHLCV file of `count` daily bars.
    func okCSV(_ count: Int = 30, name: String = "ok.csv") -> String {
        var csv = "timestamp,open,high,low,close,volume\n"
        for i in 0..<count {
            let c = 100 + 5 * sin(Double(i) / 3)
            csv += "\(1_704_067_200_000 + Int64(i) * 86_400_000),\(c),\(c + 1),\(c - 1),\(c + 0.5),\(100 + i)\n"
        }
        FileManager.default.createFile(atPath: self.path(name), contents: Data(csv.utf8))
        return self.path(name)
    }

    func testAnUnwritableStdoutIsAnErrorNotATrap() throws {
        guard let binary = CrashTests.binary else { throw XCTSkip("financehub binary not built next to the tests") }
        let input = self.okCSV()
        for arguments in [
            ["indicators", "--input", input, "--indicators", "sma:3"], ["patterns", "--input", input],
            ["anomalies", "--input", input],
        ] {
            // Standard output is a descriptor open for reading only: every write to it fails.
            let readOnly = try XCTUnwrap(FileHandle(forReadingAtPath: input))
            let p = Process()
            p.executableURL = binary
            p.arguments = arguments
            p.standardOutput = readOnly
            let err = Pipe()
            p.standardError = err
            try p.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            try readOnly.close()
            XCTAssertEqual(p.terminationReason, .exit, "\(arguments): \(text)")
            XCTAssertEqual(p.terminationStatus, 1, "\(arguments): \(text)")
            XCTAssertTrue(text.hasPrefix("error: cannot write the output"), "\(arguments): \(text)")
        }
    }

    func testOutputWritesThroughASymlinkAndNeverReportsAFailedWriteAsSuccess() async throws {
        let input = self.okCSV()
        let target = self.path("target.csv")
        try "old\n".write(toFile: target, atomically: false, encoding: .utf8)
        let link = self.path("link.csv")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let code = await FinanceHubCommand.run(arguments: [
            "indicators", "--input", input, "--indicators", "sma:3", "--output", link,
        ])
        XCTAssertEqual(code, 0)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), target)
        XCTAssertTrue(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("timestamp,sma_3\n"))
        // A dangling link creates its target, and stays a link.
        let later = self.path("later.json")
        let dangling = self.path("dangling.json")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: later)
        let code2 = await FinanceHubCommand.run(arguments: [
            "patterns", "--input", input, "--format", "json", "--output", dangling,
        ])
        XCTAssertEqual(code2, 0)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dangling), later)
        XCTAssertTrue(try String(contentsOfFile: later, encoding: .utf8).hasPrefix("["))
        // A link to a folder cannot be written: exit 1, and the link is left alone.
        let folderLink = self.path("folder-link")
        try FileManager.default.createSymbolicLink(atPath: folderLink, withDestinationPath: self.dir.path)
        let code3 = await FinanceHubCommand.run(arguments: [
            "indicators", "--input", input, "--indicators", "sma:3", "--output", folderLink,
        ])
        XCTAssertEqual(code3, 1)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: folderLink), self.dir.path)
        // The chart of `patterns` is written the same way.
        let chartTarget = self.path("chart.svg")
        try "old".write(toFile: chartTarget, atomically: false, encoding: .utf8)
        let chartLink = self.path("chart-link.svg")
        try FileManager.default.createSymbolicLink(atPath: chartLink, withDestinationPath: chartTarget)
        let code4 = await FinanceHubCommand.run(arguments: [
            "patterns", "--input", input, "--output", self.path("p.txt"), "--chart", chartLink,
        ])
        XCTAssertEqual(code4, 0)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: chartLink), chartTarget)
        XCTAssertTrue(try String(contentsOfFile: chartTarget, encoding: .utf8).hasPrefix("<svg"))
    }

    func testRowsOutOfTimeOrderNameTheirFileLines() async throws {
        // Line 1 is the header, line 3 is blank; line 6 goes back in time and line 8 repeats line 7's time.
        let rows = [
            "timestamp,open,high,low,close,volume", "2024-01-01,10,11,9,10,1", "", "2024-01-02,10,11,9,10,1",
            "2024-01-03,10,11,9,10,1", "2024-01-02T12:00:00Z,10,11,9,10,1", "2024-01-05,10,11,9,10,1",
            "2024-01-05,10,11,9,10,1",
        ]
        let file = self.path("order.csv")
        try (rows.joined(separator: "\n") + "\n").write(toFile: file, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try OHLCVFile.read(file)) { error in
            let message = (error as? CLIFailure)?.message ?? "\(error)"
            XCTAssertTrue(message.contains("2 problems"), message)
            XCTAssertTrue(message.contains("line 6, timestamp:"), message)
            XCTAssertTrue(message.contains("line 8, timestamp:"), message)
            XCTAssertFalse(message.contains("at row"), message)
        }
        let code = await FinanceHubCommand.run(arguments: ["indicators", "--input", file, "--indicators", "sma:2"])
        XCTAssertEqual(code, 1)
    }

    func testBenchIndicatorsChecksItsInputAndRepetitions() async throws {
        let header = self.path("header.csv")
        try "timestamp,open,high,low,close,volume\n".write(toFile: header, atomically: false, encoding: .utf8)
        let empty = await FinanceHubCommand.run(arguments: ["bench", "indicators", "--input", header])
        XCTAssertEqual(empty, 1)
        let input = self.okCSV()
        let zero = await FinanceHubCommand.run(arguments: [
            "bench", "indicators", "--input", input, "--repetitions", "0",
        ])
        XCTAssertEqual(zero, 64)
    }
}
