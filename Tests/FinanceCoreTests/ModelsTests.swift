import XCTest

@testable import FinanceCore

final class ModelsTests: XCTestCase {
    func testTimeRule() {
        XCTAssertEqual(Timestamp.parse("1700000000"), 1_700_000_000_000)
        XCTAssertEqual(Timestamp.parse("1700000000123"), 1_700_000_000_123)
        XCTAssertEqual(Timestamp.parse("2024-01-02"), 1_704_153_600_000)
        XCTAssertEqual(Timestamp.parse("2024-01-02T03:04:05"), 1_704_153_600_000 + 11_045_000)
        XCTAssertEqual(Timestamp.parse("2024-01-02T03:04:05.5Z"), 1_704_153_600_000 + 11_045_500)
        XCTAssertEqual(Timestamp.parse("2024-01-02T03:04:05+01:00"), 1_704_153_600_000 + 7_445_000)
        XCTAssertNil(Timestamp.parse("2024-02-30"))
        XCTAssertNil(Timestamp.parse("yesterday"))
        XCTAssertNil(Timestamp.parse("-9223372036854775808"))
        XCTAssertNil(Timestamp.parse("99999999999999999"))
        var issues: [ValidationIssue] = []
        Validation.check(Tick(symbol: "A", ts: .min, price: 1), index: 0, into: &issues)
        Validation.check(Bar(ts: .max, open: 1, high: 1, low: 1, close: 1, volume: 1), index: 1, into: &issues)
        XCTAssertEqual(issues.map(\.pointer), ["/0/ts", "/1/ts"])
        XCTAssertEqual(Timestamp.iso8601(1_704_153_600_000 + 11_045_500), "2024-01-02T03:04:05.500Z")
    }

    func testSymbols() {
        XCTAssertEqual(Symbol.normalize("brk.b"), "BRK.B")
        XCTAssertEqual(Symbol.normalize("^gspc"), "^GSPC")
        XCTAssertNil(Symbol.normalize(""))
        // Only dots: a path segment `.` or `..` that clients normalise away.
        for dots in [".", "..", "..."] { XCTAssertNil(Symbol.normalize(dots), dots) }
        XCTAssertEqual(Symbol.normalize(".a"), ".A")
        XCTAssertNil(Symbol.normalize("A B"))
        XCTAssertNil(Symbol.normalize(String(repeating: "A", count: 33)))
    }

    func testIntervalBuckets() {
        let ts = Timestamp.parse("2024-03-13T10:17:00Z")!  // a Wednesday
        XCTAssertEqual(Interval.minute5.bucketStart(ts), Timestamp.parse("2024-03-13T10:15:00Z"))
        XCTAssertEqual(Interval.hour4.bucketStart(ts), Timestamp.parse("2024-03-13T08:00:00Z"))
        XCTAssertEqual(Interval.week1.bucketStart(ts), Timestamp.parse("2024-03-11"))
        XCTAssertEqual(Interval.month1.bucketStart(ts), Timestamp.parse("2024-03-01"))
        XCTAssertEqual(
            Interval.month1.nextBucketStart(after: Timestamp.parse("2024-12-01")!), Timestamp.parse("2025-01-01"))
        XCTAssertTrue(Interval.minute1.divides(.month1))
        XCTAssertFalse(Interval.week1.divides(.month1))
        XCTAssertEqual(Interval("4h"), .hour4)
        XCTAssertNil(Interval("2m"))
    }

    func testBucketing() {
        let bars = (0..<10).map { i in
            Bar(
                ts: Int64(i) * 60_000, open: Double(i), high: Double(i) + 1, low: Double(i) - 0.5,
                close: Double(i) + 0.5, volume: 1)
        }
        let out = Bucketing.aggregate(bars, into: .minute5)
        XCTAssertEqual(out.count, 2)
        XCTAssertEqual(out[1], Bar(ts: 300_000, open: 5, high: 10, low: 4.5, close: 9.5, volume: 5))
    }

    func testValidation() {
        var issues: [ValidationIssue] = []
        Validation.check(Bar(ts: 0, open: 10, high: 9, low: 11, close: 10, volume: -1), index: 3, into: &issues)
        XCTAssertEqual(Set(issues.map(\.field)), ["high", "low", "volume"])
        XCTAssertEqual(issues.first?.pointer, "/3/high")
    }

    func testNestedPointersEscapeAndNameTheLastKey() {
        let nested = ValidationIssue(path: ["conditions", "0", "period"], detail: "d")
        XCTAssertEqual(nested.pointer, "/conditions/0/period")
        XCTAssertEqual(nested.field, "period")
        XCTAssertNil(nested.index)
        XCTAssertEqual(ValidationIssue(path: ["a/b", "m~n"], detail: "d").pointer, "/a~1b/m~0n", "RFC 6901 escapes")
        XCTAssertEqual(ValidationIssue(path: [], detail: "d").pointer, "", "the whole body")
        XCTAssertEqual(ValidationIssue(path: ["channels", "1"], detail: "d").field, "channels")
        XCTAssertEqual(ValidationIssue(index: nil, field: "symbol", detail: "d").pointer, "/symbol", "flat form kept")
    }
}

/// Audit events keep their texts short and never a token-looking word.
final class AuditEventTests: XCTestCase {
    func testSecretsLookingWordsAreRedactedAndTextsCut() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz"
        let refresh = "q3Vx8b1oZr6Kp0aY2wTt5LmN9cHfGjD4sE7uIvWnX-A_"
        let event = AuditEvent(
            id: "1", ts: 0, type: .authFailed, detail: "bad token (\(jwt)), then refresh \(refresh); api key: abc")
        XCTAssertEqual(event.detail, "bad token [redacted] then refresh [redacted] api key: abc")
        XCTAssertFalse(event.detail.contains("eyJ"))
        let plain = "wrong password for alice from 2001:db8::1 at /ws/market/BTC/price"
        XCTAssertEqual(AuditEvent(id: "2", ts: 0, type: .loginFailed, detail: plain).detail, plain)
        let long = AuditEvent(
            id: "3", ts: 0, type: .limitHit, user: String(repeating: "u", count: 500),
            ip: String(repeating: "1", count: 500), detail: String(repeating: "word ", count: 500))
        XCTAssertEqual(long.detail.count, AuditEvent.maxDetailCharacters + 1, "cut, with an ellipsis")
        XCTAssertEqual(long.user?.count, AuditEvent.maxUserCharacters + 1)
        XCTAssertEqual(long.ip?.count, AuditEvent.maxIpCharacters + 1)
        let empty = AuditEvent(id: "4", ts: 0, type: .logout, user: "", ip: "")
        XCTAssertNil(empty.user, "an empty name is none")
        XCTAssertNil(empty.ip)
        XCTAssertEqual(AuditEventType(rawValue: "login_failed"), .loginFailed)
        XCTAssertEqual(AuditEventType.allCases.count, 13)
    }
}
