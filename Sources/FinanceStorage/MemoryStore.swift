import FinanceCore
import Synchronization

/// The in-memory store: the reference implementation of `MarketStore` semantics, used by tests.
public final class MemoryStore: MarketStore {
    private struct SeriesKey: Hashable {
        var symbol: String
        var interval: Interval
    }

    private struct State {
        var assets: [String: Asset] = [:]
        var bars: [SeriesKey: [Int64: Bar]] = [:]
        var rollups: [SeriesKey: [Interval: [Int64: Bar]]] = [:]
        var ticks: [String: [Tick]] = [:]
        var sources: [String: String] = [:]
    }

    private let state = Mutex(State())
    /// Provider budgets, key states, usage and health (`MemoryStore+Providers.swift`).
    let providerState = MemoryProviderState()
    /// Users, refresh tokens and secrets (`MemoryStore+Users.swift`).
    let userState = MemoryUserState()
    /// The audit log (`MemoryStore+Audit.swift`).
    let auditState = MemoryAuditState()
    /// Portfolios and their snapshots (`MemoryStore+Portfolios.swift`).
    let portfolioState = MemoryPortfolioState()
    /// Alerts, their history, engine state, the delivery outbox and email confirmations (`MemoryStore+Alerts.swift`).
    let alertState = MemoryAlertState()

    public init() {}

    public var displayName: String { "memory" }
    public func migrate() async throws -> Int { 0 }
    public func schemaVersion() async throws -> SchemaVersion { SchemaVersion(current: 1, latest: 1) }
    public func ping() async throws {}
    public func close() async throws {}

    public func assets() async throws -> [Asset] {
        self.state.withLock { $0.assets.values.sorted { $0.symbol < $1.symbol } }
    }

    public func asset(_ symbol: String) async throws -> Asset {
        guard let a = self.state.withLock({ $0.assets[symbol] }) else { throw StorageError.notFound("asset \(symbol)") }
        return a
    }

    public func createAsset(_ asset: Asset) async throws {
        try self.state.withLock { s in
            guard s.assets[asset.symbol] == nil else { throw StorageError.conflict("asset \(asset.symbol)") }
            s.assets[asset.symbol] = asset
        }
    }

    public func updateAsset(_ asset: Asset) async throws {
        try self.state.withLock { s in
            guard s.assets[asset.symbol] != nil else { throw StorageError.notFound("asset \(asset.symbol)") }
            s.assets[asset.symbol] = asset
        }
    }

    public func recordSource(_ source: String, symbols: [String]) async throws {
        self.state.withLock { s in
            for symbol in symbols where s.assets[symbol] != nil { s.sources[symbol] = source }
        }
    }

    public func source(of symbol: String) async throws -> String? {
        self.state.withLock { $0.sources[symbol] }
    }

    public func deleteAsset(_ symbol: String) async throws {
        try self.state.withLock { s in
            guard s.assets.removeValue(forKey: symbol) != nil else { throw StorageError.notFound("asset \(symbol)") }
            s.sources[symbol] = nil
            s.bars = s.bars.filter { $0.key.symbol != symbol }
            s.rollups = s.rollups.filter { $0.key.symbol != symbol }
            s.ticks[symbol] = nil
        }
    }

    public func writeBars(_ batches: [BarBatch], progress: (@Sendable (Int) -> Void)?) async throws {
        var written = 0
        self.state.withLock { s in
            for batch in batches {
                Self.ensureAsset(batch.symbol, in: &s)
                let key = SeriesKey(symbol: batch.symbol, interval: batch.interval)
                for bar in batch.bars { s.bars[key, default: [:]][bar.ts] = bar }
                Self.refreshRollups(key, touched: batch.bars.map(\.ts), in: &s)
                written += batch.bars.count
            }
        }
        progress?(written)
    }

