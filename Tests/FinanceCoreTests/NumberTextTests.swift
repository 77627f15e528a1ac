import XCTest

@testable import FinanceCore

/// Number text in CSV cells, timestamps and indicator parameters: decimal of any length, never hexadecimal, `inf` or
/// `nan` (the API's JSON takes none of them).
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
}
