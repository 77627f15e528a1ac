import FinanceCore
import XCTest

@testable import FinanceCLI

/// The alert benchmark's workload: the mix it claims, nothing firing on its ticks, and alerts that do fire when
/// prices really move.
final class BenchAlertsTests: XCTestCase {
    func testTheWorkloadHasTheMixFiresNothingOnItsTicksAndFiresOnARealMove() throws {
        let bench = AlertBenchmark(alerts: 2_000, symbols: 20)
        let engine = bench.makeEngine()
        XCTAssertEqual(engine.count, 2_000)
        var kinds: [String: Int] = [:]
        var periods: Set<Int> = []
        for n in 0..<2_000 {
            let condition = try XCTUnwrap(engine.alert(id: "a\(n)")?.conditions.first)
            let kind = condition.typeName.hasPrefix("price_") ? "price" : condition.typeName
            kinds[
                kind == "rsi_oversold" ? "rsi_overbought" : kind == "death_cross" ? "golden_cross" : kind, default: 0] +=
                1
            switch condition {
            case .rsiOverbought(let p, _, _), .rsiOversold(let p, _, _): periods.insert(p)
            case .goldenCross(let f, let s, _, _), .deathCross(let f, let s, _, _): periods.formUnion([f, s])
            default: break
            }
        }
        XCTAssertEqual(
            kinds, ["price": 1_400, "percent_change": 200, "rsi_overbought": 200, "golden_cross": 200])
        XCTAssertEqual(periods, Set(AlertBenchmark.periods))
        XCTAssertEqual(bench.warmUp(engine), 0)
        XCTAssertTrue(engine.warmUpRequests().isEmpty)
        let result = bench.timeTicks(engine, count: 20_000, run: 1)
        XCTAssertEqual(result.firings, 0)
        XCTAssertGreaterThan(result.median, 0)
        XCTAssertGreaterThanOrEqual(result.p99, result.median)
        // A 60% jump of one symbol crosses its upper thresholds (and its percent changes).
        let fired = engine.process(
            symbol: bench.symbol(3), ts: AlertBenchmark.start + 1_000_000_000, price: bench.base(3) * 1.6)
        XCTAssertGreaterThan(fired.count, 10)
        XCTAssertTrue(fired.allSatisfy { $0.symbol == bench.symbol(3) })
    }
}