    public func writeTicks(_ ticks: [Tick]) async throws -> [SymbolBar] {
        self.state.withLock { s in
            var minutes: [String: Set<Int64>] = [:]
            for tick in ticks {
                Self.ensureAsset(tick.symbol, in: &s)
                s.ticks[tick.symbol, default: []].append(tick)
                minutes[tick.symbol, default: []].insert(Interval.minute1.bucketStart(tick.ts))
            }
            var rebuilt: [SymbolBar] = []
            for (symbol, touched) in minutes.sorted(by: { $0.key < $1.key }) {
                let key = SeriesKey(symbol: symbol, interval: .minute1)
                let all = s.ticks[symbol] ?? []
                for minute in touched.sorted() {
                    let inMinute = all.filter { Interval.minute1.bucketStart($0.ts) == minute }
                    if let bar = Bucketing.minuteBars(from: inMinute).first {
                        s.bars[key, default: [:]][minute] = bar
                        rebuilt.append(SymbolBar(symbol: symbol, bar: bar))
                    }
                }
                Self.refreshRollups(key, touched: Array(touched), in: &s)
            }
            return rebuilt
        }
    }

    public func storedIntervals(symbol: String) async throws -> [Interval] {
        self.state.withLock { s in
            s.bars.filter { $0.key.symbol == symbol && !$0.value.isEmpty }.map(\.key.interval).sorted()
        }
    }

    public func bars(symbol: String, series: BarSeries, from: Int64?, to: Int64?, limit: Int, newestFirst: Bool)
        async throws -> [Bar]
    {
        let rows: [Int64: Bar] = self.state.withLock { s in
            switch series {
            case .stored(let interval): return s.bars[SeriesKey(symbol: symbol, interval: interval)] ?? [:]
            case .rollup(let base, let interval):
                return s.rollups[SeriesKey(symbol: symbol, interval: base)]?[interval] ?? [:]
            }
        }
        var selected = rows.values.filter { bar in
            (from.map { bar.ts >= $0 } ?? true) && (to.map { bar.ts < $0 } ?? true)
        }
        selected.sort { newestFirst ? $0.ts > $1.ts : $0.ts < $1.ts }
        return Array(selected.prefix(max(0, limit)))
    }

    public func ticks(symbol: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Tick] {
        let all = self.state.withLock { $0.ticks[symbol] ?? [] }
        let selected = all.enumerated().filter { t in
            (from.map { t.element.ts >= $0 } ?? true) && (to.map { t.element.ts < $0 } ?? true)
        }.sorted { $0.element.ts < $1.element.ts || ($0.element.ts == $1.element.ts && $0.offset < $1.offset) }
        return Array(selected.prefix(max(0, limit)).map(\.element))
    }

    public func latestTick(symbol: String) async throws -> Tick? {
        let all = self.state.withLock { $0.ticks[symbol] ?? [] }
        // The last tick with the greatest time (later arrival wins ties).
        return all.enumerated().max {
            $0.element.ts < $1.element.ts || ($0.element.ts == $1.element.ts && $0.offset < $1.offset)
        }?
        .element
    }

    private static func ensureAsset(_ symbol: String, in s: inout State) {
        if s.assets[symbol] == nil { s.assets[symbol] = Asset(symbol: symbol) }
    }

    private static func refreshRollups(_ key: SeriesKey, touched: [Int64], in s: inout State) {
        let base = s.bars[key] ?? [:]
        for rollup in BarSeries.rollups(of: key.interval) {
            for bucket in Set(touched.map { rollup.bucketStart($0) }) {
                let end = rollup.nextBucketStart(after: bucket)
                let members = base.values.filter { $0.ts >= bucket && $0.ts < end }.sorted { $0.ts < $1.ts }
                if let bar = Bucketing.aggregate(members, into: rollup).first {
                    s.rollups[key, default: [:]][rollup, default: [:]][bucket] = bar
                } else {
                    s.rollups[key]?[rollup]?[bucket] = nil
                }
            }
        }
    }
}
