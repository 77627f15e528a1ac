import XCTest

@testable import FinanceCore

/// Number text in CSV cells, timestamps and indicator parameters: decimal of any length, never hexadecimal, `inf` or
/// `nan` (the API's JSON takes none of them); old Mac line endings; messages that quote input cut short.
final class NumberTextTests: XCTestCase {
    /// `1.` then 125 zeros then `1`: 128 characters.
    static let longOne = "1." + String(repeating: "0", count: 125) + "1"

    func testDecimalNumbersOfAnyLength() {
        XCTAssertEqual(Self.longOne.count, 128)
        // Before: anything of 128 characters or more was "not a number".
        XCTAssertEqual(FastNumber.double(Self.longOne), 1.0)
        XCTAssertEqual(FastNumber.double("0." + String(repeating: "0", count: 300) + "5e301"), 5)
        XCTAssertEqual(FastNumber.double(String(repeating: "9", count: 400)), .infinity)
        for (text, value) in [
            ("5", 5.0), ("5.", 5), (".5", 0.5), ("+5", 5), ("-5.5e-3", -0.0055), ("1E+2", 100),
            ("12345678901234567890", 12_345_678_901_234_567_168),
        ] {
            XCTAssertEqual(FastNumber.double(text), value, text)
        }
    }

    func testHexadecimalInfinityNaNAndSpacesAreNotNumbers() {
        for text in [
            "0x10", "0X1p3", "0x1p3", "-0x10", "inf", "-inf", "INF", "infinity", "nan", "NaN", " 5", "5 ", "1e", "e5",
            ".", "+", "-", "", "1e+", "5..5", "1_000", "1,5",
        ] {
            XCTAssertNil(FastNumber.double(text), text)
        }
        XCTAssertNil(Timestamp.parse("0x10"))
        XCTAssertNil(Timestamp.parse("inf"))
        XCTAssertEqual(Timestamp.parse("1700000000.5"), 1_700_000_000_500)
    }

    func testCSVCellsTakeLongDecimalsAndRefuseHexNamingLineAndColumn() throws {
        let good = "timestamp,open,high,low,close,volume\n1704067200000,\(Self.longOne),2,0.5,1,\(Self.longOne)\n"
        let columns = try CSVReader.parse(Array(good.utf8), required: ["open", "high", "low", "close", "volume"])
        XCTAssertEqual(columns.numbers["open"], [1.0])
        XCTAssertEqual(columns.numbers["volume"], [1.0])
        let bad = "timestamp,open,high,low,close,volume\n1704067200000,1,2,0.5,0x10,1\n1704067260000,1,inf,0.5,1,1\n"
        XCTAssertThrowsError(
            try CSVReader.parse(Array(bad.utf8), required: ["open", "high", "low", "close", "volume"])
        ) { error in
            let issues = (error as? CSVError)?.issues ?? []
            XCTAssertEqual(
                issues,
                [
                    CSVIssue(line: 2, column: "close", detail: "not a finite number: '0x10'"),
                    CSVIssue(line: 3, column: "high", detail: "not a finite number: 'inf'"),
                ])
        }
        let hexTime = "timestamp,price\n0x10,5\n"
        XCTAssertThrowsError(try CSVReader.parse(Array(hexTime.utf8), required: ["price"])) { error in
            XCTAssertEqual(
                (error as? CSVError)?.issues,
                [CSVIssue(line: 2, column: "timestamp", detail: "not a valid time: '0x10'")])
        }
    }

    func testIndicatorParametersAreDecimalOnly() throws {
        XCTAssertEqual(
            try IndicatorSpec.parse("bbands:5:2." + String(repeating: "0", count: 200)).first?.parameters, [5, 2])
        for (text, value) in [
            ("bbands:5:0x10", "0x10"), ("bbands:5:0x1p1", "0x1p1"), ("bbands:5:inf", "inf"), ("bbands:5:nan", "nan"),
        ] {
            XCTAssertThrowsError(try IndicatorSpec.parse(text), text) { error in
                XCTAssertEqual("\(error)", "indicator 'bbands': parameter devs = '\(value)' must be a number", text)
            }
        }
    }

    func testOldMacLineEndingsAndQuotedHeaders() throws {
        let text = "\"timestamp\",\"price\"\r1704067200000,5\r1704067260000,6\r\r1704067320000,7"
        let columns = try CSVReader.parse(Array(text.utf8), required: ["price"])
        XCTAssertEqual(columns.numbers["price"], [5, 6, 7])
        XCTAssertEqual(columns.lines, [2, 3, 5])
        XCTAssertEqual(CSVReader.header(Array(text.utf8)), ["timestamp", "price"])
        XCTAssertEqual(CSVReader.header(Array("\u{FEFF} Timestamp ,\"Open\"\r\n1,2\n".utf8)), ["timestamp", "open"])
        XCTAssertEqual(CSVReader.header([]), [])
    }

    func testMessagesQuoteInputCutShort() throws {
        // A header of 100,000 columns: the message quotes its first 100 characters.
        let header = "timestamp," + Array(repeating: "x", count: 100_000).joined(separator: ",")
        XCTAssertThrowsError(try CSVReader.parse(Array((header + "\n").utf8), required: ["price"])) { error in
            let detail = (error as? CSVError)?.issues.first?.detail ?? ""
            XCTAssertEqual(detail, "the header lacks price (got \(header.prefix(100))…)")
        }
        let cell = String(repeating: "7x", count: 1000)
        XCTAssertThrowsError(try CSVReader.parse(Array("timestamp,price\n1,\(cell)\n".utf8), required: ["price"])) {
            XCTAssertEqual(
                ($0 as? CSVError)?.issues.first?.detail, "not a finite number: '\(cell.prefix(40))…'")
        }
        XCTAssertEqual(Echo.text("abc"), "abc")
        XCTAssertEqual(Echo.text(String(repeating: "é", count: 64)), String(repeating: "é", count: 64))
        XCTAssertEqual(Echo.text(String(repeating: "é", count: 65)), String(repeating: "é", count: 64) + "…")
        let long = String(repeating: "q", count: 60_000)
        XCTAssertEqual(PatternType.listProblem(long).count, PatternType.listProblem("q").count + 63 + 1)
        XCTAssertThrowsError(try IndicatorSpec.parse(long)) {
            XCTAssertTrue(
                "\($0)".hasPrefix("unknown indicator '\(long.prefix(64))…' (known: "), "\($0)".prefix(200) + "")
        }
    }
}
