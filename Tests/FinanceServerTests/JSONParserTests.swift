import FinanceCore
import Foundation
import XCTest

@testable import FinanceServer

/// The request-body JSON reader: the values of valid documents, and a clear error (never a crash) for invalid ones,
/// checked against Foundation's own JSON reader and writer.
final class JSONParserTests: XCTestCase {
    func testReadsEveryKindOfValue() throws {
        let value = try JSONParser.parse(
            #" { "a" : [1, -2, 0, -0, 1.5, -2.5e-3, 1E2, 9223372036854775807, -9223372036854775808, 9223372036854775808],"#
                + #" "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00y", "t": true, "f": false, "n": null, "o": {}, "e": [] } "#
        )
        XCTAssertEqual(
            value,
            .object([
                "a": .array([
                    .integer(1), .integer(-2), .integer(0), .integer(0), .number(1.5), .number(-0.0025), .number(100),
                    .integer(.max), .integer(.min), .number(9_223_372_036_854_775_808),
                ]),
                "s": .string("x\"\\/\u{8}\u{c}\n\r\té😀y"), "t": .bool(true), "f": .bool(false), "n": .null,
                "o": .object([:]), "e": .array([]),
            ]))
        XCTAssertEqual(try JSONParser.parse(#"{"k":1,"k":2}"#), .object(["k": .integer(2)]), "the last repeat wins")
        XCTAssertEqual(try JSONParser.parse("1e400"), .number(.infinity), "beyond a Double: infinite, checked later")
        XCTAssertEqual(try JSONParser.parse(#""ü""#), .string("ü"))
    }

    func testRejectsInvalidDocumentsWithTheReasonAndPlace() {
        let cases: [(String, String, Int)] = [
            ("", "the body is empty", 0),
            ("  ", "the body is empty", 0),
            ("[", "unexpected end of the body", 1),
            ("[1,]", "unexpected character ']'", 3),
            (#"{"a":1,}"#, "expected a string key", 7),
            (#"{"a" 1}"#, "expected ':'", 5),
            (#"{"a":1 "b":2}"#, "expected ',' or '}'", 7),
            ("[1 2]", "expected ',' or ']'", 3),
            ("01", "a number must not start with 0", 1),
            ("-", "a number needs digits", 1),
            ("-a", "a number needs digits", 1),
            ("1.", "a number's fraction needs digits", 2),
            (".5", "unexpected character '.'", 0),
            ("1e", "a number's exponent needs digits", 2),
            ("1e+", "a number's exponent needs digits", 3),
            ("+1", "unexpected character '+'", 0),
            ("tru", "invalid literal (expected true)", 0),
            ("nulL", "invalid literal (expected null)", 0),
            (#""\x""#, "invalid escape \\'x'", 2),
            (#""\u12""#, "a \\u escape needs four hex digits", 3),
            (#""\u12G4""#, "a \\u escape needs four hex digits", 5),
            (#""\ud800""#, "a high surrogate escape is not followed by a low one", 7),
            (#""\ud800\u0041""#, "a high surrogate escape is not followed by a low one", 13),
            (#""\udc00""#, "a lone low surrogate escape", 7),
            ("\"a\u{1}\"", "unescaped control character in a string", 2),
            ("\"a\\n\u{1}\"", "unescaped control character in a string", 4),
            ("\"abc", "unexpected end of the body (a string is not closed)", 4),
            ("[1] x", "unexpected data after the JSON value", 4),
            ("{1:2}", "expected a string key", 1),
            ("NaN", "unexpected character 'N'", 0),
        ]
        for (text, reason, offset) in cases {
            XCTAssertThrowsError(try JSONParser.parse(text), text) { error in
                let error = error as? JSONParser.SyntaxError
                XCTAssertEqual(error?.offset, offset, text)
                XCTAssertTrue(error?.reason.hasPrefix(reason) == true, "\(text): \(String(describing: error))")
            }
        }
        // Bytes that are not UTF-8 inside a string (alone and after an escape).
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0x5C, 0x6E, 0xC3, 0x22]] {
            XCTAssertThrowsError(try bytes.withUnsafeBufferPointer { try JSONParser.parse($0) }) { error in
                XCTAssertEqual((error as? JSONParser.SyntaxError)?.reason, "a string is not valid UTF-8")
            }
        }
    }

    func testNestingIsBoundedWithoutExhaustingTheStack() throws {
        let deepest =
            String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        XCTAssertNoThrow(try JSONParser.parse(deepest))
        for open in ["[", #"{"a":"#] {
            let hostile = String(repeating: open, count: 200_000)
            XCTAssertThrowsError(try JSONParser.parse(hostile)) { error in
                XCTAssertEqual((error as? JSONParser.SyntaxError)?.reason, "nesting deeper than 512 levels")
            }
        }
    }

    /// Random documents written by Foundation's JSONSerialization read back to the values they were made from.
    func testReadsBackWhatFoundationWrites() throws {
        var random = SeededRandom(seed: 20_261_207)
        for _ in 0..<300 {
            let value = Self.randomValue(&random, depth: 0)
            let data = try JSONSerialization.data(
                withJSONObject: Self.foundationObject(value), options: .fragmentsAllowed)
            let parsed = try data.withUnsafeBytes { try JSONParser.parse($0.assumingMemoryBound(to: UInt8.self)) }
            XCTAssertEqual(parsed, value, String(decoding: data, as: UTF8.self))
        }
    }

    /// On random near-JSON text, the reader accepts exactly what Foundation's reader accepts, with the same values.
    func testAgreesWithFoundationOnRandomText() throws {
        var random = SeededRandom(seed: 7)
        let pieces = [
            "[", "]", "{", "}", ",", ":", "\"", "\"k\"", "\"v\"", "0", "1", "-", ".", "e", "E", "+", "12", "true",
            "false",
            "null", " ", "\\", "\\u00e9", "\\n", "x",
        ]
        var accepted = 0
        for _ in 0..<20_000 {
            let count = 1 + random.int(0, -1 + 7)
            let text = (0..<count).map { _ in pieces[random.int(0, -1 + pieces.count)] }.joined()
            let ours = try? JSONParser.parse(text)
            let foundation = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)
            XCTAssertEqual(ours != nil, foundation != nil, "\(text): ours \(String(describing: ours))")
            if let ours, let foundation {
                accepted += 1
                XCTAssertTrue(Self.matches(ours, foundation), "\(text): ours \(ours), Foundation \(foundation)")
            }
        }
        XCTAssertGreaterThan(accepted, 500, "the random text holds enough valid documents to compare values")
    }

    // MARK: - Helpers

    static func randomValue(_ random: inout SeededRandom, depth: Int) -> JSONValue {
        switch random.int(0, (depth > 3 ? 5 : 7) - 1) {
        case 0: return .null
        case 1: return .bool(random.int(0, -1 + 2) == 0)
        case 2: return .integer(Int64(random.int(0, -1 + 2_000_000_000)) * 4_000_000_000 - 4_000_000_000_000_000_000)
        case 3:
            // Foundation writes an integral double without a fraction, which reads back as an integer.
            let d = (random.uniform() - 0.5) * pow(10, Double(random.int(0, -1 + 40) - 20))
            return d == d.rounded() ? .integer(Int64(d)) : .number(d)
        case 4:
            let scalars: [Unicode.Scalar] = ["a", "\"", "\\", "/", "\n", "\u{1}", "\u{7f}", "é", "€", "😀", " "]
            return .string(
                String((0..<random.int(0, -1 + 8)).map { _ in Character(scalars[random.int(0, -1 + scalars.count)]) }))
        case 5: return .array((0..<random.int(0, -1 + 5)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for k in 0..<random.int(0, -1 + 5) { object["k\(k)é"] = randomValue(&random, depth: depth + 1) }
            return .object(object)
        }
    }

    static func foundationObject(_ value: JSONValue) -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let b): return b
        case .integer(let i): return i
        case .number(let d): return d
        case .string(let s): return s
        case .array(let a): return a.map(foundationObject)
        case .object(let o): return o.mapValues(foundationObject)
        }
    }

    /// True when Foundation's reading `object` is the value `value`.
    static func matches(_ value: JSONValue, _ object: Any) -> Bool {
        switch value {
        case .null: return object is NSNull
        case .bool(let b): return (object as? Bool) == b && !(object is String)
        case .integer(let i): return (object as? NSNumber)?.int64Value == i
        case .number(let d): return (object as? NSNumber)?.doubleValue == d
        case .string(let s): return (object as? String) == s
        case .array(let a):
            guard let other = object as? [Any], other.count == a.count else { return false }
            return zip(a, other).allSatisfy { matches($0, $1) }
        case .object(let o):
            guard let other = object as? [String: Any], Set(other.keys) == Set(o.keys) else { return false }
            return o.allSatisfy { key, v in matches(v, other[key]!) }
        }
    }
}

/// The tick fast path (`JSONParser.ticks`) against the general parser and field checks.
final class JSONTickParserTests: XCTestCase {
    private func fast(_ text: String, maxItems: Int = 10_000) -> [Tick]? {
        Array(text.utf8).withUnsafeBufferPointer { JSONParser.ticks($0, maxItems: maxItems) }
    }

    private func general(_ text: String) -> [Tick]? {
        guard let value = try? JSONParser.parse(text) else { return nil }
        return try? MarketDataController.ticks(from: value)
    }

    func testReadsWellFormedBatchesLikeTheGeneralPath() {
        let cases = [
            "[]", " [ ] ",
            #"[{"symbol":"BTC","ts":1700000000000,"price":1}]"#,
            #"[{"price": 2.5e3, "ts": 1700000000, "symbol": "AAPL", "size": 3, "bid": null, "ask": 2501.25}]"#,
            #"[{"symbol":"X","ts":1700000000000.0,"price":-1,"bidSize":1,"askSize":2.5,"bid":1,"ask":2}, "#
                + #"{"symbol":"Y","ts":1,"price":0}]"#,
        ]
        for text in cases {
            let ticks = self.fast(text)
            XCTAssertNotNil(ticks, text)
            XCTAssertEqual(ticks, self.general(text), text)
        }
        XCTAssertEqual(
            self.fast(#"[{"symbol":"BTC","ts":1700000000,"price":1,"size":2}]"#)?.first?.ts, 1_700_000_000_000)
    }

    func testLeavesEverythingElseToTheGeneralPath() {
        let cases = [
            "", "{}", "[1]", "[{}]", "[[]]",
            #"[{"symbol":"BTC","ts":1,"price":1}"#,  // not closed
            #"[{"symbol":"BTC","ts":1,"price":1}] x"#,  // trailing data
            #"[{"symbol":"BTC","ts":1,"price":1,}]"#,
            #"[{"symbol":"BTC","ts":1}]"#,  // price missing
            #"[{"symbol":"BTC","price":1}]"#,  // time missing
            #"[{"ts":1,"price":1}]"#,  // symbol missing
            #"[{"symbol":"BTC","ts":1,"price":null}]"#,
            #"[{"symbol":null,"ts":1,"price":1}]"#,
            #"[{"symbol":"BTC","ts":"2024-01-01T00:00:00Z","price":1}]"#,  // a time as text: the general path reads it
            #"[{"symbol":"BTC","ts":1,"price":"1"}]"#,
            #"[{"symbol":"BTC","ts":1,"price":1e400}]"#,
            #"[{"symbol":"BTC","ts":1,"price":1,"size":true}]"#,
            #"[{"symbol":"BTC","ts":1,"price":1,"size":{}}]"#,
            #"[{"symbol":"BTC","ts":1,"price":1,"extra":1}]"#,
            #"[{"symbol":"BTC","ts":1,"price":1,"price":2}]"#,  // a repeated key
            #"[{"sym\u0062ol":"BTC","ts":1,"price":1}]"#,  // an escaped key
            #"[{"symbol":"BTC","ts":1,"price":1},]"#,
        ]
        for text in cases { XCTAssertNil(self.fast(text), text) }
        let two = #"[{"symbol":"A","ts":1,"price":1},{"symbol":"B","ts":1,"price":1}]"#
        XCTAssertNil(self.fast(two, maxItems: 1), "more items than allowed")
        XCTAssertEqual(self.fast(two, maxItems: 2)?.count, 2)
    }

    func testRandomBatchesAgreeWithTheGeneralPath() {
        var rng = SeededRandom(seed: 18)
        let fields = ["symbol", "ts", "price", "size", "bid", "ask", "bidSize", "askSize", "other"]
        let values = [
            #""BTC""#, #""ü€""#, "1700000000000", "1700000000", "-0", "1.5", "-2.5e-3", "1E2", "null", "true", #""x""#,
            "9223372036854775808", "[]", "{}", "1e400",
        ]
        var fastCount = 0
        for _ in 0..<3_000 {
            var items: [String] = []
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                // Half the items start from a valid tick, so that many batches are well formed.
                var pairs = Bool.random(using: &rng) ? [#""symbol":"ETH""#, #""ts":1700000000000"#, #""price":2"#] : []
                for _ in 0..<Int.random(in: 0...3, using: &rng) {
                    let field = fields.randomElement(using: &rng)!
                    let value = values.randomElement(using: &rng)!
                    pairs.append("\"\(field)\"" + [":", " : "].randomElement(using: &rng)! + value)
                }
                pairs.shuffle(using: &rng)
                items.append("{" + pairs.joined(separator: [",", ", "].randomElement(using: &rng)!) + "}")
            }
            let text = "[" + items.joined(separator: ",") + "]"
            if let ticks = self.fast(text) {
                if !ticks.isEmpty { fastCount += 1 }
                XCTAssertEqual(ticks, self.general(text), text)
            }
        }
        XCTAssertGreaterThan(fastCount, 100, "the random batches include well-formed ones")
    }
}
