import FinanceCore
import FinanceStorage
import Synchronization
import XCTest

/// The storage contract: driver-agnostic checks of the `MarketStore` semantics, run by the tests of every store.
///
/// Each check takes a fresh, empty store (the check calls `migrate()` itself) and reports through XCTest
/// assertions; unexpected errors are thrown. Test targets run them one XCTest method per check (XCTest on
/// Linux does not reliably discover inherited test methods), e.g.
///
/// ```swift
/// func testUpsertReplaces() async throws { try await StoreContract.run("upsertReplaces", on: makeStore()) }
/// ```
///
/// and should also assert that every name in `StoreContract.names` has a test (see `missing(from:)`).
public enum StoreContract {
    /// One named check.
    public struct Check: Sendable {
        public let name: String
        public let run: @Sendable (any MarketStore) async throws -> Void
        public init(_ name: String, _ run: @escaping @Sendable (any MarketStore) async throws -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Every check, in a stable order.
    public static let checks: [Check] = [
        Check("migrateIdempotent", migrateIdempotent),
        Check("assetCRUD", assetCRUD),
        Check("writeBarsCreatesUnknownAssets", writeBarsCreatesUnknownAssets),
        Check("symbolsWithPunctuation", symbolsWithPunctuation),
        Check("upsertReplaces", upsertReplaces),
        Check("valuesRoundTrip", valuesRoundTrip),
        Check("multipleBatchesAndProgress", multipleBatchesAndProgress),
        Check("failedWriteLeavesNothing", failedWriteLeavesNothing),
        Check("barsRangeLimitOrder", barsRangeLimitOrder),
        Check("rollupsMatchAggregate", rollupsMatchAggregate),
        Check("rollupsLateData", rollupsLateData),
        Check("rollupsCorrectionLowersHigh", rollupsCorrectionLowersHigh),
        Check("rollupsOf5mBase", rollupsOf5mBase),
        Check("rollupsPerBaseInterval", rollupsPerBaseInterval),
        Check("rollupsBeforeEpoch", rollupsBeforeEpoch),
        Check("rollupsSeveralBatchesOneCall", rollupsSeveralBatchesOneCall),
        Check("concurrentWritesSameBuckets", concurrentWritesSameBuckets),
        Check("ticksBuildMinuteBars", ticksBuildMinuteBars),
        Check("ticksAcrossCallsAndReplaceBars", ticksAcrossCallsAndReplaceBars),
        Check("ticksRangeAndLatest", ticksRangeAndLatest),
        Check("deleteAssetCascades", deleteAssetCascades),
        Check("storedIntervalsFinestFirst", storedIntervalsFinestFirst),
        Check("providerBudgets", providerBudgets),
        Check("providerKeyStates", providerKeyStates),
        Check("providerUsageAndHealth", providerUsageAndHealth),
        Check("assetSources", assetSources),
        Check("providerSymbolMap", providerSymbolMap),
        Check("usersCRUD", usersCRUD),
        Check("refreshTokenRotation", refreshTokenRotation),
        Check("apiKeysCRUD", apiKeysCRUD),
        Check("tokenRevocations", tokenRevocations),
        Check("secretsFirstWriterWins", secretsFirstWriterWins),
        Check("auditAppendAndQuery", auditAppendAndQuery),
        Check("auditCursorPaging", auditCursorPaging),
        Check("auditPrune", auditPrune),
        Check("portfolioCRUD", portfolioCRUD),
        Check("portfolioPaging", portfolioPaging),
        Check("portfolioSnapshots", portfolioSnapshots),
        Check("assetMarketCap", assetMarketCap),
        Check("alertsCRUD", alertsCRUD),
        Check("alertsQuotaAndPaging", alertsQuotaAndPaging),
        Check("alertEngineStates", alertEngineStates),
        Check("emailConfirmations", emailConfirmations),
        Check("outboxDedupesFirings", outboxDedupesFirings),
        Check("outboxLeasesAndOutcomes", outboxLeasesAndOutcomes),
        Check("outboxConcurrentClaimers", outboxConcurrentClaimers),
        Check("alertHistoryPaging", alertHistoryPaging),
    ]

    /// The names of every check.
    public static var names: [String] { checks.map(\.name) }

    /// The check named `name`.
    public static func check(_ name: String) -> Check? { checks.first { $0.name == name } }

    /// Runs the check named `name` on `store`, then closes the store.
    public static func run(
        _ name: String, on store: any MarketStore, file: StaticString = #filePath, line: UInt = #line
    )
        async throws
    {
        guard let check = check(name) else {
            XCTFail("no storage contract check named \(name)", file: file, line: line)
            return
        }
        do {
            try await check.run(store)
        } catch {
            try? await store.close()
            XCTFail("contract check \(name) on \(store.displayName) threw \(error)", file: file, line: line)
            return
        }
        try await store.close()
    }

    /// The names of checks not in `covered` (for a test asserting a test target runs every check).
    public static func missing(from covered: [String]) -> [String] {
        names.filter { !covered.contains($0) }
    }

    // MARK: - Fixtures

    /// 2024-01-02 00:00 UTC (a Tuesday), in milliseconds.
    public static let t0: Int64 = 1_704_153_600_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    /// A deterministic valid bar at `ts`; `seed` varies prices; volumes are integers so sums are exact in any order.
    public static func bar(_ ts: Int64, _ seed: Int, volume: Double? = nil) -> Bar {
        let base = 100 + Double((seed * 37) % 101) / 4  // multiples of 0.25: exact in binary
        let open = base
        let close = base + Double((seed * 13) % 9 - 4) / 4
        let high = max(open, close) + Double((seed * 7) % 5) / 4
        let low = min(open, close) - Double((seed * 11) % 5) / 4
        return Bar(
            ts: ts, open: open, high: high, low: low, close: close, volume: volume ?? Double(1 + (seed * 17) % 1000))
    }

    /// Bars at `start + i * step` for each i in `indices`.
    public static func bars(from start: Int64, step: Int64, _ indices: some Sequence<Int>, seed: Int = 0) -> [Bar] {
        indices.map { bar(start + Int64($0) * step, $0 + seed) }
    }

    static func all(_ store: any MarketStore, _ symbol: String, _ series: BarSeries) async throws -> [Bar] {
        try await store.bars(symbol: symbol, series: series, from: nil, to: nil, limit: Int.max, newestFirst: false)
    }

    /// Asserts every rollup of `symbol`'s stored `base` bars equals `Bucketing.aggregate` of the stored bars.
    public static func assertRollupsExact(
        _ store: any MarketStore, _ symbol: String, base: Interval, _ context: String,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let stored = try await all(store, symbol, .stored(base))
        for r in BarSeries.rollups(of: base) {
            let expected = Bucketing.aggregate(stored, into: r)
            let actual = try await all(store, symbol, .rollup(base: base, interval: r))
            assertBars(actual, expected, "\(context): rollup \(base)→\(r) of \(symbol)", file: file, line: line)
        }
    }

    /// Asserts two bar lists are equal, reporting the first difference.
    public static func assertBars(
        _ actual: [Bar], _ expected: [Bar], _ context: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        guard actual != expected else { return }
        if actual.count != expected.count {
            XCTFail(
                "\(context): \(actual.count) bars, expected \(expected.count); first actual \(actual.first.map { "\($0)" } ?? "none"), "
                    + "first expected \(expected.first.map { "\($0)" } ?? "none")", file: file, line: line)
            return
        }
        for (a, e) in zip(actual, expected) where a != e {
            XCTFail("\(context): got \(a), expected \(e)", file: file, line: line)
            return
        }
    }

    static func expectError(
        _ expected: StorageError, _ context: String, file: StaticString = #filePath, line: UInt = #line,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            XCTFail("\(context): expected \(expected), no error thrown", file: file, line: line)
        } catch let error as StorageError {
            XCTAssertEqual(error, expected, context, file: file, line: line)
        } catch {
            XCTFail("\(context): expected \(expected), got \(error)", file: file, line: line)
        }
    }

    static func sortedSymbolBars(_ bars: [SymbolBar]) -> [SymbolBar] {
        bars.sorted { ($0.symbol, $0.bar.ts) < ($1.symbol, $1.bar.ts) }
    }
}

/// A thread-safe log of progress reports.
final class ProgressLog: Sendable {
    private let storage = Mutex<[Int]>([])
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var values: [Int] { storage.withLock { $0 } }
}
