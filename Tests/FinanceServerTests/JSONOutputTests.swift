import FinanceCore
import Foundation
import XCTest

@testable import FinanceServer

/// The hot routes' directly written JSON is byte for byte what the server's JSONEncoder writes.
final class JSONOutputTests: XCTestCase {
    static let awkwardNumbers: [Double] = [
        0, -0.0, 1, -1, 0.1, 0.1 + 0.2, 1e-7, 1.5e-300, 5e-324, 1e15, 1e16, 1e21, 123_456_789.125, -2.5e22,
        9_007_199_254_740_993, .greatestFiniteMagnitude, -.leastNormalMagnitude, 100.000_000_000_001,
    ]

    func testQuotesAndBarsAreWrittenAsJSONEncoderWritesThem() throws {
        var random = SeededRandom(seed: 5)
        func number() -> Double {
            random.int(0, 2) == 0
                ? Self.awkwardNumbers[random.int(0, Self.awkwardNumbers.count - 1)]
                : (random.uniform() - 0.5) * pow(10, Double(random.int(-12, 12)))
        }
        func optional() -> Double? { random.int(0, 3) == 0 ? nil : number() }
        let texts = ["SYM0", "BRK.B", "a\"b\\c/d", "tab\there\n\r\u{8}\u{c}\u{1}\u{1f}", "é€😀", ""]
        for _ in 0..<500 {
            let quote = Quote(
                symbol: texts[random.int(0, texts.count - 1)], price: number(),
                ts: Int64(random.int(-1_000_000, 1_000_000)) * 1_000_003, bid: optional(), ask: optional(),
                open: optional(), high: optional(), low: optional(), volume: optional(), change: optional(),
                changePercent: optional())
            try self.assertSameBytes(QuoteDTO(quote))
            let bars = (0..<random.int(0, 4)).map { _ in
                BarDTO(
                    Bar(
                        ts: Int64(random.int(0, 1 << 40)), open: number(), high: number(), low: number(),
                        close: number(), volume: number()))
            }
            try self.assertSameBytes(
                BarsDTO(symbol: texts[random.int(0, texts.count - 1)], interval: "1d", bars: bars))
        }
    }

    func testNonFiniteNumbersAreRefusedAsJSONEncoderRefusesThem() {
        let quote = QuoteDTO(Quote(symbol: "X", price: .nan, ts: 0))
        XCTAssertThrowsError(try HTTP.encoder.encode(quote))
        var json = JSONOutput()
        XCTAssertThrowsError(try quote.write(to: &json))
    }

    private func assertSameBytes(_ value: some JSONOutputWritable, file: StaticString = #filePath, line: UInt = #line)
        throws
    {
        var json = JSONOutput()
        try value.write(to: &json)
        let expected = try HTTP.encoder.encode(value)
        XCTAssertEqual(
            String(decoding: json.bytes, as: UTF8.self), String(decoding: expected, as: UTF8.self), file: file,
            line: line)
    }
}
