import FinanceCore
import Metrics

/// Wraps a store and records the duration of every call as `financehub_db_operation_duration_seconds`
/// by operation and outcome.
public struct InstrumentedStore: MarketStore {
    public let base: any MarketStore

    public init(_ base: any MarketStore) {
        self.base = base
    }

    private func timed<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        do {
            let result = try await body()
            self.record(operation, "ok", start)
            return result
        } catch {
            self.record(operation, "error", start)
            throw error
        }
    }

    private func record(_ operation: String, _ outcome: String, _ start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        Metrics.Timer(
            label: "financehub_db_operation_duration_seconds",
            dimensions: [("operation", operation), ("outcome", outcome)], preferredDisplayUnit: .seconds
        ).recordSeconds(seconds)
    }

    public var displayName: String { self.base.displayName }
    public func migrate() async throws -> Int { try await self.timed("migrate") { try await self.base.migrate() } }
    public func schemaVersion() async throws -> SchemaVersion {
        try await self.timed("schema_version") { try await self.base.schemaVersion() }
    }
    public func ping() async throws { try await self.timed("ping") { try await self.base.ping() } }
    public func assets() async throws -> [Asset] { try await self.timed("assets") { try await self.base.assets() } }
    public func asset(_ symbol: String) async throws -> Asset {
        try await self.timed("asset") { try await self.base.asset(symbol) }
    }
    public func createAsset(_ asset: Asset) async throws {
        try await self.timed("create_asset") { try await self.base.createAsset(asset) }
    }
    public func updateAsset(_ asset: Asset) async throws {
        try await self.timed("update_asset") { try await self.base.updateAsset(asset) }
    }
    public func deleteAsset(_ symbol: String) async throws {
        try await self.timed("delete_asset") { try await self.base.deleteAsset(symbol) }
    }
    public func writeBars(_ batches: [BarBatch], progress: (@Sendable (Int) -> Void)?) async throws {
        try await self.timed("write_bars") { try await self.base.writeBars(batches, progress: progress) }
    }
    public func writeTicks(_ ticks: [Tick]) async throws -> [SymbolBar] {
        try await self.timed("write_ticks") { try await self.base.writeTicks(ticks) }
    }
    public func storedIntervals(symbol: String) async throws -> [Interval] {
        try await self.timed("stored_intervals") { try await self.base.storedIntervals(symbol: symbol) }
    }
    public func bars(symbol: String, series: BarSeries, from: Int64?, to: Int64?, limit: Int, newestFirst: Bool)
        async throws -> [Bar]
    {
        try await self.timed("read_bars") {
            try await self.base.bars(
                symbol: symbol, series: series, from: from, to: to, limit: limit, newestFirst: newestFirst)
        }
    }
    public func ticks(symbol: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Tick] {
        try await self.timed("read_ticks") {
            try await self.base.ticks(symbol: symbol, from: from, to: to, limit: limit)
        }
    }
    public func latestTick(symbol: String) async throws -> Tick? {
        try await self.timed("latest_tick") { try await self.base.latestTick(symbol: symbol) }
    }
    public func close() async throws { try await self.base.close() }
}
